"""The image pass: read every image's bytes once, in parallel, and record what the checks need.

Work is split into ranges of Parquet row groups; each worker reads one row group at a time (the writer
keeps them small), so memory stays bounded whatever the release size. Per image it fully decodes the
JPEG (the floor of the cost), hashes the bytes, notes embedded metadata, and recomputes the perceptual
hash for a content-chosen sample of rows (recomputing it for all rows would cost about half a decode more).
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, fields
from multiprocessing import get_context
from typing import TYPE_CHECKING

import numpy as np
import pyarrow.parquet as pq
from PIL import Image

from cvpair.build.phash import phash

if TYPE_CHECKING:  # workers import this module: keep pandas, datasets and the card out of them
    import pandas as pd

    from cvpair.checks.release import DataFile

DEFAULT_PHASH_SAMPLE = 1 / 32  # ~470 rows of the full release: a wrong hash function cannot hide
_GPS_IFD = 0x8825
_JPEG_END = b"\xff\xd9"


@dataclass(frozen=True)
class Task:
    """A range of row groups of one file; `first_row` is the index of its first row in `Release.rows`."""

    path: str
    row_groups: tuple[int, ...]
    first_row: int


@dataclass(frozen=True)
class ImageFacts:
    """What the image pass learns about one image."""

    decode_error: str  # "" when the image decoded fully
    format: str  # Pillow's format name ("JPEG", "PNG", ...), "" when unreadable
    width: int
    height: int
    has_end_marker: bool  # JPEG bytes end with EOI (a cut-off file may still decode)
    sha256: str
    embedded: str  # "", or the metadata found inside: "EXIF", "EXIF+GPS", "XMP", ...
    phash: int | None  # recomputed from the pixels for sampled rows, else None


FACT_NAMES: tuple[str, ...] = tuple(f.name for f in fields(ImageFacts))


def in_sample(sha256: str, fraction: float) -> bool:
    """Whether a row's perceptual hash is recomputed: chosen by content, so runs agree."""
    return int(sha256[:8], 16) < fraction * 0x1_0000_0000


def _embedded(image: Image.Image) -> str:
    found = []
    if "exif" in image.info:
        found.append("EXIF+GPS" if image.getexif().get_ifd(_GPS_IFD) else "EXIF")
    if "xmp" in image.info or "XML:com.adobe.xmp" in image.info:
        found.append("XMP")
    return "+".join(found)


def inspect_image(data: bytes, phash_sample: float) -> ImageFacts:
    """Decode `data` fully and gather the facts the checks compare with the row's columns."""
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            embedded = _embedded(image)
            value = phash(np.asarray(image.convert("L"))) if in_sample(sha256, phash_sample) else None
            fmt, (width, height) = image.format or "", image.size
    except Exception as error:  # noqa: BLE001 - any decoder failure is a finding, not a crash
        return ImageFacts(f"{type(error).__name__}: {error}", "", 0, 0, False, sha256, "", None)
    ends = data.endswith(_JPEG_END) or data.rstrip(b"\0").endswith(_JPEG_END)  # some encoders pad with zeros
    return ImageFacts("", fmt, width, height, ends, sha256, embedded, value)


def image_bytes(parquet: pq.ParquetFile, row_group: int) -> list[bytes | None]:
    """The image bytes of one row group."""
    column = parquet.read_row_group(row_group, columns=["image"]).column("image").combine_chunks()
    return column.field("bytes").to_pylist()


def scan_task(task: Task, phash_sample: float) -> tuple[int, dict[str, list]]:
    """The facts of every image in one task, in row order, as columns (cheap to send between processes)."""
    parquet = pq.ParquetFile(task.path)
    facts = [
        inspect_image(data or b"", phash_sample) for g in task.row_groups for data in image_bytes(parquet, g)
    ]
    return task.first_row, {name: [getattr(f, name) for f in facts] for name in FACT_NAMES}


def plan(files: list[DataFile], workers: int) -> list[Task]:
    """Row-group ranges small enough to balance `workers`, in file order."""
    per_task = max(1, sum(f.num_row_groups for f in files) // (workers * 8))
    tasks, first_row = [], 0
    for data_file in files:
        metadata = pq.ParquetFile(data_file.path).metadata
        for start in range(0, data_file.num_row_groups, per_task):
            indices = tuple(range(start, min(start + per_task, data_file.num_row_groups)))
            tasks.append(Task(str(data_file.path), indices, first_row))
            first_row += sum(metadata.row_group(i).num_rows for i in indices)
    return tasks


@contextmanager
def run_tasks(tasks: list[Task], workers: int, function, *args) -> Iterator[Iterator]:
    """Start `function(task, *args)` for every task and give the iterator of their results, in task order.

    With several workers the tasks run in a process pool from the moment the block is entered, so the
    caller can do other work before it reads the results; with one, they run as the results are read.
    """
    if workers <= 1:
        yield (function(task, *args) for task in tasks)
        return
    # spawn, not fork: the parent already runs pyarrow's thread pools, which a fork would copy mid-flight.
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        try:
            yield pool.map(function, tasks, *([arg] * len(tasks) for arg in args))
        except BaseException:
            pool.shutdown(cancel_futures=True)
            raise


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@contextmanager
def scanning(files: list[DataFile], workers: int, phash_sample: float = DEFAULT_PHASH_SAMPLE):
    """Start the image pass over `files`; the block gets a function that waits for it and returns one row
    of facts per image, in the order of the files' rows."""
    import pandas as pd

    rows = sum(f.num_rows for f in files)
    with run_tasks(plan(files, workers), workers, scan_task, phash_sample) as results:

        def collect() -> pd.DataFrame:
            columns: dict[str, list] = {name: [None] * rows for name in FACT_NAMES}
            for first_row, chunk in results:
                for name, values in chunk.items():
                    columns[name][first_row : first_row + len(values)] = values
            # object dtype keeps 64-bit hashes exact next to the None of unsampled rows
            return pd.DataFrame(
                {k: pd.Series(v, dtype=object) if k == "phash" else v for k, v in columns.items()}
            )

        yield collect
