"""Reading DJI SRT telemetry: one sample per subtitle entry, tolerant of firmware differences."""

from __future__ import annotations

import pytest

from cvpair.campaign import read_telemetry
from cvpair.errors import InputError
from tests.campaign_files import srt_entry


def test_reads_frame_time_position_and_altitudes(tmp_path):
    path = tmp_path / "A0001.SRT"
    path.write_text(srt_entry(0) + srt_entry(26, latitude=22.123456, longitude=113.654321, rel_alt=50.5))

    first, second = read_telemetry(path)

    assert (first.frame, first.time_s) == (0, 0.0)
    assert (second.frame, second.time_s) == (26, pytest.approx(1.04))
    assert (second.latitude, second.longitude) == (22.123456, 113.654321)
    assert (second.rel_alt_m, second.abs_alt_m) == (50.5, 85.5)


def test_older_firmware_spelling_and_missing_fields(tmp_path):
    path = tmp_path / "old.SRT"
    path.write_text("1\r\n00:00:00,000 --> 00:00:00,033\r\n[latitude : 22.5] [longtitude : 113.9]\r\n")

    [sample] = read_telemetry(path)

    assert (sample.frame, sample.latitude, sample.longitude) == (0, 22.5, 113.9)
    assert (sample.rel_alt_m, sample.abs_alt_m) == (None, None)


def test_malformed_entries_are_named_by_line(tmp_path):
    path = tmp_path / "bad.SRT"
    good, bad = srt_entry(0), srt_entry(1).replace("-->", "to")
    path.write_text(good + bad + "three\n00:00:00,080 --> 00:00:00,120\n")

    with pytest.raises(InputError) as caught:
        read_telemetry(path)

    first_bad = good.count("\n") + 1
    assert [(p.path, p.line) for p in caught.value.problems] == [(path, first_bad), (path, first_bad + 6)]
