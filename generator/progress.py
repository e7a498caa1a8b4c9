"""Where a build is: its stage and how many of the stage's items are done. The build's
stages report into it; the command line shows it, on a terminal, as one updating line."""

from __future__ import annotations

import shutil
import sys
import threading
import time
from typing import TextIO


class Progress:
    """The current stage of this process's build, and its count of items done."""

    def __init__(self) -> None:
        self.stage = ""
        self.done = 0
        self.total = 0
        self.started = time.perf_counter()

    def begin(self, stage: str) -> None:
        self.stage = stage

    def count(self, total: int) -> None:
        """From now on, count items done of total (the site's files)."""
        self.done, self.total = 0, total

    def advance(self, count: int = 1) -> None:
        self.done += count

    def line(self) -> str:
        """'2.4 s · 1,210 of 4,418 files · source pages ...': what changes first, as the
        stage's name may be cut at the terminal's edge."""
        counted = f" · {self.done:,} of {self.total:,} files" if self.total else ""
        return f"{time.perf_counter() - self.started:.1f} s{counted} · {self.stage}"


PROGRESS = Progress()


class ProgressLine:
    """Show PROGRESS on one terminal line, redrawn a few times a second, once the build
    has run for more than `after` seconds; the line is wiped when the build ends, leaving
    only what the build prints itself."""

    def __init__(self, stream: TextIO = sys.stderr, after: float = 1.0, every: float = 0.1):
        self.stream, self.after, self.every = stream, after, float(every)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._shown = False

    def __enter__(self) -> ProgressLine:
        PROGRESS.started = time.perf_counter()
        PROGRESS.begin("starting")
        PROGRESS.count(0)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        if self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()

    def _run(self) -> None:
        if self._stop.wait(self.after):
            return
        while not self._stop.is_set():
            self.stream.write(
                "\r\x1b[K" + PROGRESS.line()[: shutil.get_terminal_size().columns - 1]
            )
            self.stream.flush()
            self._shown = True
            self._stop.wait(self.every)
