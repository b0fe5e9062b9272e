"""The root command: global options, the client built on first use, and the one place
that turns every failure into a message on stderr and a documented exit code."""

from __future__ import annotations

import logging
import os
import sys
import traceback
from typing import TYPE_CHECKING, Any

import click

from .._version import __version__
from ._output import FORMATS, Output, quiet_notes
from ._spec import LazyGroup
from ._tree import ROOT

if TYPE_CHECKING:
    from .._sync.client import Client
    from ..credentials import CredentialChain

#: Every exit code, as documented in ``avala --help`` and docs/cli.md.
EXIT_CODES: tuple[tuple[int, str], ...] = (
    (0, "success"),
    (1, "another failure: a local file, an upload's saved state, an unexpected error"),
    (2, "usage: a bad command line, or an argument refused before anything was sent"),
    (3, "authentication: no API key found, key rejected (401), or not permitted (403)"),
    (4, "not found (404)"),
    (5, "another API error: validation, conflict, quota, rate limit, server, storage"),
    (6, "network: the API could not be reached, or a request timed out"),
    (7, "a wait gave up: the resource did not reach the state in time"),
    (130, "interrupted (Ctrl-C)"),
)


class State:
    """What the global options chose, and the client they lead to (built on first use).

    Attributes:
        output: Where results are written, in the chosen format.
    """

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | None,
        profile: str | None,
        output: str,
        debug: bool,
        quiet: bool,
    ) -> None:
        self.api_key = api_key
        self.base_url = base_url
        self.profile = profile
        self.output = Output(output)
        self.debug = debug
        self.quiet = quiet
        self._client: Client | None = None

    @classmethod
    def current(cls) -> State:
        """The state of the command being run."""
        state = click.get_current_context().find_object(cls)
        if state is None:  # pragma: no cover - every command runs under the root
            raise RuntimeError("no avala CLI state: run commands through the root group")
        return state

    def chain(self) -> CredentialChain:
        """The credential chain: ``--api-key``, else ``--profile`` alone, else the SDK's
        default chain (``AVALA_API_KEY``, ``.env``, the ``AVALA_PROFILE``/default profile)."""
        from ..credentials import CredentialChain, ProfileProvider, default_chain

        if self.api_key is not None:
            return default_chain(self.api_key)
        if self.profile is not None:
            return CredentialChain([ProfileProvider(self.profile)])
        return default_chain()

    def resolved_base_url(self, chain: CredentialChain) -> str | None:
        """``--base-url``, else ``AVALA_BASE_URL`` (read by the SDK), else the base URL saved
        with the profile the key comes from, else the SDK's default (None)."""
        from ..credentials import ProfileProvider

        if self.base_url is not None or os.environ.get("AVALA_BASE_URL"):
            return self.base_url
        provider = chain.resolve().provider
        for candidate in chain.providers:
            if isinstance(candidate, ProfileProvider) and candidate.name == provider:
                return candidate.base_url()
        return None

    def client(self) -> Client:
        """The sync client for this command, closed when the command ends."""
        if self._client is None:
            from .. import Client

            chain = self.chain()
            self._client = Client(credentials=chain, base_url=self.resolved_base_url(chain))
            click.get_current_context().call_on_close(self._client.close)
        return self._client


def _epilog() -> str:
    lines = ["\b", "Exit codes:"]
    lines += [f"  {code:>3}  {text}" for code, text in EXIT_CODES]
    lines += ["", "Docs: docs/cli.md; `avala COMMAND --help` for a command's options."]
    return "\n".join(lines)


class Root(LazyGroup):
    """The ``avala`` group. Its ``main`` (what the console script and click's test runner
    call) maps every failure to a message on stderr and an exit code (:data:`EXIT_CODES`)."""

    debug: bool = False

    def main(
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command line; exit with its code (or return it, ``standalone_mode=False``)."""
        self.debug = False
        code = self._guarded(args, prog_name or "avala", complete_var, extra)
        if standalone_mode:
            sys.exit(code)
        return code

    def invoke(self, ctx: click.Context) -> Any:
        """Run the chosen command; a reader that closed the pipe ends it with exit 0."""
        try:
            return super().invoke(ctx)
        except BrokenPipeError:  # the reader left (`| head`): stop quietly, successfully
            _silence_stdout()  # (handled here: click's main would turn it into exit 1)
            raise click.exceptions.Exit(0) from None

    def _guarded(
        self, args: Any, prog_name: str, complete_var: str | None, extra: dict[str, Any]
    ) -> int:
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            return result if isinstance(result, int) else 0
        except BrokenPipeError:  # the reader left while click itself was writing (help)
            _silence_stdout()
            return 0
        except click.exceptions.NoArgsIsHelpError as exc:
            click.echo(exc.ctx.get_help())
            return 0
        except click.ClickException as exc:
            exc.show()
            return 2 if isinstance(exc, click.UsageError) else exc.exit_code
        except click.Abort as exc:
            if isinstance(exc.__cause__ or exc.__context__, KeyboardInterrupt):
                return 130
            click.echo("Aborted.", err=True)
            return 1
        except KeyboardInterrupt:
            click.echo(err=True)
            return 130
        except Exception as exc:
            code, message = failure(exc)
            if self.debug:
                traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
            click.echo(f"error: {message}", err=True)
            return code


def _silence_stdout() -> None:
    """Point stdout at devnull so the interpreter's last flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass  # not a real file (a test runner's buffer): nothing will flush to a pipe


