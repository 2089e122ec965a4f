"""Every real DJI SRT file in ../shared/real-inputs/srt/ is read right or refused with a clear message.

The expected values were read off each file by hand (its first and last entries, and the entries around
the instants looked up); PROVENANCE.md there says which drone wrote each file.
"""

from __future__ import annotations

import pytest

from cvpair.campaign.telemetry import read_telemetry, reading_at
from cvpair.errors import InputError
from cvpair.schema import ABOVE_TAKEOFF, UNKNOWN_REFERENCE
from tests.helpers.paths import REAL_INPUTS

SRT = REAL_INPUTS / "srt"
pytestmark = pytest.mark.skipif(not SRT.is_dir(), reason="../shared/real-inputs/ is not present")

# file: (entries, reference, first (start, end, lat, lon, alt), last (start, end, lat, lon, alt))
READABLE = {
    "air2s.srt": (
        17,
        UNKNOWN_REFERENCE,
        (0.0, 0.033, 41.424724, 2.234156, 117.0),
        (0.533, 0.567, 41.42473, 2.234102, 117.1),
    ),
    "air3s.SRT": (
        5,
        ABOVE_TAKEOFF,
        (0.0, 0.016, 34.270373, -84.17616, 0.0),
        (0.066, 0.082, 34.270373, -84.17616, 0.0),
    ),
    "avata360.SRT": (
        5,
        ABOVE_TAKEOFF,
        (0.0, 0.041, 53.36508, 6.460739, 5.4),
        (0.166, 0.207, 53.36508, 6.460739, 5.4),
    ),
    "m2zoom.head100.SRT": (
        100,
        UNKNOWN_REFERENCE,
        (0.0, 0.016, 31.452012, 74.398751, 213.983002),
        (1.651, 1.668, 31.452012, 74.398751, 214.001999),
    ),
    # Matrice 300 writes GPS(lat, lon, altitude M): latitude first
    "matrice_300.srt": (
        381,
        ABOVE_TAKEOFF,
        (0.0, 1.0, 36.6146, -6.112, 0.3),
        (380.0, 381.0, 36.6146, -6.112, 0.0),
    ),
    "mavic3.head100.srt": (
        100,
        ABOVE_TAKEOFF,
        (0.0, 0.02, 3.41531, -3.3744, -2.4),
        (1.98, 2.0, 3.41531, -3.3744, -2.4),
    ),
    "mavic_2pro_new.head100.SRT": (
        100,
        None,
        (0.0, 0.04, -35.080155, -60.286702, None),
        (4.92, 4.96, -35.080617, -60.286463, None),
    ),
    "mavic_air.SRT": (2, None, (0.0, 0.039, None, None, None), (0.039, 0.079, None, None, None)),
    "mavic_air2.srt": (
        25,
        UNKNOWN_REFERENCE,
        (0.0, 0.016, 41.420684, 2.162162, 27.3),
        (0.4, 0.416, 41.420686, 2.162162, 29.2),
    ),
    # GPS (lon, lat, satellites), H = height above take-off
    "mavic_mini.SRT": (
        117,
        ABOVE_TAKEOFF,
        (0.0, 1.0, 48.0771, -121.7458, 200.7),
        (116.0, 117.0, 48.0775, -121.7476, 200.8),
    ),
    # 1 Hz, first entry one second into the video
    "mavic_pro.SRT": (
        468,
        ABOVE_TAKEOFF,
        (1.0, 2.0, -20.2533, 149.0251, 1.9),
        (468.0, 469.0, -20.2532, 149.0251, 0.0),
    ),
    "mini5pro.SRT": (
        5,
        ABOVE_TAKEOFF,
        (0.0, 0.04, 53.365108, 6.460719, 6.0),
        (0.16, 0.2, 53.365109, 6.460718, 6.0),
    ),
    "neo2.SRT": (
        5,
        ABOVE_TAKEOFF,
        (0.0, 0.033, 45.607181, 13.75386, 0.0),
        (0.133, 0.166, 45.607181, 13.753859, 0.1),
    ),
    # (0, 0) before the satellite fix: no position
    "neo2_nogps.SRT": (
        6,
        ABOVE_TAKEOFF,
        (0.0, 0.033, None, None, 0.4),
        (0.165, 0.198, 32.848932, -84.861966, 0.4),
    ),
    "p4_rtk.SRT": (
        55,
        ABOVE_TAKEOFF,
        (0.0, 1.0, -34.237922, -58.851745, 85.8),
        (54.0, 55.0, -34.232349, -58.849196, 85.8),
    ),
    "p4p_sample.SRT": (5, ABOVE_TAKEOFF, (0.0, 1.0, 47.4692, 8.209, 45.6), (4.0, 5.0, 47.4692, 8.209, 45.6)),
    "phantom-old_format.SRT": (
        468,
        ABOVE_TAKEOFF,
        (1.0, 2.0, -20.2533, 149.0251, 1.9),
        (468.0, 469.0, -20.2532, 149.0251, 0.0),
    ),
}

