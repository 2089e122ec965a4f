"""Identity-disjoint train/test splits drawn with a fixed seed; `cvpair.protocol` says which file group
each row of a split goes to."""

from __future__ import annotations

import numpy as np

from cvpair.protocol import TEST, TRAIN


def draw_splits(identities: list[int], test_fraction: float, seed: int) -> dict[int, str]:
    """identity -> train | test: a seeded shuffle, `test_fraction` of identities to test (both splits
    non-empty when there are two or more identities)."""
    ordered = sorted(identities)
    count = round(len(ordered) * test_fraction)
    if len(ordered) >= 2:
        count = min(max(count, 1), len(ordered) - 1)
    shuffled = np.random.default_rng([seed, 2]).permutation(np.array(ordered, dtype=np.int64))
    test = set(shuffled[:count].tolist())
    return {identity: TEST if identity in test else TRAIN for identity in ordered}
