"""Benchmark `cvpair browse`: seconds from starting the command to the App answering HTTP 200 with the
dataset page, against the 30 s target (2 cores).

Runs the real command in a fresh process each time, in a throw-away FiftyOne home (own database and media
folder), so a user's FiftyOne data is never touched. The first run loads the release into a new dataset
(JPEG extraction included); later runs reuse it, which is what reopening a release costs.

    .venv/bin/python benchmarks/bench_browse.py [--release PATH] [--repeat 3]

Without --release, the demo release is built first from the bundled sample campaign (`cvpair build`).
Prints each run, the median of the warm runs, and its ratio to the target.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

TARGET_S = 30.0
TIMEOUT_S = 180


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def time_to_app(release: Path, env: dict[str, str]) -> float:
    """Seconds from `cvpair browse` starting to its dataset page answering HTTP 200."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/datasets/bench"
    command = [sys.executable, "-c", "from cvpair.cli import main; main()", "browse", str(release),
               "--port", str(port), "--name", "bench"]  # fmt: skip
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not _answers(url):
            if process.poll() is not None:
                raise RuntimeError(f"cvpair browse exited with {process.returncode}")
            if time.monotonic() - started > TIMEOUT_S:
                raise RuntimeError(f"no answer from {url} within {TIMEOUT_S} s")
            time.sleep(0.1)
        return time.monotonic() - started
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", type=Path, help="release folder [default: build the demo release]")
    parser.add_argument("--repeat", type=int, default=3, help="warm runs after the first")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-browse-") as home:
        env = {
            **os.environ,
            "FIFTYONE_DATABASE_DIR": f"{home}/db",
            "FIFTYONE_DEFAULT_DATASET_DIR": f"{home}/datasets",
            "FIFTYONE_DO_NOT_TRACK": "true",
            "FIFTYONE_DATABASE_VALIDATION": "false",
        }
        release = args.release
        if release is None:
            release = Path(home) / "demo-release"
            subprocess.run([sys.executable, "-c", "from cvpair.cli import main; main()", "build", "-o",
                            str(release)], check=True, env=env, stdout=subprocess.DEVNULL)  # fmt: skip
        print(f"release {release}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
        first = time_to_app(release, env)
        print(f"first run (new dataset): {first:.1f} s")
        warm = [time_to_app(release, env) for _ in range(args.repeat)]
        print("warm runs (dataset reused): " + ", ".join(f"{s:.1f} s" for s in warm))
        median = statistics.median(warm)
        verdict = "OK" if max(first, median) < TARGET_S else "SLOW"
        print(f"browse start: first {first:.1f} s, warm median {median:.1f} s; target {TARGET_S:.0f} s; "
              f"ratio {max(first, median) / TARGET_S:.2f} ({verdict})")  # fmt: skip


if __name__ == "__main__":
    main()
