"""Reads MOTChallenge text (ground truth, tracker results, CVAT's "MOT 1.1" export) into an Annotation.

Two layouts, told apart by their column count (one per file):
- 9 columns, ground truth (MOT16/17/20, CVAT, Datumaro): frame, id, x, y, w, h, conf, class, visibility.
  conf is the "consider" flag: rows with 0 are ignore regions, left out (counted). class names come from a
  `labels.txt` beside the file (CVAT's export: class k is its line k), else MOTChallenge's own class list.
  Visibility under `OCCLUDED_BELOW_VISIBILITY` flags the box occluded; -1 means unknown.
- 10 columns (MOT15 ground truth, every tracker result): frame, id, x, y, w, h, conf, world x, y, z.
  There is no class: every track is taken as labelled `vehicle` (these files annotate one class).
Rows with id -1 are boxes not in any track (detections): left out, counted. MOT frames start at 1; MOT
frame n is video frame `start_frame + (n - 1) * frame_step`: 0 and 1 unless the manifest says otherwise,
except beside a `labels.txt` (CVAT's MOT export, which numbers a task's frames 1..N densely and loses the
task's start frame and step), where the manifest must say.

A MOTChallenge sequence folder (`gt/gt.txt`, `seqinfo.ini`) can be named instead of the file; its
`seqinfo.ini` (found beside `gt/`) gives the frame count, frame size and frame rate.
"""

from __future__ import annotations

import configparser
from collections import Counter
from pathlib import Path
from typing import NamedTuple

from cvpair.campaign.fields import to_float, to_int
from cvpair.campaign.model import Annotation, Box, Track, snapped_box
from cvpair.campaign.problems import ProblemLog
from cvpair.errors import InputError, Problem

GROUND_TRUTH = ("frame", "id", "x", "y", "w", "h", "conf", "class", "visibility")
TRACKER = ("frame", "id", "x", "y", "w", "h", "conf", "world_x", "world_y", "world_z")
OCCLUDED_BELOW_VISIBILITY = 0.5
"""A box whose visible fraction is under this is flagged occluded, like CVAT's `occluded`."""
MOT_CLASSES = (
    "pedestrian", "person on vehicle", "car", "bicycle", "motorbike", "non motorized vehicle",
    "static person", "distractor", "occluder", "occluder on the ground", "occluder full", "reflection",
)  # fmt: skip
"""MOTChallenge's classes, numbered from 1 (used when no labels.txt says otherwise)."""
UNCLASSED = "vehicle"
LABELS_FILE = "labels.txt"
SEQINFO = "seqinfo.ini"


def read_mot(path: Path, start_frame: int | None = None, frame_step: int | None = None) -> Annotation:
    """The tracks of a MOT file (or sequence folder) with video frame numbers; raises InputError naming
    every bad line (a problem repeated on many lines once, with a count)."""
    path = Path(path)
    gt = path / "gt" / "gt.txt" if path.is_dir() else path
    if not gt.is_file():
        raise InputError(Problem(path, "a MOTChallenge sequence folder needs gt/gt.txt"))
    start, step = start_frame or 0, frame_step or 1
    log = ProblemLog(gt)
    labels = _labels(gt.parent / LABELS_FILE, log)
    if (gt.parent / LABELS_FILE).is_file() and (start_frame is None or frame_step is None):
        log.add(
            "framing",
            f"{LABELS_FILE} beside it marks CVAT's MOT 1.1 export, which numbers the task's frames 1..N "
            "and loses the task's start frame and step: give them in manifest.csv's start_frame and "
            "frame_step columns (0 and 1 for a task of every frame of the video)",
            1,
        )
    boxes: dict[int, list[Box]] = {}
    first_line: dict[int, int] = {}
    label_of: dict[int, str] = {}
    ignored: Counter[str] = Counter()
    columns: tuple[str, ...] | None = None
    with open(gt, encoding="utf-8-sig", newline="") as stream:
        for number, text in enumerate(stream, start=1):
            if not text.strip():
                continue
            cells = [cell.strip() for cell in text.strip().split(",")]
            layout = {len(GROUND_TRUTH): GROUND_TRUTH, len(TRACKER): TRACKER}.get(len(cells))
            if layout is None or (columns is not None and layout != columns):
                expected = (
                    "9 (ground truth) or 10 (tracker results, MOT15)" if columns is None else len(columns)
                )
                log.add(
                    "columns",
                    f"{len(cells)} comma-separated columns, expected {expected}: MOTChallenge text is "
                    f"{','.join(GROUND_TRUTH)} or {','.join(TRACKER)} (MOTS masks and VATIC are not read)",
                    number,
                )
                continue
            columns = layout
            row = _row(cells, layout, labels, number, log)
            if row is None:
                continue
            frame, track_id, box, label, skip = row
            if skip:
                ignored[skip] += 1
                continue
            first_line.setdefault(track_id, number)
            label_of.setdefault(track_id, label)
            video_frame = start + (frame - 1) * step
            boxes.setdefault(track_id, []).append(box._replace(frame=video_frame))
    info = read_seqinfo(gt.parent.parent) if gt.parent.name == "gt" else None
    if log:
        raise InputError(log.problems(), headline=f"cannot read {gt}")
    tracks = tuple(
        Track(
            track_id=track_id,
            identity=None,
            boxes=tuple(sorted(found, key=lambda b: b.frame)),
            label=label_of[track_id],
            line=first_line[track_id],
        )
        for track_id, found in boxes.items()
    )
    length, width, height, fps = info or (None, None, None, None)
    return Annotation(
        path=gt,
        tracks=tracks,
        frame_count=length,
        frame_width=width,
        frame_height=height,
        last_frame=None if length is None else start + (length - 1) * step,
        ignored=tuple(sorted(ignored.items())),
        fps=fps,
        numbering=(
            f"MOT frame n read as video frame {start} + (n - 1) x {step} (manifest start_frame, frame_step); "
            "CVAT's MOT 1.1 export numbers a task's frames 1..N: give the task's start frame and step"
        ),
    )


