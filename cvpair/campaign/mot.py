"""Reads MOT Challenge ground truth (gt.txt) into an Annotation.

Columns: frame (1-based), id, x, y, w, h, conf, class, visibility. MOT files carry no identity: it comes
from the campaign's identities.csv. Rows whose conf (the "consider" flag of MOT ground truth) is 0 are
ignore regions, not vehicles, and are skipped; `class` is not used (every other row is a vehicle).
"""

from __future__ import annotations

from pathlib import Path

from cvpair.campaign.fields import to_float, to_int
from cvpair.campaign.model import Annotation, Box, Track
from cvpair.errors import InputError, Problem

COLUMNS = ("frame", "id", "x", "y", "w", "h", "conf", "class", "visibility")
OCCLUDED_BELOW_VISIBILITY = 0.5
"""A box whose visible fraction is under this is flagged occluded, like CVAT's `occluded`."""


def read_mot(path: Path) -> Annotation:
    """The tracks of a gt.txt file in order of first appearance; raises InputError naming every bad line."""
    path = Path(path)
    boxes: dict[int, list[Box]] = {}
    first_line: dict[int, int] = {}
    problems: list[Problem] = []
    with open(path, encoding="utf-8-sig") as stream:
        for number, text in enumerate(stream, start=1):
            if not text.strip():
                continue
            cells = text.strip().split(",")
            if len(cells) != len(COLUMNS):
                problems.append(
                    Problem(
                        path,
                        f"{len(cells)} columns, expected {len(COLUMNS)}: {','.join(COLUMNS)}",
                        line=number,
                    )
                )
                continue
            frame, track_id = to_int(cells[0]), to_int(cells[1])
            x, y, w, h, conf, _, visibility = (to_float(cell) for cell in cells[2:])
            if frame is None or track_id is None or None in (x, y, w, h, conf, visibility):
                problems.append(
                    Problem(path, "frame and id must be integers, the other columns numbers", line=number)
                )
                continue
            if frame < 1:
                problems.append(Problem(path, f"frame {frame}: MOT frames are 1-based", line=number))
                continue
            if conf == 0:
                continue
            occluded = 0 <= visibility < OCCLUDED_BELOW_VISIBILITY
            first_line.setdefault(track_id, number)
            boxes.setdefault(track_id, []).append(
                Box(frame=frame - 1, x=x, y=y, w=w, h=h, occluded=occluded, line=number)
            )
    if problems:
        raise InputError(problems, headline=f"cannot read {path}")
    tracks = tuple(
        Track(
            track_id=track_id,
            identity=None,
            boxes=tuple(sorted(found, key=lambda b: b.frame)),
            line=first_line[track_id],
        )
        for track_id, found in boxes.items()
    )
    return Annotation(path=path, tracks=tracks)
