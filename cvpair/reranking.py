"""k-reciprocal re-ranking (Zhong et al., "Re-ranking Person Re-identification with k-reciprocal Encoding",
CVPR 2017) as a pure function of distance matrices, with the semantics of torchreid 0.2.5's `re_ranking`.

As there, the (query + gallery) x (query + gallery) distances are squared, each column is divided by its
maximum, and the result is transposed, so row i holds column i normalised. Each image's k1-reciprocal
neighbours (i is among its neighbours' k1 nearest too), expanded by the k1/2-reciprocal sets of those
neighbours that share more than 2/3 of their own set, become a sparse vector of exp(-distance) weights; the
vectors are averaged over each image's k2 nearest neighbours (query expansion) and compared by a Jaccard
distance, which is mixed with the original distance: lambda * original + (1 - lambda) * Jaccard.

torchreid loops over images in Python on dense (N x N) matrices; here every step works on sparse
(row, column, value) arrays for all images at once, which is where the speed comes from. Only the first
k1 + 1 neighbours of each row are ever ranked, never the whole row.
"""

from __future__ import annotations

import numpy as np

_BLOCK = 1024
"""Rows per block when ranking neighbours and scoring queries: bounds the temporary arrays."""


def rerank(
    q_g_dist: np.ndarray,
    q_q_dist: np.ndarray,
    g_g_dist: np.ndarray,
    k1: int = 20,
    k2: int = 6,
    lambda_value: float = 0.3,
) -> np.ndarray:
    """Re-ranked (num_query, num_gallery) distances (float32) from query-gallery, query-query and
    gallery-gallery distances; k1, k2 and lambda_value as in the paper (defaults: its and torchreid's)."""
    q_g, q_q, g_g = (np.asarray(d) for d in (q_g_dist, q_q_dist, g_g_dist))
    if q_g.ndim != 2:
        raise ValueError(f"q_g_dist must be a 2-D (num_query, num_gallery) array, got shape {q_g.shape}")
    num_query, num_gallery = q_g.shape
    for name, matrix, side in (("q_q_dist", q_q, num_query), ("g_g_dist", g_g, num_gallery)):
        if matrix.shape != (side, side):
            raise ValueError(
                f"q_g_dist is {q_g.shape}, so {name} must be ({side}, {side}); got {matrix.shape}"
            )
    if k1 < 1 or k2 < 1 or not 0.0 <= lambda_value <= 1.0:
        raise ValueError(f"need k1 >= 1, k2 >= 1 and 0 <= lambda_value <= 1; got {k1}, {k2}, {lambda_value}")

    columns = _SquaredColumns(q_g, q_q, g_g, k=max(k1 + 1, k2))
    count = num_query + num_gallery
    half = int(np.around(k1 / 2.0)) + 1
    rows, cols = _expansion(columns.nearest[:, : k1 + 1], columns.nearest[:, :half])
    values = np.exp(-columns.original(rows, cols))
    values /= np.bincount(rows, values, minlength=count)[rows]
    if k2 != 1:
        rows, cols, values = _query_expansion(rows, cols, values, columns.nearest[:, :k2], count)
    jaccard = _jaccard(rows, cols, values, num_query, count)
    return (jaccard * (1 - lambda_value) + columns.query_gallery() * lambda_value).astype(np.float32)


