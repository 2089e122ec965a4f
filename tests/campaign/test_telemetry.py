"""Reading DJI SRT telemetry: entries placed on the video's clock, faults named by file and line."""

from __future__ import annotations

import pytest

from cvpair.campaign import read_telemetry
from cvpair.campaign.telemetry import reading_at
from cvpair.errors import InputError
from cvpair.schema import ABOVE_TAKEOFF
from tests.helpers.campaign_files import srt_entry


def test_reads_times_position_and_altitude_above_takeoff(tmp_path):
    path = tmp_path / "A0001.SRT"
    path.write_text(srt_entry(0) + srt_entry(1, latitude=22.123456, longitude=113.654321, rel_alt=50.5))

    telemetry = read_telemetry(path)
    first, second = telemetry.samples

    assert (first.start_s, first.end_s, first.line) == (0.0, 0.04, 1)
    assert (second.start_s, second.latitude, second.longitude) == (0.04, 22.123456, 113.654321)
    assert second.altitude_m == 50.5  # rel_alt, not abs_alt (85.5)
    assert telemetry.altitude_reference == ABOVE_TAKEOFF


def test_entries_are_found_by_time_not_by_number(tmp_path):
    """A file whose counters start at 218 still starts on the video's first frame."""
    path = tmp_path / "A0001.SRT"
    first = srt_entry(0, rel_alt=10).replace("FrameCnt: 1,", "FrameCnt: 218,")
    path.write_text(first + srt_entry(1, rel_alt=20))

    telemetry = read_telemetry(path)

    assert [reading_at(telemetry, t).altitude_m for t in (0.0, 0.02, 0.04)] == [10, 15, 20]


def test_older_firmware_spelling_and_missing_fields(tmp_path):
    path = tmp_path / "old.SRT"
    path.write_text("1\r\n00:00:00,000 --> 00:00:00,033\r\n[latitude : 22.5] [longtitude : 113.9]\r\n")

    telemetry = read_telemetry(path)
    [sample] = telemetry.samples

    assert (sample.latitude, sample.longitude, sample.altitude_m) == (22.5, 113.9, None)
    assert telemetry.altitude_reference is None


def test_malformed_entries_are_named_by_line(tmp_path):
    path = tmp_path / "bad.SRT"
    good, bad = srt_entry(0), srt_entry(1).replace("-->", "to")
    path.write_text(good + bad + "three\n00:00:00,080 --> 00:00:00,120\n")

    with pytest.raises(InputError) as caught:
        read_telemetry(path)

    first_bad = good.count("\n") + 1
    [problem] = caught.value.problems  # the same fault twice: reported once, with its count
    assert (problem.path, problem.line) == (path, first_bad)
    assert f"(2 times, next on lines {first_bad + 6})" in problem.message


def test_a_value_that_is_not_a_number_is_refused(tmp_path):
    path = tmp_path / "bad.SRT"
    path.write_text(srt_entry(0) + srt_entry(1).replace("rel_alt: 45.200", "rel_alt: 4x.2"))

    with pytest.raises(InputError, match="rel_alt '4x.2' is not a number") as caught:
        read_telemetry(path)

    assert caught.value.problems[0].line == 7


def test_times_that_go_back_are_refused_as_joined_files(tmp_path):
    path = tmp_path / "joined.SRT"
    path.write_text(srt_entry(0) + srt_entry(1) + srt_entry(0))

    with pytest.raises(InputError, match="overlaps the one on line 7") as caught:
        read_telemetry(path)

    assert caught.value.problems[0].line == 13


def test_overlapping_times_are_refused(tmp_path):
    path = tmp_path / "overlap.SRT"
    path.write_text(srt_entry(0) + srt_entry(1).replace("00:00:00,040 -->", "00:00:00,020 -->"))

    with pytest.raises(InputError, match=r"entry at 0\.020 s overlaps the one on line 1 \(0\.000-0\.040 s\)"):
        read_telemetry(path)


def test_last_entry_cut_short_is_refused(tmp_path):
    path = tmp_path / "cut.SRT"
    whole = srt_entry(0) + srt_entry(1)
    path.write_text(whole[: whole.index("[latitude", len(srt_entry(0)))])

    with pytest.raises(InputError, match="the last entry .* is cut short") as caught:
        read_telemetry(path)

    assert caught.value.problems[0].line == 7


def test_gps_before_the_fix_is_no_position(tmp_path):
    path = tmp_path / "nofix.SRT"
    path.write_text(srt_entry(0, latitude=0.0, longitude=0.0) + srt_entry(1))

    first, second = read_telemetry(path).samples

    assert (first.latitude, first.longitude) == (None, None)
    assert (second.latitude, second.longitude) == (22.5, 113.9)


def test_no_reading_outside_the_files_times(tmp_path):
    path = tmp_path / "A.SRT"
    path.write_text(srt_entry(0) + srt_entry(1))

    telemetry = read_telemetry(path)

    assert reading_at(telemetry, 0.079).altitude_m == 45.2
    assert reading_at(telemetry, 0.09) is None
