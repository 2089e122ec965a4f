"""Where shards run: a pluggable executor (img2dataset's "distributor").

An executor maps a function over tasks and yields each task's outcome as it completes, retrying failures
that may be transient. The local one uses a process pool (or the calling process for one worker, which
keeps tests and debuggers simple); a Ray executor can be added behind the same `Executor` protocol.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
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


@dataclass
class LocalExecutor:
    """Runs tasks in `workers` processes (spawned, so no thread or lock state is inherited)."""

    workers: int = 1
    retries: int = 1

    def run(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[Outcome[T, R]]:
        if self.workers <= 1:
            yield from (self._inline(fn, task) for task in tasks)
            return
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=self.workers, mp_context=context) as pool:
            running: dict[Future, tuple[T, int]] = {pool.submit(fn, task): (task, 1) for task in tasks}
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    task, attempt = running.pop(future)
                    error = future.exception()
                    if error is not None and is_retryable(error) and attempt <= self.retries:
                        try:
                            running[pool.submit(fn, task)] = (task, attempt + 1)
                            continue
                        except BrokenProcessPool:  # a worker died (killed, out of memory): no more retries
                            pass
                    yield Outcome(task, None if error else future.result(), error, attempt)

    def _inline(self, fn: Callable[[T], R], task: T) -> Outcome[T, R]:
        attempt = 0
        while True:
            attempt += 1
            try:
                return Outcome(task, fn(task), None, attempt)
            except Exception as error:  # reported by the caller, with every other failed task
                if not is_retryable(error) or attempt > self.retries:
                    return Outcome(task, None, error, attempt)
