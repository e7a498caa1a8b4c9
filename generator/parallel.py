"""Share work between this process and forked worker processes (--jobs), keeping the input
order of the results."""

from __future__ import annotations

import gc
import os
import pickle
import queue
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Generic, NoReturn, TypeVar

from .models import BuildError, Problem

T = TypeVar("T")
R = TypeVar("R")

# Below this many items, starting processes costs more than it saves.
MIN_ITEMS_FOR_PROCESSES = 64
# How often a worker waiting for the claims' lock looks whether its build is still there,
# and how long a worker that has sent everything is given to end.
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
    here; without workers, take does each item here, in order. An item that fails raises
    its error when it is taken, so the first failing item in order is the one reported."""

    def __init__(self, task: Callable[[T], R], items: Sequence[T], workers: _Workers | None):
        self.task, self.items, self.workers = task, items, workers
        self.here: dict[int, tuple[bool, Any]] = {}  # number -> (done, result or error)

    def help_one(self) -> bool:
        """Do here the last item no worker has started; False when there is none (or no
        worker to share with)."""
        number = self.workers.claim_last() if self.workers else None
        if number is None:
            return False
        try:
            self.here[number] = (True, self.task(self.items[number]))
        except Exception as err:
            self.here[number] = (False, err)
        return True

    def ready(self, number: int) -> bool:
        """Whether item number's result can be taken without waiting."""
        return number in self.here or bool(self.workers and self.workers.ready(number))

    def take(self, number: int) -> tuple[R, bool]:
        """Item number's result (waiting for its worker if need be), and whether it was
        made in this process; its error, raised, if it failed."""
        if not self.workers:
            return self.task(self.items[number]), True
        here = number in self.here
        done, value = self.here.pop(number) if here else self.workers.result(number)
        if not done:
            raise value
        return value, here

    def results(self) -> Iterator[tuple[R, bool]]:
        """Each item's result, in order, this process doing the last ones no worker has
        started whenever the next result is not ready yet."""
        for number in range(len(self.items)):
            while not self.ready(number) and self.help_one():
                pass
            yield self.take(number)


class _Workers:
    """Forked processes that claim items from the front of a shared range and send their
    results back, each through a pipe of its own; this process claims from the end.
    Nothing runs in this process between claims: a thread feeding the workers (as a
    process pool has) waited for this process's interpreter lock while it rendered, and
    left the workers idle a third of the time. A worker holds the only writing end of its
    pipe, so its end (or death, even halfway through a result) is seen as the pipe's end."""

    def __init__(self, task: Callable[[Any], Any], items: Sequence[Any], count: int):
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self._lock = context.Lock()
        self._range = context.RawArray("q", [0, len(items)])  # [first, end) not claimed
        self._received: dict[int, tuple[bool, Any]] = {}
        self._accounted = 0  # items received from workers or claimed here
        self._total = len(items)
        self._readers: dict[Any, Any] = {}  # open pipe -> its worker
        self._processes: list[Any] = []  # the workers not seen to end yet
        self._codes: list[int] = []  # the exit codes of those that ended
        build = os.getpid()
        try:
            for _ in range(count):
                reader, writer = context.Pipe(duplex=False)
                process = context.Process(
                    target=_work,
                    args=(task, items, self._lock, self._range, reader, writer, build),
                    daemon=True,
                )
                process.start()
                writer.close()
                self._readers[reader] = process
                self._processes.append(process)
        except BaseException:
            self.stop()
            raise

    def claim_last(self) -> int | None:
        if not self._lock.acquire(timeout=_LOCK_S):
            self._lost()
        try:
            first, end = self._range
            if first >= end:
                return None
            self._range[1] = end - 1
            self._accounted += 1
            return end - 1
        finally:
            self._lock.release()

    def ready(self, number: int) -> bool:
        """Take in the results that have come; whether item number's is among them."""
        from multiprocessing.connection import wait

        while number not in self._received and self._readers:
            arrived = wait(list(self._readers), 0)
            if not arrived:
                break
            for reader in arrived:
                self._read(reader)
        return number in self._received

    def result(self, number: int) -> tuple[bool, Any]:
        """Item number's (done, result or error), waiting for it."""
        from multiprocessing.connection import wait

        while number not in self._received:
            if not self._readers:
                self._lost()
            for reader in wait(list(self._readers)):
                self._read(reader)
        return self._received.pop(number)

    def _read(self, reader: Any) -> None:
        """One result from a worker's pipe (see _message), or the pipe's end."""
        try:
            message = reader.recv_bytes()
        except (EOFError, OSError):  # OSError: the pipe ended halfway through a result
            self._ended(reader)
            return
        number = int.from_bytes(message[:8], "little")
        try:
            self._received[number] = pickle.loads(message[8:])
        except Exception as err:
            self._received[number] = (False, RuntimeError(f"a result could not be read: {err}"))
        self._accounted += 1

    def _ended(self, reader: Any) -> None:
        """A worker's pipe has ended: the worker has. One that ended otherwise than by
        finishing its work (killed) lost the item it was doing."""
        process = self._readers.pop(reader)
        reader.close()
        process.join()
        self._codes.append(process.exitcode)
        self._processes.remove(process)
        process.close()
        if self._codes[-1]:
            self._lost()

    def _lost(self) -> NoReturn:
        """A worker was killed (by the system, short of memory) before it sent its item's
        result, or while it held the claims' lock."""
        codes = sorted({code for code in self._codes if code})
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
        """End the workers: at once unless every result came (the build failed or was
        stopped: a worker may be waiting to send a result nobody will read)."""
        finished = self._accounted == self._total
        for process in self._processes:
            if not finished:
                process.terminate()
            process.join(timeout=_LOOK_S)
            if process.is_alive():
                process.terminate()
                process.join()
            process.close()
        self._processes.clear()
        for reader in self._readers:
            reader.close()
        self._readers.clear()


