"""Cutting crops: an upright box is sliced out, a rotated box (CVAT's `rotation`, clockwise) is turned
upright. The test draws a rotated rectangle with its own corner maths, independent of OpenCV's rotation."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from cvpair.campaign.model import Box
from cvpair.pipeline.crop import cut

RED, WHITE = (0, 0, 255), (255, 255, 255)


def _rotated(points, centre, degrees):
    """Points turned `degrees` clockwise on screen (y points down) about `centre`."""
    cos, sin = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    cx, cy = centre
    return np.array(
        [[cx + (x - cx) * cos - (y - cy) * sin, cy + (x - cx) * sin + (y - cy) * cos] for x, y in points]
    )


def _frame_with_rotated_box(box: Box) -> np.ndarray:
    """A black frame with the box drawn white, turned by its angle; its top-left corner patch red."""
    image = np.zeros((200, 240, 3), np.uint8)
    centre = (box.x + box.w / 2, box.y + box.h / 2)
    x0, y0, x1, y1 = box.x, box.y, box.x + box.w, box.y + box.h
    for colour, (a, b, c, d) in ((WHITE, (x0, y0, x1, y1)), (RED, (x0, y0, x0 + 16, y0 + 10))):
        corners = _rotated([(a, b), (c, b), (c, d), (a, d)], centre, box.angle)
        cv2.fillPoly(image, [np.round(corners * 16).astype(np.int32)], colour, cv2.LINE_AA, shift=4)
    return image


@pytest.mark.parametrize("angle", [30.0, 90.0, 200.0, 333.5])
def test_a_rotated_box_is_cut_upright_with_its_top_left_corner_top_left(angle):
    box = Box(frame=0, x=90, y=85, w=60, h=30, angle=angle)

    crop = cut(_frame_with_rotated_box(box), box, margin=0.0)

    assert crop.shape == (30, 60, 3)
    assert crop[3:8, 3:12].mean(axis=(0, 1)) == pytest.approx(RED, abs=40)
    assert crop[15:27, 25:57].mean(axis=(0, 1)) == pytest.approx(WHITE, abs=40)


def test_turning_the_wrong_way_would_not_find_the_corner():
    box = Box(frame=0, x=90, y=85, w=60, h=30, angle=30.0)
    image = _frame_with_rotated_box(box)

    crop = cut(image, box._replace(angle=-30.0 % 360), margin=0.0)

    assert crop[3:8, 3:12].mean(axis=(0, 1)) != pytest.approx(RED, abs=40)


def test_a_rotated_crop_keeps_its_margin_and_an_upright_box_is_sliced():
    image = np.random.default_rng(0).integers(0, 256, (200, 240, 3), dtype=np.uint8)
    upright = Box(frame=0, x=90, y=85, w=60, h=30)

    assert cut(image, upright._replace(angle=45.0), margin=0.1).shape == (36, 72, 3)
    assert np.array_equal(cut(image, upright, margin=0.1), image[82:118, 84:156])
