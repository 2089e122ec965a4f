"""The CVPair evaluation protocol as data: the one place that says what train, test, query, gallery, aerial
and ground mean, and which file group a row belongs to.

Identities are split into train and test, disjoint. Two protocols query the test identities: `a2g` (aerial
queries, ground gallery; the default) and `g2a` (ground queries, aerial gallery). The query rule: in each
view, each test identity has exactly one query, its earliest sampled frame. The gallery rule: a protocol's
gallery is every other test image of the other view. So the test images fall into four disjoint file
groups and a query of one protocol is never in the other protocol's gallery; with train (both views) that
makes five file groups, and no image is stored twice. A test identity therefore needs at least two images
in each view: a query and a gallery match for each protocol.

This is the protocol of the published CVPair v1.0 (Market-1501-style folders `{a2g,g2a}/{bounding_box_train,
query,bounding_box_test}`, camera `c0` = ground, `c1` = aerial); the counts of a release live in its
profile (`splits/<name>/profile.json`, read by `cvpair.profiles`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

AERIAL, GROUND = "aerial", "ground"
VIEWS: tuple[str, ...] = (AERIAL, GROUND)
"""The views, in label order of the `view` column (aerial = 0, ground = 1)."""

TRAIN, TEST = "train", "test"
SPLITS: tuple[str, ...] = (TRAIN, TEST)
"""Identity-disjoint splits."""

QUERY, GALLERY = "query", "gallery"
ROLES: tuple[str, ...] = (TRAIN, QUERY, GALLERY)
"""The `datasets` splits of every protocol config."""

MIN_TEST_IMAGES_PER_VIEW = 2
"""A test identity needs a query and a gallery match in each view (one per protocol)."""

MARKET_CAMERAS: dict[str, int] = {GROUND: 0, AERIAL: 1}
"""The camera number of each view in Market-1501-style file names (`<id>_c<camera>s<seq>_<frame>_<inst>`)."""

QUERY_ORDER: tuple[str, ...] = ("frame", "image_id")
"""'Earliest sampled frame': the smallest frame index, ties to the smaller image_id."""


def other_view(view: str) -> str:
    return GROUND if view == AERIAL else AERIAL


@dataclass(frozen=True)
class FileGroup:
    """A set of rows stored on disk as one group of Parquet files; protocols only point at them."""

    name: str
    split: str  # TRAIN | TEST
    role: str  # TRAIN | QUERY | GALLERY
    view: str | None  # the one view the group holds; None: both (train)


TRAIN_GROUP = FileGroup("train", TRAIN, TRAIN, None)
QUERY_AERIAL = FileGroup("query_aerial", TEST, QUERY, AERIAL)
GALLERY_GROUND = FileGroup("gallery_ground", TEST, GALLERY, GROUND)
QUERY_GROUND = FileGroup("query_ground", TEST, QUERY, GROUND)
GALLERY_AERIAL = FileGroup("gallery_aerial", TEST, GALLERY, AERIAL)
FILE_GROUPS: tuple[FileGroup, ...] = (TRAIN_GROUP, QUERY_AERIAL, GALLERY_GROUND, QUERY_GROUND, GALLERY_AERIAL)
FILE_GROUP_NAMES: tuple[str, ...] = tuple(g.name for g in FILE_GROUPS)
GROUPS_BY_NAME: dict[str, FileGroup] = {g.name: g for g in FILE_GROUPS}


def group_for(role: str, view: str) -> FileGroup:
    """The test file group holding the queries (or the gallery images) of `view`."""
    return next(g for g in FILE_GROUPS if g.split == TEST and g.role == role and g.view == view)


@dataclass(frozen=True)
class Protocol:
    """One ReID protocol: a `datasets` config whose train / query / gallery splits are file groups."""

    name: str
    query_view: str
    title: str

    @property
    def gallery_view(self) -> str:
        return other_view(self.query_view)

    @property
    def query(self) -> FileGroup:
        return group_for(QUERY, self.query_view)

    @property
    def gallery(self) -> FileGroup:
        return group_for(GALLERY, self.gallery_view)

    @property
    def splits(self) -> dict[str, str]:
        """`datasets` split -> file group name."""
        return {TRAIN: TRAIN_GROUP.name, QUERY: self.query.name, GALLERY: self.gallery.name}


PROTOCOLS: dict[str, Protocol] = {
    p.name: p
    for p in (Protocol("a2g", AERIAL, "aerial to ground"), Protocol("g2a", GROUND, "ground to aerial"))
}
DEFAULT_PROTOCOL = "a2g"


def query_mask(identity: np.ndarray, view: np.ndarray, frame: np.ndarray, image_id: np.ndarray) -> np.ndarray:
    """Which of these test rows are queries: per identity and view, the earliest sampled frame
    (`QUERY_ORDER`)."""
    if not len(identity):
        return np.zeros(0, dtype=bool)
    order = np.lexsort((np.asarray(image_id, dtype=str), frame, view, identity))
    keys = np.stack([np.asarray(identity)[order], np.asarray(view)[order]], axis=1)
    first = np.ones(len(order), dtype=bool)
    first[1:] = (keys[1:] != keys[:-1]).any(axis=1)
    mask = np.zeros(len(order), dtype=bool)
    mask[order[first]] = True
    return mask


def file_groups(
    is_test: np.ndarray, identity: np.ndarray, view: np.ndarray, frame: np.ndarray, image_id: np.ndarray
) -> np.ndarray:
    """The file group name of each row (`view` as labels, `is_test` from the identity split), queries chosen
    by the query rule among the test rows."""
    is_test = np.asarray(is_test, dtype=bool)
    groups = np.full(len(is_test), TRAIN_GROUP.name, dtype=object)
    test = np.flatnonzero(is_test)
    view = np.asarray(view)
    queries = query_mask(
        np.asarray(identity)[test], view[test], np.asarray(frame)[test], np.asarray(image_id)[test]
    )
    for label, name in enumerate(VIEWS):
        in_view = view[test] == label
        groups[test[in_view & queries]] = group_for(QUERY, name).name
        groups[test[in_view & ~queries]] = group_for(GALLERY, name).name
    return groups
