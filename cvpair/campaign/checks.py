"""check_campaign: every input check that can run before a single frame is decoded.

It reports every problem of a campaign at once (a build that stops at the first bad file, hours in, is
what it prevents): manifest rows, files, videos (probed, not decoded), annotations against their videos,
identities and telemetry. Clips are checked independently, so a build checks them in its worker processes
(`map_clips`); parsing annotations is Python work that threads would serialise.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NamedTuple, TypeVar

from cvpair.campaign.formats import read_annotation
from cvpair.campaign.frames import frame_files, probe_frames
from cvpair.campaign.manifest import IDENTITIES, MANIFEST
from cvpair.campaign.model import Annotation, Campaign, Clip, Telemetry, VideoInfo
from cvpair.campaign.telemetry import read_telemetry
from cvpair.campaign.track_checks import MAX_OUTSIDE_FRACTION, check_tracks
from cvpair.campaign.video import probe_video
from cvpair.errors import InputError, Problem
from cvpair.schema import VIEWS

VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".avi")
_CLIP_ID = re.compile(r"[A-Za-z0-9_-]+")
T = TypeVar("T")


@dataclass(frozen=True)
class CheckedClip:
    """A clip that passed every check: its annotation has clipped boxes and resolved identities."""

    clip: Clip
    annotation: Annotation
    telemetry: Telemetry | None
    video: VideoInfo

    @property
    def frame_count(self) -> int:
        return self.video.frame_count

    @property
    def fps(self) -> float:
        return self.video.fps

    @property
    def width(self) -> int:
        return self.video.width

    @property
    def height(self) -> int:
        return self.video.height


@dataclass(frozen=True)
class CheckedCampaign:
    """A campaign with nothing wrong in it, and what was fixed or is worth knowing (warnings)."""

    campaign: Campaign
    clips: tuple[CheckedClip, ...]
    warnings: list[Problem] = field(default_factory=list)


@dataclass
class ClipFindings:
    """What checking one clip found: errors, and warnings that do not stop a build."""

    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class ClipCheck:
    """One clip to check, with its rows of identities.csv (track -> identity): a picklable unit of work."""

    clip: Clip
    links: dict[int, int]
    max_outside: float = MAX_OUTSIDE_FRACTION
    vehicle_labels: frozenset[str] | None = None  # None: the default label map


class ClipChecked(NamedTuple):
    """One clip's check: the checked clip (None if anything is wrong with it), and what was found."""

    clip: CheckedClip | None
    findings: ClipFindings


MapClips = Callable[[Callable[[ClipCheck], ClipChecked], Sequence[ClipCheck]], Iterable[ClipChecked]]


def check_campaign(
    campaign: Campaign, *, max_outside: float = MAX_OUTSIDE_FRACTION, map_clips: MapClips = map
) -> CheckedCampaign:
    """The checked campaign; raises InputError listing every problem found (warnings do not raise).

    `max_outside`: the largest fraction of a box's area that may lie outside the frame and be clipped;
    `map_clips(check_clip, tasks)`: how clips are checked, results in task order (default: one by one here).
    """
    findings = ClipFindings(errors=list(campaign.problems))
    _check_manifest(campaign, findings)
    links: dict[str, dict[int, int]] = {}
    for (clip_id, track), identity in campaign.identity_links.items():
        links.setdefault(clip_id, {})[track] = identity
    tasks = [
        ClipCheck(clip, links.get(clip.clip_id, {}), max_outside, campaign.vehicle_labels)
        for clip in campaign.clips
    ]
    checked = []
    for clip_result, clip_findings in map_clips(check_clip, tasks):
        findings.errors += clip_findings.errors
        findings.warnings += clip_findings.warnings
        if clip_result is not None:
            checked.append(clip_result)
    _check_links(campaign, checked, findings)
    if findings.errors:
        raise InputError(findings.errors, headline=f"campaign {campaign.root} has problems")
    return CheckedCampaign(campaign, tuple(checked), findings.warnings)


