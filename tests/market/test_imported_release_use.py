"""An imported release (a Market-1501-style tree through `cvpair import`) is used like a footage build:
training reads it per protocol, the reference model trains and reports each protocol, browse loads it."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from cvpair import protocol
from cvpair.cli import main
from cvpair.market.importer import import_tree
from cvpair.synth.market_tree import SMALL, write_market_tree
from cvpair.training.data import load_cvpair


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> Path:
    tree = write_market_tree(tmp_path_factory.mktemp("tree") / "CVPair", SMALL, seed=1)
    return import_tree(tree, tmp_path_factory.mktemp("imported") / "release", workers=1).release


def _rows(release: Path, group: str) -> int:
    return sum(pq.ParquetFile(p).metadata.num_rows for p in release.glob(f"data/{group}-*.parquet"))


def test_training_reads_each_protocol_of_an_imported_release(imported):
    data = load_cvpair(imported)
    assert len(data.train) == _rows(imported, protocol.TRAIN_GROUP.name)
    for reid, (name, chosen) in zip(data.protocols, protocol.PROTOCOLS.items(), strict=True):
        query, gallery = reid.trials[0]
        assert reid.name == name
        assert (len(query), len(gallery)) == (
            _rows(imported, chosen.query.name),
            _rows(imported, chosen.gallery.name),
        )
        assert {reid.images[i].view for i in query} == {protocol.VIEWS.index(chosen.query_view)}


@pytest.mark.slow
def test_the_reference_model_trains_on_an_imported_release_and_reports_each_protocol(imported, tmp_path):
    out = tmp_path / "run"
    arguments = [
        "train-reference",
        str(imported),
        "--epochs",
        "1",
        "--p",
        "4",
        "--k",
        "2",
        "--input",
        "32x32",
    ]
    result = CliRunner().invoke(main, arguments + ["--device", "cpu", "--out", str(out), "--seed", "0"])
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "report.json").read_text())["metrics"]
    assert set(metrics) == set(protocol.PROTOCOLS)
    report = (out / "report.md").read_text()
    assert "| a2g |" in report and "| g2a |" in report


def test_browse_loads_an_imported_release(imported, fiftyone_database):
    result = CliRunner().invoke(main, ["browse", str(imported), "--no-launch", "--name", "imported-test"])
    assert result.exit_code == 0, result.output
    import fiftyone as fo

    crops = fo.load_dataset("imported-test").select_group_slices()
    images = sum(_rows(imported, g) for g in protocol.FILE_GROUP_NAMES)
    assert len(crops.distinct("image_id")) == images
    sample = crops.first()
    assert sample.clip is None and sample.track is None and sample.source_name.endswith(".jpg")
    # a published PNG named .jpg is stored for the browser as the PNG it is, and said to be one
    formats = {Path(s.filepath).suffix: s.metadata.mime_type for s in crops.select_fields("metadata")}
    assert formats == {".jpg": "image/jpeg", ".png": "image/png"}
    for sample in crops.select_fields("filepath"):
        assert Path(sample.filepath).read_bytes().startswith(b"\x89PNG") == sample.filepath.endswith(".png")
