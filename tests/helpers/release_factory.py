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

from cvpair import protocol
from cvpair.pipeline.phash import phash, to_hex
from cvpair.release.provenance import Provenance
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
        "source_name": "",
        "clip": clip,
        "sequence": None,
        "track": identity,
        "frame": frame,
        "instance": None,
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


def file_group_tables(rows: list[dict], test_ids: set[int]) -> dict[str, list[pa.Table]]:
    """Rows (of identities in `test_ids` or train) as the writer's file groups, queries by the query rule."""
    rows = sorted(rows, key=lambda row: row["image_id"])
    groups = protocol.file_groups(
        np.array([r["identity"] in test_ids for r in rows], dtype=bool),
        *(np.array([r[c] for r in rows]) for c in ("identity", "view", "frame", "image_id")),
    )
    return {
        name: [
            pa.Table.from_pylist(
                [r for r, g in zip(rows, groups, strict=True) if g == name], schema=arrow_schema()
            )
        ]
        for name in protocol.FILE_GROUP_NAMES
    }


def make_release(
    out: Path, train_ids: list[int], test_ids: list[int], images_per_view: int = 3, profile: str = "demo"
) -> Path:
    """Write a valid release with the given identities; every identity has `images_per_view` images in
    both views (at least 2 for a test identity to have a query and a gallery match in each protocol)."""
    rows = [
        crop_row(i, v, k)
        for i in train_ids + test_ids
        for v in protocol.VIEWS
        for k in range(images_per_view)
    ]
    return write_release(
        out,
        file_group_tables(rows, set(test_ids)),
        provenance=Provenance("test", {"profile": profile, "seed": 0}),
        report={},
    )
