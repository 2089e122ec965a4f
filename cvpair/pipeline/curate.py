"""Across shards: which crops make the release.

Works on metadata only (one small row per crop, no image bytes): reviewers' corrections, near-duplicate
removal within an identity, identities seen from both views, optional balancing per identity and view, the
identity split (a test identity needs `protocol.MIN_TEST_IMAGES_PER_VIEW` images in each view), no train
crop nearly the same picture as a test crop, a profile's exact table (identities per split, images per
split and view), and the file group of every crop (queries by the protocol's rule). Every choice is
deterministic for a given seed, and crops that are left out are counted by reason.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cvpair import protocol
from cvpair.campaign.model import Correction
from cvpair.errors import CvpairError
from cvpair.pipeline import phash
from cvpair.profiles import Profile, Table

CORRECTION_DROP = "correction_drop"
NEAR_DUPLICATE = "near_duplicate"
NEAR_TEST_IMAGE = "near_test_image"  # a train crop nearly the same picture as a test crop of another identity
ONE_VIEW = "identity_in_one_view"
MAX_PER_VIEW = "max_per_view"
TOO_FEW_FOR_TEST = "too_few_images_for_test"  # an identity train had no room for, short of images for test
PROFILE_IDENTITIES = "profile_identities"
PROFILE_IMAGES = "profile_images"

META_COLUMNS = ["image_id", "identity", "view", "clip", "track", "frame", "sharpness", "phash"]
"""The columns curation reads from the shards (image bytes stay on disk)."""


@dataclass(frozen=True)
class CurateParams:
    dedup_bits: int = phash.NEAR_DUPLICATE_BITS  # crops this close in pHash bits are near-duplicates
    max_per_view: int | None = None  # keep at most this many crops per identity and view


@dataclass(frozen=True)
class Targets:
    """What the release must hold: a profile's table of exact counts, or (without one) whatever the
    campaign gives, with `test_fraction` of the identities in test."""

    table: Table | None = None
    test_fraction: float = 0.5

    @classmethod
    def of(cls, profile: Profile) -> Targets:
        return cls(profile.table, profile.test_fraction)


@dataclass
class Curation:
    rows: pd.DataFrame  # the kept crops' metadata, sorted by image_id, with their `split` and `file_group`
    dropped: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)


def curate(
    meta: pd.DataFrame,
    params: CurateParams,
    targets: Targets,
    seed: int,
    corrections: Iterable[Correction] = (),
) -> Curation:
    """The crops of the release, from the metadata of every shard's crops."""
    result = Curation(meta.sort_values("image_id", ignore_index=True))
    _apply_corrections(result, list(corrections))
    _drop_near_duplicates(result, params.dedup_bits)
    _keep_both_views(result)
    if params.max_per_view is not None:
        _cap_groups(result, {g: params.max_per_view for g in _group_sizes(result.rows)}, MAX_PER_VIEW)
    splits = _split_identities(result, targets, seed)
    _drop_train_near_test(result, splits, params.dedup_bits)
    if targets.table is not None:
        _trim_to_table(result, splits, targets.table)
    rows = result.rows.sort_values("image_id", ignore_index=True)
    rows["split"] = rows.identity.map(splits)
    rows["file_group"] = protocol.file_groups(
        (rows.split == protocol.TEST).to_numpy(), rows.identity, rows.view, rows.frame, rows.image_id
    )
    result.rows = rows
    return result


def _drop(result: Curation, keep: np.ndarray, reason: str) -> None:
    if not keep.all():
        result.dropped[reason] += int((~keep).sum())
    result.rows = result.rows[keep].reset_index(drop=True)


def _apply_corrections(result: Curation, corrections: list[Correction]) -> None:
    """Reviewers' drops and identity relabels (corrections.csv) apply before anything else."""
    if not corrections:
        return
    rows = result.rows
    known = set(rows.image_id)
    unknown = [c.image_id for c in corrections if c.image_id not in known]
    if unknown:
        result.warnings.append(
            f"corrections.csv: {len(unknown)} image_id(s) not among the crops, e.g. {unknown[0]}"
        )
    relabel = {c.image_id: c.identity for c in corrections if c.action == "relabel"}
    relabelled = rows.image_id.isin(relabel)
    rows.loc[relabelled, "identity"] = rows.image_id[relabelled].map(relabel).astype(rows.identity.dtype)
    dropped = {c.image_id for c in corrections if c.action == "drop"}
    _drop(result, ~rows.image_id.isin(dropped).to_numpy(), CORRECTION_DROP)


