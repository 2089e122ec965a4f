"""Per-track diversity sampling: which annotated boxes become crops.

Consecutive video frames are near copies, so a track is sampled at least `min_gap_s` apart (decided from the
annotation, before decoding, so that only the frames needed are decoded), and a sampled crop is kept only
if its appearance changed enough since the last crop kept of the same track (decided after decoding).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from cvpair.campaign.model import Box, Track
from cvpair.pipeline import phash, quality

NO_IDENTITY = "no_identity"
TIME_GAP = "time_gap"
SIMILAR = "similar"
BEYOND_VIDEO = "beyond_video"


@dataclass(frozen=True)
class SamplingParams:
    """Diversity thresholds; part of every shard's cache key."""

    min_gap_s: float = 0.5  # between two sampled boxes of a track
    min_change_bits: int = 6  # pHash distance to the last crop kept of the track


@dataclass(frozen=True)
class Candidate:
    """A box worth decoding its frame for."""

    track: int
    identity: int
    box: Box


@dataclass
class SamplePlan:
    """Candidates by frame index, and the boxes ruled out before decoding, counted by reason."""

    by_frame: dict[int, list[Candidate]] = field(default_factory=dict)
    rejected: Counter[str] = field(default_factory=Counter)


def plan_samples(
    tracks: tuple[Track, ...],
    frame_size: tuple[int, int],
    fps: float,
    frame_count: int,
    quality_params: quality.QualityParams,
    params: SamplingParams,
) -> SamplePlan:
    """The candidate boxes of a clip: good enough by the annotation, and `min_gap_s` apart per track."""
    plan = SamplePlan()
    width, height = frame_size
    min_gap_frames = params.min_gap_s * fps
    for track in tracks:
        if track.identity is None:
            plan.rejected[NO_IDENTITY] += len(track.boxes)
            continue
        last: int | None = None
        for box in sorted(track.boxes, key=lambda b: b.frame):
            reason = quality.box_rejection(box, width, height, quality_params)
            if reason is None and not 0 <= box.frame < frame_count:
                reason = BEYOND_VIDEO
            if reason is None and last is not None and box.frame - last < min_gap_frames:
                reason = TIME_GAP
            if reason is not None:
                plan.rejected[reason] += 1
                continue
            last = box.frame
            plan.by_frame.setdefault(box.frame, []).append(Candidate(track.track_id, track.identity, box))
    return plan


class AppearanceGate:
    """Admits a crop only if its pHash differs enough from the last crop admitted for its track."""

    def __init__(self, min_change_bits: int) -> None:
        self.min_change_bits = min_change_bits
        self._last: dict[int, int] = {}

    def admit(self, track: int, crop_hash: int) -> bool:
        last = self._last.get(track)
        if last is not None and int(phash.hamming(last, crop_hash)) < self.min_change_bits:
            return False
        self._last[track] = crop_hash
        return True
