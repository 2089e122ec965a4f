"""Quality filters of the build: which boxes are unusable and why, the crop window, sharpness."""

from __future__ import annotations

import numpy as np
import pytest

from cvpair.campaign.model import Box
from cvpair.pipeline import quality

Q = quality.QualityParams(min_side_px=20, edge_px=1.0, margin=0.1)


@pytest.mark.parametrize(
    ("box", "reason"),
    [
        (Box(0, 10, 10, 50, 40, outside=True), quality.OUTSIDE),
        (Box(0, 10, 10, 50, 40, occluded=True), quality.OCCLUDED),
        (Box(0, 10, 10, 50, 19), quality.TOO_SMALL),
        (Box(0, 0, 10, 50, 40), quality.TRUNCATED),  # touches the left edge
        (Box(0, 10, 10, 90, 40), quality.TRUNCATED),  # reaches x = 100 = the right edge
        (Box(0, 10, 10, 50, 40), None),
    ],
)
def test_box_rejection_names_the_reason(box, reason):
    assert quality.box_rejection(box, 100, 80, Q) == reason


def test_crop_window_adds_the_margin_and_stays_in_the_frame():
    assert quality.crop_window(Box(0, 20, 20, 50, 40), 100, 80, 0.1) == (15, 16, 75, 64)
    assert quality.crop_window(Box(0, 2, 2, 96, 76), 100, 80, 0.1) == (0, 0, 100, 80)


def test_sharpness_is_zero_on_a_flat_crop_and_high_on_edges():
    flat = np.full((32, 32), 128, np.uint8)
    stripes = np.tile(np.array([0, 255], np.uint8), (32, 16))
    assert quality.sharpness(flat) == 0.0
    assert quality.sharpness(stripes) > 1000
