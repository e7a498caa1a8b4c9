"""Wall time per build stage (--timings): where a build spends its time, measured the same
way on every machine so that a slow stage can be found without a profiler."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from .progress import PROGRESS

_stages: list[tuple[str, float]] = []


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Record the wall time of the block under name (stages may nest; each is listed)."""
    PROGRESS.begin(name)
    started = time.perf_counter()
    try:
        yield
    finally:
        _stages.append((name, time.perf_counter() - started))


def take() -> tuple[tuple[str, float], ...]:
    """The stages recorded since the last take(), in the order they ended."""
    recorded = tuple(_stages)
    _stages.clear()
    return recorded
