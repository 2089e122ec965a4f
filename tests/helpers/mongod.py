"""A MongoDB server private to the test session, for FiftyOne.

FiftyOne's own database service attaches to any database service the same user already runs (an open App,
a parallel test run), whatever its data folder, so `FIFTYONE_DATABASE_DIR` alone does not isolate the
tests. A mongod of our own, reached through `FIFTYONE_DATABASE_URI`, does, and we know when it stops.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

START_TIMEOUT_S = 60


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_listening(process: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mongod exited with {process.returncode}; see {log}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"mongod did not listen on port {port} within {START_TIMEOUT_S} s; see {log}")


@contextmanager
def private_mongod(folder: Path) -> Iterator[str]:
    """Run FiftyOne's bundled mongod on `folder`; yields its URI, exported as FIFTYONE_DATABASE_URI."""
    import fiftyone as fo
    import fiftyone.core.odm.database as fo_database
    from fiftyone.core.service import DatabaseService

    folder.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    log = folder / "mongod.log"
    command = [DatabaseService.find_mongod(), "--dbpath", str(folder), "--logpath", str(log),
               "--port", str(port), "--bind_ip", "127.0.0.1", "--nounixsocket"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_until_listening(process, port, log)
        uri = f"mongodb://127.0.0.1:{port}"
        os.environ["FIFTYONE_DATABASE_URI"] = uri  # for the App server and the commands tests start
        fo.config.database_uri = uri
        yield uri
    finally:
        fo_database._disconnect()
        os.environ.pop("FIFTYONE_DATABASE_URI", None)
        fo.config.database_uri = None
        process.terminate()
        process.wait(timeout=60)
