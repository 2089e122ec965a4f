"""The protocol as data: file groups, the query and gallery rules, and the published v1.0 table."""

from __future__ import annotations

import json
from importlib.resources import files

import numpy as np
import pytest

from cvpair import protocol
from cvpair.errors import InputError
from cvpair.profiles import available_profiles, load_profile, read_table


def test_five_file_groups_and_two_protocols_pointing_at_them():
    assert protocol.FILE_GROUP_NAMES == (
        "train",
        "query_aerial",
        "gallery_ground",
        "query_ground",
        "gallery_aerial",
    )
    a2g, g2a = protocol.PROTOCOLS["a2g"], protocol.PROTOCOLS["g2a"]
    assert a2g.splits == {"train": "train", "query": "query_aerial", "gallery": "gallery_ground"}
    assert g2a.splits == {"train": "train", "query": "query_ground", "gallery": "gallery_aerial"}
    assert protocol.DEFAULT_PROTOCOL == "a2g"
    # a query of one protocol is never in the other protocol's gallery: the groups differ
    assert a2g.query != g2a.gallery and g2a.query != a2g.gallery
    # every test group is used by exactly one protocol's query or gallery
    used = [p.query.name for p in protocol.PROTOCOLS.values()] + [
        p.gallery.name for p in protocol.PROTOCOLS.values()
    ]
    assert sorted(used) == sorted(g.name for g in protocol.FILE_GROUPS if g.split == protocol.TEST)


def test_query_is_the_earliest_sampled_frame_per_identity_and_view_and_the_rest_is_gallery():
    # identity 7 is train; identity 9 test: aerial frames 30, 10, 20, ground 50, 40 (two at 40: id order)
    rows = [
        (7, 0, 5, "A/7/5"),
        (7, 1, 6, "G/7/6"),
        (9, 0, 30, "A/9/30"),
        (9, 0, 10, "A/9/10"),
        (9, 0, 20, "A/9/20"),
        (9, 1, 50, "G/9/50"),
        (9, 1, 40, "H/9/40"),
        (9, 1, 40, "G/9/40"),
    ]
    identity, view, frame, image_id = (np.array(column) for column in zip(*rows, strict=True))
    groups = protocol.file_groups(identity == 9, identity, view, frame, image_id)
    assert groups.tolist() == [
        "train",
        "train",
        "gallery_aerial",
        "query_aerial",
        "gallery_aerial",
        "gallery_ground",
        "gallery_ground",
        "query_ground",
    ]


def test_the_v1_profile_declares_the_published_table():
    profile = load_profile("cvpair-v1.0")
    table = profile.table
    assert table.identities == {"train": 391, "test": 503}
    assert table.images == {
        ("train", "ground"): 1569,
        ("train", "aerial"): 5879,
        ("query_aerial", "aerial"): 503,
        ("gallery_ground", "ground"): 1513,
        ("query_ground", "ground"): 503,
        ("gallery_aerial", "aerial"): 5002,
    }
    assert (profile.identities, profile.images) == (894, 14969)
    assert table.view_images("train", "ground") + table.view_images("test", "ground") == 3585
    assert table.view_images("train", "aerial") + table.view_images("test", "aerial") == 11384


def test_every_profile_uses_the_protocol_and_none_is_provisional_or_commits_identities():
    for name in available_profiles():
        folder = files("cvpair.splits") / name
        raw = json.loads((folder / "profile.json").read_text())
        assert "provisional" not in raw and not (folder / "manifest.csv").is_file()
        load_profile(name)


def test_a_table_whose_totals_disagree_with_its_parts_is_refused():
    raw = json.loads((files("cvpair.splits") / "cvpair-v1.0" / "profile.json").read_text())["table"]
    raw["totals"]["images"] = 14970
    with pytest.raises(InputError, match="14970"):
        read_table(raw, "profile.json")
