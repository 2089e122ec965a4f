"""Reads DJI-style SRT telemetry: one subtitle entry per video frame with the drone's position and height.

DJI firmwares differ in spacing and even spelling (`longtitude`), so fields are found with tolerant
patterns; a field a firmware does not write becomes None rather than an error.
"""

from __future__ import annotations

import re
from pathlib import Path

from cvpair.campaign.fields import to_float, to_int
from cvpair.campaign.model import TelemetrySample
from cvpair.errors import InputError, Problem

_TIME = re.compile(r"^(\d+):(\d\d):(\d\d)[,.](\d{1,3})\s*-->\s*\d+:\d\d:\d\d[,.]\d{1,3}$")
_NUMBER = r"\s*:?\s*([-+]?\d+(?:\.\d+)?)"
_FIELDS = {
    "frame": re.compile(r"FrameCnt" + _NUMBER),
    "latitude": re.compile(r"\[\s*latitude" + _NUMBER),
    "longitude": re.compile(r"\[\s*longt?itude" + _NUMBER),
    "rel_alt_m": re.compile(r"rel_alt" + _NUMBER),
    "abs_alt_m": re.compile(r"abs_alt" + _NUMBER),
}


def read_telemetry(path: Path) -> list[TelemetrySample]:
    """The samples of an SRT file in file order; raises InputError naming every malformed entry's line."""
    path = Path(path)
    lines = path.read_text(encoding="utf-8-sig", errors="replace").splitlines()
    samples: list[TelemetrySample] = []
    problems: list[Problem] = []
    for start, entry in _entries(lines):
        index = to_int(entry[0].strip())
        timing = _TIME.match(entry[1].strip()) if len(entry) > 1 else None
        if index is None or timing is None:
            problems.append(
                Problem(path, "SRT entry must start with its number and a 'start --> end' time", line=start)
            )
            continue
        hours, minutes, seconds, millis = timing.groups()
        text = " ".join(entry[2:])
        found = {name: pattern.search(text) for name, pattern in _FIELDS.items()}
        values = {name: to_float(match.group(1)) if match else None for name, match in found.items()}
        frame_count = values.pop("frame")
        samples.append(
            TelemetrySample(
                frame=int(frame_count if frame_count is not None else index) - 1,
                time_s=int(hours) * 3600
                + int(minutes) * 60
                + int(seconds)
                + int(millis.ljust(3, "0")) / 1000,
                **values,
            )
        )
    if problems:
        raise InputError(problems, headline=f"cannot read {path}")
    return samples


def _entries(lines: list[str]):
    """(first line number, lines) of each blank-line separated SRT entry."""
    entry: list[str] = []
    start = 0
    for number, line in enumerate(lines, start=1):
        if line.strip():
            if not entry:
                start = number
            entry.append(line)
        elif entry:
            yield start, entry
            entry = []
    if entry:
        yield start, entry
