"""`cvpair export --format market1501`: any release as the Market-1501-style tree CVPair v1.0 was
published in, so code written for that layout trains on it.

Every image is written with its original bytes. An imported row keeps its original name (`source_name`);
a footage row is named from its columns: identity (at least 4 digits), camera `c0` (ground) or `c1`
(aerial), a sequence per clip (clips of a view numbered from 1 in name order), the video frame (at least
5 digits) and instance `00` (`01`, ... if two crops would share a name). The training images go to both
protocols' `bounding_box_train`, as published.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter
from pathlib import Path

import pyarrow.parquet as pq

from cvpair import protocol
from cvpair.errors import CvpairError, InputError, Problem
from cvpair.imagebytes import PNG, image_format
from cvpair.market.names import MarketName, format_name
from cvpair.market.tree import FOLDER_GROUPS
from cvpair.release import layout
from cvpair.release.lock import OutputLock

NAME_COLUMNS = ["source_name", "identity", "view", "clip", "frame"]
BATCH_ROWS = 200


@dataclass(frozen=True)
class ExportResult:
    tree: Path
    files: int  # image files written (training images twice)
    seconds: float


def _group_files(release: Path) -> dict[str, list[Path]]:
    files = {g: sorted(release.glob(layout.data_pattern(g))) for g in protocol.FILE_GROUP_NAMES}
    missing = [Problem(release / layout.data_pattern(g), "no Parquet file of this file group") for g, f in
               files.items() if not f]  # fmt: skip
    if missing:
        raise InputError(missing, headline=f"{release} is not a cvpair release")
    return files


def _stems(files: dict[str, list[Path]]) -> dict[str, list[str]]:
    """The file name of every row of each file group, in row order: an imported row's original name, a
    footage row's name without its suffix (which the bytes decide)."""
    columns = {g: pq.read_table(paths, columns=NAME_COLUMNS).to_pylist() for g, paths in files.items()}
    clips = sorted(
        {(r["view"], r["clip"]) for rows in columns.values() for r in rows if not r["source_name"]}
    )
    sequences = {(view, clip): number for view, same in groupby(clips, key=itemgetter(0))
                 for number, (_, clip) in enumerate(same, start=1)}  # fmt: skip
    stems: dict[str, list[str]] = {}
    taken: set[str] = set()
    for group, rows in columns.items():
        stems[group] = []
        for row in rows:
            if row["source_name"]:
                stems[group].append(row["source_name"])
                continue
            view = protocol.VIEWS[row["view"]]
            sequence = sequences[(row["view"], row["clip"])]
            name = MarketName(row["identity"], protocol.MARKET_CAMERAS[view], sequence, row["frame"], 0)
            while format_name(name, "") in taken:
                name = name._replace(instance=name.instance + 1)
            taken.add(format_name(name, ""))
            stems[group].append(format_name(name, ""))
    return stems


def _folders(group: str) -> list[str]:
    return [folder for folder, file_group in FOLDER_GROUPS.items() if file_group.name == group]


def _write_group(staging: Path, group: str, paths: list[Path], names: list[str]) -> int:
    """Write one file group's images into each of its folders; returns the files written."""
    folders = [staging / folder for folder in _folders(group)]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    names_left = iter(names)
    written = 0
    for path in paths:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=BATCH_ROWS, columns=["image"]):
            for data in batch.column("image").field("bytes").to_pylist():
                name = next(names_left)
                if "." not in name:  # a footage row: the suffix says what the bytes are
                    name += ".png" if image_format(data) == PNG else ".jpg"
                for folder in folders:
                    if (folder / name).exists():
                        raise InputError(
                            Problem(path, f"two images would be written as {folder.name}/{name}")
                        )
                    (folder / name).write_bytes(data)
                    written += 1
    return written


def export_release(release: Path, out: Path) -> ExportResult:
    """Write `release` as a Market-1501-style tree at `out` (which must not exist), atomically."""
    started = time.perf_counter()
    release, out = Path(release).resolve(), Path(out).resolve()
    with OutputLock(out):
        if out.exists():
            raise CvpairError(f"{out}: output folder exists; choose another -o or remove it")
        files = _group_files(release)
        stems = _stems(files)
        staging = out.parent / f".{out.name}.partial"
        shutil.rmtree(staging, ignore_errors=True)
        try:
            written = sum(_write_group(staging, g, files[g], stems[g]) for g in protocol.FILE_GROUP_NAMES)
            os.replace(staging, out)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return ExportResult(out, written, time.perf_counter() - started)
