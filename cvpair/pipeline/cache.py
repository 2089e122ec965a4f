"""The shard cache: one Parquet file of crop rows per clip, named by a content address.

A shard's key hashes everything its rows depend on (the bytes of the clip's input files, the resolved
annotation, the build parameters and the toolkit version), so a shard on disk is either exactly what a
build would make again, or it is not looked at. Shards are written under a temporary name and renamed
when complete, with their summary (rows, rejected crops by reason, warnings) written just before: an
interrupted build, even by `kill -9`, resumes from the shards that exist.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cvpair.schema import row_schema

BATCH_ROWS = 64  # rows buffered before a write: bounds a worker's memory whatever the clip's length
_TEMPORARY = ".tmp-"  # + the writing process's id: a file still being written, or left by a killed build
SHARD_COMPRESSION = "none"  # the bytes are JPEG: compressing them again only costs time, twice


def content_key(parts: object) -> str:
    """A stable hex key of a JSON-serialisable description."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class ShardSummary:
    """What a shard holds besides its rows; stored as `<key>.json` beside `<key>.parquet`."""

    clip: str
    key: str
    rows: int
    rejected: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    inputs: dict[str, str] = field(default_factory=dict)  # role (video, annotation, telemetry) -> sha256


class ShardStore:
    """Shard files in `<root>/shards`: lookup, atomic writes, and reads of selected columns or rows."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.folder = self.root / "shards"

    def parquet(self, key: str) -> Path:
        return self.folder / f"{key}.parquet"

    def summary_path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def load(self, key: str) -> ShardSummary | None:
        """The summary of a complete shard, or None if it was never finished."""
        if not self.parquet(key).is_file():
            return None
        try:
            return ShardSummary(**json.loads(self.summary_path(key).read_text()))
        except (OSError, ValueError, TypeError):
            return None

    @contextlib.contextmanager
    def writer(self, key: str) -> Iterator[ShardWriter]:
        """A writer for shard `key`; nothing is left behind unless `commit` was called."""
        self.folder.mkdir(parents=True, exist_ok=True)
        writer = ShardWriter(self, key)
        try:
            yield writer
        finally:
            writer.discard()

    def columns(self, key: str, names: list[str]) -> pa.Table:
        """Some columns of a shard (no image bytes are read unless asked for)."""
        return pq.ParquetFile(self.parquet(key)).read(columns=names, use_threads=False)

    def rows(self, key: str, image_ids: list[str]) -> pa.Table:
        """The full rows of a shard whose image_id is in `image_ids`, in that order (an id the shard does
        not hold is left out). A shard is a few dozen rows in one row group: Arrow's threads and its
        dataset layer would cost more than the read, and a release takes thousands of these."""
        table = pq.ParquetFile(self.parquet(key)).read(use_threads=False)
        positions = pc.index_in(pa.array(image_ids, pa.string()), value_set=table["image_id"])
        return table.take(pc.drop_null(positions))

    def temporary(self, name: str, owner: int | None = None) -> Path:
        """A temporary file `name` of process `owner` (default: this one), which `remove_stale_temporaries`
        deletes once that process is gone."""
        return self.folder / f"{name}{_TEMPORARY}{owner or os.getpid()}"

    def remove_stale_temporaries(self) -> None:
        """Delete temporary files whose writing process is gone (a killed build)."""
        for path in self.folder.glob(f"*{_TEMPORARY}*"):
            pid = path.name.rsplit(_TEMPORARY, 1)[1]
            if pid.isdigit() and not _alive(int(pid)):
                path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ShardWriter:
    """Streams rows into a temporary Parquet file; `commit` makes it the shard."""

    def __init__(self, store: ShardStore, key: str) -> None:
        self.store, self.key = store, key
        self._temporary = store.temporary(store.parquet(key).name)
        self._pending: list[dict] = []
        self._writer: pq.ParquetWriter | None = None
        self.rows = 0

    def add(self, row: dict) -> None:
        self._pending.append(row)
        if len(self._pending) >= BATCH_ROWS:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        if self._writer is None:
            self._writer = pq.ParquetWriter(self._temporary, row_schema(), compression=SHARD_COMPRESSION)
        self._writer.write_table(pa.Table.from_pylist(self._pending, schema=row_schema()))
        self.rows += len(self._pending)
        self._pending = []

    def commit(self, summary: ShardSummary, drop_frames: set[int] | None = None) -> ShardSummary:
        """Finish the shard, leaving out rows of `drop_frames`; returns the summary as stored."""
        self._flush()
        if self._writer is None:  # no rows: the shard is an empty file with the schema
            self._writer = pq.ParquetWriter(self._temporary, row_schema(), compression=SHARD_COMPRESSION)
        self._writer.close()
        self._writer = None
        if drop_frames:
            table = pq.read_table(self._temporary, schema=row_schema())
            keep = pc.invert(pc.is_in(table["frame"], value_set=pa.array(sorted(drop_frames), pa.int32())))
            pq.write_table(table.filter(keep), self._temporary, compression=SHARD_COMPRESSION)
        rows = pq.ParquetFile(self._temporary).metadata.num_rows
        stored = ShardSummary(**{**asdict(summary), "rows": rows})
        summary_path = self.store.summary_path(self.key)
        temporary_summary = self.store.temporary(summary_path.name)
        temporary_summary.write_text(json.dumps(asdict(stored), indent=1, sort_keys=True))
        os.replace(temporary_summary, summary_path)
        os.replace(self._temporary, self.store.parquet(self.key))
        return stored

    def discard(self) -> None:
        """Remove what an unfinished write left (called on every exit; a no-op after commit)."""
        if self._writer is not None:
            with contextlib.suppress(Exception):
                self._writer.close()
            self._writer = None
        self._temporary.unlink(missing_ok=True)
