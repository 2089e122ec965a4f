"""The search for train/test pairs of crops that look alike: pHash neighbours across the split, then the
correlation of their colour thumbnails.

pHash sees only grey-level structure, so besides copies it finds look-alike vehicles (same type and paint:
the benchmark's hard negatives); the correlation of colour pixels tells the two apart. The pHash search
needs only the rows' columns, so it runs before the image pass, which then keeps the thumbnails of exactly
the rows it found.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from cvpair import protocol
from cvpair.pipeline.phash import NEAR_DUPLICATE_BITS, close_pairs, from_hex


class Candidate(NamedTuple):
    """A train/test pair within NEAR_DUPLICATE_BITS of pHash, by row position in the release's rows."""

    train_row: int
    test_row: int
    bits: int


class LookAlike(NamedTuple):
    """A candidate pair by image_id, with the correlation of its colour thumbnails."""

    train: str
    test: str
    bits: int
    correlation: float


def phash_values(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The phash column as uint64 (0 where malformed), and which values are well formed."""
    well_formed = column.str.fullmatch(r"[0-9a-fA-F]{16}").fillna(False).to_numpy(dtype=bool)
    values = np.zeros(len(column), dtype=np.uint64)
    values[well_formed] = from_hex(column[well_formed].tolist())
    return values, well_formed


def candidates(rows: pd.DataFrame) -> tuple[Candidate, ...]:
    """The train/test pairs of `rows` within NEAR_DUPLICATE_BITS of pHash; identical bytes are
    integrity.duplicate_bytes' finding, not one of these."""
    hashes, usable = phash_values(rows.phash)
    is_train = (rows.file_split == protocol.TRAIN_GROUP.name).to_numpy()
    train, test = np.flatnonzero(usable & is_train), np.flatnonzero(usable & ~is_train)
    sha256 = rows.sha256.to_numpy()
    return tuple(
        Candidate(int(train[i]), int(test[j]), d)
        for i, j, d in close_pairs(hashes[train], hashes[test], NEAR_DUPLICATE_BITS)
        if sha256[train[i]] != sha256[test[j]]
    )


def look_alikes(
    pairs: tuple[Candidate, ...], rows: pd.DataFrame, images: pd.DataFrame
) -> tuple[LookAlike, ...]:
    """Each candidate pair with the correlation of its two colour thumbnails (from the image pass)."""

    def thumbnail(row: int) -> np.ndarray:
        small = images.thumbnail.iloc[row]
        if small is None:
            why = images.decode_error.iloc[row] or "the image pass was not asked for it"
            raise ValueError(f"no colour thumbnail of {rows.image_id.iloc[row]}: {why}")
        return small

    ids = rows.image_id
    return [
        LookAlike(ids.iloc[i], ids.iloc[j], d, float((thumbnail(i) * thumbnail(j)).mean()))
        for i, j, d in pairs
    ]
