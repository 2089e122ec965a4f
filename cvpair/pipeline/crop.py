"""Cutting a box's crop out of a decoded frame: upright boxes by slicing, rotated ones turned upright.

A rotated box (CVAT's `rotation`, degrees clockwise about its centre; nadir drone footage is annotated
this way) is cut by rotating the frame around the box centre the other way (cv2.warpAffine), straight into a
crop-sized image: only the crop's pixels are computed. Parts outside the frame come out black.
"""

from __future__ import annotations

import cv2
import numpy as np

from cvpair.campaign.model import Box
from cvpair.pipeline import quality


def cut(image: np.ndarray, box: Box, margin: float) -> np.ndarray:
    """The box grown by `margin` of its size on each side, as its own upright image."""
    height, width = image.shape[:2]
    if not box.angle:
        x0, y0, x1, y1 = quality.crop_window(box, width, height, margin)
        return image[y0:y1, x0:x1]
    out_w = max(1, round(box.w * (1 + 2 * margin)))
    out_h = max(1, round(box.h * (1 + 2 * margin)))
    # pixel centres sit at whole coordinates in OpenCV, box corners on pixel edges
    centre = (box.x + box.w / 2 - 0.5, box.y + box.h / 2 - 0.5)
    matrix = cv2.getRotationMatrix2D(centre, box.angle, 1.0)  # positive: counter-clockwise on screen
    matrix[0, 2] += (out_w - 1) / 2 - centre[0]
    matrix[1, 2] += (out_h - 1) / 2 - centre[1]
    return cv2.warpAffine(
        image, matrix, (out_w, out_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0
    )
