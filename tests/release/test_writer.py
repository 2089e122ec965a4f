"""The release writer's Parquet: rows that arrive in small batches are gathered into row groups of a few MiB
or `ROW_GROUP_ROWS` rows, in the order they came, in parts of about the shard size."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from cvpair import protocol
from cvpair.release import writer
from cvpair.schema import arrow_schema
from tests.helpers.release_factory import crop_row


def _batches(sizes: list[int]) -> list[pa.Table]:
    """Batches of the given numbers of rows, their image ids numbered in order."""
    row = crop_row(7, "aerial", 0)
    rows = [{**row, "image_id": f"{row['image_id']}-{k:05d}"} for k in range(sum(sizes))]
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    spans = zip(starts, sizes, strict=True)
    return [pa.Table.from_pylist(rows[s : s + n], schema=arrow_schema()) for s, n in spans]


def _write_train(tmp_path, batches: list[pa.Table], **options) -> list[pq.ParquetFile]:
    """The train group's Parquet parts, in order, as `write_groups` writes them."""
    staging = tmp_path / "staging"
    (staging / "data").mkdir(parents=True)
    empty = {name: [] for name in protocol.FILE_GROUP_NAMES}
    writer.write_groups(staging, {**empty, protocol.TRAIN_GROUP.name: batches}, **options)
    return [pq.ParquetFile(path) for path in sorted((staging / "data").glob("train-*.parquet"))]


def _row_group_sizes(parquet: pq.ParquetFile) -> list[int]:
    return [parquet.metadata.row_group(i).num_rows for i in range(parquet.num_row_groups)]


def _image_ids(parts: list[pq.ParquetFile]) -> list[str]:
    return [i for part in parts for i in part.read(columns=["image_id"])["image_id"].to_pylist()]


def _ids_of(batches: list[pa.Table]) -> list[str]:
    return [i for b in batches for i in b["image_id"].to_pylist()]


def test_one_row_batches_fill_row_groups_of_row_group_rows(tmp_path, monkeypatch):
    monkeypatch.setattr(writer, "ROW_GROUP_ROWS", 40)
    batches = _batches([1] * 100)
    (parquet,) = _write_train(tmp_path, batches)
    assert _row_group_sizes(parquet) == [40, 40, 20]
    assert _image_ids([parquet]) == _ids_of(batches)


def test_batches_that_straddle_a_row_group_leave_no_small_groups_behind(tmp_path, monkeypatch):
    monkeypatch.setattr(writer, "ROW_GROUP_ROWS", 40)
    batches = _batches([30, 30, 30, 30, 7])  # 60 rows held: 40 written, 20 start the next group
    (parquet,) = _write_train(tmp_path, batches)
    assert _row_group_sizes(parquet) == [40, 40, 40, 7]
    assert _image_ids([parquet]) == _ids_of(batches)


def test_a_row_group_ends_once_it_holds_row_group_bytes(tmp_path, monkeypatch):
    batches = _batches([1] * 30)
    monkeypatch.setattr(writer, "ROW_GROUP_BYTES", 10 * batches[0].nbytes)
    (parquet,) = _write_train(tmp_path, batches)
    assert _row_group_sizes(parquet) == [10, 10, 10]


def test_a_small_shard_size_gives_several_parts_each_row_once_in_order(tmp_path):
    batches = _batches([1] * 12)
    parts = _write_train(tmp_path, batches, max_shard_bytes=3 * batches[0].nbytes)
    assert [p.metadata.num_rows for p in parts] == [3, 3, 3, 3]
    assert all(_row_group_sizes(p) == [3] for p in parts)
    assert _image_ids(parts) == _ids_of(batches)
