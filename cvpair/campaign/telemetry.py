"""Reads DJI SRT telemetry, every generation of it, and places it on the video's clock.

An entry is placed by its subtitle time (`start --> end`), which DJI writes on the video's own clock
(seconds from the first presented frame), never by its number or `FrameCnt`: counters start anywhere
(a Mavic 2 Pro starts at 218) and skip dropped frames, and 1 Hz files write one entry per second.

Firmwares write three GPS layouts and five altitude fields. Each file must keep one layout from its
first entry to its last: a change means two recordings joined into one file, or a file cut short.
Altitude fields and what they are measured from:

| field | firmwares | reference |
| --- | --- | --- |
| `rel_alt` | Mavic 3, Air 3S, Mini 5 Pro, Avata, Neo 2 | above take-off |
| `H 45.60m` | Phantom 4 Pro / RTK, Mavic Mini | above take-off (DJI GO's H, height above home) |
| `BAROMETER:1.9` | Mavic Pro, Matrice 300 | above take-off (barometer zeroed at take-off) |
| `Hb:1.9` | Phantom 3/4-era firmware | above take-off (barometric height) |
| `[altitude: 117.0]` | Mavic 2, Air 2, Air 2S | unknown: the format does not say |

`abs_alt` (above sea level) is read only when no other altitude field is there.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cvpair.campaign.fields import to_float, to_int
from cvpair.campaign.model import Telemetry, TelemetrySample
from cvpair.campaign.problems import ProblemLog
from cvpair.errors import InputError
from cvpair.schema import ABOVE_SEA_LEVEL, ABOVE_TAKEOFF, UNKNOWN_REFERENCE

_CLOCK = r"(\d+):(\d\d):(\d\d)[,.](\d{1,3})"
_TIME = re.compile(rf"^{_CLOCK}\s*-->\s*{_CLOCK}$")
_VALUE = r"\s*:?\s*([^\s,\]\[]*)"
_BRACKET_LATITUDE = re.compile(r"\[\s*latitude\s*:\s*([^\]]*?)\s*\]")
_BRACKET_LONGITUDE = re.compile(r"\[\s*longt?itude\s*:\s*([^\]]*?)\s*\]")
_PAREN_GPS = re.compile(r"\bGPS\s*\(([^)]*)\)")
_ALTITUDES = (  # (field, pattern, reference), in order of preference
    ("rel_alt", re.compile(r"\brel_alt" + _VALUE), ABOVE_TAKEOFF),
    ("H", re.compile(r"(?:^|,)\s*H\s+([^\s,]*)"), ABOVE_TAKEOFF),
    ("BAROMETER", re.compile(r"\bBAROMETER" + _VALUE), ABOVE_TAKEOFF),
    ("Hb", re.compile(r"\bHb" + _VALUE), ABOVE_TAKEOFF),
    ("altitude", re.compile(r"\[\s*altitude\s*:\s*([^\]]*?)\s*\]"), UNKNOWN_REFERENCE),
    ("abs_alt", re.compile(r"\babs_alt" + _VALUE), ABOVE_SEA_LEVEL),
)
_NO_READING = {"", "n/a", "N/A"}
"""What firmwares write for a reading they do not have (before a satellite fix, for one)."""
_NONE = "none"
TIME_TOLERANCE_S = 0.0015
"""SRT times are rounded or cut to whole milliseconds; frame times are exact."""


@dataclass(frozen=True)
class Reading:
    """The drone's state at one instant, interpolated between the entries around it."""

    latitude: float | None
    longitude: float | None
    altitude_m: float | None


@dataclass(frozen=True)
class _Entry:
    line: int
    last_line: int
    lines: list[str]


@dataclass(frozen=True)
class _Parsed:
    sample: TelemetrySample
    layout: tuple[str, str]  # (GPS layout, altitude field)


