"""The pieces of the upload flows on their own: the storage URL policy, gathering files,
the durable state (atomic snapshot, journal, lock), progress tracking and the progress bar."""

from __future__ import annotations

import io
import json
import os
import stat
import sys
from pathlib import Path

import pytest

from avala._storage_urls import ALLOW_INSECURE_STORAGE_ENV
from avala._uploads._files import check_relative, from_pairs, gather
from avala._uploads._progress import Tracker
from avala._uploads._state import UploadState, state_root
from avala._uploads._storage import check_url
from avala.errors import UploadError, UploadStateError
from avala.models import UploadProgress
from avala.uploads import progress_bar

SIGNED = "?X-Amz-Signature=deadbeef&X-Amz-Credential=secret"


@pytest.mark.parametrize(
    "url",
    [
        "https://data.avala.ai/o/file.bin",
        "https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com/b/k",
        "https://0123456789abcdef0123456789abcdef.eu.r2.cloudflarestorage.com/b/k",
        "https://my-bucket.s3.us-west-2.amazonaws.com/k",
        "https://s3.amazonaws.com/bucket/k",
        "https://storage.googleapis.com/bucket/k",
        "https://bucket.storage.googleapis.com/k",
        "https://acct.blob.core.windows.net/c/k",
    ],
)
def test_allowed_storage_hosts(url: str) -> None:
    assert str(check_url(url + SIGNED, "a.bin")).startswith(url)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://data.avala.ai/k", "not https"),
        ("https://evil.example.com/k", "not an allowed storage host"),
        ("https://ec2.amazonaws.com/k", "not an allowed storage host"),
        ("https://data.avala.ai.evil.com/k", "not an allowed storage host"),
        ("https://user:pw@data.avala.ai/k", "user information"),
        ("https://data.avala.ai:8443/k", "names a port"),
        ("https://data.avala.ai/k#frag", "fragment"),
        ("http://127.0.0.1:9000/_storage/k", "not https"),
        ("https://127.0.0.1:9000/_storage/k", "names a port"),
        ("", "no URL"),
        ("/relative/path", "invalid URL"),
    ],
)
def test_refused_storage_urls_name_the_problem_not_the_signature(url: str, problem: str) -> None:
    with pytest.raises(UploadError) as caught:
        check_url(url + (SIGNED if url else ""), "dir/a.bin")
    assert problem in caught.value.message
    assert caught.value.path == "dir/a.bin"
    assert "deadbeef" not in str(caught.value) and "secret" not in repr(caught.value)
    hinted = ALLOW_INSECURE_STORAGE_ENV in caught.value.message
    assert hinted == ("127.0.0.1" in url)  # loopback refusals say how to allow a local server


def test_insecure_storage_opt_in_lets_loopback_through_and_nothing_else(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ALLOW_INSECURE_STORAGE_ENV, "true")
    for url in ("http://127.0.0.1:9000/_storage/k", "http://localhost:1/k", "http://[::1]:2/k"):
        assert check_url(url, "a").host in ("127.0.0.1", "localhost", "::1")
    for url in ("http://10.0.0.1:9000/k", "http://example.com/k", "ftp://127.0.0.1/k"):
        with pytest.raises(UploadError):
            check_url(url, "a")


def test_loopback_refusal_says_how_to_opt_in() -> None:
    with pytest.raises(UploadError, match=ALLOW_INSECURE_STORAGE_ENV):
        check_url("https://localhost/k", "a")


# --------------------------------------------------------------------------- gathering


def _tree(root: Path) -> Path:
    (root / "b").mkdir(parents=True)
    (root / "b" / "z.bin").write_bytes(b"z")
    (root / "a.txt").write_bytes(b"a")
    (root / "b" / "c.bin").write_bytes(b"cc")
    return root


def test_gather_walks_in_name_order_with_posix_paths(tmp_path: Path) -> None:
    files = gather(_tree(tmp_path / "src"), tmp_path / "state")
    assert [(f.relative, f.size) for f in files] == [("a.txt", 1), ("b/c.bin", 2), ("b/z.bin", 1)]


def test_a_single_file_is_uploaded_under_its_name(tmp_path: Path) -> None:
    path = tmp_path / "one.png"
    path.write_bytes(b"x")
    assert [f.relative for f in gather(path, tmp_path / "state")] == ["one.png"]


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
@pytest.mark.parametrize("kind", ["file", "folder", "source"])
def test_links_are_refused_not_followed(tmp_path: Path, kind: str) -> None:
    src = _tree(tmp_path / "src")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"s")
    if kind == "file":
        (src / "link.txt").symlink_to(outside / "secret.txt")
    elif kind == "folder":
        (src / "linked").symlink_to(outside)
    else:
        src = tmp_path / "src-link"
        src.symlink_to(tmp_path / "src")
    with pytest.raises(ValueError, match="symbolic link"):
        gather(src, tmp_path / "state")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs mkfifo")
def test_special_files_are_refused(tmp_path: Path) -> None:
    src = _tree(tmp_path / "src")
    os.mkfifo(src / "pipe")
    with pytest.raises(ValueError, match="not a regular file"):
        gather(src, tmp_path / "state")


def test_state_dir_inside_the_source_is_skipped_and_a_source_inside_it_refused(
    tmp_path: Path,
) -> None:
    src = _tree(tmp_path / "src")
    state = src / ".avala-state"
    (state / "uploads").mkdir(parents=True)
    (state / "uploads" / "x.json").write_text("{}")
    assert "x.json" not in {f.relative.rsplit("/", 1)[-1] for f in gather(src, state)}
    with pytest.raises(ValueError, match="inside the upload state directory"):
        gather(state / "uploads", state)


