"""Identities and images per split, view and file group, and images per identity: counted here only.

The build report, the card's statistics and `cvpair validate` all state these figures; they read them from
these functions, so the three can never count differently.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

if TYPE_CHECKING:  # pandas loads where counting needs it: drawing the card in a worker does not (0.2 s)
    import pandas as pd

Key = tuple[str, ...]


class Count(NamedTuple):
    identities: int
    images: int


class HistogramBin(NamedTuple):
    low: int  # images per identity, inclusive
    high: int  # inclusive
    identities: int


def count_by(identity: Sequence | np.ndarray | pd.Series, *keys: Sequence | np.ndarray | pd.Series) -> dict:
    """Identities and images of every combination of `keys` (arrays aligned with `identity`) that has rows,
    keyed by the tuple of key values."""
    import pandas as pd

    names = [f"key{i}" for i in range(len(keys))]
    frame = pd.DataFrame(
        {"identity": np.asarray(identity), **dict(zip(names, map(np.asarray, keys), strict=True))}
    )
    grouped = frame.groupby(names, sort=True).identity.agg(["nunique", "size"])
    return {
        (key if isinstance(key, tuple) else (key,)): Count(int(identities), int(images))
        for key, identities, images in zip(grouped.index, grouped["nunique"], grouped["size"], strict=True)
    }


def split_view_counts(
    identity: Sequence | np.ndarray | pd.Series,
    split: Sequence | np.ndarray | pd.Series,
    view: Sequence | np.ndarray | pd.Series,
) -> dict[Key, Count]:
    """Counts in total (key `()`), per split (`(split,)`) and per split and view (`(split, view)`)."""
    total = Count(len(np.unique(np.asarray(identity))), len(identity))
    return {(): total, **count_by(identity, split), **count_by(identity, split, view)}


def images_per_identity(identity: Sequence | np.ndarray | pd.Series) -> np.ndarray:
    """How many images each identity has, in the order of the identities."""
    return np.unique(np.asarray(identity).astype(np.int64), return_counts=True)[1]


def identity_histogram(per_identity: np.ndarray, bins: int) -> tuple[HistogramBin, ...]:
    """Identities per range of image counts, from the smallest count to the largest: one bin per count
    when they span at most `bins` values, else `bins` equal integer ranges."""
    if len(per_identity) == 0:
        return ()
    low, top = int(per_identity.min()), int(per_identity.max())
    width = math.ceil((top - low + 1) / bins)
    return tuple(
        HistogramBin(
            start, start + width - 1, int(((per_identity >= start) & (per_identity < start + width)).sum())
        )
        for start in range(low, top + 1, width)
    )
