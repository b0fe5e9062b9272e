"""Local files of an upload: gathering a source, their identity on disk, hashing.

One policy for every flow: a source is walked in name order; symbolic links (to files or
folders) and special files are refused, not followed, so an upload never sends anything from
outside the folder it was given; the upload state directory is never part of a source.
Relative paths use ``/`` and must be portable (no ``\\``, no control characters, no ``..``).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from ..errors import UploadIntegrityError

#: Bytes read per disk read while hashing or streaming.
CHUNK = 1024 * 1024
MAX_RELATIVE_PATH = 1024


class Stamp(NamedTuple):
    """What identifies a file's content on disk without reading it."""

    size: int
    mtime_ns: int
    inode: int

    @classmethod
    def of(cls, st: os.stat_result) -> Stamp:
        return cls(st.st_size, st.st_mtime_ns, st.st_ino)


class LocalFile(NamedTuple):
    """One file of an upload: where it is, its path in the upload, its stamp when gathered."""

    path: Path
    relative: str
    stamp: Stamp

    @property
    def size(self) -> int:
        return self.stamp.size


def check_relative(relative: str, what: str = "path") -> str:
    """``relative`` if it is a portable path inside an upload, else a ValueError saying why."""
    if not isinstance(relative, str) or not relative:
        raise ValueError(f"{what} must be a non-empty str, got {relative!r}.")
    problem = None
    if len(relative) > MAX_RELATIVE_PATH:
        problem = f"it is longer than {MAX_RELATIVE_PATH} characters"
    elif any(ord(c) < 0x20 or ord(c) == 0x7F for c in relative):
        problem = "it contains control characters"
    elif "\\" in relative:
        problem = "it contains a backslash (use '/')"
    elif relative.startswith("/") or relative != relative.strip():
        problem = "it starts with '/' or with or ends in whitespace"
    elif any(part in ("", ".", "..") for part in relative.split("/")):
        problem = "it has an empty, '.' or '..' segment"
    if problem is not None:
        raise ValueError(f"{what} {relative!r} cannot be uploaded: {problem}.")
    return relative


def _refuse_link(path: Path) -> ValueError:
    return ValueError(
        f"{path} is a symbolic link. Uploads do not follow links (a link can point outside "
        "the folder being uploaded); replace it with the file itself, or upload its target."
    )


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
    except ValueError:
        return False
    return True


def gather(source: str | os.PathLike[str], state_dir: Path) -> list[LocalFile]:
    """The files of ``source`` (a file, or a folder walked recursively in name order).

    Raises:
        FileNotFoundError: ``source`` does not exist.
        ValueError: a symbolic link, a special file, an unportable name, an empty folder,
            or a source at or inside the upload state directory.
    """
    root = Path(source)
    st = os.lstat(root)
    if stat.S_ISLNK(st.st_mode):
        raise _refuse_link(root)
    resolved = root.resolve()
    state = state_dir.resolve()
    if _inside(resolved, state):
        raise ValueError(
            f"{root} is inside the upload state directory ({state_dir}); upload another folder."
        )
    if stat.S_ISREG(st.st_mode):
        return [LocalFile(root, check_relative(root.name, "file name"), Stamp.of(st))]
    if not stat.S_ISDIR(st.st_mode):
        raise ValueError(f"{root} is neither a regular file nor a folder.")
    found: list[LocalFile] = []
    _walk(root, "", found, state)
    if not found:
        raise ValueError(f"{root} holds no files to upload.")
    return found


def _walk(folder: Path, prefix: str, found: list[LocalFile], state: Path) -> None:
    with os.scandir(folder) as it:
        entries = sorted(it, key=lambda entry: entry.name)
    for entry in entries:
        path = Path(entry.path)
        relative = check_relative(prefix + entry.name, "file path")
        if entry.is_symlink():
            raise _refuse_link(path)
        if entry.is_dir(follow_symlinks=False):
            if path.resolve() != state:
                _walk(path, relative + "/", found, state)
        elif entry.is_file(follow_symlinks=False):
            found.append(LocalFile(path, relative, Stamp.of(entry.stat(follow_symlinks=False))))
        else:
            raise ValueError(f"{path} is not a regular file (a device, socket or pipe).")


def from_pairs(files: Iterable[object]) -> list[LocalFile]:
    """``upload_files``' ``files``: ``(local path, path in the dataset)`` pairs, or paths
    (uploaded under their file name). Each must be a regular file, not a link.

    Raises:
        TypeError, ValueError: an entry of another shape, a duplicate destination, a link.
        FileNotFoundError: a file that does not exist.
    """
    out: list[LocalFile] = []
    seen: set[str] = set()
    for index, entry in enumerate(files):
        if isinstance(entry, (str, os.PathLike)):
            local, relative = Path(entry), Path(entry).name
        elif isinstance(entry, Sequence) and len(entry) == 2:
            local, relative = Path(entry[0]), entry[1]
        else:
            raise TypeError(
                f"files[{index}] must be a path or a (local path, path in the dataset) "
                f"pair, got {type(entry).__name__}."
            )
        check_relative(relative, f"files[{index}] destination")
        if relative in seen:
            raise ValueError(f"files[{index}]: {relative!r} is given twice as a destination.")
        seen.add(relative)
        st = os.lstat(local)
        if stat.S_ISLNK(st.st_mode):
            raise _refuse_link(local)
        if not stat.S_ISREG(st.st_mode):
            raise ValueError(f"files[{index}]: {local} is not a regular file.")
        out.append(LocalFile(local, relative, Stamp.of(st)))
    return out


def current_stamp(file: LocalFile) -> Stamp | None:
    """The file's stamp now, or None if it is gone or no longer a regular file."""
    try:
        st = os.lstat(file.path)
    except OSError:
        return None
    return Stamp.of(st) if stat.S_ISREG(st.st_mode) else None


def changed(file: LocalFile) -> UploadIntegrityError:
    return UploadIntegrityError(
        f"{file.relative} changed on disk while it was being uploaded; run the upload again "
        "once the file is complete.",
        path=file.relative,
    )


def _digest(path: Path, names: tuple[str, ...], offset: int, length: int) -> tuple[str, ...]:
    hashers = [hashlib.new(name) for name in names]
    left = length
    with open(path, "rb") as fh:
        fh.seek(offset)
        while left > 0:
            chunk = fh.read(min(CHUNK, left))
            if not chunk:
                break
            left -= len(chunk)
            for h in hashers:
                h.update(chunk)
    if left:
        raise EOFError(f"{path} is shorter than expected")
    return tuple(h.hexdigest() for h in hashers)


async def digest(
    file: LocalFile, names: tuple[str, ...], offset: int = 0, length: int | None = None
) -> tuple[str, ...]:
    """Hex digests of the file (or one range of it), read in a worker thread.

    Raises:
        UploadIntegrityError: the file is shorter than recorded (it changed).
    """
    size = file.size - offset if length is None else length
    try:
        return await asyncio.to_thread(_digest, file.path, names, offset, size)
    except EOFError:
        raise changed(file) from None
