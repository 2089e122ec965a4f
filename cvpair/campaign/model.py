"""Typed records of a capture campaign, shared by the readers (annotation, telemetry, manifest),
the synthetic generator that writes campaigns, and the build that consumes them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from cvpair.errors import Problem


class Box(NamedTuple):
    """One annotated box of a track at one frame, in source-frame pixels (CVAT: xtl, ytl, xbr, ybr).

    A named tuple, not a dataclass: campaigns hold hundreds of thousands of boxes, which are made while
    parsing and pickled to worker processes, several times faster as tuples.
    """

    frame: int
    x: float
    y: float
    w: float
    h: float
    outside: bool = False
    occluded: bool = False
    line: int | None = None  # line in the annotation file, for error messages
    identity: int | None = None  # the box's CVAT `identity` attribute; the track's is resolved from these
    angle: float = 0.0  # CVAT's `rotation`: degrees clockwise about the box centre; 0 for an upright box


def snapped_box(frame: int, left: float, top: float, right: float, bottom: float, *fields) -> Box:
    """A box from its corners snapped to whole pixels, the first thing a reader does with them: sub-pixel
    corners must not change which boxes become crops, so a FiftyOne re-save of a task (corners rounded,
    halves to even as Python's `round`) builds the same crops. `fields`: Box's fields after `h`."""
    x0, y0, x1, y1 = round(left), round(top), round(right), round(bottom)
    return Box(frame, float(x0), float(y0), float(x1 - x0), float(y1 - y0), *fields)


@dataclass(frozen=True)
class Track:
    """One vehicle followed through a clip. `identity` links it across clips and views; None if missing."""

    track_id: int
    identity: int | None
    boxes: tuple[Box, ...]
    label: str = "vehicle"
    line: int | None = None


@dataclass(frozen=True)
class Annotation:
    """Everything one annotation file says about its clip."""

    path: Path
    tracks: tuple[Track, ...]
    frame_count: int | None = None  # frames annotated: CVAT's task <size>, MOT's seqLength; None if unsaid
    frame_width: int | None = None
    frame_height: int | None = None
    last_frame: int | None = None  # the last video frame the annotation covers (CVAT's stop_frame)
    ignored: tuple[tuple[str, int], ...] = ()  # what the reader left out, and how many: (what, count)
    fps: float | None = None  # the frame rate the annotation states (MOT's seqinfo.ini); None if unsaid
    numbering: str = ""  # how the file's frame numbers were mapped to video frames, for messages


@dataclass(frozen=True)
class TelemetrySample:
    """One DJI SRT subtitle entry: the drone's state from `start_s` to `end_s` on the video's clock
    (seconds from the first presented frame). A position or altitude the entry does not give is None."""

    start_s: float
    end_s: float
    latitude: float | None
    longitude: float | None
    altitude_m: float | None
    line: int  # of the entry's first line in the SRT file


@dataclass(frozen=True)
class Telemetry:
    """A clip's SRT file: its samples in time order, and what its altitude is measured from
    (a `schema.ALTITUDE_REFERENCES` value; None when the file gives no altitude)."""

    path: Path
    samples: tuple[TelemetrySample, ...]
    altitude_reference: str | None
    layout: str  # how the file writes GPS and altitude, for messages


@dataclass(frozen=True)
class Clip:
    """One manifest row: a video, how it was filmed, and its sidecar files (paths absolute)."""

    clip_id: str
    video: Path
    annotation: Path
    view: str  # "aerial" | "ground"
    device: str
    telemetry: Path | None = None
    manifest_line: int | None = None
    task: str | None = None  # the clip's task in a CVAT export of several tasks (a project)
    start_frame: int | None = None  # MOT: the video frame of MOT frame 1 (CVAT's MOT export loses it)
    frame_step: int | None = None  # MOT: video frames from one MOT frame to the next

    @property
    def annotation_source(self) -> AnnotationSource:
        return AnnotationSource(self.annotation, self.task, self.start_frame, self.frame_step)


@dataclass(frozen=True)
class AnnotationSource:
    """A clip's annotation file and what the manifest says about how to read it (see `Clip`)."""

    path: Path
    task: str | None = None
    start_frame: int | None = None
    frame_step: int | None = None
    frame_names: tuple[str, ...] | None = None  # the clip's frame images in order, if its video is a folder


@dataclass(frozen=True)
class Campaign:
    """A campaign folder: its clips and, optionally, a (clip, track) -> identity table."""

    root: Path
    clips: tuple[Clip, ...]
    identity_links: dict[tuple[str, int], int] = field(default_factory=dict)
    vehicle_labels: frozenset[str] | None = None  # annotation labels that are vehicles; None: the default
    # Row-level problems met while reading manifest.csv / identities.csv; check_campaign reports them.
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class VideoInfo:
    """What probing a video's container says, without decoding a frame."""

    path: Path
    frame_count: int  # the frames a decoder shows (an edit list may hide some that are stored)
    fps: float
    width: int  # as shown: turned by `rotation`
    height: int
    codec: str
    rotation: int = 0  # display rotation tag, counter-clockwise degrees (0, 90, 180, 270)


@dataclass(frozen=True)
class Correction:
    """One row of corrections.csv: a reviewer's decision about one crop of a release."""

    image_id: str
    action: str  # "drop" | "relabel"
    identity: int | None  # the new identity for "relabel"
    note: str = ""
    line: int | None = None
