"""Checks one clip's tracks against its video, and returns them ready for cropping.

Pure logic over records: tracks whose label is not a vehicle label (the label map) are left out and
counted, boxes are tested against the probed frame count and frame size, slightly outside boxes are
clipped (a warning), and every track's identity is resolved from its boxes' `identity` attribute or the
campaign's identities.csv (which wins). A problem met on many boxes is reported once, with a count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path

from cvpair.campaign.labels import default_vehicle_labels
from cvpair.campaign.model import Annotation, Box, Track, VideoInfo
from cvpair.campaign.problems import ProblemLog
from cvpair.errors import Problem

MAX_OUTSIDE_FRACTION = 0.25
"""A box with at most this fraction of its area outside the frame is clipped to it; more is an error."""


@dataclass
class TrackCheck:
    """The checked annotation (only valid, clipped vehicle tracks), with what was wrong and what was fixed."""

    annotation: Annotation
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def check_tracks(
    annotation: Annotation,
    video: VideoInfo,
    identity_links: dict[int, int],
    max_outside: float = MAX_OUTSIDE_FRACTION,
    vehicle_labels: frozenset[str] | None = None,
) -> TrackCheck:
    """Check `annotation` against `video`; `identity_links` maps this clip's track ids to identities;
    `vehicle_labels`: the labels that are vehicles (default: annotation/vehicle_labels.txt)."""
    path = annotation.path
    labels = default_vehicle_labels() if vehicle_labels is None else vehicle_labels
    result = TrackCheck(annotation)
    boxes_log, left_out = ProblemLog(path), ProblemLog(path)
    _check_task_matches_video(annotation, video, result)
    first_line: dict[int, int | None] = {}
    tracks = []
    for track in annotation.tracks:
        if track.track_id in first_line:
            where = f" (first on line {first_line[track.track_id]})" if first_line[track.track_id] else ""
            result.errors.append(
                Problem(path, f"duplicate track id {track.track_id}{where}", line=track.line)
            )
            continue
        first_line[track.track_id] = track.line
        if track.label.lower() not in labels:
            message = f"track {track.track_id} is labelled {track.label!r}, not a vehicle label: left out"
            left_out.add(track.label, message, track.line)
            continue
        if not track.boxes:
            result.warnings.append(
                Problem(path, f"track {track.track_id} has no boxes: ignored", line=track.line)
            )
            continue
        identity = _identity(track, identity_links.get(track.track_id), path, result.errors)
        boxes = _checked_boxes(track, video, max_outside, annotation.numbering, boxes_log, result)
        tracks.append(replace(track, identity=identity, boxes=boxes))
    result.errors += boxes_log.problems()
    result.warnings += left_out.problems() + [
        Problem(path, f"{count} {what} left out (only vehicle boxes become crops)")
        for what, count in annotation.ignored
    ]
    if not tracks and not result.errors:
        found = sorted({track.label for track in annotation.tracks})
        result.errors.append(
            Problem(
                path,
                f"no track with a vehicle label ({', '.join(sorted(labels))}) and boxes, so no crops "
                f"(labels found: {', '.join(map(repr, found)) or 'none'}); if some are vehicles, list "
                "them in the campaign's vehicle_labels.txt",
            )
        )
    _check_identity_overlaps(tracks, path, result.errors)
    result.annotation = replace(
        annotation, tracks=tuple(tracks), frame_width=video.width, frame_height=video.height
    )
    return result


def _check_task_matches_video(annotation: Annotation, video: VideoInfo, result: TrackCheck) -> None:
    """The task was made on this video: boxes drawn on another frame size would crop the wrong place."""
    annotated = (annotation.frame_width, annotation.frame_height)
    if None not in annotated and annotated != (video.width, video.height):
        result.errors.append(
            Problem(
                annotation.path,
                f"annotated on {annotated[0]}x{annotated[1]} frames, "
                f"but the video is {video.width}x{video.height}",
            )
        )
    # A task may cover part of the video (start / stop / step), never frames past its end.
    if annotation.last_frame is not None and annotation.last_frame >= video.frame_count:
        result.errors.append(
            Problem(
                annotation.path,
                f"the annotation covers video frames up to {annotation.last_frame} (CVAT stop_frame / MOT "
                f"seqLength), but the video has {video.frame_count} frames: is it the right video?",
            )
        )
    if annotation.fps is not None and not math.isclose(annotation.fps, video.fps, rel_tol=0.01):
        result.warnings.append(
            Problem(
                annotation.path, f"the annotation says {annotation.fps:g} fps, the video is {video.fps:g} fps"
            )
        )


def _identity(track: Track, linked: int | None, path: Path, errors: list[Problem]) -> int | None:
    """identities.csv wins; otherwise the boxes' attribute, which must be the same on every box."""
    if linked is not None:
        return linked
    first = next((box for box in track.boxes if box.identity is not None), None)
    if first is None:
        errors.append(
            Problem(
                path,
                f"track {track.track_id} has no identity (no `identity` attribute on its boxes, "
                "no row in identities.csv)",
                line=track.line,
            )
        )
        return None
    other = next((box for box in track.boxes if box.identity not in (None, first.identity)), None)
    if other is not None:
        errors.append(
            Problem(
                path,
                f"track {track.track_id} has identity {other.identity} here "
                f"but {first.identity} on line {first.line}",
                line=other.line,
                frame=other.frame,
            )
        )
        return None
    if first.identity < 0:
        message = f"track {track.track_id} has identity {first.identity}: not set (CVAT's default is -1)"
        errors.append(Problem(path, message, line=first.line, frame=first.frame))
        return None
    return first.identity


