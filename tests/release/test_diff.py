"""`cvpair diff` and provenance: a known set of changes between two releases is reported exactly."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cvpair import protocol
from cvpair.cli import main
from cvpair.release.diff import Change, diff_releases
from cvpair.release.provenance import InputFile, Provenance, campaign_provenance
from cvpair.schema import image_id
from tests.helpers.synthetic_release import Identity, write_identities

OLD = [
    Identity(1, protocol.TRAIN, aerial=2, ground=2),
    Identity(2, protocol.TRAIN, aerial=1, ground=1),
    Identity(3, protocol.TEST, aerial=2, ground=1),
    Identity(4, protocol.TEST, aerial=1, ground=1),
]
NEW = [
    Identity(1, protocol.TRAIN, aerial=3, ground=2),  # one aerial image added
    Identity(2, protocol.TEST, aerial=1, ground=1),  # moved to test
    Identity(3, protocol.TEST, aerial=1, ground=1),  # one aerial image removed
    Identity(5, protocol.TRAIN, aerial=1, ground=1),  # new; identity 4 is gone
]


def _provenance(version: str, seed: int, inputs: dict[str, str]) -> Provenance:
    return Provenance(
        version,
        {"profile": "demo", "seed": seed, "min_sharpness": 50.0},
        campaign="c",
        files={path: InputFile(sha, 1) for path, sha in inputs.items()},
    )


@pytest.fixture(scope="module")
def releases(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("diff")
    old = write_identities(
        root / "old", OLD, _provenance("0.1.0", 0, {"manifest.csv": "aa", "videos/A.mp4": "bb"})
    )
    new = write_identities(
        root / "new", NEW, _provenance("0.2.0", 1, {"manifest.csv": "cc", "videos/G.mp4": "dd"})
    )
    return old, new


def _image(identity: int, view: str, index: int) -> str:
    """The image_id that tests.helpers.release_factory gives the index-th crop of an identity in a view."""
    return image_id(f"{'A' if view == 'aerial' else 'G'}{identity:04d}", identity, 10 * index)


def test_identities_added_removed_and_moved(releases):
    diff = diff_releases(*releases)
    assert diff.identities_added == (5,)
    assert diff.identities_removed == (4,)
    assert diff.identities_moved == (Change("2", "train", "test"),)


def test_images_added_removed_and_moved_between_splits(releases):
    diff = diff_releases(*releases)
    assert diff.images_added == tuple(
        sorted([_image(1, "aerial", 2), _image(5, "aerial", 0), _image(5, "ground", 0)])
    )
    assert diff.images_removed == tuple(
        sorted([_image(3, "aerial", 1), _image(4, "aerial", 0), _image(4, "ground", 0)])
    )
    assert diff.images_moved == (
        Change(_image(2, "aerial", 0), "train", "test"),
        Change(_image(2, "ground", 0), "train", "test"),
    )
    assert diff.images_relabelled == ()


def test_changed_counts_per_split_and_view(releases):
    # old: train aerial 3 img / 2 ids, ground 3 / 2; test aerial 3 / 2, ground 2 / 2
    # new: train aerial 4 / 2 (1, 5), ground 3 / 2; test aerial 2 / 2 (2, 3), ground 2 / 2
    assert diff_releases(*releases).counts == (
        Change("test/aerial/images", 3, 2),
        Change("train/aerial/images", 3, 4),
    )


def test_provenance_changes(releases):
    provenance = diff_releases(*releases).provenance
    assert provenance.toolkit_version == Change("toolkit_version", "0.1.0", "0.2.0")
    assert provenance.parameters == (Change("seed", 0, 1),)
    assert (provenance.inputs_added, provenance.inputs_removed) == (("videos/G.mp4",), ("videos/A.mp4",))
    assert provenance.inputs_changed == ("manifest.csv",)


def test_diff_command_prints_json_and_a_table(releases):
    old, new = (str(path) for path in releases)
    as_json = CliRunner().invoke(main, ["diff", old, new, "--json"])
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.output)
    assert (data["identities_added"], data["identities_removed"]) == ([5], [4])
    assert data["identities_moved"] == [{"key": "2", "old": "train", "new": "test"}]
    table = CliRunner().invoke(main, ["diff", old, new])
    assert "identities: 1 added, 1 removed, 1 moved" in table.output
    assert "images: 3 added, 3 removed, 2 moved, 0 relabelled" in table.output
    assert "train/aerial/images: 3 -> 4 (+1)" in table.output


def test_a_release_compared_with_itself_has_no_change(releases):
    diff = diff_releases(releases[0], releases[0])
    assert diff.unchanged
    assert diff.render().endswith("no change")


def test_diff_of_a_folder_that_is_not_a_release_is_a_clear_error(releases, tmp_path):
    result = CliRunner().invoke(main, ["diff", str(releases[0]), str(tmp_path)])
    assert result.exit_code == 2
    assert "splits.csv: missing" in result.output


def test_campaign_provenance_records_relative_paths_checksums_and_parameters(tmp_path):
    campaign = tmp_path / "campaign"
    (campaign / "videos").mkdir(parents=True)
    contents = {"manifest.csv": b"clip,video\n", "videos/A0001.mp4": bytes(range(256)) * 5000}
    for name, data in contents.items():
        (campaign / name).write_bytes(data)
    params = {"profile": "demo", "seed": 7, "min_sharpness": 50.0}
    record = campaign_provenance(
        campaign, [campaign / "manifest.csv", Path("videos/A0001.mp4")], params
    ).to_dict()
    files = {
        name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
        for name, data in contents.items()
    }
    assert record["campaign"] == {"name": "campaign", "files": files}
    assert (record["profile"], record["seed"], record["parameters"]) == ("demo", 7, {"min_sharpness": 50.0})
    assert json.loads(json.dumps(record)) == record  # storable as provenance.json as is


def test_campaign_provenance_reuses_checksums_the_build_already_computed(tmp_path):
    (tmp_path / "video.mp4").write_bytes(b"frames")
    record = campaign_provenance(tmp_path, ["video.mp4"], {}, known_sha256={tmp_path / "video.mp4": "f" * 64})
    assert record.files == {"video.mp4": InputFile("f" * 64, 6)}


def test_campaign_provenance_keeps_folders_linked_to_another_disk_under_their_campaign_names(tmp_path):
    """videos/ and annotations/ as symbolic links to footage elsewhere, as capture teams keep it."""
    footage, campaign = tmp_path / "disk2" / "footage", tmp_path / "campaign"
    (footage / "clips").mkdir(parents=True)
    (footage / "clips" / "A0001.mp4").write_bytes(b"frames")
    campaign.mkdir()
    (campaign / "videos").symlink_to(footage / "clips", target_is_directory=True)
    outside = tmp_path / "notes.txt"
    outside.write_bytes(b"seen")

    record = campaign_provenance(campaign, [campaign / "videos" / "A0001.mp4", outside], {})

    assert sorted(record.files) == ["../notes.txt", "videos/A0001.mp4"]
