"""Exclusive use of an output folder or a database file by one fundwatch process at a time.

An OS file lock (``fcntl.flock``) on a small lock file beside the protected path: held while the
run uses the path, released when the holder closes it and, whatever happens, by the kernel when the
holding process dies (SIGKILL included), so a crashed run never leaves a stale lock behind. The lock
file holds the holder's pid, for the message a refused process prints. ``release()`` deletes the
file while still holding the lock; a process that opened the file just before and locks it just
after sees that it is no longer the file of that name and starts again on a new one, so two
processes never hold locks on two different files of the same name. A holder that dies without
releasing leaves the file behind, unlocked: the next process locks it as usual.

    with exclusive(Path("history.duckdb"), "history database history.duckdb"):
        ...  # no other fundwatch process holds it until the block ends

Locks are advisory: they keep fundwatch processes apart, not other programs. Local file systems
only (flock over NFS is not reliable).
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fundwatch.ingest import InputError

LOCK_SUFFIX = ".lock"


class Busy(InputError):
    """Another process holds the lock; one line naming what is busy and who holds it.

    A subclass of InputError so that the CLI reports it as a one-line error (exit 2).
    """


def lock_path(path: Path | str) -> Path:
    """The lock file of a path: ``OUT.lock`` beside folder ``OUT``, ``history.duckdb.lock`` beside a file."""
    path = Path(path)
    return path.with_name(path.name + LOCK_SUFFIX)


class Lock:
    """An acquired lock; release() (or process death) frees it."""

    def __init__(self, file: Path, fd: int):
        self.file = file
        self._fd: int | None = fd

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                self.file.unlink(missing_ok=True)  # still locked: nobody can have it in between
            except OSError:
                pass
            os.close(fd)  # closing the only descriptor releases the flock


def acquire(path: Path | str, what: str) -> Lock:
    """Lock `path` (through its lock file) or raise Busy at once; never waits."""
    file = lock_path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            by = f" (pid {holder})" if holder else ""
            raise Busy(f"{what} is in use by another fundwatch run{by}; "
                       "wait for it to finish or choose another") from None
        except BaseException:
            os.close(fd)
            raise
        if _same_file(fd, file):
            break
        os.close(fd)  # the holder removed the file we opened while releasing: lock the new one
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return Lock(file, fd)


def _same_file(fd: int, file: Path) -> bool:
    try:
        named = os.stat(file)
    except FileNotFoundError:
        return False
    opened = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (opened.st_dev, opened.st_ino)


def _read_holder(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""
    return text if text.isdigit() else ""


@contextmanager
def exclusive(path: Path | str, what: str) -> Iterator[Lock]:
    """Hold the lock of `path` for the block; raise Busy (one line, naming `what`) if another process has it."""
    lock = acquire(path, what)
    try:
        yield lock
    finally:
        lock.release()


# Locks held across the stages of a run (taken in run.prepare, given back by publish or discard).
_held: dict[str, Lock] = {}
_held_guard = threading.Lock()


def hold(path: Path | str, what: str) -> Lock:
    """acquire(), remembered under the path until give_back(path)."""
    key = str(Path(path).resolve())
    lock = acquire(path, what)
    with _held_guard:
        previous = _held.pop(key, None)
        _held[key] = lock
    if previous is not None:
        previous.release()
    return lock


def give_back(path: Path | str) -> None:
    """Release a lock taken with hold(); nothing happens when none is held."""
    with _held_guard:
        lock = _held.pop(str(Path(path).resolve()), None)
    if lock is not None:
        lock.release()
