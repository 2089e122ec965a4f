"""Where shards run: a pluggable executor (img2dataset's "distributor").

An executor maps a function over tasks and yields each task's outcome as it completes, retrying failures
that may be transient. The local one uses a process pool (or the calling process for one worker, which
keeps tests and debuggers simple); `ray_executor.RayExecutor` runs them on a Ray cluster behind the same
`Executor` protocol (`cvpair build --engine ray`).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from cvpair.errors import CvpairError

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Outcome(Generic[T, R]):
    """A task's result, or the error of its last attempt."""

    task: T
    result: R | None
    error: BaseException | None
    attempts: int


class Executor(Protocol):
    def run(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[Outcome[T, R]]:
        """Outcomes of `fn(task)` for every task, in completion order."""
        ...


def is_retryable(error: BaseException) -> bool:
    """Bad input fails the same way every time; anything else (I/O, a killed worker) may not."""
    return not isinstance(error, CvpairError)


def map_ordered(executor: Executor, fn: Callable[[T], R], tasks: Sequence[T]) -> list[R]:
    """`fn` over `tasks` on `executor`, results in task order; raises the error of the first task that failed.

    For work that reports bad input in its result (as checking a clip does), where an exception is a fault.
    """
    position = {id(task): index for index, task in enumerate(tasks)}
    results: list[R | None] = [None] * len(tasks)
    for outcome in executor.run(fn, tasks):
        if outcome.error is not None:
            raise outcome.error
        results[position[id(outcome.task)]] = outcome.result
    return results  # type: ignore[return-value]  # every slot was filled


@dataclass
class LocalExecutor:
    """Runs tasks in `workers` processes (spawned, so no thread or lock state is inherited).

    The pool is started on the first run and kept for the next ones (a build checks clips, then crops
    them: one start-up of the workers, not two) until `close`.
    """

    workers: int = 1
    retries: int = 1
    _pool: ProcessPoolExecutor | None = field(default=None, init=False, repr=False)

    def run(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[Outcome[T, R]]:
        if self.workers <= 1:
            yield from (self._inline(fn, task) for task in tasks)
            return
        running: dict[Future, tuple[T, int, ProcessPoolExecutor]] = {}
        for task in tasks:
            self._submit(running, fn, task, 1)
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                task, attempt, pool = running.pop(future)
                error = future.exception()
                if isinstance(error, BrokenProcessPool) and pool is self._pool:
                    self.close()  # a worker died (killed, out of memory): the next submit starts a new pool
                if error is not None and is_retryable(error) and attempt <= self.retries:
                    self._submit(running, fn, task, attempt + 1)  # every task of a broken pool comes here
                    continue
                yield Outcome(task, None if error else future.result(), error, attempt)

    def _submit(self, running: dict, fn: Callable[[T], R], task: T, attempt: int) -> None:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
        running[self._pool.submit(fn, task)] = (task, attempt, self._pool)

    def close(self) -> None:
        """Stop the worker processes (a later run starts new ones)."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _inline(self, fn: Callable[[T], R], task: T) -> Outcome[T, R]:
        attempt = 0
        while True:
            attempt += 1
            try:
                return Outcome(task, fn(task), None, attempt)
            except Exception as error:  # reported by the caller, with every other failed task
                if not is_retryable(error) or attempt > self.retries:
                    return Outcome(task, None, error, attempt)
