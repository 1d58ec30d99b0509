"""Reading and replacing Go files without ever losing a byte.

Reading: only regular files are read (a FIFO, a socket, a device, or a link to one would hang
the run or never end), opened non-blocking and checked with ``fstat`` on the open descriptor,
so that a file swapped for a FIFO between the walk and the read cannot hang us either; files
above the size limit are refused before they are read. Every read records a :class:`Stamp`.

Replacing: the new content goes to a temporary file in the same folder, named
``.NAME.leakfix-PID-RANDOM.tmp`` (a later run recognises it and removes it once process PID is
gone), is flushed to disk, gets the old file's mode and owner, and is renamed over the file
only if the file still has the content that was read: a file changed by another process while
leakfix ran (an editor's autosave, a generator) is left as it is. After a kill -9 at any
moment every file holds its old or its new content; the only debris is a temporary file that
the next run removes.

Symbolic links stay links (the engine writes their target); hard-linked files are never
replaced, since a rename would split them from their other names: they are reported instead.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import secrets
import stat
import time
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MAX_FILE_SIZE = 4 * 1024 * 1024  # bytes; Go files above it are skipped with a note
TEMP_NAME = re.compile(r"^\.(?P<name>.+)\.leakfix-(?P<pid>\d+)-[0-9a-f]{8}\.tmp$")
# A temporary file older than this has outlived any write (a write takes milliseconds); it is
# removed even when its PID was reused by an unrelated process.
STALE_AFTER_SECONDS = 15 * 60


class Skip(Exception):
    """A file that is not read at all; the message says why (one line)."""


class WriteRefused(Exception):
    """A file that is deliberately left as it is; the message says why (one line)."""


@dataclass(frozen=True)
class Stamp:
    """What was read: enough to tell whether the file changed since."""

    device: int
    inode: int
    size: int
    mtime_ns: int
    digest: str
    mode: int
    uid: int
    gid: int
    links: int


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def not_regular_reason(path: Path) -> str | None:
    """Why ``path`` (links followed) is not a readable regular file, or None when it is."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return "broken symbolic link" if os.path.islink(path) else "file not found"
    except OSError as error:
        return f"cannot stat: {error.strerror or error}"
    if stat.S_ISREG(info.st_mode):
        return None
    what = _kind(info.st_mode)
    if os.path.islink(path):
        return f"symbolic link to {what}: not read"
    return f"{what}, not a regular file: not read"


def read_file(path: Path, max_bytes: int = DEFAULT_MAX_FILE_SIZE) -> tuple[bytes, Stamp]:
    """The bytes of a regular file and its stamp. Raises Skip or OSError."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    reason = not_regular_reason(path)
    if reason is not None:
        raise Skip(reason)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Skip(f"{_kind(info.st_mode)}, not a regular file: not read")
        if max_bytes and info.st_size > max_bytes:
            raise Skip(f"{_size(info.st_size)}, above the {_size(max_bytes)} limit: not read")
        chunks = []
        remaining = (max_bytes or info.st_size) + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
        if max_bytes and len(data) > max_bytes:
            raise Skip(f"grew above the {_size(max_bytes)} limit while read: not read")
        return data, _stamp(info, data)
    finally:
        os.close(fd)


def _stamp(info: os.stat_result, data: bytes) -> Stamp:
    return Stamp(
        device=info.st_dev,
        inode=info.st_ino,
        size=info.st_size,
        mtime_ns=info.st_mtime_ns,
        digest=hashlib.sha256(data).hexdigest(),
        mode=stat.S_IMODE(info.st_mode),
        uid=info.st_uid,
        gid=info.st_gid,
        links=info.st_nlink,
    )


def _size(count: int) -> str:
    for unit, size in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= size:
            return f"{count / size:.1f} {unit}".replace(".0 ", " ")
    return f"{count} bytes"


def writable_problem(path: Path, stamp: Stamp) -> str | None:
    """Why ``path`` must not be replaced, or None. Checked before any temporary file exists."""
    if stamp.links > 1:
        return (
            f"has {stamp.links} hard links: not rewritten (replacing it would split it from "
            "its other names)"
        )
    if not stamp.mode & 0o222:
        return "read-only: left as it is"
    if not os.access(path, os.W_OK):
        return "not writable by this user: left as it is"
    return None


def replace_file(path: Path, data: bytes, stamp: Stamp) -> None:
    """Atomically replace ``path`` (a regular file, never a link) with ``data``, keeping its
    mode and owner, unless it changed since it was read. Raises WriteRefused or OSError."""
    problem = writable_problem(path, stamp)
    if problem is not None:
        raise WriteRefused(problem)
    temp = _temp_path(path)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        try:
            _write_all(fd, data)
            os.fsync(fd)
            _copy_owner(fd, stamp)
            os.fchmod(fd, stamp.mode)
        finally:
            os.close(fd)
        if changed_since(path, stamp):
            raise WriteRefused("changed while leakfix ran: left as it is")
        os.replace(temp, path)
    except BaseException:
        _unlink_quietly(temp)
        raise


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _copy_owner(fd: int, stamp: Stamp) -> None:
    """Give the new file the old one's owner; refuse when that is not allowed."""
    info = os.fstat(fd)
    if (info.st_uid, info.st_gid) == (stamp.uid, stamp.gid):
        return
    try:
        os.fchown(fd, stamp.uid, stamp.gid)
    except PermissionError as error:
        raise WriteRefused(
            f"owned by uid {stamp.uid} gid {stamp.gid}; this user cannot keep that owner: "
            "left as it is"
        ) from error


def changed_since(path: Path, stamp: Stamp) -> bool:
    """Whether the file at ``path`` no longer is the one read: another inode, size, mtime or
    content (the hash settles a same-size edit within the mtime's resolution)."""
    try:
        info = os.stat(path, follow_symlinks=False)
    except OSError:
        return True
    if (info.st_dev, info.st_ino, info.st_size) != (stamp.device, stamp.inode, stamp.size):
        return True
    try:
        with open(path, "rb") as handle:
            current = handle.read(stamp.size + 1)
    except OSError:
        return True
    return hashlib.sha256(current).hexdigest() != stamp.digest


def _temp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.leakfix-{os.getpid()}-{secrets.token_hex(4)}.tmp")


def _unlink_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


# -- debris of interrupted runs --------------------------------------------------------------


def is_temp_name(name: str) -> bool:
    return TEMP_NAME.match(name) is not None


def remove_if_stale(path: Path, now: float | None = None) -> bool:
    """Remove a leakfix temporary file whose writer is gone; True when it was removed."""
    match = TEMP_NAME.match(path.name)
    if match is None:
        return False
    try:
        info = os.lstat(path)
    except OSError:
        return False
    if not stat.S_ISREG(info.st_mode):
        return False
    age = (now if now is not None else time.time()) - info.st_mtime
    if _alive(int(match.group("pid"))) and age < STALE_AFTER_SECONDS:
        return False
    _unlink_quietly(path)
    return not os.path.lexists(path)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    except OSError as error:
        return error.errno != errno.ESRCH
    return True


def remove_stale_temps(folder: Path) -> None:
    """Remove the debris of interrupted runs in ``folder`` (errors ignored: best effort)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if is_temp_name(name):
            remove_if_stale(folder / name)