def _row(
    cells: list[str], layout: tuple[str, ...], labels: tuple[str, ...], number: int, log: ProblemLog
) -> tuple[int, int, Box, str, str] | None:
    """(frame, id, box, label, why it is left out or "") of one row, or None with its problems logged."""
    frame, track_id = to_int(cells[0]), to_int(cells[1])
    x, y, w, h, conf = (to_float(cell) for cell in cells[2:7])
    if frame is None or track_id is None or None in (x, y, w, h, conf):
        log.add("numbers", "frame and id must be integers, x, y, w, h and conf numbers", number)
        return None
    if frame < 1:
        log.add("frame", f"frame {frame}: MOT frames are 1-based", number)
        return None
    # the sums carry float noise (10.5 + 20.3 = 30.800000000000004): drop it before snapping
    box = snapped_box(frame, x, y, round(x + w, 6), round(y + h, 6), False, False, number)
    if layout is TRACKER:
        return frame, track_id, box, UNCLASSED, "row(s) with id -1 (not in a track)" if track_id == -1 else ""
    class_id, visibility = to_int(cells[7]), to_float(cells[8])
    if conf not in (0, 1):
        log.add("conf", f"conf {cells[6]}: ground truth's conf is the 'consider' flag, 0 or 1", number)
        return None
    if class_id is None or not (class_id == -1 or 1 <= class_id <= len(labels)):
        log.add(
            "class", f"class {cells[7]!r} is not -1 or 1..{len(labels)} ({_label_source(labels)})", number
        )
        return None
    if visibility is None or not (visibility == -1 or 0 <= visibility <= 1):
        log.add("visibility", f"visibility {cells[8]!r} must be between 0 and 1 (or -1: unknown)", number)
        return None
    label = labels[class_id - 1] if class_id > 0 else ""
    box = box._replace(occluded=0 <= visibility < OCCLUDED_BELOW_VISIBILITY)
    skip = "row(s) with conf 0 (ignore regions)" if conf == 0 else ""
    skip = skip or ("row(s) with id -1 (not in a track)" if track_id == -1 else "")
    return frame, track_id, box, label, skip


def _label_source(labels: tuple[str, ...]) -> str:
    return "MOTChallenge's classes" if labels == MOT_CLASSES else f"the lines of {LABELS_FILE}"


def _labels(path: Path, log: ProblemLog) -> tuple[str, ...]:
    """The class names: `labels.txt` beside the file (one a line, class 1 first), else MOTChallenge's."""
    if not path.is_file():
        return MOT_CLASSES
    names = tuple(line.strip() for line in path.read_text(encoding="utf-8-sig").splitlines())
    while names and not names[-1]:
        names = names[:-1]
    if not names or "" in names:
        log.add("labels", "one class name a line, none empty", 1, path=path)
    return names


class SeqInfo(NamedTuple):
    """What a MOTChallenge sequence's seqinfo.ini says about its frames."""

    length: int
    width: int
    height: int
    fps: float


def read_seqinfo(sequence: Path) -> SeqInfo | None:
    """The seqinfo.ini of the sequence folder `sequence`, None if it has none; InputError if unreadable."""
    path = sequence / SEQINFO
    if not path.is_file():
        return None
    parser = configparser.ConfigParser()
    try:
        parser.read(path, encoding="utf-8-sig")
        section = parser["Sequence"]
    except (configparser.Error, KeyError):
        raise InputError(Problem(path, "not an ini file with a [Sequence] section")) from None
    values, problems = [], []
    for key, read in (
        ("seqlength", to_int),
        ("imwidth", to_int),
        ("imheight", to_int),
        ("framerate", to_float),
    ):
        value = read(section.get(key))
        if value is None or value <= 0:
            problems.append(Problem(path, f"{key} must be a positive number, got {section.get(key)!r}"))
        values.append(value)
    if problems:
        raise InputError(problems, headline=f"cannot read {path}")
    return SeqInfo(*values)
