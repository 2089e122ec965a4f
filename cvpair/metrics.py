"""Re-identification metrics as pure functions of a distance matrix and labels (Market-1501 definitions).

For each query the gallery is ranked by ascending distance. When cameras are given, gallery entries with the
query's identity *and* camera are removed first (the same vehicle seen by the same camera is not a
re-identification). A query with no remaining true match is skipped and counted in `skipped_queries`; when
no query is left at all the scores are undefined, and `evaluate` raises `NoValidQuery` rather than report 0.

- AP: mean over the query's true matches of precision at each match's rank.
- CMC@k: fraction of queries whose first true match is within the top k.
- INP: (number of true matches) / (rank of the last true match): how far down the hardest match is.

Everything is vectorised over blocks of queries, so 3,000 x 10,000 takes well under two seconds on a CPU.
Entries at exactly equal distances keep the (deterministic) order `numpy.argsort` gives them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

CMC_RANKS: tuple[int, ...] = (1, 5, 10)
CMC_CURVE: tuple[int, ...] = tuple(range(1, 51))
"""The full CMC curve ReID papers plot: every rank from 1 to 50."""
_BLOCK = 512  # queries per block: bounds the temporary (block x gallery) arrays to a few hundred MB


@dataclass(frozen=True)
class ReidMetrics:
    """Scores of one query set against one gallery; `cmc` maps rank k to CMC@k (fractions in [0, 1])."""

    mAP: float
    cmc: dict[int, float]
    mINP: float
    valid_queries: int
    skipped_queries: int
    trials: int = 1
    """Random query / gallery draws averaged (VehicleID); the scores above are then means over them."""
    spread: dict[str, float] = field(default_factory=dict)
    """Standard deviation over the draws of mAP, rank1, rank5 and mINP (empty for a single draw)."""

    @property
    def rank1(self) -> float:
        return self.cmc[1]

    def as_dict(self) -> dict[str, object]:
        """JSON-friendly view: mAP, rank1, rank5, rank10 (those computed), mINP, the query counts, the CMC
        curve when more ranks were computed (`cmc[k - 1]` is CMC@k), and the spread over several draws."""
        flat: dict[str, object] = {"mAP": self.mAP}
        flat.update({f"rank{k}": self.cmc[k] for k in CMC_RANKS if k in self.cmc})
        flat.update(mINP=self.mINP, valid_queries=self.valid_queries, skipped_queries=self.skipped_queries)
        if set(self.cmc) - set(CMC_RANKS):
            flat["cmc"] = [self.cmc[k] for k in sorted(self.cmc)]
        if self.trials > 1:
            flat.update(trials=self.trials, std=self.spread)
        return flat


class NoValidQuery(ValueError):
    """No query has a true match left in the gallery: mAP and CMC are undefined (not 0)."""


def _checked(
    distmat: np.ndarray,
    query_ids: np.ndarray,
    gallery_ids: np.ndarray,
    query_cams: np.ndarray | None,
    gallery_cams: np.ndarray | None,
    ranks: tuple[int, ...],
) -> tuple[np.ndarray, ...]:
    """The inputs as arrays, or a ValueError saying which one is wrong and how."""
    distmat = np.asarray(distmat)
    if distmat.ndim != 2 or not np.issubdtype(distmat.dtype, np.number):
        raise ValueError(f"distmat must be a 2-D numeric (num_query, num_gallery) array, got {distmat.shape}")
    if not np.isfinite(distmat).all():
        bad = int(np.size(distmat) - np.isfinite(distmat).sum())
        raise ValueError(f"distmat holds {bad} NaN or infinite values")
    num_query, num_gallery = distmat.shape
    arrays = [distmat]
    for name, values, length in (
        ("query_ids", query_ids, num_query),
        ("gallery_ids", gallery_ids, num_gallery),
        ("query_cams", query_cams, num_query),
        ("gallery_cams", gallery_cams, num_gallery),
    ):
        if values is None:
            arrays.append(None)
            continue
        values = np.asarray(values)
        if values.shape != (length,):
            raise ValueError(
                f"distmat is {distmat.shape} (queries x gallery), so {name} must have shape ({length},); "
                f"got {values.shape}"
            )
        arrays.append(values)
    if (query_cams is None) != (gallery_cams is None):
        raise ValueError("give cameras for both query and gallery, or for neither")
    if not ranks or any(not isinstance(k, int | np.integer) or k < 1 for k in ranks):
        raise ValueError(f"ranks must be whole numbers >= 1 (CMC@k), got {ranks!r}")
    return tuple(arrays)


def evaluate(
    distmat: np.ndarray,
    query_ids: np.ndarray,
    gallery_ids: np.ndarray,
    query_cams: np.ndarray | None = None,
    gallery_cams: np.ndarray | None = None,
    ranks: tuple[int, ...] = CMC_RANKS,
) -> ReidMetrics:
    """mAP, CMC at `ranks` and mINP of a (num_query, num_gallery) distance matrix.

    Raises ValueError naming the argument when shapes or ranks are wrong, and `NoValidQuery` when no query
    has a true match in the gallery (after the same-camera exclusion)."""
    distmat, query_ids, gallery_ids, query_cams, gallery_cams = _checked(
        distmat, query_ids, gallery_ids, query_cams, gallery_cams, ranks
    )
    num_query, num_gallery = distmat.shape
    use_cams = query_cams is not None

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
        excluded = " once same-identity same-camera entries are removed" if use_cams else ""
        raise NoValidQuery(
            f"none of the {num_query} queries has a true match among the {num_gallery} gallery images"
            f"{excluded}: mAP and CMC are undefined (check that query and gallery share identities)"
        )
    cmc = np.cumsum(first_hits[:-1]) / valid
    return ReidMetrics(ap_sum / valid, {k: float(cmc[k - 1]) for k in ranks}, inp_sum / valid, valid, skipped)
