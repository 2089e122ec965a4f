"""The build on a campaign of variant videos (HEVC 10-bit MOV with B-frames, rotation-tagged H.264) and
1 Hz SRT telemetry: stored crops against ffmpeg's frames, altitudes against the SRT read by hand."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pyarrow.parquet as pq
import pytest

from cvpair.campaign import check_campaign, load_campaign
from cvpair.campaign.model import Box
from cvpair.pipeline.cache import ShardStore
from cvpair.pipeline.quality import crop_window
from cvpair.pipeline.shard import ShardParams, ShardTask, run_shard
from cvpair.schema import ABOVE_TAKEOFF
from cvpair.synth import CampaignMedia, SynthProfile, VideoFormat, generate_campaign

SMALL = SynthProfile.alike(
    "small", identities=4, appearances=1, vehicles_per_clip=2, clip_seconds=2.0,
    width=640, height=360, frame_rates=(25,), sites=1,
)  # fmt: skip
MARGIN = ShardParams().quality.margin
MEDIA = CampaignMedia(
    aerial=VideoFormat(codec="hevc", bit_depth=10, container="mov", b_frames=3),
    ground=VideoFormat(rotation=270, b_frames=2),
    srt_layout="mavicpro",  # 1 Hz, first entry one second in
)


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    """Every clip of a variant campaign cut into crops: (campaign, {clip: rows of its shard})."""
    root = tmp_path_factory.mktemp("variant")
    campaign = generate_campaign(root / "campaign", profile=SMALL, workers=1, media=MEDIA)
    rows = {}
    for clip in check_campaign(load_campaign(campaign)).clips:
        result = run_shard(ShardTask(clip, ShardParams(), root / "work"))
        rows[clip.clip.clip_id] = pq.read_table(
            ShardStore(root / "work").parquet(result.summary.key)
        ).to_pylist()
    return campaign, rows


def _ffmpeg_frame(video: Path, frame: int, width: int, height: int) -> np.ndarray:
    command = [
        "ffmpeg", "-v", "error", "-i", str(video), "-vf", f"select=eq(n\\,{frame})", "-vsync", "passthrough",
        "-f", "rawvideo", "-pix_fmt", "bgr24", "-",
    ]  # fmt: skip
    raw = subprocess.run(command, capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(height, width, 3)


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs the ffmpeg command")
def test_stored_crops_are_ffmpegs_frames_within_jpeg_tolerance(shards):
    campaign, by_clip = shards
    checked = 0
    for clip, rows in by_clip.items():
        video = next((campaign / "videos").glob(f"{clip}.*"))
        for row in rows[:: max(1, len(rows) // 3)]:
            frame = _ffmpeg_frame(video, row["frame"], row["frame_width"], row["frame_height"])
            box = Box(row["frame"], row["bbox_x"], row["bbox_y"], row["bbox_w"], row["bbox_h"])
            x0, y0, x1, y1 = crop_window(
                box, row["frame_width"], row["frame_height"], ShardParams().quality.margin
            )
            theirs = frame[y0:y1, x0:x1].astype(np.int16)
            stored = cv2.imdecode(np.frombuffer(row["image"]["bytes"], np.uint8), cv2.IMREAD_COLOR)
            # JPEG's own error on ffmpeg's crop is the tolerance; a crop of another frame is far off
            _, again = cv2.imencode(".jpg", frame[y0:y1, x0:x1], [cv2.IMWRITE_JPEG_QUALITY, 95])
            tolerance = np.abs(cv2.imdecode(again, cv2.IMREAD_COLOR).astype(np.int16) - theirs).mean()
            assert np.abs(stored.astype(np.int16) - theirs).mean() <= 2 * tolerance + 0.5, (
                clip,
                row["frame"],
            )
            checked += 1
    assert checked >= 8
    assert {(r["frame_width"], r["frame_height"]) for rows in by_clip.values() for r in rows} == {(640, 360)}


def _srt_heights(path: Path) -> dict[float, float]:
    """Entry start (s) -> BAROMETER height, read off the Mavic Pro layout by its own pattern."""
    text = path.read_text()
    starts = [
        int(h) * 3600 + int(m) * 60 + int(s) for h, m, s in re.findall(r"(\d\d):(\d\d):(\d\d),000 -->", text)
    ]
    heights = [float(v) for v in re.findall(r"BAROMETER:([\d.]+)", text)]
    return dict(zip(starts, heights, strict=True))


def test_aerial_altitudes_follow_the_1_hz_srt_by_time(shards):
    campaign, by_clip = shards
    aerial = [clip for clip in by_clip if clip.startswith("A")]
    for clip in aerial:
        heights = _srt_heights(campaign / "telemetry" / f"{clip}.SRT")  # {1: h1} for a 2 s clip: 1 s to 2 s
        assert list(heights) == [1]
        for row in by_clip[clip]:
            if row["timestamp_s"] < 1.0:  # before the first entry: no altitude, no reference
                assert (row["altitude_m"], row["altitude_reference"]) == (None, None)
            else:
                assert row["altitude_m"] == pytest.approx(heights[1], abs=1e-4)
                assert row["altitude_reference"] == ABOVE_TAKEOFF
    assert sum(len(by_clip[clip]) for clip in aerial) > 0
