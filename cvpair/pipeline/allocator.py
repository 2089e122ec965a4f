"""Keeping frame-sized buffers in the process's heap while shards are built.

glibc's malloc serves every large allocation (a decoded 1280x720 frame converted to pixels is 2.7 MB, the
array PyAV copies it into as much again) with a fresh mmap, and unmaps it when freed, so each frame paid
for some 1,350 page faults, zeroing pages the frame then overwrote: a third of a shard's time on the v1.0
campaign, and memory bandwidth the other worker needs. With fixed thresholds those buffers are reused
from the heap. Outputs do not change; elsewhere than glibc this does nothing. A one-worker build runs its
shards in the calling process, which keeps the setting afterwards (at most 64 MB of freed heap held).
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt's parameters, from glibc's malloc.h
MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's largest: a 3840x2160 frame of 8-bit pixels (25 MB) fits
TRIM_THRESHOLD = 64 * 1024 * 1024  # free heap kept for the next frames (two of those 4K frames)


@cache
def keep_frame_buffers() -> bool:
    """Set this process's malloc thresholds for frame-sized buffers (once); False where not glibc."""
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name) if name else None
    if libc is None or not hasattr(libc, "mallopt"):
        return False
    return bool(
        libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) and libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
