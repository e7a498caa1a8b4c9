"""One build of a project at a time: a lock file in the cache folder, held for the whole
build (and by serve until its background work is done). Two terminals, or a build beside
serve, never interleave their writes to the output or the cache: the second waits, and
gives up with a clear error after a while. The system releases the lock of a process that
dies, however it dies."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from .models import BuildError, Problem

try:
    import fcntl
except ImportError:  # Windows: builds are not locked against each other there
    fcntl = None  # type: ignore[assignment]

LOCK_FILE = "lock"
DEFAULT_WAIT_S = 120.0


class BuildLock:
    """The project's build lock: acquire() (waiting up to `wait` seconds, telling
    waiting() once), release()."""

    def __init__(self, folder: Path, wait: float = DEFAULT_WAIT_S):
        self.path = folder / LOCK_FILE
        self.wait = wait
        self._fd: int | None = None

    def acquire(self, waiting: Callable[[str], None] = lambda message: None) -> None:
        """Take the lock; raise BuildError if another build still holds it after `wait`
        seconds. Where no lock file can be made (a read-only project), build unlocked."""
        if fcntl is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            return
        if not _try(fd):
            holder = _holder(fd)
            waiting(f"waiting for another build of this project to finish ({holder})")
            deadline = time.monotonic() + self.wait
            while not _try(fd):
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise BuildError([_still_running(self.path, holder, self.wait)])
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.write(fd, f"process {os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the file releases the lock


def _try(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _holder(fd: int) -> str:
    """Who holds the lock, as it wrote itself into the file ("process 1234")."""
    try:
        return os.pread(fd, 64, 0).decode("utf-8", "replace").strip() or "unknown process"
    except OSError:
        return "unknown process"


def _still_running(path: Path, holder: str, wait: float) -> Problem:
    return Problem(
        str(path),
        None,
        f"another build of this project ({holder}) is still running after {wait:g} s",
        "wait for it to finish (or stop it: a preview server holds the lock only while it "
        "rebuilds), or pass --wait SECONDS to wait longer",
    )
