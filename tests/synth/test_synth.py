"""The synthetic campaign generator: layout and formats a real campaign has, determinism, and boxes that
really enclose the rendered vehicles."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path
from xml.etree import ElementTree as ET

import av
import numpy as np
import pytest
from click.testing import CliRunner

from cvpair.campaign import read_telemetry
from cvpair.cli import main
from cvpair.errors import InputError
from cvpair.schema import ABOVE_TAKEOFF
from cvpair.synth import SynthProfile, generate_campaign

TINY = SynthProfile.alike(
    "tiny", identities=4, appearances=1, vehicles_per_clip=2, clip_seconds=1.2, width=320, height=180
)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return generate_campaign(tmp_path_factory.mktemp("tiny") / "a", profile=TINY, seed=0, workers=1)


def _manifest(root: Path) -> list[dict[str, str]]:
    with open(root / "manifest.csv", newline="") as stream:
        return list(csv.DictReader(stream))


def _rate_and_count(video: Path) -> tuple[int, int]:
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        return int(stream.average_rate), stream.frames


def _frames(video: Path) -> list[np.ndarray]:
    with av.open(str(video)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


def _identities_by_view(root: Path) -> dict[str, set[int]]:
    seen = defaultdict(set)
    for row in _manifest(root):
        xml = ET.parse(root / row["annotation"])
        for attribute in xml.iterfind("track/box/attribute[@name='identity']"):
            seen[row["view"]].add(int(attribute.text))
    return seen


def test_campaign_has_the_contract_layout(tiny):
    rows = _manifest(tiny)
    assert (tiny / "manifest.csv").read_text().splitlines()[
        0
    ] == "clip,video,annotation,view,device,telemetry"
    assert {row["view"] for row in rows} == {"aerial", "ground"}
    for row in rows:
        assert row["video"] == f"videos/{row['clip']}.mp4" and (tiny / row["video"]).is_file()
        assert row["annotation"] == f"annotations/{row['clip']}.xml" and (tiny / row["annotation"]).is_file()
        expected_telemetry = f"telemetry/{row['clip']}.SRT" if row["view"] == "aerial" else ""
        assert row["telemetry"] == expected_telemetry
    assert not [p for p in tiny.parent.iterdir() if p.name.startswith(".")], "staging folder left behind"


def test_videos_are_h264_at_the_profile_size_and_rate(tiny):
    for row in _manifest(tiny):
        with av.open(str(tiny / row["video"])) as container:
            stream = container.streams.video[0]
            assert stream.codec_context.name == "h264"
            assert (stream.width, stream.height) == (320, 180)
            assert stream.average_rate in (25, 30)
            assert stream.frames == round(1.2 * stream.average_rate)


def test_same_seed_gives_identical_files_and_frames_whatever_the_workers(tiny, tmp_path):
    again = generate_campaign(tmp_path / "b", profile=TINY, seed=0, workers=2)
    for row in _manifest(tiny):
        for key in ("annotation", "telemetry"):
            if row[key]:
                assert (tiny / row[key]).read_bytes() == (again / row[key]).read_bytes()
        first, second = _frames(tiny / row["video"]), _frames(again / row["video"])
        assert len(first) == len(second) and all(
            np.array_equal(a, b) for a, b in zip(first, second, strict=True)
        )
    assert (tiny / "manifest.csv").read_bytes() == (again / "manifest.csv").read_bytes()


def test_another_seed_gives_another_campaign(tiny, tmp_path):
    other = generate_campaign(tmp_path / "c", profile=TINY, seed=1, workers=1)
    assert (tiny / "annotations/A0001.xml").read_bytes() != (other / "annotations/A0001.xml").read_bytes()
    assert not np.array_equal(_frames(tiny / "videos/G0001.mp4")[0], _frames(other / "videos/G0001.mp4")[0])


def test_cvat_xml_follows_cvat_for_video_1_1(tiny):
    for row in _manifest(tiny):
        _, frames = _rate_and_count(tiny / row["video"])
        root = ET.parse(tiny / row["annotation"]).getroot()
        assert root.tag == "annotations" and root.findtext("version") == "1.1"
        task = root.find("meta/task")
        assert task.findtext("size") == str(frames) and task.findtext("mode") == "interpolation"
        assert (task.findtext("start_frame"), task.findtext("stop_frame")) == ("0", str(frames - 1))
        assert (task.findtext("original_size/width"), task.findtext("original_size/height")) == ("320", "180")
        label = task.find("labels/label")
        assert label.findtext("name") == "vehicle"
        attribute = label.find("attributes/attribute")
        assert (attribute.findtext("name"), attribute.findtext("input_type")) == ("identity", "number")
        tracks = root.findall("track")
        assert tracks and len({t.get("id") for t in tracks}) == len(tracks)
        for track in tracks:
            assert track.get("label") == "vehicle"
            frames = [int(b.get("frame")) for b in track.findall("box")]
            assert frames == sorted(set(frames))
            for box in track.findall("box"):
                assert {
                    "frame",
                    "keyframe",
                    "outside",
                    "occluded",
                    "xtl",
                    "ytl",
                    "xbr",
                    "ybr",
                    "z_order",
                } <= set(box.keys())
                xtl, ytl, xbr, ybr = (float(box.get(k)) for k in ("xtl", "ytl", "xbr", "ybr"))
                assert 0 <= xtl < xbr <= 320 and 0 <= ytl < ybr <= 180
                assert box.find("attribute[@name='identity']").text.isdigit()


def test_every_identity_appears_from_the_drone_and_from_the_street(tiny):
    seen = _identities_by_view(tiny)
    assert seen["aerial"] == seen["ground"] == {1, 2, 3, 4}


def test_srt_has_one_entry_per_frame_with_drone_altitude_and_gps(tiny):
    for row in _manifest(tiny):
        if row["view"] != "aerial":
            continue
        fps, frames = _rate_and_count(tiny / row["video"])
        step = round(1000 / fps)
        first = f'1\n00:00:00,000 --> 00:00:00,0{step}\n<font size="28">FrameCnt: 1, DiffTime: {step}ms\n'
        assert (tiny / row["telemetry"]).read_text().startswith(first)
        telemetry = read_telemetry(tiny / row["telemetry"])
        samples = telemetry.samples
        assert [s.start_s for s in samples] == pytest.approx([f / fps for f in range(frames)], abs=1e-3)
        assert telemetry.altitude_reference == ABOVE_TAKEOFF
        assert all(20 <= s.altitude_m <= 120 for s in samples)
        assert all(-90 <= s.latitude <= 90 and -180 <= s.longitude <= 180 for s in samples)


def test_an_existing_campaign_is_never_overwritten(tiny):
    with pytest.raises(InputError, match="not empty"):
        generate_campaign(tiny, profile=TINY)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failed_generation_leaves_nothing_that_looks_complete(tmp_path, workers):
    # H.264 in 4:2:0 refuses odd frame sizes: the encoder fails on the first clip
    odd = SynthProfile.alike("odd", 4, 1, 2, 0.2, width=321, height=181, frame_rates=(25,), sites=1)
    with pytest.raises(Exception):  # noqa: B017 - whatever the encoder raises
        generate_campaign(tmp_path / "broken", profile=odd, workers=workers)
    assert list(tmp_path.iterdir()) == []


def test_cli_refuses_an_existing_folder_with_exit_code_2(tiny):
    result = CliRunner().invoke(main, ["synth", str(tiny)])
    assert result.exit_code == 2 and "not empty" in result.output


@pytest.mark.slow
def test_demo_profile_has_24_identities_in_both_views(demo_campaign):
    rows = _manifest(demo_campaign)
    assert len(rows) == 12
    seen = _identities_by_view(demo_campaign)
    assert seen["aerial"] == seen["ground"] == set(range(1, 25))