class _SquaredColumns:
    """The squared distance matrix D = [[q_q, q_g], [q_g.T, g_g]] read by columns, which is all torchreid's
    transposed, column-normalised matrix needs: its row i ("original" distances) is column i of D divided
    by the column's maximum, and ranking that row is ranking the column (the division keeps the order).

    Squares are taken in the input's precision, then held as float32 (as torchreid). Ranking uses torch's
    top-k: a partial sort of each column, multi-threaded."""

    def __init__(self, q_g: np.ndarray, q_q: np.ndarray, g_g: np.ndarray, k: int) -> None:
        import torch

        self.num_query = len(q_q)
        # Column i of D for a query i: (q_q[:, i], q_g[i, :]), one row each of this (num_query, N) matrix.
        self.queries = torch.cat([torch.from_numpy(q_q).T, torch.from_numpy(q_g)], 1).square_().float()
        # Column g of D for a gallery image g: (q_g[:, g], g_g[:, g]), a column of this (N, num_gallery) one.
        gallery = torch.cat([torch.from_numpy(q_g), torch.from_numpy(g_g)], 0).square_().float()
        k = min(k, self.num_query + len(g_g))
        self.maximum = torch.cat([self.queries.amax(1), gallery.amax(0)]).numpy()
        self.nearest = torch.cat(
            [
                torch.topk(self.queries, k, dim=1, largest=False).indices,
                torch.topk(gallery, k, dim=0, largest=False).indices.T,
            ]
        ).numpy()
        self.gallery = gallery.numpy()

    def original(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """torchreid's original_dist[rows, cols]: D[cols, rows] ** 2 / (maximum of column `rows`)."""
        values = np.empty(len(rows), dtype=np.float32)
        query = rows < self.num_query
        values[query] = self.queries.numpy()[rows[query], cols[query]]
        values[~query] = self.gallery[cols[~query], rows[~query] - self.num_query]
        return values / self.maximum[rows]

    def query_gallery(self) -> np.ndarray:
        """torchreid's original_dist[:num_query, num_query:]."""
        return self.queries.numpy()[:, self.num_query :] / self.maximum[: self.num_query, None]


def _reciprocal(nearest: np.ndarray) -> np.ndarray:
    """Mask of each row's neighbours that have the row among their own neighbours (same k)."""
    mask = np.empty(nearest.shape, dtype=bool)
    for start in range(0, len(nearest), _BLOCK):
        block = nearest[start : start + _BLOCK]
        me = np.arange(start, start + len(block))[:, None, None]
        mask[start : start + _BLOCK] = (nearest[block] == me).any(axis=2)
    return mask


def _expansion(near_k1: np.ndarray, near_half: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row, column) of every image's expanded k-reciprocal set, sorted and without repeats: its
    k1-reciprocal neighbours, plus the k1/2-reciprocal set of each of them that shares more than 2/3 of
    itself with the k1-reciprocal set."""
    count = len(near_k1)
    reciprocal = _reciprocal(near_k1)
    reciprocal_half = _reciprocal(near_half)
    half_size = reciprocal_half.sum(axis=1)
    pairs = [np.flatnonzero(reciprocal.ravel()) // near_k1.shape[1] * count + near_k1[reciprocal]]
    for start in range(0, count, _BLOCK):
        block = slice(start, start + _BLOCK)
        members = np.where(reciprocal[block], near_k1[block], -1)  # the k1-reciprocal set, -1 elsewhere
        candidates = near_k1[block]  # (b, K1): each candidate's half set is (b, K1, H)
        candidate_sets = np.where(reciprocal_half[candidates], near_half[candidates], -2)
        shared = (candidate_sets[..., None] == members[:, None, None, :]).any(axis=3).sum(axis=2)
        accepted = reciprocal[block] & (shared > 2.0 / 3.0 * half_size[candidates])
        rows = np.arange(start, start + len(candidates))[:, None, None]
        take = accepted[..., None] & reciprocal_half[candidates]
        pairs.append(np.broadcast_to(rows, take.shape)[take] * count + candidate_sets[take])
    flat = np.unique(np.concatenate(pairs))
    return flat // count, flat % count


def _query_expansion(
    rows: np.ndarray, cols: np.ndarray, values: np.ndarray, near_k2: np.ndarray, count: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row replaced by the mean of the rows of its k2 nearest neighbours (sparse in, sparse out)."""
    row_start = np.searchsorted(rows, np.arange(count + 1))
    sources = near_k2.ravel()
    lengths = row_start[sources + 1] - row_start[sources]
    offsets = np.repeat(row_start[sources] - (np.cumsum(lengths) - lengths), lengths)
    positions = offsets + np.arange(lengths.sum())
    targets = np.repeat(np.repeat(np.arange(count), near_k2.shape[1]), lengths)
    flat, inverse = np.unique(targets * count + cols[positions], return_inverse=True)
    summed = np.bincount(inverse, values[positions]) / near_k2.shape[1]
    return flat // count, flat % count, summed


def _jaccard(
    rows: np.ndarray, cols: np.ndarray, values: np.ndarray, num_query: int, count: int
) -> np.ndarray:
    """(num_query, num_gallery) Jaccard distances 1 - m / (2 - m), m the sum over shared columns of the
    smaller of the two weights (the gallery rows are the images after the first num_query)."""
    num_gallery = count - num_query
    by_column = np.lexsort((rows, cols))
    in_gallery = rows[by_column] >= num_query
    column_rows = rows[by_column][in_gallery] - num_query
    column_values = values[by_column][in_gallery]
    column_start = np.searchsorted(cols[by_column][in_gallery], np.arange(count + 1))
    row_start = np.searchsorted(rows, np.arange(num_query + 1))
    jaccard = np.empty((num_query, num_gallery), dtype=np.float64)
    for start in range(0, num_query, _BLOCK // 4):
        stop = min(start + _BLOCK // 4, num_query)
        entries = slice(row_start[start], row_start[stop])
        query_rows, query_cols, query_values = rows[entries] - start, cols[entries], values[entries]
        lengths = column_start[query_cols + 1] - column_start[query_cols]
        offsets = np.repeat(column_start[query_cols] - (np.cumsum(lengths) - lengths), lengths)
        positions = offsets + np.arange(lengths.sum())
        smaller = np.minimum(np.repeat(query_values, lengths), column_values[positions])
        flat = np.repeat(query_rows, lengths) * num_gallery + column_rows[positions]
        shared = np.bincount(flat, smaller, minlength=(stop - start) * num_gallery)
        shared = shared.reshape(stop - start, num_gallery)
        jaccard[start:stop] = 1 - shared / (2 - shared)
    return jaccard
