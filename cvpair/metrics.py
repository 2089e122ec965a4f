"""Re-identification metrics as pure functions of a distance matrix and labels (Market-1501 definitions).

For each query the gallery is ranked by ascending distance. When cameras are given, gallery entries with the
query's identity *and* camera are removed first (the same vehicle seen by the same camera is not a
re-identification). A query with no remaining true match is skipped and counted in `skipped_queries`.

- AP: mean over the query's true matches of precision at each match's rank.
- CMC@k: fraction of queries whose first true match is within the top k.
- INP: (number of true matches) / (rank of the last true match): how far down the hardest match is.

Everything is vectorised over blocks of queries, so 3,000 x 10,000 takes well under two seconds on a CPU.
Entries at exactly equal distances keep the (deterministic) order `numpy.argsort` gives them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CMC_RANKS: tuple[int, ...] = (1, 5, 10)
_BLOCK = 512  # queries per block: bounds the temporary (block x gallery) arrays to a few hundred MB


@dataclass(frozen=True)
class ReidMetrics:
    """Scores of one query set against one gallery; `cmc` maps rank k to CMC@k (fractions in [0, 1])."""

    mAP: float
    cmc: dict[int, float]
    mINP: float
    valid_queries: int
    skipped_queries: int

    @property
    def rank1(self) -> float:
        return self.cmc[1]

    def as_dict(self) -> dict[str, float | int]:
        """Flat, JSON-friendly view: mAP, rank1, rank5, rank10, mINP and the query counts."""
        flat: dict[str, float | int] = {"mAP": self.mAP}
        flat.update({f"rank{k}": v for k, v in self.cmc.items()})
        flat.update(mINP=self.mINP, valid_queries=self.valid_queries, skipped_queries=self.skipped_queries)
        return flat


def evaluate(
    distmat: np.ndarray,
    query_ids: np.ndarray,
    gallery_ids: np.ndarray,
    query_cams: np.ndarray | None = None,
    gallery_cams: np.ndarray | None = None,
    ranks: tuple[int, ...] = CMC_RANKS,
) -> ReidMetrics:
    """mAP, CMC at `ranks` and mINP of a (num_query, num_gallery) distance matrix."""
    distmat = np.asarray(distmat)
    query_ids, gallery_ids = np.asarray(query_ids), np.asarray(gallery_ids)
    num_query, num_gallery = distmat.shape
    if query_ids.shape != (num_query,) or gallery_ids.shape != (num_gallery,):
        raise ValueError(
            f"distmat is {distmat.shape} but got {query_ids.shape} query / {gallery_ids.shape} gallery ids"
        )
    if (query_cams is None) != (gallery_cams is None):
        raise ValueError("give cameras for both query and gallery, or for neither")
    use_cams = query_cams is not None
    if use_cams:
        query_cams, gallery_cams = np.asarray(query_cams), np.asarray(gallery_cams)

    ap_sum = inp_sum = 0.0
    first_hits = np.zeros(max(ranks) + 1, dtype=np.int64)
    valid = 0
    for start in range(0, num_query, _BLOCK):
        block = slice(start, start + _BLOCK)
        order = np.argsort(distmat[block], axis=1)
        # Same-identity entries are sparse: from here on, work on their flat (row-major) positions only.
        same_id = np.flatnonzero(gallery_ids[order] == query_ids[block, None])
        if use_cams:
            same_cam = gallery_cams[order.ravel()[same_id]] == query_cams[block][same_id // num_gallery]
            hit_pos, junk_pos = same_id[~same_cam], same_id[same_cam]
        else:
            hit_pos, junk_pos = same_id, same_id[:0]
        if not len(hit_pos):
            continue
        row, col = np.divmod(hit_pos, num_gallery)
        # 1-based rank of a hit after removal: its column + 1 minus the removed entries before it.
        junk_before = np.searchsorted(junk_pos, hit_pos) - np.searchsorted(junk_pos, row * num_gallery)
        rank = col + 1 - junk_before
        num_matches = np.bincount(row)
        rows_with_hits = np.flatnonzero(num_matches)
        num_matches = num_matches[rows_with_hits]
        row_start = np.cumsum(num_matches) - num_matches
        hit_number = np.arange(len(hit_pos)) - np.repeat(row_start, num_matches) + 1
        ap_sum += float((np.bincount(row, hit_number / rank)[rows_with_hits] / num_matches).sum())
        inp_sum += float((num_matches / rank[row_start + num_matches - 1]).sum())
        first_hits += np.bincount(np.minimum(rank[row_start], max(ranks) + 1), minlength=max(ranks) + 2)[1:]
        valid += len(rows_with_hits)

    skipped = num_query - valid
    if valid == 0:
        return ReidMetrics(0.0, {k: 0.0 for k in ranks}, 0.0, 0, skipped)
    cmc = np.cumsum(first_hits[:-1]) / valid
    return ReidMetrics(ap_sum / valid, {k: float(cmc[k - 1]) for k in ranks}, inp_sum / valid, valid, skipped)
