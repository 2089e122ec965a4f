"""Worker processes for `cvpair import`: forked when that is safe, so they start in milliseconds.

A spawned worker pays an interpreter start and its own imports (numpy, OpenCV: ~0.3 s of CPU) and, at the
end, a full interpreter shutdown. A forked one inherits what this process has loaded and exits at once.
Forking copies no thread, only the memory of this one, so a lock another thread held would stay held
forever in the child: a pool forks only while this process runs a single thread (the command line,
before it starts any), and only on Linux; it spawns otherwise (a library caller's threads, a test
session's, macOS, Windows). Hence one pool per command, made first: its workers decode the images, then
draw the card's figures.
"""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing import get_context


def _start_method() -> str:
    """Fork on Linux while one thread runs; elsewhere spawn (macOS's system libraries are not fork-safe,
    Windows cannot fork)."""
    return "fork" if sys.platform.startswith("linux") and threading.active_count() == 1 else "spawn"


@contextmanager
def worker_pool(workers: int, initializer: Callable[[], None] | None = None) -> Iterator[ProcessPoolExecutor]:
    """`workers` processes, all started now (a pool starts them on its first tasks: given one each here,
    before the caller starts any thread)."""
    method = _start_method()
    if method == "fork":
        # The objects made so far (the imported modules) outlive the command: out of the collector's sight,
        # a worker's collections leave their pages shared instead of copying them (Python's `gc.freeze`).
        gc.freeze()
    context = get_context(method)
    with ProcessPoolExecutor(workers, mp_context=context, initializer=initializer) as pool:
        for _ in range(workers):
            pool.submit(int)
        yield pool
