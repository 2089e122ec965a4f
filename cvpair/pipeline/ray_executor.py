"""Build shards on a Ray cluster, behind the same `Executor` protocol as the local process pool.

Ray's own retries are off: this module resubmits a failed shard itself, so a shard whose worker was killed
and a shard that raised are retried and counted the same way on every engine. Ray is an optional extra.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from cvpair.errors import CvpairError
from cvpair.pipeline.executor import Outcome, is_retryable

T = TypeVar("T")
R = TypeVar("R")

INSTALL_HINT = 'the Ray engine needs Ray: pip install "cvpair[ray]"'


def _ray():
    try:
        import ray
    except ImportError as error:
        raise CvpairError(INSTALL_HINT) from error
    return ray


@dataclass
class RayExecutor:
    """Runs each task as a Ray task; `address` is "auto", "ray://HOST:PORT", or None to start a local Ray.

    The campaign and the work folder must be on storage every node sees at the same path.
    """

    address: str | None = None
    retries: int = 2
    num_cpus: int | None = None  # for a local Ray started here

    def run(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[Outcome[T, R]]:
        ray = _ray()
        if not ray.is_initialized():
            local = (
                {"num_cpus": self.num_cpus, "_node_ip_address": "127.0.0.1"} if self.address is None else {}
            )
            ray.init(address=self.address, include_dashboard=False, log_to_driver=False, **local)
        # named after `fn`, as Ray names a task (and its worker's process title, "ray::NAME")
        name = getattr(fn, "__name__", type(fn).__name__)
        remote = ray.remote(max_retries=0, retry_exceptions=False)(_call).options(name=name)
        function = ray.put(fn)  # any picklable callable, sent to the object store once
        running = {remote.remote(function, task): (task, 1) for task in tasks}
        while running:
            done, _ = ray.wait(list(running), num_returns=1)
            ref = done[0]
            task, attempt = running.pop(ref)
            try:
                outcome = Outcome(task, ray.get(ref), None, attempt)
            except Exception as failure:  # a task's exception, or its worker's death
                error = _cause(failure)
                if is_retryable(error) and attempt <= self.retries:
                    running[remote.remote(function, task)] = (task, attempt + 1)
                    continue
                outcome = Outcome(task, None, error, attempt)
            yield outcome


def _call(fn: Callable[[T], R], task: T) -> R:
    """`fn(task)`: Ray makes remote functions of functions only, and `fn` may be a callable object."""
    return fn(task)


def _cause(failure: BaseException) -> BaseException:
    """The task's own exception for a `RayTaskError`; the Ray error itself for a lost worker."""
    ray = _ray()
    if isinstance(failure, ray.exceptions.RayTaskError) and failure.cause is not None:
        return failure.cause
    return failure
