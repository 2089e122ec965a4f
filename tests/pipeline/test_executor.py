"""The local executor: retries of transient failures, none of bad input, a killed worker's tasks rerun."""

from __future__ import annotations

import math
import os
import signal
import time
from pathlib import Path

import pytest

from cvpair.errors import CvpairError
from cvpair.pipeline.executor import LocalExecutor, map_ordered


class _Flaky:
    """Fails the first `failures` calls with `error`, then returns its argument doubled."""

    def __init__(self, failures, error):
        self.failures, self.error, self.calls = failures, error, 0

    def __call__(self, task):
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return task * 2


def test_executor_retries_a_transient_failure():
    [outcome] = LocalExecutor(workers=1, retries=1).run(_Flaky(1, OSError("disk hiccup")), [21])
    assert (outcome.result, outcome.error, outcome.attempts) == (42, None, 2)


def test_executor_does_not_retry_bad_input():
    flaky = _Flaky(1, CvpairError("bad input"))
    [outcome] = LocalExecutor(workers=1, retries=3).run(flaky, [1])
    assert isinstance(outcome.error, CvpairError) and flaky.calls == 1


def test_process_pool_executor_returns_every_outcome():
    outcomes = LocalExecutor(workers=2).run(abs, [-1, -2, -3])
    assert sorted(o.result for o in outcomes) == [1, 2, 3]


def _die_once(task: tuple[str, int]) -> int:
    """Kills its own worker process the first time (as the OS's out-of-memory killer would), then works."""
    marker, value = Path(task[0]), task[1]
    if not marker.exists():
        marker.touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return value * 2


def test_process_pool_executor_retries_the_tasks_of_a_killed_worker_in_a_new_pool(tmp_path):
    tasks = [(str(tmp_path / "killed"), value) for value in range(4)]
    with LocalExecutor(workers=2, retries=1) as executor:
        outcomes = list(executor.run(_die_once, tasks))
    assert sorted(o.result for o in outcomes) == [0, 2, 4, 6]
    assert all(o.error is None for o in outcomes) and max(o.attempts for o in outcomes) == 2


def test_process_pool_executor_keeps_its_workers_between_runs():
    with LocalExecutor(workers=2) as executor:
        first = {o.result for o in executor.run(_worker_pid, range(8))}
        second = {o.result for o in executor.run(_worker_pid, range(8))}
    assert os.getpid() not in first and second <= first


def _worker_pid(_: int) -> int:
    time.sleep(0.01)  # lets both workers take tasks
    return os.getpid()


def test_map_ordered_gives_results_in_task_order_and_raises_a_fault():
    with LocalExecutor(workers=2) as executor:
        assert map_ordered(executor, abs, [-3, 1, -2, 5, -4]) == [3, 1, 2, 5, 4]
        with pytest.raises(ValueError, match="math domain"):
            map_ordered(executor, math.sqrt, [4.0, -1.0])
