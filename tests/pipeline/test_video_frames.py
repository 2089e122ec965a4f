"""Frame k is CVAT's frame k in every video variant capture devices write: cvpair's crop of frame k equals
the same crop of frame k decoded independently by the `ffmpeg` command.

ffmpeg's command line shows what CVAT shows: every decoded frame in presentation order (`-vsync
passthrough`: none dropped or repeated), frames an edit list hides left out, turned by the rotation tag.
Each frame of the test clips carries its own pattern, so a crop of a neighbouring frame never matches.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from cvpair.campaign import probe_video
from cvpair.campaign.model import Box
from cvpair.pipeline.decode import VideoReader
from cvpair.pipeline.quality import crop_window
from cvpair.pipeline.shard import ShardParams
from cvpair.synth.writers import VideoFormat, VideoWriter

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs the ffmpeg command")

FPS, FRAMES = 10, 45  # a keyframe every 20 frames: frames far apart are reached by seeking
SMALL = (192, 108)
VARIANTS = {
    "h264 8-bit mp4": (VideoFormat(), SMALL),
    "h264 8-bit mov b-frames": (VideoFormat(container="mov", b_frames=3), SMALL),
    "h264 10-bit mp4 b-frames": (VideoFormat(bit_depth=10, b_frames=2), SMALL),
    "hevc 8-bit mov b-frames": (VideoFormat(codec="hevc", container="mov", b_frames=4), SMALL),
    "hevc 10-bit mp4 b-frames": (VideoFormat(codec="hevc", bit_depth=10, b_frames=4), SMALL),
    "rotation tag 90": (VideoFormat(rotation=90), SMALL),
    "rotation tag 180 hevc": (VideoFormat(codec="hevc", rotation=180), SMALL),
    "rotation tag 270 mov b-frames": (VideoFormat(container="mov", rotation=270, b_frames=2), SMALL),
    "start at 1.5 s": (VideoFormat(start_s=1.5), SMALL),
    "edit list hides 4 frames": (VideoFormat(lead_in_frames=4, b_frames=2), SMALL),
    "variable frame rate": (VideoFormat(variable_rate=True, b_frames=2), SMALL),
    "720p h264": (VideoFormat(), (1280, 720)),
    "4K hevc 10-bit": (VideoFormat(codec="hevc", bit_depth=10, b_frames=2), (3840, 2160)),
}
BOX = Box(frame=0, x=0.3, y=0.25, w=0.3, h=0.4)  # as fractions of the frame shown
WANTED = (0, 1, 19, 20, 33, FRAMES - 1)
JPEG_QUALITY = ShardParams().jpeg_quality


def _pattern(index: int, width: int, height: int) -> np.ndarray:
    """An RGB frame unlike its neighbours: gradients that move with the frame (wrapping around), and the
    frame's number in binary as black and white squares along the top edge."""
    across = (np.arange(width) * 256 // width).astype(np.uint8)
    down = (np.arange(height) * 256 // height).astype(np.uint8)
    red = np.broadcast_to(across + np.uint8(index * 95 % 256), (height, width))
    green = np.broadcast_to(down[:, None], (height, width))
    blue = np.broadcast_to((2 * down + np.uint8(index * 74 % 256))[:, None], (height, width))
    image = np.dstack([red, green, blue])
    cell = max(4, width // 16)
    for bit in range(6):
        image[:cell, bit * cell : (bit + 1) * cell] = 255 if index >> bit & 1 else 0
    return image


def _write(path: Path, video: VideoFormat, size: tuple[int, int], frames: int) -> Path:
    width, height = size
    with VideoWriter(path, width, height, FPS, video) as writer:
        for index in range(-video.lead_in_frames, frames):
            writer.write(_pattern(index, width, height))
    return path


def _ffmpeg_frames(path: Path, wanted: tuple[int, ...], width: int, height: int) -> dict[int, np.ndarray]:
    """Frames `wanted` as ffmpeg's command line decodes them, BGR."""
    select = "+".join(f"eq(n\\,{k})" for k in wanted)
    command = [
        "ffmpeg", "-v", "error", "-i", str(path), "-vf", f"select={select}", "-vsync", "passthrough",
        "-f", "rawvideo", "-pix_fmt", "bgr24", "-",
    ]  # fmt: skip
    raw = subprocess.run(command, capture_output=True, check=True).stdout
    frames = np.frombuffer(raw, np.uint8).reshape(-1, height, width, 3)
    assert len(frames) == len(wanted)
    return dict(zip(wanted, frames, strict=True))


def _crop(image: np.ndarray) -> np.ndarray:
    height, width = image.shape[:2]
    box = Box(0, BOX.x * width, BOX.y * height, BOX.w * width, BOX.h * height)
    x0, y0, x1, y1 = crop_window(box, width, height, 0.1)
    return image[y0:y1, x0:x1].astype(np.int16)


@pytest.mark.parametrize("name", list(VARIANTS))
def test_crop_of_frame_k_is_ffmpegs_frame_k(tmp_path, name):
    video, (width, height) = VARIANTS[name]
    frames = 3 if width > 1280 else FRAMES  # 4K: a few frames keep the suite fast
    wanted = tuple(k for k in WANTED if k < frames - 1) + (frames - 1,)
    path = _write(tmp_path / f"clip{video.suffix}", video, (width, height), frames)

    info = probe_video(path)
    reader = VideoReader(path)
    ours = {frame.index: frame.image for frame in reader.frames(list(wanted))}
    theirs = _ffmpeg_frames(path, wanted, width, height)

    assert (info.frame_count, reader.frame_count, info.width, info.height) == (frames, frames, width, height)
    assert sorted(ours) == list(wanted)
    for k in wanted:
        ours_k, theirs_k = _crop(ours[k]), _crop(theirs[k])
        difference = np.abs(ours_k - theirs_k)
        if video.bit_depth == 8:  # the same decoded pixels, the same conversion to RGB
            assert difference.max() == 0, f"frame {k}"
        else:  # 10-bit to 8-bit RGB: FFmpeg 5.1's command line and PyAV's FFmpeg 8 round chroma differently
            jpeg = _jpeg_error(theirs_k)
            assert (difference.max(), difference.mean()) <= (jpeg.max(), jpeg.mean()), f"frame {k}"
    # a crop of the neighbouring frame is far from it: the comparison would catch an off-by-one
    for k, neighbour in zip(wanted, wanted[1:], strict=False):
        assert np.abs(_crop(ours[k]) - _crop(theirs[neighbour])).mean() > 20


def _jpeg_error(crop: np.ndarray) -> np.ndarray:
    """How far storing `crop` as the build does (JPEG) moves its pixels: the tolerance of a stored crop."""
    _, encoded = cv2.imencode(".jpg", crop.astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    return np.abs(cv2.imdecode(encoded, cv2.IMREAD_COLOR).astype(np.int16) - crop)


def test_times_are_presentation_times_from_the_first_frame_shown(tmp_path):
    """Variable rate: every third frame lasts two; the first frame shown starts at 0 whatever the start."""
    path = _write(tmp_path / "clip.mp4", VideoFormat(variable_rate=True, start_s=1.5), SMALL, 7)

    times = [frame.time_s for frame in VideoReader(path).frames(list(range(7)))]

    assert times == pytest.approx([0.0, 0.1, 0.2, 0.4, 0.5, 0.6, 0.8])
