"""`cvpair import` of a Market-1501-style tree (the published CVPair v1.0 form) and `cvpair export` back.

The trees are written by `cvpair.synth.market_tree` (the published quirks included: PNGs named .jpg,
AppleDouble files, .DS_Store, an upload leftover, unpadded identities); each bad-input test breaks one
thing in a fresh copy and expects the problem to name the file, and nothing to be written.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from cvpair import protocol
from cvpair.errors import InputError
from cvpair.market.exporter import export_release
from cvpair.market.importer import import_tree, profile_problems
from cvpair.market.names import parse_name
from cvpair.market.reading import list_tree
from cvpair.market.tree import FOLDER_GROUPS, leftover_kind
from cvpair.profiles import Profile, Table
from cvpair.release import layout
from cvpair.synth.market_tree import SMALL, write_market_tree

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def pristine_tree(tmp_path_factory) -> Path:
    return write_market_tree(tmp_path_factory.mktemp("market") / "CVPair", SMALL, seed=0)


@pytest.fixture
def tree(pristine_tree, tmp_path) -> Path:
    """A fresh copy of the small published-like tree, for a test to break."""
    return Path(shutil.copytree(pristine_tree, tmp_path / "CVPair"))


@pytest.fixture(scope="module")
def imported(pristine_tree, tmp_path_factory) -> Path:
    return import_tree(pristine_tree, tmp_path_factory.mktemp("imported") / "release", workers=2).release


def _images(root: Path) -> dict[str, bytes]:
    """Every data file of a tree (leftovers left out), by relative path."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and leftover_kind(p.name) is None
    }


def _problems(source: Path, out: Path, **options) -> str:
    """The message of the import's InputError; the release must not exist afterwards, nor any staging."""
    with pytest.raises(InputError) as raised:
        import_tree(source, out, **options)
    assert not out.exists()
    assert not list(out.parent.glob(f".{out.name}*")), "a staging folder or lock was left behind"
    return str(raised.value)


def _rows(release: Path, group: str) -> list[dict]:
    columns = ["source_name", "identity", "view", "sequence", "frame", "instance", "clip", "bbox_x", "sha256"]
    return pq.read_table(sorted(release.glob(layout.data_pattern(group))), columns=columns).to_pylist()


# --- a clean tree ---------------------------------------------------------------------------------------


def test_each_folder_becomes_its_file_group_with_the_published_counts(imported):
    counts = {g: len(_rows(imported, g)) for g in protocol.FILE_GROUP_NAMES}
    assert counts == {
        "train": SMALL.train_ground + SMALL.train_aerial,
        "query_aerial": SMALL.test_identities,
        "gallery_ground": SMALL.ground_gallery,
        "query_ground": SMALL.test_identities,
        "gallery_aerial": SMALL.aerial_gallery,
    }


def test_rows_keep_what_the_name_says_and_leave_footage_columns_null(pristine_tree, imported):
    for group in protocol.FILE_GROUP_NAMES:
        for row in _rows(imported, group):
            name = parse_name(row["source_name"])
            assert (row["identity"], protocol.VIEWS[row["view"]]) == (name.identity, name.view)
            assert (row["sequence"], row["frame"], row["instance"]) == (
                name.sequence,
                name.frame,
                name.instance,
            )
            assert row["clip"] is None and row["bbox_x"] is None
    unpadded = [r["source_name"] for r in _rows(imported, "gallery_ground") if r["source_name"][0] != "0"]
    assert unpadded, "the small tree should hold unpadded identities"


def test_a_png_named_jpg_is_stored_byte_for_byte_and_counted(pristine_tree, imported):
    pngs = {
        p.name: p.read_bytes()
        for p in pristine_tree.rglob("[0-9]*.jpg")
        if p.read_bytes()[:8] == PNG_SIGNATURE
    }
    assert len(pngs) == SMALL.pngs
    stored = pq.read_table(
        sorted(imported.glob("data/*.parquet")), columns=["image", "source_name"]
    ).to_pylist()
    by_name = {row["source_name"]: row["image"]["bytes"] for row in stored}
    assert all(by_name[name] == data for name, data in pngs.items())
    report = json.loads((imported / layout.BUILD_REPORT).read_text())
    assert report["formats"] == {"JPEG": SMALL.images - SMALL.pngs, "PNG": SMALL.pngs}


def test_appledouble_ds_store_and_upload_leftovers_are_ignored_and_counted(pristine_tree, imported):
    on_disk = [p.name for p in pristine_tree.rglob("*") if p.is_file()]
    report = json.loads((imported / layout.BUILD_REPORT).read_text())
    assert report["ignored_files"] == {
        "AppleDouble (._*)": sum(n.startswith("._") for n in on_disk),
        ".DS_Store": on_disk.count(".DS_Store"),
        "upload leftover": on_disk.count(".baiduyun.uploading.cfg"),
    }