def test_empty_folder_and_missing_source(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no files"):
        gather(tmp_path / "empty", tmp_path / "state")
    with pytest.raises(FileNotFoundError):
        gather(tmp_path / "missing", tmp_path / "state")


@pytest.mark.parametrize(
    ("relative", "problem"),
    [
        ("a\\b", "backslash"),
        ("a/../b", "'..'"),
        ("/abs", "starts with '/'"),
        (" padded", "whitespace"),
        ("a//b", "empty"),
        ("ctl\x07", "control characters"),
        ("x" * 1025, "longer than 1024"),
    ],
)
def test_unportable_paths_are_refused(relative: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        check_relative(relative)


def test_file_pairs(tmp_path: Path) -> None:
    a = tmp_path / "a.bin"
    a.write_bytes(b"a")
    files = from_pairs([(a, "x/a.bin"), str(a)])
    assert [f.relative for f in files] == ["x/a.bin", "a.bin"]
    with pytest.raises(ValueError, match="given twice"):
        from_pairs([(a, "same"), (a, "same")])
    with pytest.raises(TypeError, match=r"files\[0\]"):
        from_pairs([42])
    with pytest.raises(FileNotFoundError):
        from_pairs([(tmp_path / "nope", "nope")])


# --------------------------------------------------------------------------- state


def test_state_dir_comes_from_the_environment_then_the_platform(tmp_path: Path) -> None:
    assert state_root({"AVALA_STATE_DIR": str(tmp_path)}) == tmp_path
    if sys.platform.startswith("linux"):
        assert state_root({"XDG_STATE_HOME": "/x"}) == Path("/x/avala")
        assert state_root({}) == Path.home() / ".local" / "state" / "avala"


IDENTITY = {"kind": "test", "upload": "one"}


def test_state_survives_a_run_killed_mid_journal(tmp_path: Path) -> None:
    with UploadState(tmp_path, "s", IDENTITY, "the test upload") as state:
        state.save(batch="b1")
        state.record("a", {"md5": "1"})
        state.record("b", {"md5": "2"})
        state.record("a", None)
    with open(tmp_path / "s.journal", "ab") as fh:  # a killed run: a line, then a torn one
        fh.write(b'{"k":"c","v":{"md5":"3"}}\n{"k":"d","v":{"md')
    with UploadState(tmp_path, "s", IDENTITY, "the test upload") as state:
        assert state.entries == {"b": {"md5": "2"}, "c": {"md5": "3"}}
        assert state.data["batch"] == "b1"
    assert not (tmp_path / "s.journal").exists()  # folded into the snapshot
    snapshot = tmp_path / "s.json"
    if sys.platform != "win32":
        assert stat.S_IMODE(snapshot.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.json", "s.lock"]


def test_a_second_run_of_the_same_upload_is_refused_while_the_first_holds_it(
    tmp_path: Path,
) -> None:
    second = UploadState(tmp_path, "s", IDENTITY, "the test upload")
    with (
        UploadState(tmp_path, "s", IDENTITY, "the test upload"),
        pytest.raises(UploadStateError, match="Another run is already uploading"),
    ):
        second.__enter__()
    with UploadState(tmp_path, "s", IDENTITY, "the test upload"):
        pass  # released when the first ended


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"{not json", "is not valid JSON"),
        (b"[1, 2]", "unknown shape"),
        (json.dumps({"identity": {"other": 1}, "entries": {}}).encode(), "another upload"),
    ],
)
def test_unusable_state_is_refused_with_what_to_do(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    (tmp_path / "s.json").write_bytes(content)
    with pytest.raises(UploadStateError, match=problem) as caught:
        UploadState(tmp_path, "s", IDENTITY, "the test upload").__enter__()
    assert "resume=False" in caught.value.message and str(tmp_path / "s.json") in str(caught.value)
    with UploadState(tmp_path, "t", IDENTITY, "x"):
        pass  # the failed one released its lock: another state still opens


def test_a_bad_line_before_the_end_is_corruption(tmp_path: Path) -> None:
    (tmp_path / "s.journal").write_bytes(b'garbage\n{"k":"a","v":{}}\n')
    with pytest.raises(UploadStateError, match="bad line 1"):
        UploadState(tmp_path, "s", IDENTITY, "the test upload").__enter__()


# --------------------------------------------------------------------------- progress


def test_tracker_counts_skipped_sent_and_rewound_bytes() -> None:
    seen: list[UploadProgress] = []
    tracker = Tracker(3, 300, seen.append)
    tracker.skipped("a", 100)
    tracker.advance(100)
    tracker.rewind(100)  # a failed attempt
    tracker.advance(100)
    tracker.done("b")
    tracker.advance(100)
    tracker.done("c")
    tracker.finish()
    last = seen[-1]
    assert (last.uploaded_files, last.uploaded_bytes, last.bytes_sent) == (3, 300, 200)
    assert (last.skipped_files, last.failed_files, last.finished) == (1, 0, True)
    assert last.current_path == "c" and last.bytes_per_second >= 0


def test_progress_bar_draws_bytes_and_files_and_closes_at_the_end() -> None:
    out = io.StringIO()
    bar = progress_bar("Sending", file=out, mininterval=0)
    bar(UploadProgress(total_files=2, uploaded_files=1, total_bytes=2048, uploaded_bytes=1024))
    bar(
        UploadProgress(
            total_files=2, uploaded_files=2, total_bytes=2048, uploaded_bytes=2048, finished=True
        )
    )
    text = out.getvalue()
    assert "Sending" in text and "2/2 files" in text and "100%" in text
    assert bar._bar is None  # closed itself
