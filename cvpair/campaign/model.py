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
    frame_count: int | None = None  # from CVAT <size>; None for MOT
    frame_width: int | None = None
    frame_height: int | None = None


@dataclass(frozen=True)
class TelemetrySample:
    """One DJI SRT subtitle entry: the drone's state at one frame."""

    frame: int  # 0-based
    time_s: float
    latitude: float | None
    longitude: float | None
    rel_alt_m: float | None
    abs_alt_m: float | None


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


@dataclass(frozen=True)
class Campaign:
    """A campaign folder: its clips and, optionally, a (clip, track) -> identity table."""

    root: Path
    clips: tuple[Clip, ...]
    identity_links: dict[tuple[str, int], int] = field(default_factory=dict)
    # Row-level problems met while reading manifest.csv / identities.csv; check_campaign reports them.
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class VideoInfo:
    """What probing a video's container says, without decoding a frame."""

    path: Path
    frame_count: int
    fps: float
    width: int
    height: int
    codec: str


@dataclass(frozen=True)
class Correction:
    """One row of corrections.csv: a reviewer's decision about one crop of a release."""

    image_id: str
    action: str  # "drop" | "relabel"
    identity: int | None  # the new identity for "relabel"
    note: str = ""
    line: int | None = None
