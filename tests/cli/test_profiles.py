"""Profiles that persist: ``avala configure`` saves a checked key (0600 file, 0700
directory, atomic rewrite), the SDK's default chain reads it, ``avala auth check``
reports where the key came from and whether the API takes it, never the key."""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path

import pytest

from avala import Client
from avala.cli import _auth
from avala.credentials import ProfileProvider, config_dir, read_profiles
from avala.testing import ServerHandle

from .conftest import Run, invoke

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


@pytest.fixture
def profiles() -> Path:
    return config_dir() / "credentials"


def test_config_dir_is_overridable_and_never_the_real_home(tmp_path: Path) -> None:
    assert config_dir() == tmp_path / "avala-config"  # tests/conftest.py points it here
    assert config_dir({"XDG_CONFIG_HOME": str(tmp_path / "x")}).parts[-1] == "avala"


@posix_only
def test_configure_from_stdin_checks_and_saves_privately(
    avala: Run, local_env: ServerHandle, profiles: Path
) -> None:
    result = avala("-o", "json", "configure", "--api-key-stdin", input=local_env.api_key + "\n")
    report = json.loads(result.stdout)
    assert report["profile"] == "default" and report["verified"] is True
    assert "after the API accepted the key" in result.stderr
    assert stat.S_IMODE(profiles.stat().st_mode) == 0o600
    assert stat.S_IMODE(profiles.parent.stat().st_mode) == 0o700
    assert read_profiles(profiles)["default"]["api_key"] == local_env.api_key
    assert [p.name for p in profiles.parent.iterdir()] == ["credentials"]  # no temp file left


def test_configure_prompts_with_hidden_input(
    avala: Run, local_env: ServerHandle, profiles: Path
) -> None:
    result = avala("configure", input=local_env.api_key + "\n")
    assert "API key (input hidden)" in result.stderr
    assert local_env.api_key not in result.stdout + result.stderr  # not echoed
    assert read_profiles(profiles)["default"]["api_key"] == local_env.api_key


def test_a_rejected_key_is_not_saved(avala: Run, profiles: Path) -> None:
    result = avala(
        "configure", "--api-key-stdin", input="avk_wrong_key_000000000000000000\n", code=3
    )
    assert "rejected the key" in result.stderr and "Nothing was saved" in result.stderr
    assert not profiles.exists()


def test_a_malformed_key_is_a_usage_error(avala: Run, profiles: Path) -> None:
    result = avala("configure", "--no-verify", "--api-key-stdin", input="two words\n", code=2)
    assert "whitespace" in result.stderr and not profiles.exists()


def test_no_verify_saves_offline(
    profiles: Path, local_env: ServerHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AVALA_BASE_URL", "http://127.0.0.1:9/api/v1")  # nothing listens
    result = invoke(["configure", "--no-verify", "--api-key-stdin"], input="avk_offline\n")
    assert result.exit_code == 0, result.stderr
    assert "(not checked)" in result.stderr
    assert read_profiles(profiles)["default"]["base_url"] == "http://127.0.0.1:9/api/v1"


def test_profiles_are_kept_side_by_side_and_rewritten_atomically(
    profiles: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _auth.save_profile(profiles, "default", "avk_one", None)
    _auth.save_profile(profiles, "staging", "avk_two", "https://staging.example/api/v1")
    before = profiles.read_text()

    def crash(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        _auth.save_profile(profiles, "default", "avk_three", None)
    assert profiles.read_text() == before  # the old file, whole
    assert sorted(p.name for p in profiles.parent.iterdir()) == ["credentials"]
    saved = read_profiles(profiles)
    assert saved["default"]["api_key"] == "avk_one" and saved["staging"]["api_key"] == "avk_two"


def test_the_sdk_default_chain_finds_the_saved_profile(
    local_env: ServerHandle, profiles: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _auth.save_profile(profiles, "default", local_env.api_key, None)
    _auth.save_profile(profiles, "other", "avk_other_key", None)
    monkeypatch.delenv("AVALA_API_KEY")
    with Client() as client:
        assert client.credential.provider == "profile:default"
        assert client.datasets.list().items
    monkeypatch.setenv("AVALA_PROFILE", "other")
    with Client() as client:
        assert client.credential.provider == "profile:other"
    monkeypatch.setenv("AVALA_API_KEY", local_env.api_key)  # the environment comes first
    with Client() as client:
        assert client.credential.provider == "env:AVALA_API_KEY"


def test_profile_provider_reasons_name_the_file(profiles: Path) -> None:
    from avala.credentials import CredentialUnavailable

    with pytest.raises(CredentialUnavailable, match="not found"):
        ProfileProvider().get_api_key()
    _auth.save_profile(profiles, "default", "avk_x", None)
    with pytest.raises(CredentialUnavailable, match=r"no profile 'ci' in .*credentials"):
        ProfileProvider("ci").get_api_key()
    assert "avk_x" not in repr(ProfileProvider())


@posix_only
def test_a_file_others_can_read_is_used_with_a_warning(
    profiles: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _auth.save_profile(profiles, "default", "avk_x", None)
    profiles.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="avala"):
        assert ProfileProvider().get_api_key() == "avk_x"
    assert "readable by other users" in caplog.text and "chmod 600" in caplog.text


def test_profile_option_uses_its_key_and_base_url(
    local_env: ServerHandle, profiles: Path, monkeypatch: pytest.MonkeyPatch, avala: Run
) -> None:
    avala(
        "--profile",
        "local",
        "--base-url",
        local_env.base_url,
        "configure",
        "--api-key-stdin",
        input=local_env.api_key,
    )
    assert read_profiles(profiles)["local"]["base_url"] == local_env.base_url
    monkeypatch.delenv("AVALA_API_KEY")
    monkeypatch.delenv("AVALA_BASE_URL")
    report = json.loads(avala("-o", "json", "--profile", "local", "auth", "check").stdout)
    assert report["provider"] == "profile:local"
    assert report["base_url"] == local_env.base_url and report["accepted"] is True
    assert report["location"] == str(profiles)


def test_auth_check_names_the_source_never_the_key(avala: Run, local_env: ServerHandle) -> None:
    result = avala("-o", "json", "auth", "check")
    report = json.loads(result.stdout)
    assert report["provider"] == "env:AVALA_API_KEY" and report["location"] == "AVALA_API_KEY"
    assert report["accepted"] is True and report["fingerprint"].startswith("sha256:")
    table = avala("auth", "check").stdout
    assert "env:AVALA_API_KEY" in table and "Accepted" in table


def test_auth_check_of_a_rejected_key_exits_3(local_env: ServerHandle) -> None:
    result = invoke(["-o", "json", "--api-key", local_env.expired_api_key, "auth", "check"])
    assert result.exit_code == 3
    report = json.loads(result.stdout)
    assert report["accepted"] is False and report["detail"] == "API key has expired."
    assert report["provider"] == "explicit"
    assert local_env.expired_api_key not in result.stdout + result.stderr
