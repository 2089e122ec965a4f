"""Reads a campaign folder's manifest.csv (one row per clip), optional identities.csv and label map.

Problems a row can have are collected on the Campaign so that check_campaign reports them together with
everything else; only a manifest that cannot be read at all (missing, or missing columns) raises here.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from cvpair.campaign.fields import to_int
from cvpair.campaign.labels import vehicle_labels
from cvpair.campaign.model import Campaign, Clip
from cvpair.errors import InputError, Problem

MANIFEST = "manifest.csv"
IDENTITIES = "identities.csv"
MANIFEST_COLUMNS = ("clip", "video", "annotation", "view", "device")
"""Required manifest columns. Optional ones (each may be empty on a row): `telemetry`; `task` (the clip's
task in a CVAT export of several tasks); `start_frame` and `frame_step` (how MOT frames 1, 2, ... map to
video frames, for a CVAT MOT export of a task that does not start at frame 0 or skips frames)."""
IDENTITY_COLUMNS = ("clip", "track", "identity")


def load_campaign(root: Path) -> Campaign:
    """The clips of the campaign folder `root`, with paths made absolute, and its identity links."""
    root = Path(root).resolve()
    manifest = root / MANIFEST
    if not manifest.is_file():
        raise InputError(Problem(manifest, "not found: a campaign folder needs a manifest.csv"))
    problems: list[Problem] = []
    clips = []
    for line, row in _rows(manifest, MANIFEST_COLUMNS, problems):
        telemetry = row.get("telemetry") or ""
        start_frame, frame_step = (
            _optional_int(manifest, row, line, name, low, problems) for name, low in FRAMING
        )
        clips.append(
            Clip(
                clip_id=row["clip"],
                video=root / row["video"],
                annotation=root / row["annotation"],
                view=row["view"],
                device=row["device"],
                telemetry=root / telemetry if telemetry else None,
                manifest_line=line,
                task=row.get("task") or None,
                start_frame=start_frame,
                frame_step=frame_step,
            )
        )
    if not clips and problems:
        raise InputError(problems, headline=f"cannot read {manifest}")
    links = _identity_links(root / IDENTITIES, problems)
    return Campaign(
        root=root,
        clips=tuple(clips),
        identity_links=links,
        vehicle_labels=vehicle_labels(root),
        problems=tuple(problems),
    )


FRAMING = (("start_frame", 0), ("frame_step", 1))
"""The optional manifest columns that map MOT frames to video frames, with their smallest value."""


def _optional_int(
    path: Path, row: dict[str, str], line: int, name: str, low: int, problems: list[Problem]
) -> int | None:
    text = row.get(name) or ""
    if not text:
        return None
    value = to_int(text)
    if value is None or value < low:
        problems.append(Problem(path, f"{name} must be an integer >= {low}, got {text!r}", line=line))
    return value


def _identity_links(path: Path, problems: list[Problem]) -> dict[tuple[str, int], int]:
    links: dict[tuple[str, int], int] = {}
    if not path.is_file():
        return links
    first_line: dict[tuple[str, int], int] = {}
    for line, row in _rows(path, IDENTITY_COLUMNS, problems):
        track, identity = to_int(row["track"]), to_int(row["identity"])
        if track is None or identity is None or identity < 0:
            problems.append(Problem(path, "track and identity must be integers (identity >= 0)", line=line))
            continue
        key = (row["clip"], track)
        if key in links and links[key] != identity:
            problems.append(
                Problem(
                    path,
                    f"clip {key[0]} track {track} is given identity {identity} here but {links[key]} "
                    f"on line {first_line[key]}",
                    line=line,
                )
            )
            continue
        links[key], first_line[key] = identity, line
    return links


def _rows(
    path: Path, required: tuple[str, ...], problems: list[Problem]
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, row) for each complete row of a CSV file; rows with a wrong cell count or an empty required
    cell become problems. A header without the required columns is one problem and yields nothing."""
    with open(path, newline="", encoding="utf-8-sig") as stream:
        reader = csv.reader(stream)
        header = [name.strip() for name in next(reader, [])]
        missing = [name for name in required if name not in header]
        if missing:
            problems.append(
                Problem(
                    path, f"header lacks column(s) {', '.join(missing)}; needs {','.join(required)}", line=1
                )
            )
            return
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                problems.append(Problem(path, f"{len(cells)} cells, the header has {len(header)}", line=line))
                continue
            row = {name: cell.strip() for name, cell in zip(header, cells, strict=True)}
            empty = [name for name in required if not row[name]]
            if empty:
                problems.append(Problem(path, f"empty {', '.join(empty)}", line=line))
                continue
            yield line, row
