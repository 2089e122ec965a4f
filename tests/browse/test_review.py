"""`cvpair review apply`: curators' tags in FiftyOne -> corrections.csv -> the next build."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cvpair import protocol
from cvpair.campaign.corrections import read_corrections
from cvpair.campaign.model import Correction
from cvpair.cli import main
from cvpair.release import layout
from cvpair.release.provenance import Provenance
from tests.helpers.synthetic_release import Identity, write_identities

IDENTITIES = [
    Identity(1, protocol.TRAIN, aerial=2, ground=1),
    Identity(2, protocol.TRAIN, aerial=1, ground=1),
    Identity(3, protocol.TEST, aerial=1, ground=1),
]


def _crops(dataset, **match):
    """Sample ids and image ids of the crops matching `match`, every slice, in image_id order."""
    view = dataset.select_group_slices().match(match).sort_by("image_id")
    return view.values("id"), view.values("image_id")


def _tag(dataset, sample_ids: list[str], tag: str) -> None:
    """Tag samples the way the App's tag menu does: on the selected samples, server side."""
    dataset.select_group_slices().select(sample_ids).tag_samples(tag)


@pytest.fixture()
def tagged(fiftyone_database, tmp_path):
    """A release, its dataset with tags on three crops, and the image ids tagged."""
    from cvpair.browse.loader import load_release

    release = write_identities(tmp_path / "release", IDENTITIES)
    dataset = load_release(release, name=f"review-{tmp_path.name}")
    # identity 1's only ground crop fills both of its pairs: tagging one of its samples is enough
    (ground_sample, _), (ground_id, _) = _crops(dataset, identity=1, view="ground")
    _tag(dataset, [ground_sample], "bad_crop")
    (aerial_sample,), (aerial_id,) = _crops(dataset, identity=2, view="aerial")
    _tag(dataset, [aerial_sample], "wrong_identity")
    (relabel_sample,), (relabel_id,) = _crops(dataset, identity=3, view="ground")
    _tag(dataset, [relabel_sample], "wrong_identity")
    sample = dataset.select_group_slices().select(relabel_sample).first()
    sample["corrected_identity"] = 2
    sample.save()
    return release, dataset, {"bad": ground_id, "wrong": aerial_id, "relabel": relabel_id}


def test_tags_become_one_correction_per_crop(tagged):
    from cvpair.browse.review import corrections_from_tags

    _, dataset, ids = tagged
    assert corrections_from_tags(dataset) == sorted(
        [
            Correction(ids["bad"], "drop", None, "bad_crop"),
            Correction(ids["wrong"], "drop", None, "wrong_identity"),
            Correction(ids["relabel"], "relabel", 2, "wrong_identity"),
        ],
        key=lambda c: c.image_id,
    )


def test_apply_merges_with_the_campaigns_corrections(tagged, tmp_path):
    release, dataset, ids = tagged
    campaign = tmp_path / "campaign"
    campaign.mkdir()
    with open(campaign / "corrections.csv", "w", newline="") as stream:
        rows = csv.writer(stream)
        rows.writerow(["image_id", "action", "identity", "note"])
        rows.writerow(["Z9999/00001/0000001", "drop", "", "earlier review"])
        rows.writerow([ids["wrong"], "relabel", "3", "earlier review, now overruled"])
    args = ["review", "apply", str(release), "--campaign", str(campaign), "--name", dataset.name]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    merged = {
        (c.image_id, c.action, c.identity, c.note) for c in read_corrections(campaign / "corrections.csv")
    }
    assert merged == {
        ("Z9999/00001/0000001", "drop", None, "earlier review"),
        (ids["bad"], "drop", None, "bad_crop"),
        (ids["wrong"], "drop", None, "wrong_identity"),
        (ids["relabel"], "relabel", 2, "wrong_identity"),
    }
    assert sorted(p.name for p in campaign.iterdir()) == ["corrections.csv"]  # no staging file left


def test_apply_without_a_browsed_dataset_fails_with_exit_code_2(fiftyone_database, tmp_path):
    release = write_identities(tmp_path / "release", IDENTITIES)
    result = CliRunner().invoke(main, ["review", "apply", str(release), "--campaign", str(tmp_path)])
    assert result.exit_code == 2
    assert "cvpair browse" in result.output


def _manifest(release: Path) -> dict[str, int]:
    with open(release / layout.SPLIT_MANIFEST, newline="") as stream:
        return {row["image_id"]: int(row["identity"]) for row in csv.DictReader(stream)}


@pytest.mark.slow
def test_tagged_crops_are_dropped_or_relabelled_in_the_next_build(
    fiftyone_database, demo_campaign, demo_release, tmp_path
):
    from fiftyone import ViewField as F

    from cvpair.browse.loader import load_release
    from cvpair.pipeline.build import build_release

    campaign = shutil.copytree(demo_campaign, tmp_path / "campaign")
    before = _manifest(demo_release)
    dataset = load_release(demo_release, name="review-round-trip")
    train = dataset.select_group_slices().match((F("split") == protocol.TRAIN) & ~F("repeated"))
    first_two = train.sort_by("image_id").limit(2)
    (bad, wrong), (bad_id, wrong_id) = first_two.values("id"), first_two.values("image_id")
    _tag(dataset, [bad], "bad_crop")
    _tag(dataset, [wrong], "wrong_identity")
    relabel = train.match(F("identity") != before[bad_id]).first()
    _tag(dataset, [relabel.id], "wrong_identity")
    relabel["corrected_identity"] = before[bad_id]
    relabel.save()

    args = ["review", "apply", str(demo_release), "--campaign", str(campaign), "--name", dataset.name]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    after = _manifest(build_release(campaign, tmp_path / "release").release)  # the shards are reused
    assert {bad_id, wrong_id} <= set(before)
    assert not {bad_id, wrong_id} & set(after)
    assert after[relabel.image_id] == before[bad_id] != before[relabel.image_id]


def test_the_campaign_is_found_beside_the_release_from_its_provenance(fiftyone_database, tmp_path):
    from cvpair.browse.loader import load_release

    campaign = tmp_path / "my-campaign"
    campaign.mkdir()
    (campaign / "manifest.csv").write_text("clip,video,annotation,view,device,telemetry\n")
    release = write_identities(
        tmp_path / "release", IDENTITIES, provenance=Provenance(campaign="my-campaign")
    )
    load_release(release)
    result = CliRunner().invoke(main, ["review", "apply", str(release)])
    assert result.exit_code == 0, result.output
    assert (campaign / "corrections.csv").read_text() == "image_id,action,identity,note\n"
