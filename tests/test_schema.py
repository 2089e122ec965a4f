"""The declared schema is the single source: Arrow, `datasets` and Parquet files agree with it."""

from __future__ import annotations

import io
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from datasets import ClassLabel, Image

from cvpair import schema


def test_arrow_schema_types_equal_the_datasets_features_arrow_types():
    declared = schema.arrow_schema()
    from_features = schema.features().arrow_schema
    assert declared.names == from_features.names
    for name in declared.names:
        assert declared.field(name).type == from_features.field(name).type, name


def test_the_shard_schema_is_the_release_schema_without_its_metadata():
    assert schema.row_schema().metadata is None
    assert schema.arrow_schema().remove_metadata() == schema.row_schema()


def test_build_workers_need_no_datasets_import():
    """Each worker would pay ~0.4 s for it: the shard cache uses the plain row schema."""
    modules = "import sys, cvpair.pipeline.shard, cvpair.pipeline.stash"
    code = f"{modules}; print(sorted({{'datasets', 'pandas'}} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_nullability_follows_the_declaration():
    nullable = {f.name for f in schema.arrow_schema() if f.nullable}
    footage_only = {"clip", "track", "timestamp_s", "bbox_x", "bbox_y", "bbox_w", "bbox_h", "bbox_angle"}
    footage_only |= {"frame_width", "frame_height", "altitude_m", "altitude_reference"}
    assert nullable == footage_only | {"sequence", "instance"}
    assert set(schema.FOOTAGE_ONLY) == footage_only and set(schema.IMPORT_ONLY) == {"sequence", "instance"}


def test_every_nullable_field_says_when_it_is_null():
    for field in schema.FIELDS:
        assert ("null" in field.doc) == field.nullable, field.name
    assert "empty for footage" in next(f.doc for f in schema.FIELDS if f.name == "source_name")


def test_view_is_a_class_label_with_aerial_first_and_image_an_image():
    feats = schema.features()
    assert isinstance(feats["view"], ClassLabel)
    assert feats["view"].names == ["aerial", "ground"]
    assert schema.view_label("ground") == 1
    assert isinstance(feats["image"], Image)


def test_parquet_round_trip_keeps_the_schema_and_its_feature_metadata():
    empty = schema.arrow_schema().empty_table()
    buffer = io.BytesIO()
    pq.write_table(empty, buffer)
    read_back = pq.read_schema(pa.BufferReader(buffer.getvalue()))
    assert read_back.equals(schema.arrow_schema(), check_metadata=False)
    assert b"huggingface" in read_back.metadata


def test_image_id_is_stable_and_sorts_by_clip_then_track_then_frame():
    ids = [schema.image_id("A0002", 1, 5), schema.image_id("A0001", 10, 3), schema.image_id("A0001", 2, 40)]
    assert ids[0] == "A0002/00001/0000005"
    assert sorted(ids) == [ids[2], ids[1], ids[0]]


def _full_row() -> dict:
    from tests.helpers.release_factory import crop_row

    return crop_row(1, "aerial", 0)


def test_a_row_with_exactly_the_declared_fields_passes_the_check():
    row = _full_row()
    assert schema.checked_row(row) is row


def test_a_misspelt_field_is_an_error_naming_both_spellings():
    row = _full_row()
    row["sharpnes"] = row.pop("sharpness")
    with pytest.raises(ValueError, match=r"missing \['sharpness'\], undeclared \['sharpnes'\]"):
        schema.checked_row(row)


def test_a_null_in_a_field_that_cannot_be_null_is_an_error():
    row = {**_full_row(), "sha256": None}
    with pytest.raises(ValueError, match=r"cannot be null: \['sha256'\]"):
        schema.checked_row(row)