def failure(exc: BaseException) -> tuple[int, str]:
    """The exit code and the one-line message for an exception (see :data:`EXIT_CODES`)."""
    from .. import errors
    from ..credentials import CredentialError

    if isinstance(exc, errors.BulkEditError) and isinstance(exc.__cause__, errors.AvalaError):
        code, message = failure(exc.__cause__)
        return code, f"{exc.message} ({message})"
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    if isinstance(exc, CredentialError):
        return 3, f"{message}\nSave a key with `avala configure`, or set AVALA_API_KEY."
    if isinstance(exc, errors.AuthenticationError):
        return 3, (
            f"the API rejected the key (401): {message}\nCheck it with `avala auth "
            "check`; save a new one with `avala configure`."
        )
    if isinstance(exc, errors.ForbiddenError):
        return 3, f"permission denied (403): {message}"
    if isinstance(exc, errors.NotFoundError):
        return 4, f"not found (404): {message}"
    if isinstance(exc, errors.APIConnectionError):
        return 6, f"network: {message}"
    if isinstance(exc, errors.ConfigurationError):
        return 2, message
    if isinstance(exc, errors.APIStatusError):
        return 5, f"API error ({exc.status_code}): {message}"
    if isinstance(exc, errors.UploadStateError | errors.ClientClosedError):
        return 1, message
    if isinstance(exc, errors.AvalaError):
        return 5, message
    if isinstance(exc, TimeoutError):
        return 7, message
    if isinstance(exc, ValueError | TypeError | IndexError):
        return 2, message
    if isinstance(exc, OSError):
        return 1, message
    return 1, f"unexpected {type(exc).__name__}: {message} (rerun with --debug for details)"


@click.group(
    "avala", cls=Root, spec=ROOT, epilog=_epilog(), context_settings={"max_content_width": 100}
)
@click.version_option(__version__, "--version", prog_name="avala", message="%(prog)s %(version)s")
@click.option(
    "--api-key",
    metavar="KEY",
    default=None,
    help="The API key. By default the SDK's chain: AVALA_API_KEY, then .env, then "
    "the saved profile. A key on the command line shows in `ps` and shell history: "
    "prefer `avala configure`.",
)
@click.option(
    "--base-url",
    metavar="URL",
    default=None,
    help="The API root (default: AVALA_BASE_URL, else the profile's, else "
    "https://api.avala.ai/api/v1).",
)
@click.option(
    "--profile",
    metavar="NAME",
    default=None,
    help="Use this saved profile (key and base URL) rather than AVALA_API_KEY or "
    ".env; AVALA_PROFILE names the profile the default chain reads.",
)
@click.option(
    "-o",
    "--output",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="table for people; json (one document) or jsonl (one object a line, "
    "streamed) for scripts.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress or notes on stderr.")
@click.option("--debug", is_flag=True, help="Log requests and show tracebacks on stderr.")
@click.pass_context
def cli(
    ctx: click.Context,
    api_key: str | None,
    base_url: str | None,
    profile: str | None,
    output: str,
    quiet: bool,
    debug: bool,
) -> None:
    """Avala from the shell: datasets, projects, exports, fleet and every other resource.

    Data goes to stdout, messages and progress to stderr.
    """
    if debug:
        root = ctx.find_root().command
        if isinstance(root, Root):
            root.debug = True
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logger = logging.getLogger("avala")
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
        ctx.call_on_close(lambda: logger.removeHandler(handler))
    quiet_notes(quiet)
    ctx.obj = State(
        api_key=api_key, base_url=base_url, profile=profile, output=output, debug=debug, quiet=quiet
    )