def test_the_imported_release_loads_per_protocol(imported):
    from datasets import load_dataset

    a2g, g2a = load_dataset(str(imported), "a2g"), load_dataset(str(imported), "g2a")
    train = SMALL.train_ground + SMALL.train_aerial
    assert {s: a2g[s].num_rows for s in a2g} == {"train": train, "query": 3, "gallery": SMALL.ground_gallery}
    assert {s: g2a[s].num_rows for s in g2a} == {"train": train, "query": 3, "gallery": SMALL.aerial_gallery}
    assert a2g["query"][0]["image"].size[0] > 0  # decodes


def test_the_imported_release_validates_pngs_and_null_footage_columns_included(imported):
    from cvpair.checks.runner import validate_release

    report = validate_release(imported, workers=1)
    assert report.valid, report.render_table()


def test_import_then_export_gives_exactly_the_same_files_with_the_same_bytes(
    pristine_tree, imported, tmp_path
):
    exported = export_release(imported, tmp_path / "exported").tree
    assert _images(exported) == _images(pristine_tree)
    assert len(_images(exported)) == SMALL.images + SMALL.train_ground + SMALL.train_aerial  # train twice


def test_the_card_figures_a_painter_process_draws_are_those_drawn_in_process(imported, tmp_path):
    from cvpair.release.card import write_card

    again = Path(shutil.copytree(imported, tmp_path / "again"))
    shutil.rmtree(again / "card")
    write_card(again)  # no painter: drawn here
    figures = sorted(p.name for p in (imported / "card").glob("*.png"))
    assert len(figures) == 4
    assert {n: (again / "card" / n).read_bytes() for n in figures} == {
        n: (imported / "card" / n).read_bytes() for n in figures
    }


def test_a_profile_with_the_trees_counts_passes_and_one_count_off_names_the_folder(pristine_tree):
    tree = list_tree(pristine_tree)
    images = {
        ("train", "ground"): SMALL.train_ground,
        ("train", "aerial"): SMALL.train_aerial,
        ("query_aerial", "aerial"): 3,
        ("gallery_ground", "ground"): SMALL.ground_gallery,
        ("query_ground", "ground"): 3,
        ("gallery_aerial", "aerial"): SMALL.aerial_gallery,
    }
    exact = Profile("small", Table({"train": 4, "test": 3}, images))
    assert profile_problems(tree, exact) == []
    off = Profile("small", Table({"train": 4, "test": 3}, {**images, ("gallery_aerial", "aerial"): 10}))
    [problem] = profile_problems(tree, off)
    assert str(problem) == f"{pristine_tree}/g2a/bounding_box_test: 9 aerial images, profile small has 10"


def test_the_published_profile_refuses_a_tree_of_other_counts_naming_the_folders(tree, tmp_path):
    message = _problems(tree, tmp_path / "release", profile="cvpair-v1.0", workers=1)
    assert "train: 4 identities, profile cvpair-v1.0 has 391" in message
    assert f"{tree}/a2g/query: 3 aerial images, profile cvpair-v1.0 has 503" in message
    assert "3 more profile cvpair-v1.0" in message  # 9 count problems: the first 5 listed, the rest counted


# --- bad input: each names the file, exits 2 in the CLI, writes nothing ------------------------------------


@pytest.mark.parametrize("workers", [1, 2])
def test_training_copies_that_differ_in_one_file_name_it(tree, tmp_path, workers):
    victim = sorted((tree / "g2a/bounding_box_train").glob("0*.jpg"))[0]
    victim.write_bytes(victim.read_bytes()[:-2] + b"\0\xff\xd9")
    message = _problems(tree, tmp_path / "release", workers=workers)
    assert f"{victim}: bytes differ from a2g/bounding_box_train/{victim.name}" in message


def test_an_unparseable_name_is_named(tree, tmp_path):
    victim = sorted((tree / "a2g/bounding_box_test").glob("*.jpg"))[-1]
    victim.rename(victim.with_name("car 7.jpg"))
    message = _problems(tree, tmp_path / "release", workers=1)
    assert f"{tree}/a2g/bounding_box_test/car 7.jpg: unparseable name" in message


def test_a_truncated_jpeg_is_named(tree, tmp_path):
    victim = next(
        p for p in sorted((tree / "g2a/query").glob("[0-9]*.jpg")) if p.read_bytes()[:2] == b"\xff\xd8"
    )
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
    message = _problems(tree, tmp_path / "release", workers=1)
    assert f"{victim}: truncated JPEG: the end-of-image marker is missing" in message


