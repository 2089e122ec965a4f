"""Across shards: which crops make the release.

Works on metadata only (one small row per crop, no image bytes): reviewers' corrections, near-duplicate
removal within an identity, identities seen from both views, optional balancing per identity and view, and
a profile's exact identity and image totals. Every choice is deterministic for a given seed, and crops that
are left out are counted by reason.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cvpair.build import phash
from cvpair.campaign.model import Correction
from cvpair.errors import CvpairError

CORRECTION_DROP = "correction_drop"
NEAR_DUPLICATE = "near_duplicate"
ONE_VIEW = "identity_in_one_view"
MAX_PER_VIEW = "max_per_view"
PROFILE_IDENTITIES = "profile_identities"
PROFILE_IMAGES = "profile_images"

META_COLUMNS = ["image_id", "identity", "view", "clip", "track", "frame", "sharpness", "phash"]
"""The columns curation reads from the shards (image bytes stay on disk)."""


@dataclass(frozen=True)
class CurateParams:
    dedup_bits: int = 4  # crops of one identity this close in pHash bits are near-duplicates
    max_per_view: int | None = None  # keep at most this many crops per identity and view


@dataclass(frozen=True)
class Targets:
    """What the release must hold: a profile's exact totals (None: whatever the campaign gives)."""

    identities: int | None = None
    images: int | None = None


@dataclass
class Curation:
    rows: pd.DataFrame  # the kept crops' metadata, sorted by image_id
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
    _choose_identities(result, targets, seed)
    if targets.images is not None:
        _trim_to(result, targets.images)
    result.rows = result.rows.sort_values("image_id", ignore_index=True)
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


def _choose_identities(result: Curation, targets: Targets, seed: int) -> None:
    eligible = sorted(int(i) for i in result.rows.identity.unique())
    if targets.identities is not None:
        if len(eligible) < targets.identities:
            raise CvpairError(
                f"the campaign gives {len(eligible)} identities seen from both views; "
                f"the profile needs {targets.identities}"
            )
        rng = np.random.default_rng([seed, 1])
        chosen = set(rng.choice(np.array(eligible), size=targets.identities, replace=False).tolist())
    else:
        return
    _drop(result, result.rows.identity.isin(chosen).to_numpy(), PROFILE_IDENTITIES)


def _trim_to(result: Curation, images: int) -> None:
    """Exactly `images` crops: the most populated identity/view groups give up crops first (keeping the
    most diverse), so every group keeps at least one crop and groups end up as even as they can be."""
    sizes = _group_sizes(result.rows)
    total = sum(sizes.values())
    if total < images:
        raise CvpairError(f"the campaign gives {total} crops after curation; the profile needs {images}")
    if images < len(sizes):
        raise CvpairError(f"{images} images cannot cover {len(sizes)} identity/view groups")
    counts = np.array(list(sizes.values()))
    level = max(n for n in range(1, counts.max() + 1) if np.minimum(counts, n).sum() <= images)
    caps = {group: min(size, level) for group, size in sizes.items()}
    spare = images - sum(caps.values())
    # Groups above the level get one more crop each until the total is exact: the larger ones first.
    above = sorted((g for g, size in sizes.items() if size > level), key=lambda g: (-sizes[g], g))
    for group in above[:spare]:
        caps[group] += 1
    _cap_groups(result, caps, PROFILE_IMAGES)
