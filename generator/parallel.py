"""Share work between this process and forked worker processes (--jobs), keeping the input
order of the results."""

from __future__ import annotations

import gc
import os
import pickle
import queue
import signal
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Generic, NoReturn, TypeVar

from .models import BuildError, Problem

T = TypeVar("T")
R = TypeVar("R")

# Below this many items, starting processes costs more than it saves.
MIN_ITEMS_FOR_PROCESSES = 64
# How long to wait for a worker's result before looking whether the worker is still alive.
_LOOK_S = 0.5
# The claims' lock is held for a few instructions: held this long, its holder was killed.
_LOCK_S = 10.0


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def parallel_map(func: Callable[[T], R], items: Sequence[T], jobs: int) -> list[R]:
    """[func(i) for i in items], shared by this process and jobs - 1 workers; the same
    result either way."""
    if jobs <= 1 or len(items) < MIN_ITEMS_FOR_PROCESSES:
        return [func(item) for item in items]
    if not _can_fork():
        # Imported here: most rebuilds start no process.
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=jobs) as pool:
            return list(pool.map(func, items, chunksize=max(1, len(items) // (jobs * 4))))
    size = max(1, len(items) // (jobs * 8))
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    with shared_work(_MapChunk(func), chunks, jobs) as work:
        return [result for done, _ in work.results() for result in done]


class _MapChunk(Generic[T, R]):
    def __init__(self, func: Callable[[T], R]):
        self.func = func

    def __call__(self, chunk: Sequence[T]) -> list[R]:
        return [self.func(item) for item in chunk]


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


class SharedWork(Generic[T, R]):
    """[task(i) for i in items], started in forked workers from the first item on; this
    process joins in once it is free (help_one), from the last item back, taking those no
    worker has started. Results are taken in order (take), each with whether it was made
    here; without workers, take does each item here, in order."""

    def __init__(self, task: Callable[[T], R], items: Sequence[T], workers: _Workers | None):
        self.task, self.items, self.workers = task, items, workers
        self.here: dict[int, R] = {}

    def help_one(self) -> bool:
        """Do here the last item no worker has started; False when there is none (or no
        worker to share with)."""
        number = self.workers.claim_last() if self.workers else None
        if number is None:
            return False
        self.here[number] = self.task(self.items[number])
        return True

    def ready(self, number: int) -> bool:
        """Whether item number's result can be taken without waiting."""
        return number in self.here or bool(self.workers and self.workers.ready(number))

    def take(self, number: int) -> tuple[R, bool]:
        """Item number's result (waiting for its worker if need be), and whether it was
        made in this process."""
        if number in self.here:
            return self.here.pop(number), True
        if not self.workers:
            return self.task(self.items[number]), True
        return self.workers.result(number), False

    def results(self) -> Iterator[tuple[R, bool]]:
        """Each item's result, in order, this process doing the last ones no worker has
        started whenever the next result is not ready yet."""
        for number in range(len(self.items)):
            while not self.ready(number) and self.help_one():
                pass
            yield self.take(number)


class _Workers:
    """Forked processes that claim items from the front of a shared range and send their
    results back; this process claims from its end. Nothing runs in this process between
    claims: a thread feeding the workers (as a process pool has) waited for this process's
    interpreter lock while it rendered, and left the workers idle a third of the time."""

    def __init__(self, task: Callable[[Any], Any], items: Sequence[Any], count: int):
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self._lock = context.Lock()
        self._range = context.RawArray("q", [0, len(items)])  # [first, end) not claimed
        self._queue: Any = context.Queue()
        self._received: dict[int, Any] = {}
        self._processes = [
            context.Process(
                target=_work, args=(task, items, self._lock, self._range, self._queue), daemon=True
            )
            for _ in range(count)
        ]
        for process in self._processes:
            process.start()

    def claim_last(self) -> int | None:
        if not self._lock.acquire(timeout=_LOCK_S):
            self._lost()
        try:
            first, end = self._range
            if first >= end:
                return None
            self._range[1] = end - 1
            return end - 1
        finally:
            self._lock.release()

    def ready(self, number: int) -> bool:
        while number not in self._received and self._receive(timeout=None):
            pass
        return number in self._received

    def result(self, number: int) -> Any:
        while number not in self._received:
            if not self._receive(timeout=_LOOK_S) and not self._alive():
                self._lost()
        done, value = self._received.pop(number)
        if not done:
            raise value
        return value

    def _receive(self, timeout: float | None) -> bool:
        """Take in one result: waiting up to timeout for it, or (None) only if one is there."""
        try:
            item = self._queue.get(timeout=timeout) if timeout else self._queue.get_nowait()
        except queue.Empty:
            return False
        number, done, value = item
        self._received[number] = (done, value)
        return True

    def _alive(self) -> bool:
        return any(process.is_alive() for process in self._processes)

    def _lost(self) -> NoReturn:
        """A worker was killed (by the system, short of memory) before it sent an item's
        result (every worker has ended and the result never came), or while it held the
        claims' lock."""
        codes = sorted({p.exitcode for p in self._processes if p.exitcode})
        said = f" (exit code {', '.join(map(str, codes))})" if codes else ""
        raise BuildError(
            [
                Problem(
                    "build",
                    None,
                    f"a worker process ended before finishing its work{said}",
                    "build again; if it happens again, build with --jobs 1 (less memory)",
                )
            ]
        )

    def stop(self) -> None:
        """End the workers: at once if work is left (the build failed or was stopped)."""
        held = self._lock.acquire(timeout=_LOCK_S)
        left = not held or self._range[0] < self._range[1]
        if held:
            self._range[0] = self._range[1]
            self._lock.release()
        for process in self._processes:
            if left:
                process.terminate()
            # A worker whose results were not all taken waits to send them: it is ended.
            process.join(timeout=_LOOK_S)
            if process.is_alive():
                process.terminate()
                process.join()
        self._queue.close()


def _work(
    task: Callable[[Any], Any], items: Sequence[Any], lock: Any, claims: Any, results: Any
) -> None:
    """A worker: claim the first item not claimed, send its result, until none is left or
    the build that started it is gone (killed). It ignores Ctrl-C, which reaches every
    process of the terminal: the build stops it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    build = os.getppid()
    while True:
        if os.getppid() != build:  # nobody reads the results: end without sending them
            results.cancel_join_thread()
            return
        with lock:
            number = claims[0]
            if number >= claims[1]:
                return
            claims[0] = number + 1
        try:
            results.put((number, True, task(items[number])))
        except Exception as err:
            results.put((number, False, _sendable(err)))
            return


def _sendable(err: Exception) -> Exception:
    """err, or a RuntimeError that says what it was if it cannot be pickled."""
    try:
        pickle.dumps(err)
    except Exception:
        return RuntimeError(f"{type(err).__name__}: {err}")
    return err


@contextmanager
def shared_work(
    task: Callable[[T], R], items: Sequence[T], jobs: int
) -> Iterator[SharedWork[T, R]]:
    """Start [task(i) for i in items] in jobs - 1 forked workers, for a task that is a
    closure over state too large to pickle (the site, the template environment): the
    workers inherit it and find each item by its number (sending the items pickled them
    here and unpickled a copy there: at 1,000 sources, 16 MB and 0.13 s of CPU). This
    process does other work meanwhile, then reads the results (SharedWork.results), doing
    the items no worker has started while it waits: jobs processes in all, one per core,
    and one copy fewer of the memory the workers un-share. Leaving the block stops the
    workers. Without fork, or with jobs <= 1, everything runs here."""
    if jobs <= 1 or len(items) < 2 or not _can_fork():
        yield SharedWork(task, items, None)
        return
    # Objects that exist now are moved out of the collector's reach: a worker's garbage
    # collection would otherwise write to every page of them and un-share the memory
    # fork shares (gc.freeze, meant for this).
    gc.freeze()
    workers = None
    try:
        workers = _Workers(task, items, jobs - 1)
        yield SharedWork(task, items, workers)
    finally:
        if workers:
            workers.stop()
        gc.unfreeze()
