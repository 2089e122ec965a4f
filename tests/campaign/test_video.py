"""Probing videos without decoding: properties read from the container, damaged files named."""

from __future__ import annotations

import os

import pytest

from cvpair.campaign import probe_video
from cvpair.errors import InputError
from tests.helpers.campaign_files import FPS, HEIGHT, WIDTH, write_video


def _cut_in_half(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def test_probe_reads_frame_count_rate_size_and_codec(tmp_path):
    info = probe_video(write_video(tmp_path / "clip.mp4", frames=12))

    assert (info.frame_count, info.fps, info.width, info.height, info.codec) == (
        12,
        FPS,
        WIDTH,
        HEIGHT,
        "h264",
    )


def test_probe_shows_the_frame_size_turned_by_the_rotation_tag(tmp_path):
    info = probe_video(write_video(tmp_path / "clip.mp4", frames=12, rotation=90))

    assert (info.rotation, info.width, info.height) == (90, HEIGHT, WIDTH)


def test_rotation_tag_that_is_not_a_quarter_turn_is_reported(tmp_path):
    path = write_video(tmp_path / "clip.mp4", frames=12, rotation=45)

    with pytest.raises(InputError, match="display rotation of 45 degrees") as caught:
        probe_video(path)

    assert caught.value.problems[0].path == path


def test_probe_reads_matroska(tmp_path):
    info = probe_video(write_video(tmp_path / "clip.mkv", frames=12, fmt="matroska"))

    assert (info.frame_count, info.width, info.height) == (12, WIDTH, HEIGHT)


def test_mp4_cut_in_half_is_reported(tmp_path):
    path = _cut_in_half(write_video(tmp_path / "clip.mp4", frames=30))

    with pytest.raises(InputError) as caught:
        probe_video(path)

    assert caught.value.problems[0].path == path


def test_faststart_mp4_cut_in_half_is_reported_as_truncated(tmp_path):
    """The index comes first, so the file opens: only the missing packets give the cut away."""
    path = _cut_in_half(write_video(tmp_path / "clip.mp4", frames=30, faststart=True))

    with pytest.raises(InputError, match="truncated") as caught:
        probe_video(path)

    assert caught.value.problems[0].path == path


def test_matroska_cut_in_half_is_reported_as_truncated(tmp_path):
    """Matroska declares no frame count, only a duration, which the remaining packets fall short of."""
    path = _cut_in_half(write_video(tmp_path / "clip.mkv", frames=30, fmt="matroska"))

    with pytest.raises(InputError, match="truncated"):
        probe_video(path)


def test_random_bytes_are_named(tmp_path):
    path = tmp_path / "clip.mp4"
    path.write_bytes(os.urandom(4096))

    with pytest.raises(InputError, match="cannot be read as a video") as caught:
        probe_video(path)

    assert caught.value.problems[0].path == path
