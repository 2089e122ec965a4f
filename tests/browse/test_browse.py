"""`cvpair browse` loading: cross-view pairs as FiftyOne groups, saved views, media, reuse."""

from __future__ import annotations

import hashlib
import shutil
import socket
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from cvpair import protocol
from cvpair.browse.fingerprint import release_fingerprint
from cvpair.browse.pairing import Pair, pair_crops, pair_views
from cvpair.cli import main
from cvpair.release import layout
from tests.helpers.synthetic_release import Identity, write_identities

IDENTITIES = [
    Identity(1, protocol.TRAIN, aerial=3, ground=1),
    Identity(2, protocol.TRAIN, aerial=2, ground=2),
    Identity(3, protocol.TEST, aerial=1, ground=2),
    Identity(4, protocol.TEST, aerial=2, ground=2),
    Identity(5, protocol.TEST, aerial=0, ground=2),
]
# Worked out by hand: pairs per identity = max(aerial, ground) = 3 + 2 + 2 + 2 + 2; every slot filled is a
# sample; the shorter side is repeated (identity 1: 2 ground repeats, identity 3: 1 aerial repeat).
PAIRS = 11
SAMPLES = 20
CROPS = 17


def test_pair_views_cycles_the_shorter_side_and_marks_repeats():
    assert pair_views(7, ["a2", "a1", "a3"], ["g1"]) == [
        Pair(7, "a1", "g1"),
        Pair(7, "a2", "g1", frozenset({"ground"})),
        Pair(7, "a3", "g1", frozenset({"ground"})),
    ]


def test_pair_views_of_an_identity_seen_from_one_view_has_one_side():
    assert pair_views(7, [], ["g1", "g2"]) == [Pair(7, None, "g1"), Pair(7, None, "g2")]


def test_pair_crops_shows_every_crop_and_never_mixes_identities():
    views = ["aerial", "ground", "aerial", "aerial", "ground", "ground"]
    pairs = pair_crops(["a1", "g1", "a2", "b1", "h1", "h2"], [1, 1, 1, 2, 2, 2], views)
    assert [(p.identity, p.aerial, p.ground) for p in pairs] == [
        (1, "a1", "g1"),
        (1, "a2", "g1"),
        (2, "b1", "h1"),
        (2, "b1", "h2"),
    ]


def test_fingerprint_ignores_where_the_release_is_but_not_its_rows(tmp_path):
    release = write_identities(tmp_path / "a", IDENTITIES[:2])
    copy = tmp_path / "b"
    shutil.copytree(release, copy)
    changed = write_identities(tmp_path / "c", IDENTITIES[:1])
    assert release_fingerprint(copy) == release_fingerprint(release)
    assert release_fingerprint(changed) != release_fingerprint(release)


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    return write_identities(tmp_path_factory.mktemp("browse") / "release", IDENTITIES)


@pytest.fixture(scope="module")
def dataset(fiftyone_database, release):
    from cvpair.browse.loader import load_release

    return load_release(release, name="browse-test")


def _release_rows(release: Path) -> dict[str, dict]:
    rows = {}
    for path in sorted((release / layout.DATA_DIR).glob("*.parquet")):
        for row in pq.read_table(path).to_pylist():
            rows[row["image_id"]] = row
    return rows


def test_every_crop_of_the_release_is_in_a_pair(dataset, release):
    crops = dataset.select_group_slices()
    assert len(crops) == SAMPLES
    assert len(set(crops.values("group.id"))) == PAIRS
    assert sorted(set(crops.values("image_id"))) == sorted(_release_rows(release))
    assert crops.count_values("repeated") == {False: CROPS, True: SAMPLES - CROPS}


def test_a_group_holds_one_aerial_and_one_ground_crop_of_one_identity(dataset):
    crops = dataset.select_group_slices()
    groups: dict[str, list[tuple[str, int]]] = {}
    for group, view, identity in zip(*crops.values(["group.id", "view", "identity"]), strict=True):
        groups.setdefault(group, []).append((view, identity))
    for members in groups.values():
        assert len({identity for _, identity in members}) == 1
        assert sorted(view for view, _ in members) in (["aerial", "ground"], ["ground"])
    assert sorted(dataset.group_slices) == ["aerial", "ground"]


def test_saved_views_split_the_crops_by_protocol_role(dataset):
    counts = {name: len(dataset.load_saved_view(name)) for name in dataset.list_saved_views()}
    # test crops, each once: aerial 1 + 2 + 0, ground 2 + 2 + 2; train: 5 pairs, test: 4 with an aerial side.
    # Queries are each identity's first crop in a view: aerial ids 3, 4; ground ids 3, 4, 5; the rest is
    # gallery: aerial 0 + 1 + 0, ground 1 + 1 + 1.
    assert counts == {
        "train": 5,
        "test": 4,
        "unpaired": 2,
        "a2g_query": 2,
        "a2g_gallery": 3,
        "g2a_query": 3,
        "g2a_gallery": 1,
    }
    assert set(dataset.load_saved_view("unpaired").values("identity")) == {5}


