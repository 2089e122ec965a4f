"""`cvpair synth` writes the video formats and DJI SRT layouts capture devices deliver, and cvpair reads
every one of them back: the suite covers them without real footage."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path

import av
import pytest
from click.testing import CliRunner

from cvpair.campaign import check_campaign, load_campaign, probe_video, read_telemetry
from cvpair.campaign.telemetry import reading_at
from cvpair.cli import main
from cvpair.schema import ABOVE_TAKEOFF, UNKNOWN_REFERENCE
from cvpair.synth import PROFILES, SRT_LAYOUTS, CampaignMedia, SynthProfile, VideoFormat, generate_campaign
from cvpair.synth.writers import SrtEntry, dji_srt

TINY = SynthProfile.alike(
    "tiny", identities=4, appearances=1, vehicles_per_clip=2, clip_seconds=1.2, width=320, height=180
)
MEDIA = CampaignMedia(
    aerial=VideoFormat(codec="hevc", bit_depth=10, container="mov", b_frames=2),
    ground=VideoFormat(rotation=90, b_frames=2),
    srt_layout="p4p",
)


@pytest.fixture(scope="module")
def variant(tmp_path_factory) -> Path:
    return generate_campaign(tmp_path_factory.mktemp("variant") / "c", profile=TINY, workers=1, media=MEDIA)


def _manifest(campaign: Path) -> list[dict[str, str]]:
    with open(campaign / "manifest.csv", newline="") as stream:
        return list(csv.DictReader(stream))


def test_synth_writes_each_views_video_format(variant):
    for row in _manifest(variant):
        path = variant / row["video"]
        info = probe_video(path)
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stored = (stream.codec_context.width, stream.codec_context.height)
            pixels = stream.codec_context.format.name
        assert (info.width, info.height) == (320, 180)  # as shown
        if row["view"] == "aerial":
            assert (path.suffix, info.codec, pixels, info.rotation, stored) == (
                ".mov", "hevc", "yuv420p10le", 0, (320, 180)
            )  # fmt: skip
        else:  # stored upright-phone style: 180 wide, shown turned a quarter
            assert (path.suffix, info.codec, pixels, info.rotation, stored) == (
                ".mp4", "h264", "yuv420p", 90, (180, 320)
            )  # fmt: skip


def test_the_variant_campaign_passes_its_checks(variant):
    checked = check_campaign(load_campaign(variant))

    assert checked.warnings == []
    aerial = [c for c in checked.clips if c.clip.view == "aerial"]
    assert {c.telemetry.altitude_reference for c in aerial} == {ABOVE_TAKEOFF}
    assert all(len(c.telemetry.samples) == 2 for c in aerial)  # 1.2 s at one entry a second


def test_cli_writes_the_variants_it_is_asked_for(tmp_path, monkeypatch):
    monkeypatch.setitem(PROFILES, "demo", TINY)  # the demo's 24 identities take minutes to render here
    out = tmp_path / "c"
    options = ["--codec", "hevc", "--container", "mov", "--rotation", "270", "--resolution", "160x96"]
    result = CliRunner().invoke(main, ["synth", str(out), *options, "--srt-layout", "m300", "--workers", "1"])

    assert result.exit_code == 0, result.output
    rows = _manifest(out)
    ground = next(row for row in rows if row["view"] == "ground")
    info = probe_video(out / ground["video"])
    assert (info.codec, info.rotation, info.width, info.height) == ("hevc", 270, 160, 96)
    aerial = next(row for row in rows if row["view"] == "aerial")
    assert (out / aerial["telemetry"]).read_bytes().startswith(b"1\r\n00:00:00,000 --> 00:00:01,000\r\n")


def test_cli_refuses_an_unknown_srt_layout_with_exit_code_2(tmp_path):
    result = CliRunner().invoke(main, ["synth", str(tmp_path / "c"), "--srt-layout", "phantom9"])

    assert result.exit_code == 2 and "unknown SRT layout 'phantom9'" in result.output


def _entries(seconds: int, fps: int) -> list[SrtEntry]:
    """A drone climbing 2 m/s from 30 m (above take-off; its take-off point is 100 m above sea level) and
    drifting north-west: values that 1 Hz layouts, which round, still write exactly at whole seconds."""
    start = datetime(2026, 5, 1, 10, 0, 0)
    return [
        SrtEntry(
            frame=f, time_s=f / fps, duration_s=1 / fps, clock=start + timedelta(seconds=f / fps),
            latitude=22.5 + f / fps / 1000, longitude=113.9 - f / fps / 1000, rel_alt=30 + 2 * f / fps,
            abs_alt=130 + 2 * f / fps, iso=100, shutter_s=1 / 500, colour_temperature=5500, focal_mm=24.0,
        )
        for f in range(seconds * fps)
    ]  # fmt: skip


# layout: (altitude written, its reference, first instant with a reading)
EXPECTED = {
    "mavic3": (lambda t: 30 + 2 * t, ABOVE_TAKEOFF, 0.0),
    "air2s": (lambda t: 130 + 2 * t, UNKNOWN_REFERENCE, 0.0),
    "mavic2pro": (lambda t: None, None, 0.0),
    "p4p": (lambda t: 30 + 2 * t, ABOVE_TAKEOFF, 0.0),
    "mavicpro": (lambda t: 30 + 2 * t, ABOVE_TAKEOFF, 1.0),
    "m300": (lambda t: 30 + 2 * t, ABOVE_TAKEOFF, 0.0),
}


def test_every_srt_layout_is_tested():
    assert set(EXPECTED) == set(SRT_LAYOUTS)


@pytest.mark.parametrize("layout", sorted(EXPECTED))
def test_each_srt_layout_reads_back_on_the_videos_clock(tmp_path, layout):
    altitude, reference, first = EXPECTED[layout]
    path = tmp_path / "A.SRT"
    path.write_bytes(dji_srt(_entries(4, fps=10), layout))

    telemetry = read_telemetry(path)

    assert telemetry.altitude_reference == reference
    assert reading_at(telemetry, first - 0.1) is None
    for t in (first, 1.5, 2.3):  # between whole seconds, 1 Hz layouts interpolate the straight climb
        reading = reading_at(telemetry, t)
        expected = altitude(t)
        assert reading.altitude_m == (None if expected is None else pytest.approx(expected, abs=1e-3))
        assert (reading.latitude, reading.longitude) == (
            pytest.approx(22.5 + t / 1000, abs=1e-6),
            pytest.approx(113.9 - t / 1000, abs=1e-6),
        )
