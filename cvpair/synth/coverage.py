"""What a campaign plan offers the build, known before any frame is rendered.

The build samples a crop from a box that is wholly in frame, large enough and at least `min_gap_s` after
the last one of its track (`cvpair.pipeline.sampling`). Applying that rule to each vehicle's bounding solid
along its planned path counts the candidate crops of every identity in each view, in seconds instead of
the minutes rendering takes: the way to size a profile. It is an upper estimate of what the shards keep:
occlusion, blur and the appearance gate act on pixels and remove some more.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cvpair.pipeline.quality import QualityParams
from cvpair.pipeline.sampling import SamplingParams
from cvpair.synth.campaign import ClipPlan
from cvpair.synth.scene import Trajectory
from cvpair.synth.vehicles import VehicleSpec

MIN_DEPTH_M = 1.0  # as `scene.image_box`: a solid reaching closer to the camera is not wholly in front of it


@dataclass(frozen=True)
class PlannedCrops:
    """Candidate crops per identity (index = identity - 1) in each view."""

    aerial: np.ndarray
    ground: np.ndarray

    @property
    def total(self) -> np.ndarray:
        return self.aerial + self.ground


def planned_crops(
    plans: list[ClipPlan],
    identities: int,
    quality: QualityParams | None = None,
    sampling: SamplingParams | None = None,
) -> PlannedCrops:
    """The candidate crops every identity offers, summed over the clips of each view (with the build's
    default filters unless given others)."""
    quality, sampling = quality or QualityParams(), sampling or SamplingParams()
    counts = {"aerial": np.zeros(identities, dtype=int), "ground": np.zeros(identities, dtype=int)}
    for plan in plans:
        for spec, trajectory in plan.vehicles:
            counts[plan.view][spec.identity - 1] += _candidates(plan, spec, trajectory, quality, sampling)
    return PlannedCrops(**counts)


def _candidates(
    plan: ClipPlan,
    spec: VehicleSpec,
    trajectory: Trajectory,
    quality: QualityParams,
    sampling: SamplingParams,
) -> int:
    """Frames the build would sample for one vehicle of one clip."""
    times = np.arange(plan.frames) / plan.fps
    camera = plan.rig.camera(0.0, plan.width, plan.height)
    positions = np.add(plan.rig.start, np.outer(times, plan.rig.velocity))
    along = trajectory.x0 + trajectory.direction * trajectory.speed * times
    centre = np.stack([along, np.full_like(times, trajectory.lane_y)], axis=1)
    offsets = np.array(
        [
            (sx * spec.length / 2, sy * spec.width / 2, z)
            for sx in (-1, 1)
            for sy in (-1, 1)
            for z in (0.0, spec.height)
        ]
    )
    corners = np.concatenate([centre, np.zeros((len(times), 1))], axis=1)[:, None, :] + offsets
    local = (corners - positions[:, None, :]) @ camera.rotation.T
    depth = local[..., 2]
    safe = np.where(depth > MIN_DEPTH_M, depth, MIN_DEPTH_M)
    u = camera.focal_px * local[..., 0] / safe + plan.width / 2
    v = camera.focal_px * local[..., 1] / safe + plan.height / 2
    edge = quality.edge_px
    usable = (
        (depth >= MIN_DEPTH_M).all(axis=1)
        & (u.min(axis=1) >= edge)
        & (v.min(axis=1) >= edge)
        & (u.max(axis=1) <= plan.width - edge)
        & (v.max(axis=1) <= plan.height - edge)
        & (np.minimum(np.ptp(u, axis=1), np.ptp(v, axis=1)) >= quality.min_side_px)
    )
    gap = sampling.min_gap_s * plan.fps
    taken, last = 0, None
    for frame in np.flatnonzero(usable):
        if last is None or frame - last >= gap:
            taken, last = taken + 1, frame
    return taken