def test_sample_fields_are_the_release_row(dataset, release):
    row = _release_rows(release)[dataset.select_group_slices().match({"identity": 4}).first().image_id]
    sample = dataset.select_group_slices().match({"image_id": row["image_id"]}).first()
    assert (sample.identity, sample.view, sample.split, sample.role) == (4, "aerial", "test", "query")
    assert (sample.device, sample.clip, sample.frame) == (row["device"], row["clip"], row["frame"])
    assert sample.bbox == [row["bbox_x"], row["bbox_y"], row["bbox_w"], row["bbox_h"]]
    assert sample.altitude_m == pytest.approx(row["altitude_m"])
    assert sample.altitude_reference == row["altitude_reference"] == "above_takeoff"
    assert sample.sharpness == pytest.approx(row["sharpness"])
    assert sample.crop_area == row["crop_width"] * row["crop_height"]
    assert (sample.metadata.width, sample.metadata.height) == (row["crop_width"], row["crop_height"])


def test_media_files_are_the_release_jpegs_outside_the_release(dataset, release):
    import fiftyone as fo

    rows = _release_rows(release)
    for image_id, filepath in zip(
        *dataset.select_group_slices().values(["image_id", "filepath"]), strict=True
    ):
        path = Path(filepath)
        assert path.is_relative_to(Path(fo.config.default_dataset_dir))
        assert not path.is_relative_to(release)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == rows[image_id]["sha256"]


def test_loading_again_keeps_the_dataset_and_its_tags_and_switches_protocol(dataset, release):
    from cvpair.browse.loader import load_release

    sample = dataset.select_group_slices().match({"identity": 3, "view": "aerial"}).first()
    sample.tags.append("keep-me")
    sample.save()
    again = load_release(release, name="browse-test", protocol="g2a")
    assert again._doc.id == dataset._doc.id
    assert len(again.select_group_slices().match_tags("keep-me")) == 1
    # under g2a, a2g's aerial queries and ground gallery hold no role: they are not g2a's gallery or queries
    assert set(again.load_saved_view("a2g_query").values("role")) == {None}
    assert set(again.load_saved_view("a2g_gallery").values("role")) == {None}
    assert set(again.load_saved_view("g2a_query").values("role")) == {"query"}
    load_release(release, name="browse-test", protocol="a2g")


def test_a_changed_release_is_loaded_afresh_with_the_tags_of_its_remaining_crops(fiftyone_database, tmp_path):
    from cvpair.browse.loader import FINGERPRINT, load_release, media_folder

    release = write_identities(tmp_path / "release", IDENTITIES[:2])
    first = load_release(release, name="browse-changed")
    (kept, gone) = (first.select_group_slices().match({"identity": i}).first() for i in (2, 1))
    kept.tags.append("bad_crop")
    kept["corrected_identity"] = 7
    kept.save()
    gone.tags.append("bad_crop")
    gone.save()
    shutil.rmtree(release)
    write_identities(release, IDENTITIES[1:2] + IDENTITIES[3:4])
    old_media = media_folder(first.info[FINGERPRINT])
    second = load_release(release, name="browse-changed")
    assert second._doc.id != first._doc.id
    assert not old_media.exists()  # no other dataset shows the old release
    assert sorted(set(second.select_group_slices().values("identity"))) == [2, 4]
    tagged = second.select_group_slices().match_tags("bad_crop")
    assert set(tagged.values("image_id")) == {kept.image_id}  # the other tagged crop left the release
    assert set(tagged.values("corrected_identity")) == {7}


def test_a_dataset_cvpair_did_not_make_is_never_replaced(fiftyone_database, release):
    import fiftyone as fo

    from cvpair.browse.loader import load_release
    from cvpair.errors import CvpairError

    theirs = fo.Dataset("someone-elses", persistent=True)
    with pytest.raises(CvpairError, match="not made by cvpair"):
        load_release(release, name="someone-elses")
    assert fo.dataset_exists("someone-elses") and theirs.info == {}


def test_browse_no_launch_loads_and_reports_the_crops(fiftyone_database, release):
    result = CliRunner().invoke(main, ["browse", str(release), "--name", "browse-cli", "--no-launch"])
    assert result.exit_code == 0, result.output
    assert f"{SAMPLES} crops in pairs" in result.output


def test_browse_of_a_folder_that_is_no_release_fails_with_exit_code_2(fiftyone_database, tmp_path):
    result = CliRunner().invoke(main, ["browse", str(tmp_path), "--no-launch"])
    assert result.exit_code == 2
    assert "not a release folder" in result.output


def test_browse_on_a_taken_port_fails_with_exit_code_2_before_starting_the_app(fiftyone_database, release):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(
            main, ["browse", str(release), "--name", "browse-cli", "--port", str(port)]
        )
    assert result.exit_code == 2
    assert f"cannot serve the App on 127.0.0.1:{port}" in result.output
