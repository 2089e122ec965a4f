"""The Ray engine: a real local Ray (loopback, 2 CPUs) builds the same release as local processes, and a
shard whose worker is killed mid-build is retried."""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

import psutil
import pytest
import ray

from cvpair.errors import CvpairError
from cvpair.pipeline.build import build_release
from cvpair.pipeline.ray_executor import INSTALL_HINT, RayExecutor

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local_ray():
    """One local Ray for the module, on loopback, shut down afterwards."""
    ray.init(num_cpus=2, _node_ip_address="127.0.0.1", include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


class RecordingExecutor:
    """The real Ray executor, with every outcome it yields kept for the test to inspect."""

    def __init__(self, inner: RayExecutor) -> None:
        self.inner, self.outcomes = inner, []

    def run(self, fn, tasks):
        for outcome in self.inner.run(fn, tasks):
            self.outcomes.append(outcome)
            yield outcome


class ShardWorkerKiller(threading.Thread):
    """Kills (SIGKILL) the first Ray worker seen running a shard: a worker lost mid-build."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.killed: int | None = None
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set() and self.killed is None:
            for process in psutil.process_iter(["cmdline"]):
                if " ".join(process.info["cmdline"] or []).startswith("ray::run_shard"):
                    os.kill(process.pid, signal.SIGKILL)
                    self.killed = process.pid
                    break
            self.stop.wait(0.02)


def _data_files(release: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((release / "data").glob("*.parquet"))}


def test_ray_build_equals_the_local_build_byte_for_byte(local_ray, demo_campaign, demo_release, tmp_path):
    result = build_release(demo_campaign, tmp_path / "out", executor=RayExecutor(), work_dir=tmp_path / "w")
    assert result.shards_built == len(list((demo_campaign / "videos").iterdir()))
    assert _data_files(result.release) == _data_files(demo_release)
    assert (result.release / "splits.csv").read_bytes() == (demo_release / "splits.csv").read_bytes()


def test_a_shard_whose_ray_worker_is_killed_is_retried(local_ray, demo_campaign, demo_release, tmp_path):
    executor = RecordingExecutor(RayExecutor(retries=2))
    killer = ShardWorkerKiller()
    killer.start()
    try:
        result = build_release(demo_campaign, tmp_path / "out", executor=executor, work_dir=tmp_path / "w")
    finally:
        killer.stop.set()
        killer.join()
    assert killer.killed is not None, "no shard worker was caught running"
    assert all(o.error is None for o in executor.outcomes)
    assert max(o.attempts for o in executor.outcomes) == 2
    assert _data_files(result.release) == _data_files(demo_release)


def test_ray_engine_without_ray_installed_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # what an environment without Ray gives: ImportError
    with pytest.raises(CvpairError, match=r"pip install \"cvpair\[ray\]\""):
        next(RayExecutor().run(str, ["x"]))
    assert "cvpair[ray]" in INSTALL_HINT
