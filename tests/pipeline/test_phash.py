"""The pHash pair search (multi-index hashing) that curation and validate's look-alike search share."""

from __future__ import annotations

import numpy as np

from cvpair.pipeline.phash import close_pairs


def test_close_pairs_finds_exactly_the_pairs_within_the_threshold():
    rng = np.random.default_rng(7)
    left = rng.integers(0, 2**63, size=300, dtype=np.uint64)
    right = rng.integers(0, 2**63, size=200, dtype=np.uint64)
    right[:5] = left[[3, 50, 299, 7, 120]] ^ np.array([0b1, 0b11, 0b1111, 0b11111, 0], dtype=np.uint64)
    expected = {
        (i, j, (int(a) ^ int(b)).bit_count())
        for i, a in enumerate(left)
        for j, b in enumerate(right)
        if (int(a) ^ int(b)).bit_count() <= 4
    }
    assert set(close_pairs(left, right, 4)) == expected
    assert {(i, j) for i, j, _ in expected} >= {(3, 0), (50, 1), (299, 2), (120, 4)}


def test_close_pairs_bounds_its_steps_and_finds_the_same_pairs(monkeypatch):
    from cvpair.pipeline import phash

    rng = np.random.default_rng(3)
    left = rng.integers(0, 2**63, size=400, dtype=np.uint64)
    right = np.concatenate([left[:50] ^ np.uint64(0b101), np.zeros(30, np.uint64)])
    left[100:120] = 0  # hashes that collide on every band
    whole = close_pairs(left, right, 4)
    monkeypatch.setattr(phash, "_MAX_MATCHES", 7)
    assert close_pairs(left, right, 4) == whole == sorted(whole)
    assert len(whole) == 50 + 20 * 30