def test_a_query_identity_missing_from_its_gallery_is_named(tree, tmp_path):
    query = sorted((tree / "a2g/query").glob("[0-9]*.jpg"))[0]
    identity = parse_name(query.name).identity
    for image in (tree / "a2g/bounding_box_test").glob("*.jpg"):
        if image.name[0] != "." and parse_name(image.name).identity == identity:
            image.unlink()
    message = _problems(tree, tmp_path / "release", workers=1)
    assert f"{query}: identity {identity} has no image in a2g/bounding_box_test" in message


def test_an_identity_in_train_and_test_is_named(tree, tmp_path):
    query = sorted((tree / "g2a/query").glob("[0-9]*.jpg"))[0]
    identity = parse_name(query.name).identity
    for copy in ("a2g", "g2a"):
        shutil.copy(query, tree / copy / "bounding_box_train" / f"{identity}_c0s9_00990_00.jpg")
    message = _problems(tree, tmp_path / "release", workers=1)
    assert (
        f"identity {identity} is in test and in train (a2g/bounding_box_train/{identity}_c0s9_00990_00.jpg)"
        in message
    )


def test_an_empty_protocol_folder_is_named(tree, tmp_path):
    for image in (tree / "g2a/query").glob("*.jpg"):
        image.unlink()
    message = _problems(tree, tmp_path / "release", workers=1)
    assert f"{tree}/g2a/query: empty folder: no images" in message


def test_a_missing_protocol_folder_is_named(tree, tmp_path):
    shutil.rmtree(tree / "g2a")
    message = _problems(tree, tmp_path / "release", workers=1)
    assert f"{tree}/g2a: missing folder" in message


def test_an_unreadable_file_is_named(tree, tmp_path):
    dangling = tree / "a2g/bounding_box_test/0999_c0s1_00990_00.jpg"
    dangling.symlink_to(tmp_path / "gone.jpg")
    message = _problems(tree, tmp_path / "release", workers=1)
    assert f"{dangling}: unreadable: No such file or directory" in message


@pytest.mark.parametrize("workers", [1, 2])
def test_an_unreadable_training_copy_is_named_not_taken_for_other_bytes(tree, tmp_path, workers):
    first, other = sorted((tree / "a2g/bounding_box_train").glob("0*.jpg"))[:2]
    twin = tree / "g2a/bounding_box_train" / other.name
    extra = tree / "g2a/bounding_box_train/0001_c0s1_09990_00.jpg"
    for k, path in enumerate((first, twin, extra)):
        path.unlink(missing_ok=True)
        path.symlink_to(tmp_path / f"gone {k}.jpg")
    message = _problems(tree, tmp_path / "release", workers=workers)
    for path in (first, twin, extra):
        assert f"{path}: unreadable: No such file or directory" in message
    assert "bytes differ" not in message


def test_an_existing_output_is_named_and_left_untouched(tree, tmp_path):
    out = tmp_path / "release"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    with pytest.raises(InputError, match=f"{out}: output folder exists"):
        import_tree(tree, out, workers=1)
    assert [p.name for p in out.iterdir()] == ["mine.txt"]


def test_every_problem_is_reported_at_once_with_two_workers(tree, tmp_path):
    sorted((tree / "a2g/query").glob("[0-9]*.jpg"))[0].rename(tree / "a2g/query/query-1.jpg")
    truncated = sorted((tree / "g2a/bounding_box_test").glob("[0-9]*.jpg"))[0]
    truncated.write_bytes(truncated.read_bytes()[:100])
    extra = tree / "g2a/bounding_box_train/0001_c0s1_09990_00.jpg"
    shutil.copy(truncated, extra)
    message = _problems(tree, tmp_path / "release", workers=2)
    assert f"{tree}/a2g/query/query-1.jpg: unparseable name" in message
    assert f"{truncated}: truncated" in message
    assert f"{extra}: not in a2g/bounding_box_train: the two training copies differ" in message


def test_the_cli_exits_2_with_the_problems_and_no_traceback(tree, tmp_path):
    (tree / "a2g/query/oops.jpg").write_bytes(b"not an image")
    out = tmp_path / "release"
    command = [Path(sys.executable).with_name("cvpair"), "import", tree, "-o", out, "--workers", "1"]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 2, result.stderr
    assert f"{tree}/a2g/query/oops.jpg: unparseable name" in result.stderr
    assert f"{tree}/a2g/query/oops.jpg: not a JPEG or PNG" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


