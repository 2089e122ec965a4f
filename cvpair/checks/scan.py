"""The image pass: read every image's bytes once, in parallel, and record what the checks need.

Work is split into ranges of Parquet row groups; each worker reads one row group at a time (the writer
keeps them to a few MiB), so memory stays bounded whatever the release size. Per image it fully decodes the
JPEG (the floor of the cost), hashes the bytes, notes embedded metadata, recomputes the perceptual hash
for a content-chosen sample of rows (recomputing it for all rows would cost about half a decode more),
and, for the few rows the near-duplicate search asks about, keeps a colour thumbnail of the decoded pixels.

The worker processes start before the parent knows what to ask them (`scanning`): their start-up (a new
interpreter importing pyarrow, Pillow and OpenCV) overlaps the parent's reading of the rows.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Collection, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import repeat
from multiprocessing import get_context
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pyarrow.parquet as pq
from PIL import Image

from cvpair.imagebytes import JPEG, PNG, is_cut_off
from cvpair.pipeline.phash import phash

if TYPE_CHECKING:  # workers import this module: keep pandas, datasets and the card out of them
    import pandas as pd

    from cvpair.checks.facts import DataFile

DEFAULT_PHASH_SAMPLE = 1 / 32  # ~470 rows of the full release: a wrong hash function cannot hide
_GPS_IFD = 0x8825
THUMBNAIL_SIZE = (32, 32)


@dataclass(frozen=True)
class Task:
    """A range of row groups of one file; `first_row` is the index of its first row in the release's rows."""

    path: str
    row_groups: tuple[int, ...]
    first_row: int
    thumbnails: frozenset[int] = frozenset()  # rows (indices in the release's rows) to keep a thumbnail of


class ImageFacts(NamedTuple):
    """What the image pass learns about one image (a tuple: cheap to make 15 k times and to transpose)."""

    decode_error: str  # "" when the image decoded fully
    format: str  # Pillow's format name ("JPEG", "PNG", ...), "" when unreadable
    width: int
    height: int
    has_end_marker: bool  # JPEG or PNG bytes end with their end marker (a cut-off file may still decode)
    sha256: str
    embedded: str  # "", or the metadata found inside: "EXIF", "EXIF+GPS", "XMP", ...
    phash: int | None  # recomputed from the pixels for sampled rows, else None
    thumbnail: np.ndarray | None  # `thumbnail(image)` for the rows asked for, else None


FACT_NAMES: tuple[str, ...] = ImageFacts._fields


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


def thumbnail(image: Image.Image) -> np.ndarray:
    """The 32x32 colour thumbnail the look-alike checks correlate, normalised in brightness and contrast."""
    pixels = np.asarray(image.convert("RGB").resize(THUMBNAIL_SIZE, Image.BILINEAR), dtype=np.float32)
    pixels -= pixels.mean()
    return pixels / (pixels.std() + 1e-6)


def inspect_image(data: bytes, phash_sample: float, with_thumbnail: bool = False) -> ImageFacts:
    """Decode `data` fully and gather the facts the checks compare with the row's columns."""
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            embedded = _embedded(image)
            value = phash(np.asarray(image.convert("L"))) if in_sample(sha256, phash_sample) else None
            small = thumbnail(image) if with_thumbnail else None
            fmt, (width, height) = image.format or "", image.size
    except Exception as error:  # noqa: BLE001 - any decoder failure is a finding, not a crash
        return ImageFacts(f"{type(error).__name__}: {error}", "", 0, 0, False, sha256, "", None, None)
    ends = fmt in (JPEG, PNG) and not is_cut_off(data, fmt)
    return ImageFacts("", fmt, width, height, ends, sha256, embedded, value, small)


def image_bytes(parquet: pq.ParquetFile, row_group: int) -> list[bytes | None]:
    """The image bytes of one row group."""
    column = parquet.read_row_group(row_group, columns=["image"]).column("image").combine_chunks()
    return column.field("bytes").to_pylist()


def scan_task(task: Task, phash_sample: float) -> tuple[int, dict[str, list]]:
    """The facts of every image in one task, in row order, as columns (cheap to send between processes)."""
    parquet = pq.ParquetFile(task.path)
    images = (data for g in task.row_groups for data in image_bytes(parquet, g))
    facts = [
        inspect_image(data or b"", phash_sample, row in task.thumbnails)
        for row, data in enumerate(images, start=task.first_row)
    ]
    columns = list(zip(*facts, strict=True)) or [() for _ in FACT_NAMES]
    return task.first_row, {name: list(values) for name, values in zip(FACT_NAMES, columns, strict=True)}


