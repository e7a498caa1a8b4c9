"""Map a function over items in worker processes (--jobs), keeping the input order."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

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


class SharedWork(Generic[T, R]):
    """[task(i) for i in items], started in forked workers from the first item on; this
    process joins in once it is free (help_one), from the last item back, taking those no
    worker has started. Results are taken in order (take), each with whether it was made
    here; without workers, take does each item here, in order."""

    def __init__(self, task: Callable[[T], R], items: Sequence[T], futures: list[Any]):
        self.task, self.items, self.futures = task, items, futures
        self.here: dict[int, R] = {}
        self._last = len(items)  # items from here on are done here or by a worker

    def help_one(self) -> bool:
        """Do here the last item no worker has started; False when there is none (or no
        worker to share with)."""
        if not self.futures or self._last == 0:
            return False
        self._last -= 1
        if not self.futures[self._last].cancel():
            self._last = 0  # a worker has it, and all the items before it too
            return False
        self.here[self._last] = self.task(self.items[self._last])
        return True

    def ready(self, number: int) -> bool:
        """Whether item number's result can be taken without waiting."""
        return number in self.here or bool(self.futures and self.futures[number].done())

    def take(self, number: int) -> tuple[R, bool]:
        """Item number's result (waiting for its worker if need be), and whether it was
        made in this process."""
        if number in self.here:
            return self.here.pop(number), True
        if not self.futures:
            return self.task(self.items[number]), True
        return self.futures[number].result(), False

    def results(self) -> Iterator[tuple[R, bool]]:
        """Each item's result, in order, this process doing the last ones no worker has
        started whenever the next result is not ready yet."""
        for number in range(len(self.items)):
            while not self.ready(number) and self.help_one():
                pass
            yield self.take(number)


@contextmanager
def shared_work(
    task: Callable[[T], R], items: Sequence[T], jobs: int
) -> Iterator[SharedWork[T, R]]:
    """Start [task(i) for i in items] in jobs - 1 forked workers, for a task that is a
    closure over state too large to pickle (the site, the template environment): the
    workers inherit it and are sent only an item's number (sending the items pickled them
    here and unpickled a copy there: at 1,000 sources, 16 MB and 0.13 s of CPU). This
    process does other work meanwhile, then reads the results (SharedWork.results), doing
    the items no worker has started while it waits: jobs processes in all, one per core,
    and one copy fewer of the memory the workers un-share. Leaving the block
    stops the workers. Without fork, or with jobs <= 1, everything runs here."""
    if jobs <= 1 or len(items) < 2 or not _can_fork():
        yield SharedWork(task, items, [])
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork")
    # Objects that exist now are moved out of the collector's reach: a worker's garbage
    # collection would otherwise write to every page of them and un-share the memory
    # fork shares (gc.freeze, meant for this).
    gc.freeze()
    with _handed_down(task, items):
        pool = ProcessPoolExecutor(max_workers=jobs - 1, mp_context=context)
        try:
            futures = [pool.submit(_run_task, number) for number in range(len(items))]
            yield SharedWork(task, items, futures)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            gc.unfreeze()
