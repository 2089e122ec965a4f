"""Write a release folder: Parquet shards in the Hugging Face layout, the split manifest, provenance,
the build report and the dataset card.

Rows arrive as a stream of Arrow batches per file group, so memory stays bounded by one shard. The folder
is staged beside its destination and renamed into place only when complete: a crash never leaves
something that looks like a release.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from cvpair import protocol
from cvpair.release import layout
from cvpair.release.lock import OutputLock
from cvpair.release.provenance import Provenance
from cvpair.schema import VIEWS, arrow_schema

MAX_SHARD_BYTES = 256 * 1024 * 1024
# A row group is flushed once it holds this many bytes or rows. Rows arrive in small batches (a footage
# shard's crops of one clip, an import's batch of files); written as they came they made row groups of 1-100
# rows, and every reader pays per group (`load_dataset` casts each one). Crops are ~10 kB, so a few MiB
# keeps streaming and random access cheap, far below the Hub viewer's ~300 MB limit per row group.
ROW_GROUP_BYTES = 4 * 1024 * 1024
ROW_GROUP_ROWS = 1000  # `datasets`' own largest batch


class _ShardedParquetWriter:
    """Writes one file group as numbered parts of bounded size, renamed `-of-N` once N is known; rows are
    held until they fill a row group (`ROW_GROUP_BYTES` or `ROW_GROUP_ROWS`, or the part's size)."""

    def __init__(self, folder: Path, file_split: str, max_bytes: int) -> None:
        self.folder, self.file_split, self.max_bytes = folder, file_split, max_bytes
        self.parts: list[Path] = []
        self._writer: pq.ParquetWriter | None = None
        self._bytes = 0
        self._held: list[pa.Table] = []
        self._held_bytes = self._held_rows = 0

    def write(self, table: pa.Table) -> None:
        self._held.append(table)
        self._held_bytes += table.nbytes
        self._held_rows += table.num_rows
        if self._held_bytes >= min(ROW_GROUP_BYTES, self.max_bytes):
            self._flush(self._held_rows)
        elif self._held_rows >= ROW_GROUP_ROWS:
            self._flush(self._held_rows // ROW_GROUP_ROWS * ROW_GROUP_ROWS)  # the rest starts the next group

    def _flush(self, rows: int) -> None:
        """Write the first `rows` held rows as row groups of at most `ROW_GROUP_ROWS`; hold the rest."""
        if not rows:
            return
        if self._writer is None or self._bytes >= self.max_bytes:
            self._open_next_part()
        assert self._writer is not None
        held = pa.concat_tables(self._held)
        table, rest = held.slice(0, rows), held.slice(rows)
        self._held = [rest] if rest.num_rows else []
        self._held_bytes, self._held_rows = rest.nbytes, rest.num_rows
        self._writer.write_table(table, row_group_size=ROW_GROUP_ROWS)
        self._bytes += table.nbytes

    def _open_next_part(self) -> None:
        if self._writer is not None:
            self._writer.close()
        part = self.folder / layout.DATA_DIR / f"{self.file_split}.part{len(self.parts):05d}"
        self.parts.append(part)
        self._writer = pq.ParquetWriter(part, arrow_schema(), compression="snappy")
        self._bytes = 0

    def close(self) -> list[str]:
        """Finish the last part and give every part its final name; an empty group still gets one file."""
        self._flush(self._held_rows)
        if self._writer is None:
            self._open_next_part()
        assert self._writer is not None
        self._writer.close()
        names = []
        for index, part in enumerate(self.parts):
            name = layout.shard_name(self.file_split, index, len(self.parts))
            part.rename(self.folder / name)
            names.append(name)
        return names


def _conform(batch: pa.RecordBatch | pa.Table) -> pa.Table:
    """The batch as a table in the declared column order and types (a wrong column fails loudly here)."""
    table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
    return table.select(list(arrow_schema().names)).cast(arrow_schema())


def _write_group(
    staging: Path, file_split: str, batches: Iterable[pa.RecordBatch | pa.Table], max_shard_bytes: int
) -> list[layout.SplitRow]:
    """Write one file group's Parquet parts; returns its split-manifest rows."""
    writer = _ShardedParquetWriter(staging, file_split, max_shard_bytes)
    manifest_split = protocol.GROUPS_BY_NAME[file_split].split
    rows: list[layout.SplitRow] = []
    for batch in batches:
        table = _conform(batch)
        writer.write(table)
        ids, identities, views = (table.column(c).to_pylist() for c in ("image_id", "identity", "view"))
        split_views = [VIEWS[v] for v in views]
        rows += [
            layout.SplitRow(*row, manifest_split) for row in zip(ids, identities, split_views, strict=True)
        ]
    writer.close()
    return rows


def write_release(
    out: Path,
    splits: Mapping[str, Iterable[pa.RecordBatch | pa.Table]],
    *,
    provenance: Provenance,
    report: Mapping[str, object],
    overwrite: bool = False,
    max_shard_bytes: int = MAX_SHARD_BYTES,
    painter: Executor | None = None,
    on_staged: Callable[[Path], object] | None = None,
    group_threads: int = len(protocol.FILE_GROUP_NAMES),
) -> Path:
    """Stream the rows of each file group (`protocol.FILE_GROUP_NAMES`, sorted by image_id) into a release
    at `out`: `write_groups`, then `finish_release`, in a `staged_release`.

    Returns the release path. `out` must not exist unless `overwrite`.
    """
    with OutputLock(out), staged_release(out, overwrite) as staging:
        manifest = write_groups(staging, splits, max_shard_bytes, group_threads)
        finish_release(staging, manifest, provenance, report, painter, on_staged)
    return Path(out).resolve()


@contextmanager
def staged_release(out: Path, overwrite: bool = False) -> Iterator[Path]:
    """A staging folder beside `out` (one left by a killed writer is replaced), moved into place as `out`
    when the block ends, removed when it raises: a failure never leaves a half-written release.

    Take `OutputLock(out)` around it: two writers would share the staging folder.
    """
    out = Path(out).resolve()
    staging = out.parent / f".{out.name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    (staging / layout.DATA_DIR).mkdir(parents=True)
    try:
        yield staging
        _move_into_place(staging, out, overwrite)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def write_groups(
    staging: Path,
    splits: Mapping[str, Iterable[pa.RecordBatch | pa.Table]],
    max_shard_bytes: int = MAX_SHARD_BYTES,
    group_threads: int = len(protocol.FILE_GROUP_NAMES),
) -> list[layout.SplitRow]:
    """Write every file group's Parquet into `staging`; returns the split manifest's rows, sorted.

    One thread per file group by default: reading, compressing and writing Parquet release the GIL, so
    the groups' I/O overlaps; each group holds at most a row group's rows at a time. Fewer
    `group_threads` suit rows made by Python (threads would only hand the GIL back and forth); with one,
    the groups are written in `protocol.FILE_GROUP_NAMES` order.
    """
    if set(splits) != set(protocol.FILE_GROUP_NAMES):
        raise ValueError(f"splits must be exactly {protocol.FILE_GROUP_NAMES}, got {sorted(splits)}")
    with ThreadPoolExecutor(group_threads) as pool:
        groups = pool.map(
            lambda file_split: _write_group(staging, file_split, splits[file_split], max_shard_bytes),
            protocol.FILE_GROUP_NAMES,
        )
        return sorted(row for rows in groups for row in rows)


def finish_release(
    staging: Path,
    manifest: list[layout.SplitRow],
    provenance: Provenance,
    report: Mapping[str, object],
    painter: Executor | None = None,
    on_staged: Callable[[Path], object] | None = None,
) -> None:
    """Write what follows the Parquet: the split manifest, provenance, the build report and the card.

    The card is rendered from the written data by `cvpair.release.card`, its figures by `painter` if
    given. `on_staged(folder)` runs on the staged release before it is moved into place, in a thread
    beside the card's text, once the card's YAML header is written: it may read the header and the data,
    nothing else (the registration for `load_dataset` does just that).
    """
    from cvpair.release.card import write_card

    with open(staging / layout.SPLIT_MANIFEST, "w", newline="") as handle:
        rows = csv.writer(handle)
        rows.writerow(layout.SPLIT_COLUMNS)
        rows.writerows(manifest)
    for name, content in ((layout.PROVENANCE, provenance.to_dict()), (layout.BUILD_REPORT, report)):
        (staging / name).write_text(json.dumps(content, indent=2, sort_keys=True) + "\n")
    write_card(staging, painter, then=on_staged)


def _move_into_place(staging: Path, out: Path, overwrite: bool) -> None:
    """Atomically publish `staging` as `out`, replacing an existing release only when asked to."""
    if out.exists():
        if not overwrite:
            raise FileExistsError(out)
        old = out.parent / f".{out.name}.old"
        shutil.rmtree(old, ignore_errors=True)
        os.replace(out, old)
        os.replace(staging, out)
        shutil.rmtree(old)
    else:
        os.replace(staging, out)
