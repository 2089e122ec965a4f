"""The release writer's Parquet: rows that arrive in small batches are gathered into row groups of a few MiB
or `ROW_GROUP_ROWS` rows, in the order they came."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from cvpair import protocol
from cvpair.release import writer
from cvpair.schema import arrow_schema
from tests.helpers.release_factory import crop_row


def _one_row_batches(count: int) -> list[pa.Table]:
    row = crop_row(7, "aerial", 0)
    rows = [{**row, "image_id": f"{row['image_id']}-{k:05d}"} for k in range(count)]
    return [pa.Table.from_pylist([r], schema=arrow_schema()) for r in rows]


def _write_train(tmp_path, batches: list[pa.Table]) -> pq.ParquetFile:
    staging = tmp_path / "staging"
    (staging / "data").mkdir(parents=True)
    empty = {name: [] for name in protocol.FILE_GROUP_NAMES}
    writer.write_groups(staging, {**empty, protocol.TRAIN_GROUP.name: batches})
    (path,) = (staging / "data").glob("train-*.parquet")
    return pq.ParquetFile(path)


def _row_group_sizes(parquet: pq.ParquetFile) -> list[int]:
    return [parquet.metadata.row_group(i).num_rows for i in range(parquet.num_row_groups)]


def test_one_row_batches_fill_row_groups_of_row_group_rows(tmp_path, monkeypatch):
    monkeypatch.setattr(writer, "ROW_GROUP_ROWS", 40)
    batches = _one_row_batches(100)
    parquet = _write_train(tmp_path, batches)
    assert _row_group_sizes(parquet) == [40, 40, 20]
    stored = parquet.read(columns=["image_id"])["image_id"].to_pylist()
    assert stored == [b["image_id"][0].as_py() for b in batches]


def test_a_row_group_ends_once_it_holds_row_group_bytes(tmp_path, monkeypatch):
    batches = _one_row_batches(30)
    monkeypatch.setattr(writer, "ROW_GROUP_BYTES", 10 * batches[0].nbytes)
    parquet = _write_train(tmp_path, batches)
    assert _row_group_sizes(parquet) == [10, 10, 10]
