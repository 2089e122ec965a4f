"""Checks one clip's tracks against its video, and returns them ready for cropping.

Pure logic over records: boxes are tested against the probed frame count and frame size, slightly
outside boxes are clipped (a warning), and every track's identity is resolved from its boxes' `identity`
attribute or the campaign's identities.csv (which wins).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from cvpair.campaign.model import Annotation, Box, Track, VideoInfo
from cvpair.errors import Problem

LABEL = "vehicle"
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
) -> TrackCheck:
    """Check `annotation` against `video`; `identity_links` maps this clip's track ids to identities."""
    path = annotation.path
    result = TrackCheck(annotation)
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
        if track.label != LABEL:
            result.warnings.append(
                Problem(
                    path,
                    f"track {track.track_id} is labelled {track.label!r}, not {LABEL!r}: ignored",
                    line=track.line,
                )
            )
            continue
        if not track.boxes:
            result.warnings.append(
                Problem(path, f"track {track.track_id} has no boxes: ignored", line=track.line)
            )
            continue
        identity = _identity(track, identity_links.get(track.track_id), path, result.errors)
        boxes = _checked_boxes(track, video, max_outside, path, result)
        tracks.append(replace(track, identity=identity, boxes=boxes))
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
    # CVAT writes absolute video frame numbers; a task may cover part of the video (start / stop / step), but
    # never more frames than it has.
    if annotation.frame_count is not None and annotation.frame_count > video.frame_count:
        result.warnings.append(
            Problem(
                annotation.path,
                f"annotation task has {annotation.frame_count} frames, the video only {video.frame_count}: "
                "is it the right video?",
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
    track: Track, video: VideoInfo, max_outside: float, path: Path, result: TrackCheck
) -> tuple[Box, ...]:
    """The track's boxes with slightly-outside ones clipped; bad boxes become errors."""
    boxes: list[Box] = []
    seen: dict[int, int | None] = {}
    clipped: list[tuple[Box, float]] = []
    for box in track.boxes:
        error = _box_error(box, video, seen)
        seen.setdefault(box.frame, box.line)
        if error:
            result.errors.append(
                Problem(path, f"track {track.track_id}: {error}", line=box.line, frame=box.frame)
            )
            continue
        if box.outside:
            boxes.append(box)
            continue
        inside = _clip(box, video.width, video.height)
        outside_fraction = 1 - inside.w * inside.h / (box.w * box.h)
        if outside_fraction > max_outside:
            result.errors.append(
                Problem(
                    path,
                    f"track {track.track_id}: {outside_fraction:.0%} of the box lies outside the "
                    f'{video.width}x{video.height} frame (mark it outside="1" if the vehicle left the view)',
                    line=box.line,
                    frame=box.frame,
                )
            )
            continue
        if inside != box:
            clipped.append((box, outside_fraction))
        boxes.append(inside)
    if clipped:
        first, _ = clipped[0]
        worst = max(fraction for _, fraction in clipped)
        result.warnings.append(
            Problem(
                path,
                f"track {track.track_id}: {len(clipped)} box(es) partly outside the frame "
                f"(up to {worst:.0%} of the area) clipped to it",
                line=first.line,
                frame=first.frame,
            )
        )
    return tuple(boxes)


def _box_error(box: Box, video: VideoInfo, seen: dict[int, int | None]) -> str | None:
    if box.w <= 0 or box.h <= 0:
        return f"box has a non-positive size {box.w:g}x{box.h:g}"
    if not 0 <= box.frame < video.frame_count:
        return f"frame {box.frame} is not in the video (frames 0..{video.frame_count - 1})"
    if box.frame in seen:
        where = f" (also on line {seen[box.frame]})" if seen[box.frame] else ""
        return f"two boxes at frame {box.frame}{where}"
    return None


def _clip(box: Box, width: int, height: int) -> Box:
    """The part of the box inside the frame (a zero-size box if none)."""
    x0, y0 = min(max(box.x, 0.0), width), min(max(box.y, 0.0), height)
    x1, y1 = max(min(box.x + box.w, width), x0), max(min(box.y + box.h, height), y0)
    if (x0, y0, x1 - x0, y1 - y0) == (box.x, box.y, box.w, box.h):
        return box
    return box._replace(x=x0, y=y0, w=x1 - x0, h=y1 - y0)
