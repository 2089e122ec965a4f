"""Turns what the renderer measured into tracks the way a CVAT annotator leaves them: a box on every frame
a vehicle is in view, one `outside` box when it leaves, `occluded` when other vehicles hide much of it."""

from __future__ import annotations

from cvpair.campaign.model import Box, Track
from cvpair.synth.renderer import Observation

OCCLUDED_BELOW = 0.6  # visible share of the silhouette under which a box is flagged occluded (>40 % hidden)


def build_track(track_id: int, identity: int, timeline: list[Observation]) -> Track:
    """The track of one vehicle from its per-frame observations (index = frame)."""
    boxes: list[Box] = []
    last: tuple[float, float, float, float] | None = None
    for frame, seen in enumerate(timeline):
        if seen.box is not None:
            x0, y0, x1, y1 = seen.box
            boxes.append(
                Box(
                    frame=frame,
                    x=x0,
                    y=y0,
                    w=x1 - x0,
                    h=y1 - y0,
                    occluded=seen.visible_fraction < OCCLUDED_BELOW,
                    identity=identity,
                )
            )
        elif last is not None:
            x0, y0, x1, y1 = last
            boxes.append(Box(frame=frame, x=x0, y=y0, w=x1 - x0, h=y1 - y0, outside=True, identity=identity))
        last = seen.box
    return Track(track_id=track_id, identity=identity, boxes=tuple(boxes))
