"""Names inside a release folder, shared by the writer, the card and every reader of a release."""

from __future__ import annotations

DATA_DIR = "data"
CARD = "README.md"
SPLIT_MANIFEST = "splits.csv"
PROVENANCE = "provenance.json"
BUILD_REPORT = "build_report.json"

TRAIN = "train"
TEST_AERIAL = "test_aerial"
TEST_GROUND = "test_ground"
FILE_SPLITS: tuple[str, ...] = (TRAIN, TEST_AERIAL, TEST_GROUND)
"""The sets of rows stored on disk, one file group each; protocols only point at them."""

PROTOCOLS: dict[str, dict[str, str]] = {
    "a2g": {"train": TRAIN, "query": TEST_AERIAL, "gallery": TEST_GROUND},
    "g2a": {"train": TRAIN, "query": TEST_GROUND, "gallery": TEST_AERIAL},
}
"""Each `datasets` config (a ReID protocol) maps its splits to file groups; a2g is the default."""
DEFAULT_PROTOCOL = "a2g"


def data_pattern(file_split: str) -> str:
    """Glob, relative to the release, of the Parquet shards of one file group."""
    return f"{DATA_DIR}/{file_split}-*.parquet"


def shard_name(file_split: str, index: int, count: int) -> str:
    """Hugging Face shard naming: `data/<split>-00000-of-00003.parquet`."""
    return f"{DATA_DIR}/{file_split}-{index:05d}-of-{count:05d}.parquet"
