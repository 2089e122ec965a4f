"""Shard workers keep frame-sized buffers in the heap: glibc accepts the thresholds they set."""

from __future__ import annotations

import platform

import pytest

from cvpair.pipeline.allocator import keep_frame_buffers


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt's thresholds are glibc's")
def test_glibc_accepts_the_frame_buffer_thresholds():
    assert keep_frame_buffers() is True