def read_telemetry(path: Path) -> Telemetry:
    """The samples of an SRT file in time order; raises InputError naming the lines of every entry that
    cannot be read, a change of layout, overlapping times or a last entry cut short."""
    path = Path(path)
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    entries = list(_entries(text.splitlines()))
    log = ProblemLog(path)
    parsed = [p for entry in entries if (p := _parse(entry, log)) is not None]
    if not entries:
        log.add("empty", "holds no SRT entries")
    if not log:
        _check_layout(parsed, entries[-1], log)
    if not log:
        _check_times([p.sample for p in parsed], log)
    if log:
        raise InputError(log.problems(), headline=f"cannot read DJI telemetry {path}")
    altitude = parsed[0].layout[1]
    reference = next((ref for name, _, ref in _ALTITUDES if name == altitude), None)
    return Telemetry(path, tuple(p.sample for p in parsed), reference, _describe(*parsed[0].layout))


def _describe(gps: str, altitude: str) -> str:
    """A layout in words, for messages."""
    return f"{'no GPS' if gps == _NONE else 'GPS ' + gps}, {'no altitude' if altitude == _NONE else altitude}"


def reading_at(telemetry: Telemetry, time_s: float) -> Reading | None:
    """The state at `time_s` (seconds from the first presented frame): linear between the starts of the
    two entries around it (1 Hz files), the last entry's until its end, None outside the file's times
    or in a gap between entries."""
    samples = telemetry.samples
    starts = [s.start_s for s in samples]
    index = bisect.bisect_right(starts, time_s + TIME_TOLERANCE_S) - 1
    if index < 0:
        return None
    sample = samples[index]
    if time_s > sample.end_s + TIME_TOLERANCE_S:
        return None
    if index + 1 == len(samples) or time_s <= sample.start_s:
        return Reading(sample.latitude, sample.longitude, sample.altitude_m)
    following = samples[index + 1]
    weight = (time_s - sample.start_s) / (following.start_s - sample.start_s)
    return Reading(
        *(
            _between(getattr(sample, name), getattr(following, name), weight)
            for name in ("latitude", "longitude", "altitude_m")
        )
    )


def _between(first: float | None, second: float | None, weight: float) -> float | None:
    if first is None or second is None:
        return None
    return first + (second - first) * weight


def _entries(lines: list[str]) -> Iterator[_Entry]:
    """Blank-line separated SRT entries with their first and last line numbers."""
    entry: list[str] = []
    start = 0
    for number, line in enumerate(lines, start=1):
        if line.strip():
            if not entry:
                start = number
            entry.append(line.strip())
        elif entry:
            yield _Entry(start, number - 1, entry)
            entry = []
    if entry:
        yield _Entry(start, len(lines), entry)


def _seconds(hours: str, minutes: str, seconds: str, millis: str) -> float:
    return int(hours) * 3600 + int(minutes) * 60 + int(seconds) + int(millis.ljust(3, "0")) / 1000


class _Unreadable(Exception):
    """A value an entry writes but that cannot be read: (kind, message) for the problem log."""


def _parse(entry: _Entry, log: ProblemLog) -> _Parsed | None:
    timing = _TIME.match(entry.lines[1]) if len(entry.lines) > 1 else None
    if to_int(entry.lines[0]) is None or timing is None:
        message = (
            "an SRT entry starts with its number and a 'start --> end' time line; without it the entry "
            "cannot be placed on the video's clock"
        )
        log.add("no time line", message, line=entry.line)
        return None
    start, end = _seconds(*timing.groups()[:4]), _seconds(*timing.groups()[4:])
    if end < start:
        log.add("ends before it starts", "the entry ends before it starts", line=entry.line + 1)
        return None
    body = " ".join(entry.lines[2:])
    try:
        gps, latitude, longitude = _position(body)
        field, altitude = _altitude(body)
    except _Unreadable as unreadable:
        log.add(*unreadable.args, line=entry.line)
        return None
    sample = TelemetrySample(start, end, latitude, longitude, altitude, entry.line)
    return _Parsed(sample, (gps, field))


