"""The plan of a synthetic campaign, checked before anything is rendered: who is filmed in which clip,
and how many crops that offers the build per identity and view (the published CVPair v1.0 proportions
for the `cvpair-v1.0` profile). Rendering the full-size campaign takes many minutes; these take seconds."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import numpy as np
import pytest

from cvpair.synth import Filming, SynthProfile, get_profile
from cvpair.synth.campaign import plan_appearances, plan_campaign, plan_groups
from cvpair.synth.coverage import planned_crops

V1 = get_profile("cvpair-v1.0")
# The published CVPair v1.0 (issue 12): 894 identities, 11,384 aerial and 3,585 ground images.
PUBLISHED_AERIAL, PUBLISHED_GROUND, PUBLISHED_IDENTITIES = 11_384, 3_585, 894


@pytest.mark.parametrize("view", ["aerial", "ground"])
def test_v1_plan_films_every_identity_within_its_bounds_and_once_per_clip(view):
    filming = V1.filming(view)
    appearances = plan_appearances(V1, 0, view)
    groups = plan_groups(V1, 0, view)
    assert len(appearances) == V1.identities == PUBLISHED_IDENTITIES
    low, high = filming.appearances
    assert appearances.min() == low and appearances.max() == high  # every bound is used
    filmed = Counter(int(i) for group in groups for i in group)
    assert [filmed[i] for i in range(V1.identities)] == appearances.tolist()
    assert all(len(set(group.tolist())) == len(group) <= filming.vehicles_per_clip for group in groups)
    # the clip count follows from the appearances: each round fills clips of `vehicles_per_clip`
    rounds = [int((appearances > r).sum()) for r in range(high)]
    assert len(groups) == sum(-(-n // filming.vehicles_per_clip) for n in rounds)


def test_v1_plan_films_each_identity_about_three_times_from_the_drone_and_once_or_twice_from_the_street():
    aerial, ground = plan_appearances(V1, 0, "aerial"), plan_appearances(V1, 0, "ground")
    assert 2.8 < aerial.mean() < 3.2 and 1.3 < ground.mean() < 1.7
    # footage per identity: a drone follows a car far longer than a street camera sees it drive past
    footage = aerial.sum() * V1.aerial.clip_seconds / (ground.sum() * V1.ground.clip_seconds)
    assert 4 < footage < 7


def test_the_appearances_differ_between_seeds_and_views_but_not_between_calls():
    first = plan_appearances(V1, 0, "aerial")
    assert np.array_equal(first, plan_appearances(V1, 0, "aerial"))
    assert not np.array_equal(first, plan_appearances(V1, 1, "aerial"))
    assert plan_groups(V1, 0, "ground")[0].tolist() != plan_groups(V1, 0, "aerial")[0].tolist()


def test_a_fixed_number_of_appearances_films_everyone_that_often():
    demo = get_profile("demo")
    for view in ("aerial", "ground"):
        groups = plan_groups(demo, 0, view)
        assert len(groups) == 6 and sorted(np.concatenate(groups).tolist()) == sorted(list(range(24)) * 2)


@pytest.mark.slow
def test_a_quarter_of_v1_offers_the_published_proportions_with_room_for_curation():
    """A quarter of the identities, same filming: the crop proportions per identity do not depend on
    the campaign's size (identities are grouped at random), and planning it takes a few seconds."""
    quarter = replace(V1, identities=V1.identities // 4)
    _, plans = plan_campaign(quarter, 0)
    crops = planned_crops(plans, quarter.identities)
    # Every identity can give a query and a gallery image in each view.
    assert crops.aerial.min() >= 2 and crops.ground.min() >= 2
    # About 3.2 aerial per ground image as published; pixels remove a larger share of the aerial
    # candidates (thin cars from high up fall under the smallest crop), so the plan offers a bit more.
    assert 3.0 < crops.aerial.sum() / crops.ground.sum() < 3.8
    # Per identity: more than the published 12.7 aerial / 4.0 ground, by less than curation may drop.
    per_identity = (crops.aerial.mean(), crops.ground.mean())
    published = (PUBLISHED_AERIAL / PUBLISHED_IDENTITIES, PUBLISHED_GROUND / PUBLISHED_IDENTITIES)
    assert all(p * 1.4 < mine < p * 2.0 for mine, p in zip(per_identity, published, strict=True))
    # Identities differ as the published ones do (median 17, about 6 to 40 images each).
    assert crops.total.max() > 2.5 * crops.total.min() and 20 < np.median(crops.total) < 35


@pytest.mark.slow
def test_vehicles_a_crowded_view_misses_are_filmed_again():
    crowded = SynthProfile(
        "crowded",
        identities=20,
        aerial=Filming(appearances=(1, 1), vehicles_per_clip=20, clip_seconds=1.0),
        ground=Filming(appearances=(1, 1), vehicles_per_clip=20, clip_seconds=1.0),
    )
    _, plans = plan_campaign(crowded, 0)
    missed = [(plan, identity) for plan in plans for identity in plan.missed]
    assert missed, "the profile is meant to be too crowded for one clip"
    for plan, identity in missed:
        later = [p for p in plans if p.view == plan.view and p.clip_id > plan.clip_id]
        assert any(identity in {spec.identity for spec, _ in p.vehicles} for p in later)
    ids = [p.clip_id for p in plans]
    assert len(ids) == len(set(ids))
