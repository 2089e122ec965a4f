"""Curation on hand-made metadata: near-duplicates, both views, the identity split, a profile's table,
corrections, file groups."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cvpair.campaign.model import Correction
from cvpair.errors import CvpairError
from cvpair.pipeline import curate as curation
from cvpair.pipeline.curate import CurateParams, Targets, curate
from cvpair.profiles import load_profile, read_table


def _meta(rows):
    """Curation metadata from (image_id, identity, view, sharpness, phash int) tuples."""
    frame = pd.DataFrame(rows, columns=["image_id", "identity", "view", "sharpness", "hash"])
    frame["phash"] = [f"{h:016x}" for h in frame.pop("hash")]
    return frame.assign(clip="c", track=0, frame=0)


def test_near_duplicates_within_an_identity_keep_the_sharpest():
    meta = _meta(
        [
            ("a", 1, 0, 10.0, 0x0),
            ("b", 1, 0, 50.0, 0x3),  # 2 bits from a: a duplicate; the sharper one stays
            ("c", 1, 1, 10.0, 0xFF00),
            ("d", 2, 0, 10.0, 0x0F0F_0000_0000),
            ("e", 2, 1, 10.0, 0xF0F0),
        ]
    )
    result = curate(meta, CurateParams(dedup_bits=2), Targets(), seed=0)
    assert result.rows.image_id.tolist() == ["b", "c", "d", "e"]
    assert result.dropped == {curation.NEAR_DUPLICATE: 1}


def test_a_train_crop_nearly_the_same_picture_as_a_test_crop_of_another_identity_is_dropped():
    rng = np.random.default_rng(4)
    keys = [(identity, view, n) for identity in range(1, 21) for view in (0, 1) for n in range(3)]
    crops = {key: int(rng.integers(0, 2**63)) for key in keys}
    for identity in range(2, 21, 2):  # look-alikes: one aerial crop of each pair 1 bit apart
        crops[identity, 0, 0] = crops[identity - 1, 0, 0] ^ 1
    meta = _meta([(f"{i}-{v}-{n}", i, v, 1.0, h) for (i, v, n), h in crops.items()])
    result = curate(meta, CurateParams(), Targets(test_fraction=0.5), seed=0)
    split = result.rows.groupby("identity").split.first()
    crossing = [i for i in range(2, 21, 2) if split[i] != split[i - 1]]
    assert crossing and result.dropped == {curation.NEAR_TEST_IMAGE: len(crossing)}
    kept = set(result.rows.image_id)
    for identity in crossing:
        train_side = identity if split[identity] == "train" else identity - 1
        assert f"{train_side}-0-0" not in kept and f"{2 * identity - 1 - train_side}-0-0" in kept


def test_identities_seen_from_one_view_only_are_dropped():
    meta = _meta([("a", 1, 0, 1.0, 0x0), ("b", 1, 1, 1.0, 0xFFFF), ("c", 2, 0, 1.0, 0xF0F0)])
    result = curate(meta, CurateParams(), Targets(), seed=0)
    assert result.rows.image_id.tolist() == ["a", "b"]
    assert result.dropped == {curation.ONE_VIEW: 1}


def _population(identities, per_view, seed=0):
    """`per_view(identity, view)` crops per view for each identity, with well-spread hashes; frames count
    up from 0 in each identity and view."""
    rng = np.random.default_rng(seed)
    rows = [
        (f"{i:04d}/{v}/{n:03d}", i, v, float(rng.uniform(1, 100)), int(rng.integers(0, 2**63)))
        for i in range(identities)
        for v in (0, 1)
        for n in range(per_view(i, v))
    ]
    meta = _meta(rows)
    return meta.assign(frame=meta.groupby(["identity", "view"]).cumcount() * 10)


def _table(train, test, train_views, test_views):
    """A profile table: identities per split; images per split and view (aerial, ground) split into one
    query per test identity and view and the rest as gallery."""
    (train_aerial, train_ground), (test_aerial, test_ground) = train_views, test_views
    return read_table(
        {
            "identities": {"train": train, "test": test},
            "images": {
                "train": {"aerial": train_aerial, "ground": train_ground},
                "a2g": {"query": test, "gallery": test_ground - test},
                "g2a": {"query": test, "gallery": test_aerial - test},
            },
        },
        "test",
    )


def _counts(rows):
    """(file group, view label) -> images, and split -> identities, of curated rows."""
    images = rows.groupby(["file_group", "view"]).size().to_dict()
    return images, rows.groupby("split").identity.nunique().to_dict()


def test_the_published_v1_table_is_met_exactly_per_file_group_and_view():
    """CI's proof of the cvpair-v1.0 table at curation level: 1,000 identities with 6-40 crops each, about
    3.2 aerial crops per ground crop (the published proportions), and a few too short for test."""
    rng = np.random.default_rng(7)
    total = rng.integers(6, 41, size=1000)
    ground = np.maximum(1, np.round(total / 4.2)).astype(int)
    ground[:40] = 1  # these can only be train identities
    meta = _population(1000, lambda i, v: int(total[i] - ground[i]) if v == 0 else int(ground[i]), seed=7)
    table = load_profile("cvpair-v1.0").table
    result = curate(meta, CurateParams(dedup_bits=0), Targets(table), seed=0)
    images, identities = _counts(result.rows)
    assert identities == {"train": 391, "test": 503}
    assert images == {
        ("train", 0): 5879,
        ("train", 1): 1569,
        ("query_aerial", 0): 503,
        ("gallery_ground", 1): 1513,
        ("query_ground", 1): 503,
        ("gallery_aerial", 0): 5002,
    }
    assert len(result.rows) == 14969 and result.rows.identity.nunique() == 894
    test = result.rows[result.rows.split == "test"]
    assert (test.groupby(["identity", "view"]).size() >= 2).all()
    assert len(test.groupby(["identity", "view"])) == 503 * 2
    # every crop left out is counted by reason
    assert sum(result.dropped.values()) == len(meta) - 14969
    assert result.dropped[curation.TOO_FEW_FOR_TEST] + result.dropped[curation.PROFILE_IDENTITIES] > 0


def test_queries_are_the_earliest_frame_of_each_test_identity_and_view():
    meta = _population(12, lambda i, v: 4)
    meta["frame"] = meta.frame[::-1].to_numpy()  # the last image_id of each group is now its first frame
    rows = curate(meta, CurateParams(dedup_bits=0), Targets(), seed=1).rows
    test = rows[rows.split == "test"]
    for (identity, view), group in test.groupby(["identity", "view"]):
        query = group[group.file_group.str.startswith("query")]
        assert query.image_id.tolist() == [group.sort_values("frame").image_id.iloc[0]], (identity, view)
        gallery = "gallery_aerial" if view == 0 else "gallery_ground"  # the other protocol's gallery
        assert set(group.file_group) == {query.file_group.iloc[0], gallery}


def test_trimming_to_a_table_keeps_the_same_share_of_every_group_and_test_groups_keep_two():
    meta = _population(30, lambda i, v: 2 + (i * 7 + v * 3) % 20)
    table = _table(10, 10, (40, 35), (45, 30))
    result = curate(meta, CurateParams(dedup_bits=0), Targets(table), seed=3)
    rows = result.rows
    sizes = rows.groupby(["identity", "view"]).size()
    before = meta[meta.identity.isin(rows.identity.unique())].groupby(["identity", "view"]).size()
    for split, minimum in (("train", 1), ("test", 2)):
        for view in (0, 1):
            ids = rows.identity[rows.split == split].unique()
            kept, had = sizes.loc[ids, view], before.loc[ids, view]
            share = kept.sum() / had.sum()
            # every group above its minimum keeps its share of its crops, to within one crop
            above = kept > minimum
            assert (abs(kept[above] - had[above] * share) < 1.5).all(), (split, view)
            assert (kept >= minimum).all() and (kept <= had).all()
            assert kept[had == had.max()].min() > kept[had == had.min()].max()  # the spread survives


def test_identities_without_two_images_in_each_view_are_never_test():
    meta = _population(20, lambda i, v: 1 if i < 8 and v == 1 else 3)
    rows = curate(meta, CurateParams(dedup_bits=0), Targets(test_fraction=0.5), seed=0).rows
    split = rows.groupby("identity").split.first()
    assert set(split[split == "test"].index).isdisjoint(range(8)) and (split == "test").sum() == 10


def test_too_few_test_candidates_without_a_table_is_said_not_hidden():
    meta = _population(10, lambda i, v: 1 if i < 8 and v == 1 else 3)
    result = curate(meta, CurateParams(dedup_bits=0), Targets(test_fraction=0.5), seed=0)
    assert (result.rows.groupby("identity").split.first() == "test").sum() == 2
    assert result.warnings == ["2 test identities instead of 5: only 2 identities have 2 images in each view"]


def test_the_split_depends_on_the_seed_only():
    meta = _population(30, lambda i, v: 3)
    table = _table(8, 10, (24, 24), (30, 30))
    first = curate(meta, CurateParams(), Targets(table), seed=1).rows
    again = curate(meta.sample(frac=1, random_state=5), CurateParams(), Targets(table), seed=1).rows
    other = curate(meta, CurateParams(), Targets(table), seed=2).rows
    assert first[["image_id", "split", "file_group"]].equals(again[["image_id", "split", "file_group"]])
    assert set(first.identity[first.split == "test"]) != set(other.identity[other.split == "test"])


def test_a_campaign_too_small_for_the_profile_is_a_clear_error():
    meta = _population(5, lambda i, v: 2)
    with pytest.raises(CvpairError, match="gives 5 identities with 2 images in each view .* needs 6 test"):
        curate(meta, CurateParams(dedup_bits=0), Targets(_table(1, 6, (2, 2), (12, 12))), seed=0)
    with pytest.raises(CvpairError, match="gives 5 identities seen from both views; the profile needs 6"):
        curate(meta, CurateParams(dedup_bits=0), Targets(_table(3, 3, (6, 6), (6, 6))), seed=0)
    with pytest.raises(CvpairError, match="gives 6 test aerial crops after curation; the profile needs 7"):
        curate(meta, CurateParams(dedup_bits=0), Targets(_table(2, 3, (4, 4), (7, 6))), seed=0)


def test_max_per_view_keeps_the_most_different_crops():
    meta = _meta(
        [
            ("a", 1, 0, 9.0, 0x0),
            ("b", 1, 0, 8.0, 0x0F),  # 4 bits from a
            ("c", 1, 0, 1.0, 0xFFFF_FFFF),  # 32 bits from a: the most different
            ("d", 1, 1, 1.0, 0xFF00),
        ]
    )
    result = curate(meta, CurateParams(dedup_bits=0, max_per_view=2), Targets(), seed=0)
    assert result.rows.image_id.tolist() == ["a", "c", "d"]
    assert result.dropped == {curation.MAX_PER_VIEW: 1}


def test_corrections_drop_and_relabel_before_curation():
    meta = _meta([("a", 1, 0, 1.0, 0x0), ("b", 1, 1, 1.0, 0xFFFF), ("c", 2, 0, 1.0, 0xF0F0)])
    corrections = [
        Correction("a", "drop", None),
        Correction("c", "relabel", 1),
        Correction("zz", "drop", None),
    ]
    result = curate(meta, CurateParams(), Targets(), seed=0, corrections=corrections)
    assert result.rows[["image_id", "identity"]].values.tolist() == [["b", 1], ["c", 1]]
    assert result.dropped == {curation.CORRECTION_DROP: 1}
    assert "zz" in result.warnings[0]
