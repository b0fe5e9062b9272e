"""``avala configure`` (check a key, save it in a profile) and ``avala auth check``."""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ._app import State
from ._output import note

if TYPE_CHECKING:
    from .._sync.client import Client
    from ..credentials import CredentialChain


def probe(client: Client) -> tuple[bool, str]:
    """One cheap authenticated call: whether the API accepts the client's key, and why.

    A 403 means the key is valid but may not list organizations: accepted. Any failure
    other than a 401 or 403 (the network, a server error) propagates.
    """
    from ..errors import AuthenticationError, ForbiddenError

    try:
        client.organizations.list(limit=1)
    except AuthenticationError as exc:
        return False, exc.message
    except ForbiddenError:
        return True, "accepted (this key may not list organizations)"
    return True, "accepted"


def fingerprint(api_key: str) -> str:
    """A short one-way digest that tells keys apart without showing one."""
    return "sha256:" + hashlib.sha256(api_key.encode()).hexdigest()[:12]


def save_profile(path: Path, profile: str, api_key: str, base_url: str | None) -> None:
    """Write ``profile`` into the profiles file atomically, readable by its owner only.

    The directory is created 0700 (and tightened to 0700 if it is ours and looser); the file
    is written to a temporary file created 0600 beside it, synced, then renamed over the old
    one, so a crash leaves the old file or the new one, never half of either.
    """
    from ..credentials import read_profiles

    directory = path.parent
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    if os.name == "posix":
        st = directory.stat()
        if st.st_uid == os.getuid() and st.st_mode & 0o077:
            os.chmod(directory, 0o700)
    profiles = read_profiles(path)
    if not profiles.has_section(profile):
        profiles.add_section(profile)
    profiles.set(profile, "api_key", api_key)
    if base_url:
        profiles.set(profile, "base_url", base_url)
    else:
        profiles.remove_option(profile, "base_url")
    fd, temporary = tempfile.mkstemp(prefix=".credentials.", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            profiles.write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    if os.name == "posix":
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _read_key(from_stdin: bool, given: str | None) -> str:
    from ..credentials import CredentialProviderError, check_api_key

    if from_stdin:
        raw, source = sys.stdin.read(), "the key read from stdin"
    elif given is not None:
        raw, source = given, "--api-key"
    else:
        raw, source = click.prompt("API key (input hidden)", hide_input=True, err=True), "the key"
    try:
        return check_api_key(raw, source)
    except CredentialProviderError as exc:
        raise click.UsageError(str(exc)) from None


@click.command("configure")
@click.option(
    "--api-key-stdin",
    is_flag=True,
    help='Read the key from stdin, for scripts: `printf %s "$KEY" | avala '
    "configure --api-key-stdin` (a key given as --api-key shows in `ps` and shell "
    "history).",
)
@click.option(
    "--no-verify",
    is_flag=True,
    help="Save without checking the key against the API (offline set-up).",
)
def configure(api_key_stdin: bool, no_verify: bool) -> None:
    """Check an API key against the API and save it in a profile.

    The key is asked for with hidden input (or read from stdin with --api-key-stdin),
    checked with one request, then saved in the profiles file of your configuration
    directory (AVALA_CONFIG_DIR overrides it), created readable by you only. --profile
    names the profile (default: AVALA_PROFILE, else "default"); --base-url is saved with
    it. `Client()` in Python finds the key too.
    """
    from ..credentials import ProfileProvider

    state = State.current()
    api_key = _read_key(api_key_stdin, state.api_key)
    provider = ProfileProvider(state.profile)
    base_url = state.base_url or os.environ.get("AVALA_BASE_URL") or None
    verified = False
    if not no_verify:
        from .. import Client

        with Client(api_key=api_key, base_url=base_url) as client:
            accepted, detail = probe(client)
            checked_at = client.base_url
        if not accepted:
            note(f"error: {checked_at} rejected the key: {detail} Nothing was saved.")
            raise click.exceptions.Exit(3)
        verified = True
    save_profile(provider.path, provider.profile, api_key, base_url)
    note(
        f"Saved profile {provider.profile!r} in {provider.path}"
        + (" after the API accepted the key." if verified else " (not checked).")
    )
    state.output.one(
        {
            "profile": provider.profile,
            "path": str(provider.path),
            "base_url": base_url,
            "verified": verified,
            "fingerprint": fingerprint(api_key),
        }
    )


def _location(chain: CredentialChain, provider: str) -> str | None:
    """Where the provider named ``provider`` reads from (a variable, a file)."""
    for candidate in chain.providers:
        if candidate.name != provider:
            continue
        where: Any = getattr(candidate, "path", None) or getattr(candidate, "variable", None)
        return None if where is None else str(where)
    return None


@click.command("check")
def auth_check() -> None:
    """Say where the API key comes from and whether the API accepts it (never the key).

    Exits 0 when the API accepts the key and 3 when none is found or it is rejected.
    """
    state = State.current()
    chain = state.chain()
    credential = chain.resolve()
    client = state.client()
    accepted, detail = probe(client)
    state.output.one(
        {
            "provider": credential.provider,
            "location": _location(chain, credential.provider),
            "base_url": client.base_url,
            "fingerprint": fingerprint(credential.api_key),
            "accepted": accepted,
            "detail": detail,
        }
    )
    if not accepted:
        raise click.exceptions.Exit(3)