def plan(files: list[DataFile], workers: int, thumbnails: Collection[int] = ()) -> list[Task]:
    """Row-group ranges small enough to balance `workers`, in file order; each task is given the rows of
    `thumbnails` it holds."""
    per_task = max(1, sum(f.num_row_groups for f in files) // (workers * 8))
    wanted = np.sort(np.fromiter(thumbnails, dtype=np.int64, count=len(thumbnails)))
    tasks, first_row = [], 0
    for data_file in files:
        metadata = data_file.metadata or pq.ParquetFile(data_file.path).metadata
        for start in range(0, data_file.num_row_groups, per_task):
            indices = tuple(range(start, min(start + per_task, data_file.num_row_groups)))
            end = first_row + sum(metadata.row_group(i).num_rows for i in indices)
            inside = wanted[np.searchsorted(wanted, first_row) : np.searchsorted(wanted, end)]
            tasks.append(Task(str(data_file.path), indices, first_row, frozenset(inside.tolist())))
            first_row = end
    return tasks


@contextmanager
def _process_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A pool of `workers` processes that cancels the tasks still queued when the block fails."""
    # spawn, not fork: the parent already runs pyarrow's thread pools, which a fork would copy mid-flight.
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        try:
            yield pool
        except BaseException:
            pool.shutdown(cancel_futures=True)
            raise


@contextmanager
def run_tasks(tasks: list[Task], workers: int, function, *args) -> Iterator[Iterator]:
    """Start `function(task, *args)` for every task and give the iterator of their results, in task order.

    With several workers the tasks run in a process pool from the moment the block is entered, so the
    caller can do other work before it reads the results; with one, they run as the results are read.
    """
    if workers <= 1:
        yield (function(task, *args) for task in tasks)
        return
    with _process_pool(workers) as pool:
        yield pool.map(function, tasks, *([arg] * len(tasks) for arg in args))


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _ready() -> None:
    """Nothing: sent to every worker first, so that each starts (and imports this module) at once."""


class ImagePass:
    """The image pass of one release: `start` hands out its tasks, `facts` waits for their results."""

    def __init__(self, pool: ProcessPoolExecutor | None, workers: int, phash_sample: float) -> None:
        self._pool, self._workers, self._phash_sample = pool, workers, phash_sample
        self._results: Iterator[tuple[int, dict[str, list]]] = iter(())
        self._rows = 0

    def start(self, files: list[DataFile], thumbnails: Collection[int] = ()) -> None:
        """Scan every image of `files`, keeping a thumbnail of the rows in `thumbnails`."""
        tasks = plan(files, self._workers, thumbnails)
        self._rows = sum(f.num_rows for f in files)
        if self._pool is None:  # one worker: the tasks run in this process, as the results are read
            self._results = (scan_task(task, self._phash_sample) for task in tasks)
        else:
            self._results = self._pool.map(scan_task, tasks, repeat(self._phash_sample))

    def facts(self) -> pd.DataFrame:
        """Wait for the pass: one row of facts per image, in the order of the files' rows."""
        import pandas as pd

        columns: dict[str, list] = {name: [None] * self._rows for name in FACT_NAMES}
        for first_row, chunk in self._results:
            for name, values in chunk.items():
                columns[name][first_row : first_row + len(values)] = values
        # object dtype keeps 64-bit hashes exact next to the None of unsampled rows, and arrays whole
        objects = ("phash", "thumbnail")
        return pd.DataFrame(
            {k: pd.Series(v, dtype=object) if k in objects else v for k, v in columns.items()}
        )


@contextmanager
def scanning(workers: int, phash_sample: float = DEFAULT_PHASH_SAMPLE) -> Iterator[ImagePass]:
    """Start the `workers` processes of an image pass now; the block starts the pass when it knows which
    thumbnails it needs, does other work while the workers decode, then collects the facts."""
    if workers <= 1:
        yield ImagePass(None, 1, phash_sample)
        return
    with _process_pool(workers) as pool:
        for _ in range(workers):  # the pool starts a process for each task it cannot give to an idle one
            pool.submit(_ready)
        yield ImagePass(pool, workers, phash_sample)
