"""Quality filters of a crop: what the annotation alone rules out (before decoding), and blur (after).

Each filter names the reason it rejects a crop; the build report counts crops per reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np

if TYPE_CHECKING:  # `sharpness` is used where no campaign is read (import workers): spare them its ~0.5 s
    from cvpair.campaign.model import Box

OUTSIDE = "outside"
OCCLUDED = "occluded"
TOO_SMALL = "too_small"
TRUNCATED = "truncated"
BLURRY = "blurry"


@dataclass(frozen=True)
class QualityParams:
    """Thresholds of the crop filters; part of every shard's cache key."""

    margin: float = 0.10  # context kept around the box, as a fraction of its width / height per side
    min_side_px: int = 32  # shorter box side, source pixels
    edge_px: float = 1.0  # a box this close to the frame border is cut off by it (truncated)
    min_sharpness: float = 20.0  # variance of the Laplacian of the grayscale crop
    keep_occluded: bool = False


def box_rejection(box: Box, frame_width: int, frame_height: int, params: QualityParams) -> str | None:
    """Why the annotated `box` cannot give a good crop, or None; needs no pixels."""
    if box.outside:
        return OUTSIDE
    if box.occluded and not params.keep_occluded:
        return OCCLUDED
    if min(box.w, box.h) < params.min_side_px:
        return TOO_SMALL
    edge = params.edge_px
    right, bottom = frame_width - edge, frame_height - edge
    if box.x < edge or box.y < edge or box.x + box.w > right or box.y + box.h > bottom:
        return TRUNCATED
    return None


def crop_window(box: Box, frame_width: int, frame_height: int, margin: float) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the box grown by `margin` on each side, in whole pixels inside the frame."""
    dx, dy = box.w * margin, box.h * margin
    x0 = max(0, int(np.floor(box.x - dx)))
    y0 = max(0, int(np.floor(box.y - dy)))
    x1 = min(frame_width, int(np.ceil(box.x + box.w + dx)))
    y1 = min(frame_height, int(np.ceil(box.y + box.h + dy)))
    return x0, y0, x1, y1


def sharpness(gray: np.ndarray) -> float:
    """Variance of the Laplacian: low for blurred crops (motion blur, defocus, heavy compression)."""
    # int16 holds the Laplacian of 8-bit pixels exactly (|value| <= 1020), as float32 did at a third more
    # CPU, and OpenCV sums both exactly: the same variance. OpenCV's moments take half the time of numpy's.
    return float(cv2.meanStdDev(cv2.Laplacian(gray, cv2.CV_16S))[1][0, 0] ** 2)