@dataclass(frozen=True)
class _Columns:
    """The columns the near-duplicate and diversity choices read, as arrays (indexing a DataFrame per
    identity and view, thousands of times, costs more than the choices themselves)."""

    image_id: np.ndarray
    sharpness: np.ndarray
    hashes: np.ndarray

    @classmethod
    def of(cls, rows: pd.DataFrame) -> _Columns:
        hashes = phash.from_hex(rows.phash.tolist())
        return cls(rows.image_id.to_numpy(), rows.sharpness.to_numpy(), hashes)

    def best_first(self, positions: np.ndarray) -> np.ndarray:
        """`positions` best first: sharpest, then by image_id (so ties never depend on input order)."""
        return positions[np.lexsort((self.image_id[positions], -self.sharpness[positions]))]


def _drop_near_duplicates(result: Curation, bits: int) -> None:
    """Within each identity, keep the sharpest of every group of crops within `bits` of each other."""
    rows = result.rows
    columns = _Columns.of(rows)
    keep = np.zeros(len(rows), dtype=bool)
    for positions in rows.groupby("identity").indices.values():
        kept: list[int] = []
        for position in columns.best_first(positions):
            if not kept or phash.hamming(columns.hashes[position], columns.hashes[kept]).min() > bits:
                kept.append(position)
        keep[kept] = True
    _drop(result, keep, NEAR_DUPLICATE)


def _drop_train_near_test(result: Curation, splits: dict[int, str], bits: int) -> None:
    """Drop each train crop within `bits` of a test crop. Look-alike vehicles (same type and paint) seen
    small from high up can give two identities nearly the same picture; across the split, validate would
    rightly call that leakage (integrity.near_duplicates), so the build never writes it. Done before
    trimming to a table, which then picks among the crops left."""
    rows = result.rows
    hashes = phash.from_hex(rows.phash.tolist())
    is_test = (rows.identity.map(splits) == protocol.TEST).to_numpy()
    train, test = np.flatnonzero(~is_test), np.flatnonzero(is_test)
    keep = np.ones(len(rows), dtype=bool)
    keep[[train[i] for i, _, _ in phash.close_pairs(hashes[train], hashes[test], bits)]] = False
    _drop(result, keep, NEAR_TEST_IMAGE)


def _keep_both_views(result: Curation) -> None:
    views = result.rows.groupby("identity").view.transform("nunique")
    _drop(result, (views == 2).to_numpy(), ONE_VIEW)


def _group_sizes(rows: pd.DataFrame) -> dict[tuple[int, int], int]:
    return rows.groupby(["identity", "view"]).size().to_dict()


def _diverse(columns: _Columns, positions: np.ndarray, count: int) -> np.ndarray:
    """`count` of `positions` spread out in appearance: the sharpest first, then repeatedly the crop
    farthest (in pHash bits) from those chosen, ties to the sharper."""
    order = columns.best_first(positions)
    hashes = columns.hashes[order]
    chosen = [0]
    nearest = phash.hamming(hashes[0], hashes)
    rank = np.arange(len(order))
    while len(chosen) < count:
        nearest[chosen] = -1
        best = int(np.argmax(nearest * (len(order) + 1) - rank))
        chosen.append(best)
        nearest = np.minimum(nearest, phash.hamming(hashes[best], hashes))
    return order[np.array(chosen)]


def _cap_groups(result: Curation, caps: dict[tuple[int, int], int], reason: str) -> None:
    """Keep at most `caps[(identity, view)]` diverse crops in each group."""
    rows = result.rows
    columns = _Columns.of(rows)
    keep = np.zeros(len(rows), dtype=bool)
    for group, positions in rows.groupby(["identity", "view"]).indices.items():
        cap = caps.get(group, len(positions))
        keep[positions if len(positions) <= cap else _diverse(columns, positions, cap)] = True
    _drop(result, keep, reason)


