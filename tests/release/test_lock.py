"""One writer per output: a second build or import into the same output refuses at once; a lock left by a
killed process is taken over. (The two-terminal `cvpair build` case is in test_build.py.)"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cvpair.errors import CvpairError
from cvpair.release.lock import OutputLock, lock_path

HOLD = """
import sys, time
from cvpair.release.lock import OutputLock
with OutputLock(sys.argv[1]):
    print("held", flush=True)
    time.sleep(600)
"""


def _holder(out: Path) -> subprocess.Popen:
    """Another process that takes the lock of `out` and keeps it."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(out)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_a_lock_held_by_a_live_process_is_refused_naming_output_and_holder(tmp_path):
    out = tmp_path / "release"
    holder = _holder(out)
    try:
        record = lock_path(out).read_text()
        with pytest.raises(CvpairError) as error, OutputLock(out):
            pass
        message = str(error.value)
        assert f"output {out} is being written by another cvpair process: pid {holder.pid}" in message
        assert str(lock_path(out)) in message
        assert lock_path(out).read_text() == record  # the holder's lock is untouched
    finally:
        holder.terminate()
        holder.wait()


def test_a_lock_left_by_a_killed_process_is_taken_over_and_removed_after(tmp_path):
    out = tmp_path / "release"
    holder = _holder(out)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    assert json.loads(lock_path(out).read_text())["pid"] == holder.pid
    with OutputLock(out) as lock:
        assert json.loads(lock_path(out).read_text())["pid"] == os.getpid()
        assert f"left by process {holder.pid}, which is gone" in lock.took_over
    assert not lock_path(out).exists()
    with OutputLock(out) as lock:  # a clean lock: nothing taken over
        assert lock.took_over is None


def test_the_same_process_may_take_its_own_lock_again(tmp_path):
    out = tmp_path / "release"
    with OutputLock(out) as outer:
        with OutputLock(out):  # the release writer inside a build
            pass
        assert lock_path(out).exists() and outer.took_over is None
    assert not lock_path(out).exists()


def test_refusal_is_immediate(tmp_path):
    out = tmp_path / "release"
    holder = _holder(out)
    try:
        started = time.monotonic()
        with pytest.raises(CvpairError), OutputLock(out):
            pass
        assert time.monotonic() - started < 1
    finally:
        holder.terminate()
        holder.wait()
