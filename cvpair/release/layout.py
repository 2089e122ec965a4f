"""Names inside a release folder, shared by the writer, the card and every reader of a release.

The file groups themselves (train, query_aerial, gallery_ground, query_ground, gallery_aerial) and the
protocols that point at them are declared in `cvpair.protocol`.
"""

from __future__ import annotations

from typing import NamedTuple

DATA_DIR = "data"
CARD = "README.md"
SPLIT_MANIFEST = "splits.csv"
PROVENANCE = "provenance.json"
BUILD_REPORT = "build_report.json"


class SplitRow(NamedTuple):
    """One row of the split manifest (splits.csv); split is train or test."""

    image_id: str
    identity: int
    view: str
    split: str


SPLIT_COLUMNS: tuple[str, ...] = SplitRow._fields


def data_pattern(file_group: str) -> str:
    """Glob, relative to the release, of the Parquet shards of one file group."""
    return f"{DATA_DIR}/{file_group}-*.parquet"


def shard_name(file_group: str, index: int, count: int) -> str:
    """Hugging Face shard naming: `data/<group>-00000-of-00003.parquet`."""
    return f"{DATA_DIR}/{file_group}-{index:05d}-of-{count:05d}.parquet"