# --- export of a footage build ------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_footage_build_exports_under_names_made_from_its_columns_with_its_bytes(demo_release, tmp_path):
    tree = export_release(demo_release, tmp_path / "tree").tree
    for folder, group in FOLDER_GROUPS.items():
        rows = _rows(demo_release, group.name)
        files = sorted((tree / folder).iterdir())
        assert all(re.fullmatch(r"\d{4,}_c[01]s\d+_\d{5,}_\d{2}\.jpg", f.name) for f in files), folder
        names = [parse_name(f.name) for f in files]
        assert sorted((n.identity, n.view, n.frame) for n in names) == sorted(
            (r["identity"], protocol.VIEWS[r["view"]], r["frame"]) for r in rows
        )
        assert sorted(hashlib.sha256(f.read_bytes()).hexdigest() for f in files) == sorted(
            r["sha256"] for r in rows
        )
    clips = {(r["view"], r["clip"]) for g in protocol.FILE_GROUP_NAMES for r in _rows(demo_release, g)}
    sequences = {(n.view, n.sequence) for f in tree.glob("*/*/*") for n in [parse_name(f.name)]}
    assert len(sequences) == len(clips)  # one sequence per clip


@pytest.mark.slow
def test_the_export_of_a_footage_build_imports_back_to_the_same_file_groups(demo_release, tmp_path):
    tree = export_release(demo_release, tmp_path / "tree").tree
    back = import_tree(tree, tmp_path / "back", workers=1).release
    for group in protocol.FILE_GROUP_NAMES:
        assert sorted(r["sha256"] for r in _rows(back, group)) == sorted(
            r["sha256"] for r in _rows(demo_release, group)
        )


# --- the commands ----------------------------------------------------------------------------------------


def test_cvpair_import_prints_the_counts_and_cvpair_export_writes_the_tree(pristine_tree, tmp_path):
    from click.testing import CliRunner

    from cvpair.cli import main

    release, tree = tmp_path / "release", tmp_path / "tree"
    result = CliRunner().invoke(main, ["import", str(pristine_tree), "-o", str(release), "--no-register"])
    assert result.exit_code == 0, result.output
    assert f"imported {SMALL.images} unique images" in result.output
    assert "formats (read from the bytes, kept as they are): JPEG 39, PNG 2" in result.output
    result = CliRunner().invoke(main, ["export", str(release), "-o", str(tree), "--format", "market1501"])
    assert result.exit_code == 0, result.output
    assert _images(tree) == _images(pristine_tree)
    again = CliRunner().invoke(main, ["export", str(release), "-o", str(tree)])
    assert again.exit_code == 2 and f"{tree}: output folder exists" in again.output


def test_cvpair_import_registers_the_release_for_load_dataset_by_its_bare_name(pristine_tree, tmp_path):
    # Registered from the staged release while the card's figures are drawn, before it is moved into place.
    env = {**os.environ, "HF_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    env.pop("HF_DATASETS_CACHE", None)
    release = tmp_path / "release"
    command = [Path(sys.executable).with_name("cvpair"), "import", pristine_tree, "-o", release]
    subprocess.run([*command, "--workers", "2"], check=True, env=env, capture_output=True, timeout=600)
    assert not list(tmp_path.glob(".release*")), "a staging folder or lock was left behind"
    load = "import datasets; d = datasets.load_dataset('cvpair'); print({s: d[s].num_rows for s in d})"
    (elsewhere := tmp_path / "elsewhere").mkdir()
    loaded = subprocess.run(
        [sys.executable, "-c", load], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=300
    )
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    train = SMALL.train_ground + SMALL.train_aerial
    assert loaded.stdout.strip() == str({"train": train, "query": 3, "gallery": SMALL.ground_gallery})


def _with_gps(path: Path) -> bytes:
    """Rewrite the JPEG at `path` with EXIF holding a GPS position (same pixels, re-encoded once)."""
    from PIL import Image

    exif = Image.Exif()
    exif.get_ifd(0x8825)[2] = (48.0, 51.0, 29.0)  # GPSLatitude
    with Image.open(path) as image:
        image.save(path, "JPEG", quality=95, exif=exif.tobytes())
    return path.read_bytes()


def _stored(release: Path, name: str) -> dict:
    table = pq.read_table(sorted(release.glob("data/*.parquet")), columns=["image", "source_name", "sha256"])
    return next(row for row in table.to_pylist() if row["source_name"] == name)


def test_exif_and_gps_are_kept_byte_for_byte_by_default_and_stripped_losslessly_on_request(tree, tmp_path):
    from PIL import Image

    victim = next(
        p for p in sorted((tree / "a2g/query").glob("[0-9]*.jpg")) if p.read_bytes()[:2] == b"\xff\xd8"
    )
    data = _with_gps(victim)
    kept = _stored(import_tree(tree, tmp_path / "kept", workers=1).release, victim.name)
    assert kept["image"]["bytes"] == data
    stripped = _stored(import_tree(tree, tmp_path / "stripped", workers=1, strip=True).release, victim.name)
    clean = stripped["image"]["bytes"]
    assert stripped["sha256"] == hashlib.sha256(clean).hexdigest()
    with Image.open(io.BytesIO(data)) as original, Image.open(io.BytesIO(clean)) as derived:
        assert "exif" in original.info and "exif" not in derived.info
        assert original.tobytes() == derived.tobytes()
