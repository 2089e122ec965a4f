"""Per-track diversity sampling: boxes a time gap apart, unusable ones counted, the appearance gate."""

from __future__ import annotations

from cvpair.campaign.model import Box, Track
from cvpair.pipeline import quality, sampling

Q = quality.QualityParams(min_side_px=20, edge_px=1.0, margin=0.1)


def _track(track_id, identity, frames, **box):
    return Track(track_id, identity, tuple(Box(f, 10, 10, 40, 30, **box) for f in frames))


def test_plan_samples_keeps_boxes_at_least_the_gap_apart_per_track():
    tracks = (_track(1, 7, range(50)), _track(2, 8, range(10, 20)))
    plan = sampling.plan_samples(tracks, (100, 80), 25.0, 50, Q, sampling.SamplingParams(min_gap_s=0.5))
    # 0.5 s at 25 fps is 12.5 frames: track 1 at 0, 13, 26, 39; track 2 only at its first frame.
    assert sorted(plan.by_frame) == [0, 10, 13, 26, 39]
    assert [c.track for c in plan.by_frame[10]] == [2]
    assert plan.rejected == {sampling.TIME_GAP: 46 + 9}


def test_plan_samples_counts_unusable_boxes_by_reason():
    tracks = (
        _track(1, None, range(3)),
        _track(2, 5, range(3), occluded=True),
        _track(3, 6, [60]),  # past the video's 50 frames
    )
    plan = sampling.plan_samples(tracks, (100, 80), 25.0, 50, Q, sampling.SamplingParams())
    assert plan.by_frame == {}
    assert plan.rejected == {sampling.NO_IDENTITY: 3, quality.OCCLUDED: 3, sampling.BEYOND_VIDEO: 1}


def test_appearance_gate_needs_enough_changed_bits_per_track():
    gate = sampling.AppearanceGate(min_change_bits=3)
    assert gate.admit(1, 0b0000)
    assert not gate.admit(1, 0b0011)  # 2 bits from the last kept
    assert gate.admit(2, 0b0011)  # another track has its own history
    assert gate.admit(1, 0b0111)  # 3 bits
    assert not gate.admit(1, 0b0110)  # compared with 0b0111, the last kept, not with 0b0000