def _check_identity_overlaps(tracks: list[Track], path: Path, errors: list[Problem]) -> None:
    """One vehicle cannot be seen twice in one frame: two tracks with the same identity visible at the same
    frame mean a wrong identity (often one left at a default value)."""
    seen: dict[tuple[int, int], Track] = {}  # (identity, frame) -> track visible there
    reported: set[tuple[int, int]] = set()
    for track in tracks:
        if track.identity is None:
            continue
        for box in track.boxes:
            if box.outside:
                continue
            other = seen.setdefault((track.identity, box.frame), track)
            if other is not track and (other.track_id, track.track_id) not in reported:
                reported.add((other.track_id, track.track_id))
                message = f"tracks {other.track_id} and {track.track_id} both show identity {track.identity}"
                errors.append(Problem(path, message, line=box.line, frame=box.frame))


def _checked_boxes(
    track: Track, video: VideoInfo, max_outside: float, numbering: str, log: ProblemLog, result: TrackCheck
) -> tuple[Box, ...]:
    """The track's boxes with slightly-outside ones clipped; bad boxes go to the log."""
    boxes: list[Box] = []
    seen: dict[int, int | None] = {}
    clipped: list[tuple[Box, float]] = []
    for box in track.boxes:
        error = _box_error(box, video, seen, numbering)
        seen.setdefault(box.frame, box.line)
        if error:
            kind, message = error
            log.add(kind, f"track {track.track_id}: {message}", box.line, box.frame)
            continue
        if box.outside:
            boxes.append(box)
            continue
        outside_fraction = _outside_fraction(box, video.width, video.height)
        if outside_fraction > max_outside:
            log.add(
                "mostly outside",
                f"track {track.track_id}: {outside_fraction:.0%} of the box lies outside the "
                f'{video.width}x{video.height} frame (mark it outside="1" if the vehicle left the view)',
                box.line,
                box.frame,
            )
            continue
        if outside_fraction > 0:
            clipped.append((box, outside_fraction))
            box = box if box.angle else _clip(box, video.width, video.height)
        boxes.append(box)
    if clipped:
        first, _ = clipped[0]
        worst = max(fraction for _, fraction in clipped)
        rotated = (
            " (rotated boxes are kept whole: their outside part is black)"
            if any(b.angle for b, _ in clipped)
            else ""
        )
        result.warnings.append(
            Problem(
                result.annotation.path,
                f"track {track.track_id}: {len(clipped)} box(es) partly outside the frame "
                f"(up to {worst:.0%} of the area) clipped to it{rotated}",
                line=first.line,
                frame=first.frame,
            )
        )
    return tuple(boxes)


def _box_error(
    box: Box, video: VideoInfo, seen: dict[int, int | None], numbering: str
) -> tuple[str, str] | None:
    """(kind, message) of what is wrong with the box, or None."""
    if box.w <= 0 or box.h <= 0:
        return "size", f"box has a non-positive size {box.w:g}x{box.h:g} (in whole pixels)"
    if not 0 <= box.frame < video.frame_count:
        hint = f"; {numbering}" if numbering else ""
        return "frame", f"frame {box.frame} is not in the video (frames 0..{video.frame_count - 1}){hint}"
    if box.frame in seen:
        where = f" (also on line {seen[box.frame]})" if seen[box.frame] else ""
        return "twice", f"two boxes at frame {box.frame}{where}"
    return None


def _outside_fraction(box: Box, width: int, height: int) -> float:
    """The share of the box's area outside the frame (of its bounding box, if rotated)."""
    left, top, right, bottom = _extent(box)
    inside_w = max(min(right, width) - max(left, 0.0), 0.0)
    inside_h = max(min(bottom, height) - max(top, 0.0), 0.0)
    return 1 - inside_w * inside_h / ((right - left) * (bottom - top))


def _clip(box: Box, width: int, height: int) -> Box:
    """The part of an upright box inside the frame."""
    x0, y0 = min(max(box.x, 0.0), width), min(max(box.y, 0.0), height)
    x1, y1 = max(min(box.x + box.w, width), x0), max(min(box.y + box.h, height), y0)
    return box._replace(x=x0, y=y0, w=x1 - x0, h=y1 - y0)


def _extent(box: Box) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of the box as drawn: of its rotated corners' bounding box if rotated."""
    if not box.angle:
        return box.x, box.y, box.x + box.w, box.y + box.h
    cx, cy = box.x + box.w / 2, box.y + box.h / 2
    cos, sin = abs(math.cos(math.radians(box.angle))), abs(math.sin(math.radians(box.angle)))
    half_w, half_h = (box.w * cos + box.h * sin) / 2, (box.w * sin + box.h * cos) / 2
    return cx - half_w, cy - half_h, cx + half_w, cy + half_h
