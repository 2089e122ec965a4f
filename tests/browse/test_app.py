"""`cvpair browse` end to end: the command serves the App, a real headless Chromium renders the dataset,
and Ctrl-C stops every process the command started."""

from __future__ import annotations

import csv
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

import psutil
import pytest

from cvpair.release import layout
from tests.helpers.paths import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = ROOT / "test-artifacts" / "browse"
NAME = "browse-app-test"
START_TIMEOUT_S = 120
STOP_TIMEOUT_S = 60


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed (CI must install it: apt-get install chromium)")
    pytest.skip("chromium is not installed (apt-get install chromium); the browser test needs a real browser")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _read_lines(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)


def _wait_for_url(process: subprocess.Popen, lines: queue.Queue) -> str:
    deadline = time.monotonic() + START_TIMEOUT_S
    seen = []
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            if process.poll() is not None:
                break
            continue
        seen.append(line)
        if line.startswith("App: "):
            return line.removeprefix("App: ").strip()
    pytest.fail("cvpair browse printed no App URL:\n" + "".join(seen))


def _chromium_run(chromium: str, url: str, *flags: str) -> subprocess.CompletedProcess:
    """Chromium headless with the flags that work in a container (see ENVIRONMENT.md)."""
    with tempfile.TemporaryDirectory() as profile:
        command = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                   "--no-first-run", "--disable-background-networking", "--disable-component-update",
                   "--disable-sync", f"--user-data-dir={profile}", "--window-size=1400,900",
                   "--virtual-time-budget=20000", *flags, url]  # fmt: skip
        return subprocess.run(command, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def app(fiftyone_database, demo_release):
    """`cvpair browse` running on the release: (process, url, its child processes)."""
    command = [sys.executable, "-c", "from cvpair.cli import main; main()", "browse", str(demo_release),
               "--port", str(_free_port()), "--name", NAME]  # fmt: skip
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True).start()
    try:
        url = _wait_for_url(process, lines)
        with urllib.request.urlopen(url, timeout=30) as response:
            assert response.status == 200
        print(f"browse answered HTTP 200 after {time.monotonic() - started:.1f} s")
        yield process, url, psutil.Process(process.pid).children(recursive=True)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=STOP_TIMEOUT_S)


def test_the_app_renders_the_release_in_a_real_browser(app, demo_release):
    import fiftyone as fo

    _, url, _ = app
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTIFACTS / "browse.png"
    screenshot.unlink(missing_ok=True)
    dom = _chromium_run(_chromium(), url, "--dump-dom").stdout
    _chromium_run(_chromium(), url, f"--screenshot={screenshot}")
    (ARTIFACTS / "browse.html").write_text(dom)
    assert NAME in dom, "the rendered page does not name the dataset"
    assert screenshot.stat().st_size > 10_000
    crops = len(fo.load_dataset(NAME).select_group_slices())
    assert crops == _samples_expected(demo_release)


def _samples_expected(release: Path) -> int:
    """Samples of the grouped dataset, from the split manifest: an identity with both views fills
    max(aerial, ground) pairs of two crops; one seen from one view only has one sample per crop."""
    counts: dict[str, Counter] = {}
    with open(release / layout.SPLIT_MANIFEST, newline="") as stream:
        for row in csv.DictReader(stream):
            counts.setdefault(row["identity"], Counter())[row["view"]] += 1
    both = [c for c in counts.values() if len(c) == 2]
    return sum(2 * max(c.values()) for c in both) + sum(c.total() for c in counts.values() if len(c) == 1)


def test_ctrl_c_stops_the_app_and_every_process_the_command_started(app):
    process, url, children = app
    assert children, "the App server runs in a child process"
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=STOP_TIMEOUT_S) == 0
    gone, alive = psutil.wait_procs(children, timeout=STOP_TIMEOUT_S)
    assert not alive, f"left running: {[p.cmdline() for p in alive]}"
    with pytest.raises(OSError):
        urllib.request.urlopen(url, timeout=5)
