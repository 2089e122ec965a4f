"""Which aerial crop is shown beside which ground crop: every crop of an identity appears in a pair."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from cvpair.protocol import AERIAL, GROUND


@dataclass(frozen=True)
class Pair:
    """One cross-view pair of crops of the same identity; a side is None when the identity lacks that view."""

    identity: int
    aerial: str | None
    ground: str | None
    repeated: frozenset[str] = frozenset()  # sides (views) whose crop already appeared in an earlier pair


def pair_views(identity: int, aerial: Sequence[str], ground: Sequence[str]) -> list[Pair]:
    """Pair the longer list of crops cyclically with the shorter, in image_id order.

    Cycling (rather than a full cross product) shows each crop at least once with as few pairs as
    possible: max(len(aerial), len(ground)) of them.
    """
    sides = {AERIAL: sorted(aerial), GROUND: sorted(ground)}
    pairs = []
    for index in range(max(len(ids) for ids in sides.values())):
        chosen = {view: ids[index % len(ids)] if ids else None for view, ids in sides.items()}
        repeated = frozenset(view for view, ids in sides.items() if ids and index >= len(ids))
        pairs.append(Pair(identity, chosen[AERIAL], chosen[GROUND], repeated))
    return pairs


def pair_crops(image_ids: Sequence[str], identities: Sequence[int], views: Sequence[str]) -> list[Pair]:
    """All pairs of a release's crops (parallel columns), identity by identity in ascending order."""
    by_identity: dict[int, dict[str, list[str]]] = defaultdict(lambda: {AERIAL: [], GROUND: []})
    for crop, identity, view in zip(image_ids, identities, views, strict=True):
        by_identity[identity][view].append(crop)
    return [
        pair
        for identity in sorted(by_identity)
        for pair in pair_views(identity, by_identity[identity][AERIAL], by_identity[identity][GROUND])
    ]
