"""One writer per output: the lock that keeps two builds or imports from writing the same release at once.

Two `cvpair build -o X` started in two terminals would share `X`'s staging folder and work folder and
destroy each other's files. The first to start holds `.X.lock` beside `X` (an advisory `flock`, which the
kernel releases when its process dies, so a lock left by a killed build is stale the moment it is left); a
second refuses at once, naming the output and the process that holds it. The file records the holder
(pid, command, start time) for that message and is removed when the holder finishes.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from pathlib import Path

from cvpair.errors import CvpairError

_HELD: dict[Path, OutputLock] = {}
"""Locks this process holds: taking one again (the build, then its release writer) is a no-op."""


def lock_path(out: Path) -> Path:
    return out.parent / f".{out.name}.lock"


class OutputLock:
    """Held while a release is being made at `out`: `with OutputLock(out): ...`."""

    def __init__(self, out: Path | str) -> None:
        self.out = Path(out).resolve()
        self.path = lock_path(self.out)
        self.stale_holder: dict | None = None  # the record of a dead holder whose lock was taken over
        self._fd: int | None = None
        self._outer: OutputLock | None = None

    def __enter__(self) -> OutputLock:
        self._outer = _HELD.get(self.path)
        if self._outer is not None:
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while self._fd is None:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read(fd)
                os.close(fd)
                raise CvpairError(self._busy_message(holder)) from None
            if not _same_file(fd, self.path):  # the holder removed the file between our open and lock
                os.close(fd)
                continue
            self.stale_holder = _read(fd) or None
            _write(fd, {"pid": os.getpid(), "command": " ".join(sys.argv), "started": time.time()})
            self._fd = fd
        _HELD[self.path] = self
        return self

    def __exit__(self, *exc) -> None:
        if self._outer is not None or self._fd is None:
            return
        del _HELD[self.path]
        self.path.unlink(missing_ok=True)  # while still locked: nobody can take it in between
        os.close(self._fd)
        self._fd = None

    def _busy_message(self, holder: dict) -> str:
        pid = holder.get("pid", "unknown")
        since = holder.get("started")
        when = time.strftime(" since %Y-%m-%d %H:%M:%S", time.localtime(since)) if since else ""
        command = f" ({holder['command']})" if holder.get("command") else ""
        return (
            f"output {self.out} is being written by another cvpair process: pid {pid}{command}{when} "
            f"holds {self.path}. Wait for it to finish, or choose another -o."
        )

    @property
    def took_over(self) -> str | None:
        """A line for the report when this lock was left by a process that died (None otherwise)."""
        if not self.stale_holder:
            return None
        return f"took over the lock {self.path} left by process {self.stale_holder.get('pid')}, which is gone"


def _read(fd: int) -> dict:
    os.lseek(fd, 0, os.SEEK_SET)
    try:
        record = json.loads(os.read(fd, 65536).decode() or "{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return record if isinstance(record, dict) else {}


def _write(fd: int, record: dict) -> None:
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, json.dumps(record).encode())
    os.fsync(fd)


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.fstat(fd).st_ino == os.stat(path).st_ino
    except FileNotFoundError:
        return False
