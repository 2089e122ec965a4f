"""The one counting of identities and images (build report, card and validate read it), on hand-made rows
whose counts are worked out by hand."""

from __future__ import annotations

import numpy as np

from cvpair.counts import (
    Count,
    HistogramBin,
    count_by,
    identity_histogram,
    images_per_identity,
    split_view_counts,
)

# identity 1: 2 train aerial, 1 train ground; identity 2: 1 train ground;
# identity 3: 1 test aerial, 2 test ground
IDENTITY = [1, 1, 1, 2, 3, 3, 3]
SPLIT = ["train", "train", "train", "train", "test", "test", "test"]
VIEW = ["aerial", "aerial", "ground", "ground", "aerial", "ground", "ground"]


def test_split_view_counts_give_the_total_each_split_and_each_split_and_view():
    assert split_view_counts(IDENTITY, SPLIT, VIEW) == {
        (): Count(3, 7),
        ("test",): Count(1, 3),
        ("train",): Count(2, 4),
        ("test", "aerial"): Count(1, 1),
        ("test", "ground"): Count(1, 2),
        ("train", "aerial"): Count(1, 2),
        ("train", "ground"): Count(2, 2),
    }


def test_count_by_lists_only_the_groups_that_have_rows():
    assert count_by(IDENTITY, VIEW) == {("aerial",): Count(2, 3), ("ground",): Count(3, 4)}


def test_images_per_identity_are_in_the_order_of_the_identities():
    assert images_per_identity([5, 2, 5, 5, 9]).tolist() == [1, 3, 1]


def test_the_histogram_has_one_bin_per_count_when_few_and_equal_ranges_when_many():
    assert identity_histogram(np.array([1, 3, 3]), bins=8) == (
        HistogramBin(1, 1, 1),
        HistogramBin(2, 2, 0),
        HistogramBin(3, 3, 2),
    )
    # counts 1..20 in 8 bins: ranges of ceil(20 / 8) = 3 images, the last one 19-21
    bins = identity_histogram(np.arange(1, 21), bins=8)
    assert [(b.low, b.high) for b in bins] == [(1, 3), (4, 6), (7, 9), (10, 12), (13, 15), (16, 18), (19, 21)]
    assert [b.identities for b in bins] == [3, 3, 3, 3, 3, 3, 2]


def test_no_identity_gives_no_histogram():
    assert identity_histogram(np.array([], dtype=np.int64), bins=8) == ()