def _split_identities(result: Curation, targets: Targets, seed: int) -> dict[int, str]:
    """identity -> train | test, drawn with `seed` among the identities that can be test (enough images in
    each view); with a table, exactly its numbers (train takes the identities unfit for test first), and
    the identities left over are dropped."""
    sizes = result.rows.groupby(["identity", "view"]).size().unstack(fill_value=0)
    identities = sizes.index.to_numpy(dtype=np.int64)
    fit = (sizes.min(axis=1) >= protocol.MIN_TEST_IMAGES_PER_VIEW).to_numpy()
    rng = np.random.default_rng([seed, 2])
    if targets.table is None:
        wanted = round(len(identities) * targets.test_fraction)
        if len(identities) >= 2:
            wanted = min(max(wanted, 1), len(identities) - 1)
        count = min(wanted, int(fit.sum()))
        if count < wanted:
            result.warnings.append(
                f"{count} test identities instead of {wanted}: only {int(fit.sum())} identities have "
                f"{protocol.MIN_TEST_IMAGES_PER_VIEW} images in each view"
            )
        test = set(rng.choice(identities[fit], count, replace=False).tolist())
        return {int(i): protocol.TEST if i in test else protocol.TRAIN for i in identities}
    need_test, need_train = (targets.table.identities[s] for s in (protocol.TEST, protocol.TRAIN))
    if fit.sum() < need_test:
        raise CvpairError(
            f"the campaign gives {int(fit.sum())} identities with {protocol.MIN_TEST_IMAGES_PER_VIEW} images "
            f"in each view after curation; the profile needs {need_test} test identities"
        )
    if len(identities) < need_test + need_train:
        raise CvpairError(
            f"the campaign gives {len(identities)} identities seen from both views; "
            f"the profile needs {need_test + need_train}"
        )
    test = rng.choice(identities[fit], need_test, replace=False)
    unfit, spare = identities[~fit], np.setdiff1d(identities[fit], test)
    candidates = np.concatenate([rng.permutation(unfit), rng.permutation(spare)])
    train = candidates[:need_train]
    splits = {int(i): protocol.TEST for i in test} | {int(i): protocol.TRAIN for i in train}
    chosen = result.rows.identity.isin(splits).to_numpy()
    _drop(result, chosen | ~result.rows.identity.isin(unfit).to_numpy(), TOO_FEW_FOR_TEST)
    _drop(result, result.rows.identity.isin(splits).to_numpy(), PROFILE_IDENTITIES)
    return splits


def _share_caps(sizes: dict[tuple[int, int], int], images: int, minimum: int, where: str) -> dict:
    """Caps that keep exactly `images` crops over the groups `sizes`, every group the same share of its
    crops (to within one crop; at least `minimum`): trimming keeps the spread between well-filmed and
    briefly seen identities, as a real campaign has it, instead of levelling the largest groups."""
    total = sum(sizes.values())
    if total < images:
        raise CvpairError(
            f"the campaign gives {total} {where} crops after curation; the profile needs {images}"
        )
    if images < minimum * len(sizes):
        raise CvpairError(f"{images} {where} images cannot give {len(sizes)} identities {minimum} each")
    groups = sorted(sizes)
    counts = np.array([sizes[g] for g in groups])
    floor = np.minimum(counts, minimum)

    def kept(share: float) -> np.ndarray:
        return np.maximum(floor, np.floor(counts * share).astype(int))

    low, high = 0.0, 1.0  # kept(low) fits, kept(high) does not (or is exact at 1.0)
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if kept(middle).sum() <= images else (low, middle)
    caps = kept(low)
    # The crops still missing go, one each, to the groups nearest to their next crop at the share found.
    nearest = sorted(np.flatnonzero(caps < counts), key=lambda i: (caps[i] - counts[i] * high, groups[i]))
    caps[nearest[: images - int(caps.sum())]] += 1
    return dict(zip(groups, caps.tolist(), strict=True))


def _trim_to_table(result: Curation, splits: dict[int, str], table: Table) -> None:
    """Exactly the table's images per split and view, each identity keeping the same share of its crops
    (its most diverse ones)."""
    sizes = _group_sizes(result.rows)
    caps = {}
    for split in protocol.SPLITS:
        minimum = protocol.MIN_TEST_IMAGES_PER_VIEW if split == protocol.TEST else 1
        for label, view in enumerate(protocol.VIEWS):
            groups = {g: n for g, n in sizes.items() if splits[g[0]] == split and g[1] == label}
            caps |= _share_caps(groups, table.view_images(split, view), minimum, f"{split} {view}")
    _cap_groups(result, caps, PROFILE_IMAGES)
