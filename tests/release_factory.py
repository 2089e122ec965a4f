"""Small, valid releases made from synthetic rows, for tests that need a release but not footage.

Each identity has its own colour and stripe pattern, drawn smaller and rotated in the aerial view, so the
images are real JPEGs that differ per identity and view (and are not near-duplicates of each other).
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
import pyarrow as pa
from PIL import Image

from cvpair.build.phash import phash, to_hex
from cvpair.release import layout
from cvpair.release.writer import write_release
from cvpair.schema import ABOVE_TAKEOFF, arrow_schema, image_id, view_label


def crop_pixels(identity: int, view: str, index: int) -> np.ndarray:
    """A deterministic RGB crop of `identity` seen from `view`, the `index`-th of its kind."""
    rng = np.random.default_rng([identity, view_label(view), index])
    height, width = (48, 64) if view == "aerial" else (72, 96)
    base = np.array([(identity * 67) % 256, (identity * 131) % 256, (identity * 29) % 256], dtype=np.float32)
    yy, xx = np.mgrid[0:height, 0:width]
    period = 6 + identity % 7
    stripes = ((xx + yy * (view == "aerial")) // period) % 2
    image = base[None, None, :] * (0.55 + 0.45 * stripes[..., None])
    image += rng.normal(0, 18, size=image.shape) + 12 * index
    return np.clip(image, 0, 255).astype(np.uint8)


def crop_row(identity: int, view: str, index: int) -> dict:
    """One schema row with real JPEG bytes and the hashes that match them."""
    pixels = crop_pixels(identity, view, index)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=95)
    data = buffer.getvalue()
    clip = f"{'A' if view == 'aerial' else 'G'}{identity:04d}"
    frame = 10 * index
    return {
        "image": {"bytes": data, "path": None},
        "image_id": image_id(clip, identity, frame),
        "identity": identity,
        "view": view_label(view),
        "device": "drone-1" if view == "aerial" else "street-1",
        "clip": clip,
        "track": identity,
        "frame": frame,
        "timestamp_s": frame / 25,
        "bbox_x": 100.0,
        "bbox_y": 80.0,
        "bbox_w": float(pixels.shape[1]),
        "bbox_h": float(pixels.shape[0]),
        "bbox_angle": 0.0,
        "frame_width": 1280,
        "frame_height": 720,
        "crop_width": pixels.shape[1],
        "crop_height": pixels.shape[0],
        "altitude_m": 60.0 if view == "aerial" else None,
        "altitude_reference": ABOVE_TAKEOFF if view == "aerial" else None,
        "sharpness": 150.0,
        "sha256": hashlib.sha256(data).hexdigest(),
        "phash": to_hex(phash(pixels)),
    }


def _table(identities: list[int], views: tuple[str, ...], images_per_view: int) -> pa.Table:
    rows = [crop_row(i, v, k) for i in identities for v in views for k in range(images_per_view)]
    rows.sort(key=lambda row: row["image_id"])
    return pa.Table.from_pylist(rows, schema=arrow_schema())


def make_release(
    out: Path, train_ids: list[int], test_ids: list[int], images_per_view: int = 3, profile: str = "demo"
) -> Path:
    """Write a valid release with the given identities; every identity has both views."""
    both = ("aerial", "ground")
    return write_release(
        out,
        {
            layout.TRAIN: [_table(train_ids, both, images_per_view)],
            layout.TEST_AERIAL: [_table(test_ids, ("aerial",), images_per_view)],
            layout.TEST_GROUND: [_table(test_ids, ("ground",), images_per_view)],
        },
        provenance={"profile": profile, "toolkit_version": "test", "seed": 0},
        report={},
    )
