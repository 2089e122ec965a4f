"""The release rows of a batch of tree images: each file read once, in a worker process, for its facts
(`inspect_bytes`) and the bytes its row stores; the rows built by the importing process as batches come.

The rows are built where they are written: building Arrow arrays from Python values makes pyarrow import
pandas (~0.25 s of CPU), which the importing process loads anyway (for `datasets`) and a worker would pay
again. They are built column by column (a dict per row costs twice the CPU); the columns only footage can
fill stay null.
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple

import pyarrow as pa

from cvpair.market.consistency import TreeImage
from cvpair.market.images import FileDigest, ImageFacts, read_image, twin_digest
from cvpair.market.metadata import strip_metadata
from cvpair.schema import FOOTAGE_ONLY, arrow_schema, view_label


class ReadBatch(NamedTuple):
    """A batch as read: the facts of every image, in order, what the row of each whole one stores, and the
    SHA-256 of the second training copy of each image that has one."""

    facts: list[ImageFacts]
    stored: list[tuple[bytes, str]]  # bytes and their SHA-256, for the images without an error
    twins: dict[str, FileDigest]  # relative path of a second copy -> its digest


def _stored(data: bytes, facts: ImageFacts, strip: bool) -> tuple[bytes, str]:
    """The bytes a row stores, and their SHA-256: the file's, or with its metadata stripped."""
    if not strip:
        return data, facts.sha256
    data = strip_metadata(data, facts.format)
    return data, hashlib.sha256(data).hexdigest()


def read_batch(
    root: str, relatives: tuple[str, ...], strip: bool, twins: tuple[str | None, ...]
) -> ReadBatch:
    """Read and inspect the images at `relatives` (paths) in the tree at `root`, and each one's second
    training copy at `twins` where not None (a worker task: handed paths alone, not what their names say,
    which would cost more to send than the paths)."""
    facts, stored, copies = [], [], {}
    for relative, twin in zip(relatives, twins, strict=True):
        data, fact = read_image(f"{root}/{relative}")
        facts.append(fact)
        if not fact.error:
            stored.append(_stored(data, fact, strip))
        if twin is not None:
            copies[twin] = twin_digest(f"{root}/{twin}", data, fact.sha256)
    return ReadBatch(facts, stored, copies)


def release_rows(images: tuple[TreeImage, ...], batch: ReadBatch) -> pa.Table:
    """The release rows of the whole images of a batch as read."""
    whole = [(image, fact) for image, fact in zip(images, batch.facts, strict=True) if not fact.error]
    stored = batch.stored
    parsed = [image.parsed for image, _ in whole]
    columns = {
        "image": [{"bytes": data, "path": None} for data, _ in stored],
        "image_id": [image.image_id for image, _ in whole],
        "identity": [p.identity for p in parsed],
        "view": [view_label(p.view) for p in parsed],
        "device": [f"c{p.camera}" for p in parsed],
        "source_name": [image.name for image, _ in whole],
        "sequence": [p.sequence for p in parsed],
        "frame": [p.frame for p in parsed],
        "instance": [p.instance for p in parsed],
        "crop_width": [f.width for _, f in whole],
        "crop_height": [f.height for _, f in whole],
        "sharpness": [f.sharpness for _, f in whole],
        "sha256": [sha256 for _, sha256 in stored],
        "phash": [f.phash for _, f in whole],
    }
    schema = arrow_schema()
    arrays = [
        pa.nulls(len(whole), field.type)
        if field.name in FOOTAGE_ONLY
        else pa.array(columns[field.name], field.type)
        for field in schema
    ]
    return pa.Table.from_arrays(arrays, schema=schema)
