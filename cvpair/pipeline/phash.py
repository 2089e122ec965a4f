"""64-bit DCT perceptual hash of a crop, and Hamming distances between hashes.

Near-duplicate detection (within an identity at build time, across splits at validation) compares these:
two crops of the same moment differ by a few bits, different vehicles by about half of them.
"""

from __future__ import annotations

import cv2
import numpy as np

HASH_SIZE = 8
NEAR_DUPLICATE_BITS = 4  # pHash distance at or below which two crops may be the same picture
_MAX_MATCHES = 1 << 20  # band matches measured per step of the pair search: bounds its memory
_SAMPLE_SIZE = 32


def phash(rgb: np.ndarray) -> int:
    """The pHash of an RGB (or grey) uint8 image: low 8x8 DCT coefficients above their median."""
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) if rgb.ndim == 3 else rgb
    small = cv2.resize(grey, (_SAMPLE_SIZE, _SAMPLE_SIZE), interpolation=cv2.INTER_AREA).astype(np.float32)
    low = cv2.dct(small)[:HASH_SIZE, :HASH_SIZE]
    ordered, middle = np.sort(low, axis=None), HASH_SIZE * HASH_SIZE // 2  # np.median, without its overhead
    bits = (low > (ordered[middle - 1] + ordered[middle]) / 2).flatten()
    return int(np.packbits(bits).view(">u8")[0])


def to_hex(value: int) -> str:
    """The 16-hex-digit form stored in the `phash` column."""
    return f"{value:016x}"


def from_hex(values: list[str] | np.ndarray) -> np.ndarray:
    """`phash` column values as an unsigned 64-bit array."""
    return np.array([int(v, 16) for v in values], dtype=np.uint64)


def hamming(a: np.ndarray | int, b: np.ndarray | int) -> np.ndarray:
    """Bitwise Hamming distance between (broadcast) 64-bit hashes."""
    x = np.bitwise_xor(np.asarray(a, dtype=np.uint64), np.asarray(b, dtype=np.uint64))
    return np.bitwise_count(x).astype(np.int64)


def _band_joins(left: np.ndarray, right: np.ndarray, bits: int) -> list[tuple[np.ndarray, ...]]:
    """Per band of the hashes: each left hash's first match and number of matches among the right hashes
    sorted by that band, and that order (`right` is sorted once per band, all of `left` looked up at once)."""
    edges = np.linspace(0, 64, bits + 2).astype(np.uint64)
    joins = []
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        mask = np.uint64((1 << int(high - low)) - 1)
        right_keys = (right >> low) & mask
        order = np.argsort(right_keys, kind="stable")
        ordered, left_keys = right_keys[order], (left >> low) & mask
        start = np.searchsorted(ordered, left_keys, "left")
        joins.append((start, np.searchsorted(ordered, left_keys, "right") - start, order))
    return joins


def _matches(start: np.ndarray, count: np.ndarray, order: np.ndarray, offset: int) -> np.ndarray:
    """(i, j) pairs, as two rows: each left row i (numbered from `offset`) with each of its matches."""
    first = np.repeat(start - (np.cumsum(count) - count), count)
    return np.stack(
        [np.repeat(np.arange(offset, offset + len(count)), count), order[np.arange(count.sum()) + first]]
    )


def close_pairs(left: np.ndarray, right: np.ndarray, bits: int) -> list[tuple[int, int, int]]:
    """(i, j, distance) for every left[i], right[j] within `bits` of each other, sorted by i then j.

    Multi-index hashing: cut the 64 bits into bits + 1 bands; by pigeonhole, two hashes within `bits` agree
    exactly on at least one band. Joining on each band finds the few candidates, whose full distance is
    then measured: near-linear, where comparing all pairs grows with train x test.
    """
    if not len(left) or not len(right):
        return []
    joins = _band_joins(left, right, bits)
    matched = np.cumsum(sum(count for _, count, _ in joins))  # band matches of left[:i + 1]
    found, begin = [], 0
    while begin < len(left):  # steps of _MAX_MATCHES matches at most (or one row): memory stays bounded
        before = int(matched[begin - 1]) if begin else 0
        end = max(begin + 1, int(np.searchsorted(matched, before + _MAX_MATCHES, "right")))
        i, j = np.concatenate([_matches(s[begin:end], c[begin:end], o, begin) for s, c, o in joins], axis=1)
        close = hamming(left[i], right[j]) <= bits
        i, j = np.divmod(np.unique(i[close] * len(right) + j[close]), len(right))  # once each, by i then j
        found += zip(i.tolist(), j.tolist(), hamming(left[i], right[j]).tolist(), strict=True)
        begin = end
    return found