def _check_manifest(campaign: Campaign, findings: ClipFindings) -> None:
    manifest = campaign.root / MANIFEST
    if not campaign.clips:
        findings.errors.append(Problem(manifest, "the campaign has no clips"))
    first_line: dict[str, int | None] = {}
    for clip in campaign.clips:
        if clip.clip_id in first_line:
            findings.errors.append(
                Problem(
                    manifest,
                    f"clip id {clip.clip_id} also on line {first_line[clip.clip_id]}",
                    line=clip.manifest_line,
                )
            )
        first_line.setdefault(clip.clip_id, clip.manifest_line)
        if not _CLIP_ID.fullmatch(clip.clip_id):
            message = (
                f"clip id {clip.clip_id!r}: use only letters, digits, '-' and '_' (it is part of image ids)"
            )
            findings.errors.append(Problem(manifest, message, line=clip.manifest_line))
        if clip.view not in VIEWS:
            findings.errors.append(
                Problem(
                    manifest,
                    f"unknown view {clip.view!r}: use one of {', '.join(VIEWS)}",
                    line=clip.manifest_line,
                )
            )
    listed = {clip.video.resolve() for clip in campaign.clips}
    videos = campaign.root / "videos"
    stray = (
        sorted(p for p in videos.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES) if videos.is_dir() else []
    )
    findings.warnings += [
        Problem(path, "not in manifest.csv (no annotation, no view): not used")
        for path in stray
        if path.resolve() not in listed
    ]


def check_clip(task: ClipCheck) -> ClipChecked:
    """The checked clip (None if anything is wrong with it) and what was found."""
    clip, findings = task.clip, ClipFindings()
    video = _read(clip, clip.video, probe_frames if clip.video.is_dir() else probe_video, findings)
    source = clip.annotation_source
    if video is not None and clip.video.is_dir():  # a task may have been made from the folder's images
        source = replace(source, frame_names=tuple(path.name for path in frame_files(clip.video)))
    annotation = _read(clip, clip.annotation, lambda _: read_annotation(source), findings)
    telemetry = _read(clip, clip.telemetry, read_telemetry, findings) if clip.telemetry else None
    if video is None or annotation is None or (clip.telemetry and telemetry is None):
        return ClipChecked(None, findings)
    tracks = check_tracks(annotation, video, task.links, task.max_outside, task.vehicle_labels)
    findings.errors += tracks.errors
    findings.warnings += tracks.warnings
    if telemetry is not None and clip.view == "aerial":
        _check_coverage(telemetry, video, findings)
    if findings.errors:
        return ClipChecked(None, findings)
    return ClipChecked(CheckedClip(clip, tracks.annotation, telemetry, video), findings)


def _read(clip: Clip, path: Path, reader: Callable[[Path], T], findings: ClipFindings) -> T | None:
    """reader(path), or None with the problem recorded (a missing file names the manifest line)."""
    if not path.exists():  # a MOTChallenge sequence folder can stand for its annotation file
        findings.errors.append(
            Problem(path, f"not found (clip {clip.clip_id}, manifest.csv line {clip.manifest_line})")
        )
        return None
    try:
        return reader(path)
    except InputError as error:
        findings.errors += error.problems
        return None


def _check_coverage(telemetry: Telemetry, video: VideoInfo, findings: ClipFindings) -> None:
    """Frames outside the telemetry's times get no altitude: worth a warning, not a failed build (old
    1 Hz firmwares start their first entry one second into the video). Frame times are taken as
    regular here, which is close enough to name the first frame left out."""
    first, last = telemetry.samples[0], telemetry.samples[-1]
    duration, frame_s = video.frame_count / video.fps, 1 / video.fps
    if first.start_s > frame_s / 2:
        uncovered = 0
    elif last.end_s < duration - frame_s / 2:
        uncovered = math.ceil(round(last.end_s * video.fps, 6))
    else:
        return
    findings.warnings.append(
        Problem(
            telemetry.path,
            f"covers {first.start_s:.2f}-{last.end_s:.2f} s of the video's 0-{duration:.2f} s: "
            "frames outside have no altitude",
            frame=uncovered,
        )
    )


def _check_links(campaign: Campaign, checked: list[CheckedClip], findings: ClipFindings) -> None:
    """identities.csv rows that match no clip or track are probably typos: warn."""
    known_clips = {clip.clip_id for clip in campaign.clips}
    tracks = {(c.clip.clip_id, t.track_id) for c in checked for t in c.annotation.tracks}
    checked_clips = {c.clip.clip_id for c in checked}
    path = campaign.root / IDENTITIES
    for clip_id, track in sorted(campaign.identity_links):
        if clip_id not in known_clips:
            findings.warnings.append(Problem(path, f"clip {clip_id} (track {track}) is not in manifest.csv"))
        elif clip_id in checked_clips and (clip_id, track) not in tracks:
            findings.warnings.append(Problem(path, f"clip {clip_id} has no track {track}"))
