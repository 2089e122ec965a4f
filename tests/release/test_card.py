"""The dataset card: Hub-parsable YAML, and every figure it states equal to the data, which the tests work
out again here from the Parquet files and splits.csv."""

from __future__ import annotations

import csv
import math
import re
import shutil
import statistics
from collections import Counter
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from huggingface_hub import DatasetCard

from cvpair import protocol
from cvpair.cli import main
from cvpair.release import layout
from tests.helpers.synthetic_release import UNEVEN, write_identities


@pytest.fixture(scope="module", params=["synthetic", "demo"])
def release(request, tmp_path_factory) -> Path:
    """A small release with uneven identities, then the session's demo build."""
    if request.param == "demo":
        return request.getfixturevalue("demo_release")
    return write_identities(tmp_path_factory.mktemp("card") / "release", UNEVEN)


def _metadata(release: Path, columns: list[str]):
    """All rows of the release (metadata columns only) as one pandas frame, with the file group."""
    frames = []
    for path in sorted((release / layout.DATA_DIR).glob("*.parquet")):
        frame = pq.read_table(path, columns=columns).to_pandas()
        frame["file_split"] = path.name.split("-")[0]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _table(text: str, header: str) -> list[list[str]]:
    """The body rows of the Markdown table whose header line starts with `header`."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def test_card_yaml_parses_with_huggingface_hub_and_declares_the_release(release):
    data = DatasetCard.load(release / layout.CARD).data
    assert data.license == "cc-by-nc-4.0"
    assert data.pretty_name.startswith("CVPair")
    assert data.task_categories == ["image-feature-extraction"]
    total = sum(pq.ParquetFile(p).metadata.num_rows for p in release.glob("data/*.parquet"))
    assert data.size_categories == [
        "n<1K" if total < 1000 else "1K<n<10K" if total < 10_000 else "10K<n<100K"
    ]
    assert [c["config_name"] for c in data.configs] == ["a2g", "g2a"]
    rows = {
        fs: pq.ParquetFile(p).metadata.num_rows
        for fs in protocol.FILE_GROUP_NAMES
        for p in release.glob(f"data/{fs}-*")
    }
    for info in data.dataset_info:
        mapping = protocol.PROTOCOLS[info["config_name"]].splits
        assert {s["name"]: s["num_examples"] for s in info["splits"]} == {
            k: rows[v] for k, v in mapping.items()
        }


def test_counts_table_equals_split_manifest(release):
    with open(release / layout.SPLIT_MANIFEST, newline="") as handle:
        manifest = list(csv.DictReader(handle))
    images = Counter((r["split"], r["view"]) for r in manifest)
    identities = {
        key: len({r["identity"] for r in manifest if (r["split"], r["view"]) == key}) for key in images
    }
    table = _table((release / layout.CARD).read_text(), "| split | view | identities | images |")
    assert {(split, view): (int(ids), int(n)) for split, view, ids, n, *_ in table} == {
        key: (identities[key], images[key]) for key in images
    }


def test_images_per_identity_summary_and_histogram_equal_the_data(release):
    per_identity = Counter(_metadata(release, ["identity"]).identity)
    counts = sorted(per_identity.values())
    text = (release / layout.CARD).read_text()
    summary = (
        f"| images per identity (min / median / max) | {counts[0]} / {_number(statistics.median(counts))} / "
    )
    assert summary + f"{counts[-1]} |" in text
    histogram = [(bin_range, int(n)) for bin_range, n in _table(text, "| images per identity | identities |")]
    # ten equal ranges from the minimum to the maximum, or one per count when they span ten values or fewer
    width = math.ceil((counts[-1] - counts[0] + 1) / 10)
    ranges = [(low, low + width - 1) for low in range(counts[0], counts[-1] + 1, width)]
    assert histogram == [
        (str(low) if low == high else f"{low}-{high}", sum(low <= c <= high for c in counts))
        for low, high in ranges
    ]


def test_altitude_and_crop_sizes_equal_the_data(release):
    rows = _metadata(release, ["view", "altitude_m", "crop_width", "crop_height"])
    altitude = rows[rows.view == 0].altitude_m.dropna()
    text = (release / layout.CARD).read_text()
    assert f"({len(altitude)} images)" in text
    low, mid, high = (_number(v) for v in (altitude.min(), altitude.median(), altitude.max()))
    assert f"min {low} m, median {mid} m, max {high} m" in text
    table = {row[0]: row[1:] for row in _table(text, "| view | crop width")}
    for label, view in ((0, "aerial"), (1, "ground")):
        part = rows[rows.view == label]
        expected = [
            " / ".join(_number(f(part[c])) for f in (min, statistics.median, max))
            for c in ("crop_width", "crop_height")
        ]
        assert table[view] == expected


def test_plots_are_pngs_in_the_release_embedded_by_relative_link(release):
    text = (release / layout.CARD).read_text()
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert sorted(links) == [
        "card/altitude.png",
        "card/crop_size.png",
        "card/example_pairs.png",
        "card/images_per_identity.png",
    ]
    for link in links:
        assert (release / link).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_protocol_table_counts_each_file_group_and_view(release):
    rows = _metadata(release, ["identity", "view"])
    rows["view"] = rows["view"].map({0: "aerial", 1: "ground"})
    expected = [
        ["both", "train", "`train`", "ground"],
        ["both", "train", "`train`", "aerial"],
        ["a2g", "query", "`query_aerial`", "aerial"],
        ["a2g", "gallery", "`gallery_ground`", "ground"],
        ["g2a", "query", "`query_ground`", "ground"],
        ["g2a", "gallery", "`gallery_aerial`", "aerial"],
    ]
    for row in expected:
        chosen = rows[(rows.file_split == row[2].strip("`")) & (rows["view"] == row[3])]
        row += [str(len(chosen)), str(chosen.identity.nunique())]
    table = _table((release / layout.CARD).read_text(), "| protocol | role | file group |")
    assert table == expected


def test_protocol_table_shows_a_profiles_published_counts(tmp_path):
    from tests.helpers.release_factory import make_release

    release = make_release(tmp_path / "release", [1, 2], [3, 4], images_per_view=2, profile="cvpair-v1.0")
    table = _table((release / layout.CARD).read_text(), "| protocol | role | file group |")
    assert [row[-1] for row in table] == ["1569", "5879", "503", "1513", "503", "5002"]


def test_example_pairs_show_the_aerial_and_ground_query_of_test_identities(release):

    from PIL import Image

    from cvpair.release.example_pairs import SHOWN, example_pairs

    pairs = example_pairs(release)
    queries = {}
    for group in ("query_aerial", "query_ground"):
        for path in release.glob(f"data/{group}-*.parquet"):
            for row in pq.read_table(path, columns=["identity", "image"]).to_pylist():
                queries[group, row["identity"]] = row["image"]["bytes"]
    both = sorted(
        {i for g, i in queries if g == "query_aerial"} & {i for g, i in queries if g == "query_ground"}
    )
    assert 0 < len(pairs) == min(SHOWN, len(both))
    assert [identity for identity, *_ in pairs] == sorted({identity for identity, *_ in pairs})
    for identity, aerial, ground in pairs:
        assert (aerial, ground) == (queries["query_aerial", identity], queries["query_ground", identity])
    with Image.open(release / "card" / "example_pairs.png") as picture:
        assert picture.format == "PNG"


def test_card_answers_every_datasheet_section_and_cites_in_bibtex(release):
    text = (release / layout.CARD).read_text()
    headings = set(re.findall(r"^#+ (.+)$", text, re.MULTILINE))
    datasheet = {"Motivation", "Composition", "Collection Process", "Uses", "Distribution", "Maintenance"}
    hub = {"Dataset Summary", "Dataset Structure", "Data Fields", "Data Splits", "Licensing Information"}
    assert datasheet | hub | {"Preprocessing, Cleaning and Labelling", "Citation Information"} <= headings
    bibtex = re.search(r"```bibtex\n(@misc\{cvpair,.*?)```", text, re.DOTALL)
    assert bibtex and all(f"{key} " in bibtex.group(1) for key in ("title", "author", "year"))


def test_card_command_rewrites_the_same_card(release, tmp_path):
    copy = shutil.copytree(release, tmp_path / "copy")
    shutil.rmtree(copy / "card")
    (copy / layout.CARD).unlink()
    result = CliRunner().invoke(main, ["card", str(copy)])
    assert result.exit_code == 0, result.output
    assert (copy / layout.CARD).read_text() == (release / layout.CARD).read_text()
    for png in (release / "card").iterdir():
        assert (copy / "card" / png.name).read_bytes() == png.read_bytes()


def test_release_loads_with_the_card_configs(release):
    from datasets import load_dataset

    g2a = load_dataset(str(release), "g2a")
    rows = _metadata(release, ["identity"])
    assert g2a.num_rows == {
        "train": int((rows.file_split == protocol.TRAIN_GROUP.name).sum()),
        "query": int((rows.file_split == protocol.QUERY_GROUND.name).sum()),
        "gallery": int((rows.file_split == protocol.GALLERY_AERIAL.name).sum()),
    }


def test_card_command_on_a_folder_without_data_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(main, ["card", str(tmp_path)])
    assert result.exit_code == 2
    assert "no Parquet file in the release" in result.output
