"""Map a function over items in worker processes (--jobs), keeping the input order."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Below this many items, starting processes costs more than it saves.
MIN_ITEMS_FOR_PROCESSES = 64


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def parallel_map(func: Callable[[T], R], items: Sequence[T], jobs: int) -> list[R]:
    """[func(i) for i in items], in up to `jobs` processes; the same result either way.
    Forked workers inherit the items and are sent their numbers (see forked())."""
    if jobs <= 1 or len(items) < MIN_ITEMS_FOR_PROCESSES:
        return [func(item) for item in items]
    # Imported here: most rebuilds start no process, and these imports are ~17 ms of each.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    chunk = max(1, len(items) // (jobs * 4))
    if not _can_fork():
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            return list(pool.map(func, items, chunksize=chunk))
    context = multiprocessing.get_context("fork")
    with _handed_down(func, items), ProcessPoolExecutor(jobs, mp_context=context) as pool:
        return list(pool.map(_run_task, range(len(items)), chunksize=chunk))


_TASK: Callable[[Any], Any] | None = None
_ITEMS: Sequence[Any] = ()


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _run_task(number: int) -> Any:
    assert _TASK is not None
    return _TASK(_ITEMS[number])


@contextmanager
def _handed_down(task: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[None]:
    """task and items, where workers forked meanwhile find them (see _run_task)."""
    global _TASK, _ITEMS
    _TASK, _ITEMS = task, items
    try:
        yield
    finally:
        _TASK, _ITEMS = None, ()


@contextmanager
def forked(task: Callable[[T], R], items: Sequence[T], jobs: int) -> Iterator[Iterator[R]]:
    """Start [task(i) for i in items] in forked worker processes, for a task that is a
    closure over state too large to pickle (the site, the template environment): the
    workers inherit it. The work starts at once, so this process can do other work before
    it reads the results (in order, each as soon as it and those before it are done).
    Leaving the block stops the workers. Without fork, or with jobs <= 1, the tasks run in
    this process as the results are read.

    The items are inherited too: a worker is sent only an item's number. Sending the items
    pickled them in this process and unpickled a copy in the worker (1,000 sources: 16 MB
    and 0.13 s of CPU; ten times that at 10,000)."""
    if jobs <= 1 or len(items) < 2 or not _can_fork():
        yield (task(item) for item in items)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork")
    # Objects that exist now are moved out of the collector's reach: a worker's garbage
    # collection would otherwise write to every page of them and un-share the memory
    # fork shares (gc.freeze, meant for this).
    gc.freeze()
    with _handed_down(task, items):
        pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context)
        try:
            yield pool.map(_run_task, range(len(items)))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            gc.unfreeze()
