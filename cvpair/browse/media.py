"""The crops of a release as image files, which FiftyOne needs: extracted once per release fingerprint
into a cache folder, never into the release itself."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from cvpair import protocol
from cvpair.errors import InputError, Problem
from cvpair.imagebytes import JPEG, PNG, image_format
from cvpair.release import layout
from cvpair.schema import arrow_schema

METADATA_COLUMNS = ("image_id", "identity", "view", "device", "clip", "track", "frame", "timestamp_s",
                    "bbox_x", "bbox_y", "bbox_w", "bbox_h", "frame_width", "frame_height", "crop_width",
                    "crop_height", "altitude_m", "altitude_reference", "sharpness", "source_name", "sequence",
                    "instance")  # fmt: skip
"""The release columns shown in the browser (the image itself becomes `filepath`)."""
SUFFIXES = {JPEG: ".jpg", PNG: ".png"}


def crop_path(folder: Path, image_id: str, fmt: str | None = JPEG) -> Path:
    """Where the crop `image_id` ('<clip>/<track>/<frame>') stored as `fmt` is under `folder`: the suffix
    tells viewers the format, so an imported PNG (named .jpg in the published tree) is kept as .png."""
    relative = Path(f"{image_id}{SUFFIXES.get(fmt, '.jpg')}")
    if relative.is_absolute() or ".." in relative.parts:
        raise InputError(Problem(image_id, "image_id is not a '<clip>/<track>/<frame>' id"))
    return folder / relative


def _stored_path(folder: Path, image_id: str) -> Path:
    """The file written for `image_id` by an earlier extraction (a PNG if one was written, else the JPEG)."""
    png = crop_path(folder, image_id, PNG)
    return png if png.exists() else crop_path(folder, image_id)


def extract_crops(release: Path, folder: Path) -> pa.Table:
    """The crops' metadata columns plus `file_split` and `filepath`; the images are written under `folder`.

    The folder is filled beside its final name and renamed when complete, so an interrupted extraction is
    redone rather than trusted; a complete one is reused and only the metadata is read.
    """
    complete = folder.is_dir()
    staging = folder.parent / f".{folder.name}.partial"
    if not complete:
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
    columns = list(METADATA_COLUMNS) if complete else ["image", *METADATA_COLUMNS]
    schema = pa.schema([arrow_schema().field(name) for name in METADATA_COLUMNS])
    parts = [schema.empty_table()]
    file_splits: list[str] = []
    for file_split in protocol.FILE_GROUP_NAMES:
        for path in sorted(release.glob(layout.data_pattern(file_split))):
            for batch in pq.ParquetFile(path).iter_batches(columns=columns, batch_size=256):
                if not complete:
                    _write_images(staging, batch)
                parts.append(pa.Table.from_batches([batch]).select(list(METADATA_COLUMNS)).cast(schema))
                file_splits += [file_split] * batch.num_rows
    if not complete:
        os.replace(staging, folder)
    table = pa.concat_tables(parts)
    paths = [str(_stored_path(folder, crop)) for crop in table.column("image_id").to_pylist()]
    return table.append_column("file_split", pa.array(file_splits, pa.string())).append_column(
        "filepath", pa.array(paths, pa.string())
    )


def _write_images(folder: Path, batch: pa.RecordBatch) -> None:
    images = batch.column("image").field("bytes").to_pylist()
    for crop, data in zip(batch.column("image_id").to_pylist(), images, strict=True):
        path = crop_path(folder, crop, image_format(data))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
