"""`cvpair.rerank` on cases small enough to work out by hand (the benchmark compares it with torchreid 0.2.5
itself on 3,000 x 10,000)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import cvpair

# One query q and two gallery images g0, g1 with distances q-g0 = 1, q-g1 = 2, g0-g1 = 3.
Q_G = np.array([[1.0, 2.0]])
Q_Q = np.array([[0.0]])
G_G = np.array([[0.0, 3.0], [3.0, 0.0]])


def test_three_images_worked_by_hand():
    """k1 = 1, k2 = 1, lambda 0.5.

    Squared distances, columns (q, g0, g1): q (0, 1, 4), g0 (1, 0, 9), g1 (4, 9, 0); column maxima 4, 9, 9,
    so the normalised rows are q (0, 1/4, 1), g0 (1/9, 0, 1), g1 (4/9, 1, 0).
    Two nearest of each: q -> q, g0; g0 -> g0, q; g1 -> g1, q. Reciprocal sets: q {q, g0}, g0 {g0, q},
    g1 {g1} (q's two nearest do not include g1). With k1 = 1 the half sets (round(0.5) + 1 = 1 nearest) are
    each image alone, and add nothing.
    Weights exp(-d) normalised: V(q) = (1, e^-1/4, 0) / (1 + e^-1/4), V(g0) = (e^-1/9, 1, 0) / (1 + e^-1/9),
    V(g1) = (0, 0, 1). Shared mass with q: m(g0) = min(V(q)q, V(g0)q) + min(V(q)g0, V(g0)g0), m(g1) = 0.
    Jaccard 1 - m / (2 - m); final 0.5 * Jaccard + 0.5 * normalised distance (1/4 for g0, 1 for g1)."""
    vq = np.array([1.0, math.exp(-1 / 4)]) / (1 + math.exp(-1 / 4))
    vg0 = np.array([math.exp(-1 / 9), 1.0]) / (1 + math.exp(-1 / 9))
    shared = np.minimum(vq, vg0).sum()
    expected = [0.5 * (1 - shared / (2 - shared)) + 0.5 * 0.25, 0.5 * 1.0 + 0.5 * 1.0]
    result = cvpair.rerank(Q_G, Q_Q, G_G, k1=1, k2=1, lambda_value=0.5)
    assert result.shape == (1, 2) and result.dtype == np.float32
    np.testing.assert_allclose(result[0], expected, atol=1e-6)


def test_lambda_one_gives_the_squared_column_normalised_distances():
    # q's column of the squared matrix is (0, 1, 4): its maximum 4 normalises q-g0 to 1/4 and q-g1 to 1.
    result = cvpair.rerank(Q_G, Q_Q, G_G, k1=1, k2=1, lambda_value=1.0)
    np.testing.assert_allclose(result, [[0.25, 1.0]], atol=1e-7)


def test_query_expansion_averages_over_the_k2_nearest():
    """k2 = 2: each weight vector becomes the mean of its own and its nearest neighbour's.
    V(q) and V(g0) as above become their common mean M = (V(q) + V(g0)) / 2; V(g1) becomes the mean of
    V(g1) and V(q) (q is g1's nearest other image). lambda 0: the result is the Jaccard distance alone."""
    vq = np.array([1.0, math.exp(-1 / 4), 0.0]) / (1 + math.exp(-1 / 4))
    vg0 = np.array([math.exp(-1 / 9), 1.0, 0.0]) / (1 + math.exp(-1 / 9))
    vg1 = np.array([0.0, 0.0, 1.0])
    mean_q = (vq + vg0) / 2
    mean_g1 = (vg1 + vq) / 2
    expected = []
    for other in (mean_q, mean_g1):  # g0's expanded vector is mean_q too
        shared = np.minimum(mean_q, other)[mean_q > 0].sum()
        expected.append(1 - shared / (2 - shared))
    result = cvpair.rerank(Q_G, Q_Q, G_G, k1=1, k2=2, lambda_value=0.0)
    np.testing.assert_allclose(result[0], expected, atol=1e-6)


def test_wrong_shapes_are_named():
    with pytest.raises(ValueError, match="g_g_dist must be \\(2, 2\\)"):
        cvpair.rerank(Q_G, Q_Q, np.zeros((3, 3)))
    with pytest.raises(ValueError, match="q_q_dist"):
        cvpair.rerank(Q_G, np.zeros((2, 2)), G_G)


def test_no_module_shadows_the_functions():
    import cvpair.metrics  # noqa: F401  (importing the modules must not replace the functions)
    import cvpair.reranking  # noqa: F401

    assert callable(cvpair.rerank) and callable(cvpair.evaluate)
    assert cvpair.rerank.__name__ == "rerank" and cvpair.evaluate.__name__ == "evaluate"