REFUSED = {
    # cut after the date line of entry 20, which starts on line 115
    "broken_incomplete.SRT": (115, "is cut short"),
    # P4 RTK entries, then Mavic 2 Pro entries from entry 7 (line 25) on
    "mix_p4rtk_mavic2pro.srt": (25, "change layout"),
    # no 'start --> end' time lines: nothing places the entries on the video's clock
    "mavic_2_style.SRT": (1, "'start --> end' time line; without it the entry cannot be placed"),
}


def _values(sample):
    return (sample.start_s, sample.end_s, sample.latitude, sample.longitude, sample.altitude_m)


def _approx(values):
    return tuple(None if v is None else pytest.approx(v, abs=1e-9) for v in values)


def test_every_real_file_is_covered():
    assert {p.name for p in SRT.iterdir()} == set(READABLE) | set(REFUSED)


@pytest.mark.parametrize("name", sorted(READABLE))
def test_real_file_is_read_right(name):
    entries, reference, first, last = READABLE[name]

    telemetry = read_telemetry(SRT / name)

    assert len(telemetry.samples) == entries
    assert telemetry.altitude_reference == reference
    assert _values(telemetry.samples[0]) == _approx(first)
    assert _values(telemetry.samples[-1]) == _approx(last)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_real_file_is_refused_naming_the_line(name):
    line, message = REFUSED[name]

    with pytest.raises(InputError) as caught:
        read_telemetry(SRT / name)

    [problem] = caught.value.problems
    assert (problem.path, problem.line) == (SRT / name, line)
    assert message in problem.message


def test_a_layout_without_times_is_refused_once_with_a_count():
    with pytest.raises(InputError) as caught:
        read_telemetry(SRT / "mavic_2_style.SRT")

    assert "(468 times, next on lines 5, 9, 13, 17, 21, ...)" in caught.value.problems[0].message


def test_mavic_2_pro_entries_are_placed_by_time_not_by_frame_counter():
    """Its counter starts at 218 and skips dropped frames; times run on from 0 s."""
    telemetry = read_telemetry(SRT / "mavic_2pro_new.head100.SRT")

    at_25_fps = [reading_at(telemetry, frame / 25) for frame in (0, 121, 122, 123)]

    assert [(r.latitude, r.longitude) for r in at_25_fps] == [
        (-35.080155, -60.286702),  # entry 1 (FrameCnt 218)
        (pytest.approx(-35.080608), pytest.approx(-60.286467)),  # entry 99, 4.840 s
        (pytest.approx(-35.0806125), pytest.approx(-60.286465)),  # halfway to entry 100
        (pytest.approx(-35.080617), pytest.approx(-60.286463)),  # entry 100, 4.920 s
    ]


def test_one_hertz_file_is_interpolated_and_starts_where_its_first_entry_does():
    telemetry = read_telemetry(SRT / "mavic_pro.SRT")

    # BAROMETER 1.9 at 1 s and 2 s, 2.0 at 3 s; nothing before 1 s
    assert reading_at(telemetry, 0.5) is None
    assert reading_at(telemetry, 1.0).altitude_m == pytest.approx(1.9)
    assert reading_at(telemetry, 2.5).altitude_m == pytest.approx(1.95)
    assert reading_at(telemetry, 2.75).altitude_m == pytest.approx(1.975)
    # the last entry holds until its end (469 s), then nothing
    assert reading_at(telemetry, 468.9).altitude_m == 0.0
    assert reading_at(telemetry, 469.5) is None


def test_one_hertz_position_is_interpolated_in_both_coordinates():
    telemetry = read_telemetry(SRT / "p4_rtk.SRT")

    # entry 1 GPS (-58.851745, -34.237922) H 85.80m; entry 2 GPS (-58.851740, -34.237911) H 85.83m
    reading = reading_at(telemetry, 0.5)

    assert (reading.latitude, reading.longitude, reading.altitude_m) == (
        pytest.approx(-34.2379165),
        pytest.approx(-58.8517425),
        pytest.approx(85.815),
    )


def test_no_position_before_the_satellite_fix_is_not_interpolated():
    telemetry = read_telemetry(SRT / "neo2_nogps.SRT")

    between_no_fix_and_fix = reading_at(telemetry, 0.08)  # entry 3 (0.066 s) is (0, 0), entry 4 has a fix

    assert (between_no_fix_and_fix.latitude, between_no_fix_and_fix.altitude_m) == (None, 0.4)