def _reading(name: str, text: str) -> float | None:
    """A number as firmwares write it (a unit letter may follow), None for no reading."""
    text = text.strip()
    if text in _NO_READING:
        return None
    value = to_float(text.rstrip("mM"))
    if value is None:
        raise _Unreadable(f"{name} not a number", f"{name} {text!r} is not a number")
    return value


def _position(body: str) -> tuple[str, float | None, float | None]:
    """(GPS layout, latitude, longitude); (0, 0), written before the satellite fix, is no position."""
    latitude_match, longitude_match = _BRACKET_LATITUDE.search(body), _BRACKET_LONGITUDE.search(body)
    paren = _PAREN_GPS.search(body)
    if latitude_match and longitude_match:
        layout = "[latitude] [longitude]"
        latitude = _reading("latitude", latitude_match.group(1))
        longitude = _reading("longitude", longitude_match.group(1))
    elif paren:
        parts = [part.strip() for part in paren.group(1).split(",")]
        if len(parts) != 3:
            raise _Unreadable("GPS values", f"GPS({paren.group(1)}) should hold three values")
        # Matrice 300 firmware writes (lat, lon, altitude with an M); every other (lon, lat, satellites).
        if parts[2].upper().endswith("M"):
            layout, order = "(lat, lon, altitude)", (0, 1)
        else:
            layout, order = "(lon, lat, satellites)", (1, 0)
        latitude = _reading("GPS latitude", parts[order[0]])
        longitude = _reading("GPS longitude", parts[order[1]])
    else:
        return _NONE, None, None
    if latitude is None or longitude is None or (latitude == 0 and longitude == 0):
        return layout, None, None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise _Unreadable("not a place", f"latitude {latitude} / longitude {longitude} is not a place")
    return layout, latitude, longitude


def _altitude(body: str) -> tuple[str, float | None]:
    """(altitude field, value) of the most telling altitude field the entry has."""
    for name, pattern, _ in _ALTITUDES:
        match = pattern.search(body)
        if match:
            return name, _reading(name, match.group(1))
    return _NONE, None


def _check_layout(parsed: list[_Parsed], last: _Entry, log: ProblemLog) -> None:
    """Every entry writes GPS and altitude as the first one does."""
    layout = parsed[0].layout
    for number, entry in enumerate(parsed):
        if entry.layout == layout:
            continue
        missing = all(found in (_NONE, kept) for found, kept in zip(entry.layout, layout, strict=True))
        if number == len(parsed) - 1 and missing:
            message = (
                f"the last entry (lines {last.line}-{last.last_line}) is cut short: it has "
                f"{_describe(*entry.layout)} where every entry before it has {_describe(*layout)}; "
                "delete it, or copy the file again from the drone's card"
            )
            log.add("cut short", message, line=entry.sample.line)
        else:
            message = (
                f"entries change layout here, from {_describe(*layout)} to {_describe(*entry.layout)}: "
                "two recordings joined into one file? Give each video its own SRT file"
            )
            log.add("layout change", message, line=entry.sample.line)
        return


def _check_times(samples: list[TelemetrySample], log: ProblemLog) -> None:
    """Entries follow each other in time without overlapping: times that go back, or repeat, mean
    files joined together, and no frame can be given one state."""
    for previous, sample in zip(samples, samples[1:], strict=False):
        if sample.start_s <= previous.start_s or sample.start_s < previous.end_s - TIME_TOLERANCE_S:
            message = (
                f"the entry at {sample.start_s:.3f} s overlaps the one on line {previous.line} "
                f"({previous.start_s:.3f}-{previous.end_s:.3f} s): several recordings joined into "
                "one file? Give each video its own SRT file"
            )
            log.add("overlap", message, line=sample.line)
