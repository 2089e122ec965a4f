"""64-bit DCT perceptual hash of a crop, and Hamming distances between hashes.

Near-duplicate detection (within an identity at build time, across splits at validation) compares these:
two crops of the same moment differ by a few bits, different vehicles by about half of them.
"""

from __future__ import annotations

import cv2
import numpy as np

HASH_SIZE = 8
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