def _work(
    task: Callable[[Any], Any],
    items: Sequence[Any],
    lock: Any,
    claims: Any,
    reader: Any,
    writer: Any,
    build: int,
) -> None:
    """A worker: claim the first item not claimed, send its result, until none is left or
    the build that started it is gone (killed). It ignores Ctrl-C, which reaches every
    process of the terminal: the build stops it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    reader.close()
    sender = _Sender(writer)
    while (number := _claim_first(lock, claims, build)) is not None:
        try:
            message = _message(number, True, task(items[number]))
        except Exception as err:
            sender.send(_message(number, False, _sendable(err)))
            break
        sender.send(message)
    if os.getppid() == build:
        sender.finish()  # else nobody reads: the process ends without sending the rest


def _message(number: int, done: bool, value: Any) -> bytes:
    """A result as a worker sends it: the item's number, then (done, its result or error)
    pickled, so that a result that cannot be read back is still that item's."""
    return number.to_bytes(8, "little") + pickle.dumps((done, value))


def _claim_first(lock: Any, claims: Any, build: int) -> int | None:
    """The first item not claimed, or None when none is left or the build is gone."""
    while not lock.acquire(timeout=_LOOK_S):
        if os.getppid() != build:
            return None
    try:
        number = claims[0]
        if number >= claims[1] or os.getppid() != build:
            return None
        claims[0] = number + 1
        return int(number)
    finally:
        lock.release()


class _Sender:
    """Sends a worker's results from a thread of its own, so that the worker goes on to
    its next item while this process, busy with its own pages, has not read them yet."""

    def __init__(self, writer: Any):
        self._writer = writer
        self._messages: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def send(self, message: bytes) -> None:
        self._messages.put(message)

    def finish(self) -> None:
        """Wait until every result is sent."""
        self._messages.put(None)
        self._thread.join()

    def _run(self) -> None:
        while (message := self._messages.get()) is not None:
            try:
                self._writer.send_bytes(message)
            except OSError:  # the build is gone
                return


def _sendable(err: Exception) -> Exception:
    """err, or a RuntimeError that says what it was if it cannot be sent (pickled and
    read back)."""
    try:
        pickle.loads(pickle.dumps(err))
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
        workers = _Workers(task, items, min(jobs - 1, len(items)))
        yield SharedWork(task, items, workers)
    finally:
        if workers:
            workers.stop()
        gc.unfreeze()
