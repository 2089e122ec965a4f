"""croissant.json: valid for mlcroissant, and the records it reads are the release's rows."""

from __future__ import annotations

import csv
import hashlib
import json
import logging
from pathlib import Path

import mlcroissant as mlc
import pyarrow.parquet as pq
import pytest

from cvpair.release import layout
from cvpair.release.croissant import CROISSANT
from cvpair.schema import FIELD_NAMES
from tests.helpers.synthetic_release import UNEVEN, write_identities

pytestmark = [  # mlcroissant's dependencies warn about their own deprecated calls
    pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated"),
    pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.reset_index"),
]


@pytest.fixture(scope="module", params=["synthetic", "demo"])
def release(request, tmp_path_factory) -> Path:
    """A small release with uneven identities, then the session's demo build."""
    if request.param == "demo":
        return request.getfixturevalue("demo_release")
    return write_identities(tmp_path_factory.mktemp("croissant") / "release", UNEVEN)


@pytest.fixture(scope="module")
def dataset(release) -> mlc.Dataset:
    logging.getLogger("absl").setLevel(logging.ERROR)
    return mlc.Dataset(jsonld=release / CROISSANT)


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else value


def test_croissant_validates_without_errors(dataset):
    assert dataset.metadata.ctx.issues.errors == set()
    assert dataset.metadata.license == ["https://creativecommons.org/licenses/by-nc/4.0/"]
    assert "@misc{cvpair," in dataset.metadata.cite_as


def test_every_parquet_shard_and_the_manifest_are_listed_with_their_sha256(release):
    listed = {
        d["contentUrl"]: d["sha256"]
        for d in json.loads((release / CROISSANT).read_text())["distribution"]
        if d["@type"] == "cr:FileObject"
    }
    files = [*sorted(release.glob("data/*.parquet")), release / layout.SPLIT_MANIFEST]
    assert listed == {
        p.relative_to(release).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in files
    }


def test_crop_records_read_through_mlcroissant_are_the_parquet_rows(release, dataset):
    expected = {}
    for path in release.glob("data/*.parquet"):
        table = pq.read_table(path, columns=["image_id", "identity", "crop_width", "crop_height"])
        for row in table.to_pylist():
            expected[row["image_id"]] = (
                row["identity"],
                path.name.split("-")[0],
                row["crop_width"],
                row["crop_height"],
            )
    records = list(dataset.records("crops"))
    assert {name.removeprefix("crops/") for name in records[0]} == {*FIELD_NAMES, "file_split"}
    read = {
        _text(r["crops/image_id"]): (
            r["crops/identity"],
            _text(r["crops/file_split"]),
            *r["crops/image"].size,
        )
        for r in records
    }
    assert read == expected


def test_split_records_are_the_split_manifest(release, dataset):
    with open(release / layout.SPLIT_MANIFEST, newline="") as handle:
        manifest = [
            (r["image_id"], int(r["identity"]), r["view"], r["split"]) for r in csv.DictReader(handle)
        ]
    read = [
        tuple(_text(r[f"splits/{c}"]) for c in ("image_id", "identity", "view", "split"))
        for r in dataset.records("splits")
    ]
    assert sorted(read) == manifest
