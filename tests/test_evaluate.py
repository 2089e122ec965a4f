"""`cvpair.evaluate` against worked examples whose answers are computed by hand in each test."""

from __future__ import annotations

import numpy as np
import pytest

import cvpair


def ranked(order: list[int]) -> np.ndarray:
    """A one-query distance row that ranks gallery entry `order[0]` first, `order[1]` second, and so on."""
    row = np.empty(len(order))
    row[order] = np.arange(len(order), dtype=float)
    return row[None, :]


def test_matches_at_ranks_1_and_3():
    # Gallery identities in rank order: 7 (hit), 2, 7 (hit), 4, 5.
    gallery = np.array([7, 2, 7, 4, 5])
    result = cvpair.evaluate(ranked([0, 1, 2, 3, 4]), np.array([7]), gallery)
    assert result.mAP == pytest.approx((1 / 1 + 2 / 3) / 2)
    assert result.mINP == pytest.approx(2 / 3)
    assert result.cmc == {1: 1.0, 5: 1.0, 10: 1.0}
    assert (result.valid_queries, result.skipped_queries) == (1, 0)


def test_order_comes_from_distances_not_positions():
    # Gallery entry 3 (identity 9) is nearest, then 0, 1, 2: the single hit is at rank 4.
    distmat = np.array([[0.5, 0.6, 0.7, 0.1]])
    result = cvpair.evaluate(distmat, np.array([9]), np.array([1, 2, 3, 9]))
    assert result.mAP == pytest.approx(1.0)
    result = cvpair.evaluate(distmat, np.array([3]), np.array([1, 2, 3, 9]))
    assert result.mAP == pytest.approx(1 / 4)
    assert result.mINP == pytest.approx(1 / 4)
    assert result.cmc == {1: 0.0, 5: 1.0, 10: 1.0}


def test_two_queries_are_averaged():
    # Query A (id 1): hits at ranks 2 and 4 -> AP = (1/2 + 2/4) / 2 = 0.5, INP = 2/4.
    # Query B (id 2): hit at rank 1 only -> AP = 1, INP = 1.
    gallery = np.array([2, 1, 3, 1, 4])
    distmat = np.vstack([ranked([0, 1, 2, 3, 4]), ranked([0, 1, 2, 3, 4])])
    result = cvpair.evaluate(distmat, np.array([1, 2]), gallery)
    assert result.mAP == pytest.approx((0.5 + 1.0) / 2)
    assert result.mINP == pytest.approx((0.5 + 1.0) / 2)
    assert result.cmc[1] == pytest.approx(0.5)
    assert result.cmc[5] == pytest.approx(1.0)


def test_cmc_counts_first_hit_beyond_rank_10():
    gallery = np.array([0] * 11 + [5])
    result = cvpair.evaluate(ranked(list(range(12))), np.array([5]), gallery)
    assert result.cmc == {1: 0.0, 5: 0.0, 10: 0.0}
    assert result.mAP == pytest.approx(1 / 12)


def test_same_identity_same_camera_entries_are_removed_before_ranking():
    # Ranked gallery (id, cam): (7, 1) junk, (3, 2), (7, 2) hit, (7, 1) junk, (7, 3) hit.
    # After removing the two cam-1 entries of identity 7: id 3, hit, hit -> hits at ranks 2 and 3.
    gallery_ids = np.array([7, 3, 7, 7, 7])
    gallery_cams = np.array([1, 2, 2, 1, 3])
    result = cvpair.evaluate(ranked([0, 1, 2, 3, 4]), np.array([7]), gallery_ids, np.array([1]), gallery_cams)
    assert result.mAP == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert result.mINP == pytest.approx(2 / 3)
    assert result.cmc == {1: 0.0, 5: 1.0, 10: 1.0}


def test_other_identities_on_the_query_camera_are_kept():
    # Identity 4 on the query's camera 1 is a distractor, not junk: the hit stays at rank 2.
    result = cvpair.evaluate(ranked([0, 1]), np.array([7]), np.array([4, 7]), np.array([1]), np.array([1, 2]))
    assert result.mAP == pytest.approx(1 / 2)


def test_query_without_a_valid_match_is_skipped_and_counted():
    # Query 1 (id 7, cam 1) has only a same-camera match; query 2 (id 8) has a hit at rank 1.
    gallery_ids, gallery_cams = np.array([8, 7]), np.array([2, 1])
    distmat = np.vstack([ranked([0, 1]), ranked([0, 1])])
    result = cvpair.evaluate(distmat, np.array([7, 8]), gallery_ids, np.array([1, 1]), gallery_cams)
    assert (result.valid_queries, result.skipped_queries) == (1, 1)
    assert result.mAP == pytest.approx(1.0)
    assert result.cmc[1] == pytest.approx(1.0)


def test_no_valid_query_is_an_error_not_a_zero():
    from cvpair.metrics import NoValidQuery

    with pytest.raises(NoValidQuery, match="none of the 2 queries has a true match"):
        cvpair.evaluate(np.zeros((2, 2)), np.array([1, 2]), np.array([3, 4]))


def test_no_valid_query_after_the_camera_exclusion_says_so():
    from cvpair.metrics import NoValidQuery

    with pytest.raises(NoValidQuery, match="same-camera"):
        cvpair.evaluate(np.zeros((1, 1)), np.array([7]), np.array([7]), np.array([1]), np.array([1]))


def test_cameras_must_be_given_for_both_sides():
    with pytest.raises(ValueError, match="both"):
        cvpair.evaluate(np.zeros((1, 1)), np.array([1]), np.array([1]), query_cams=np.array([0]))


def test_shape_mismatch_is_rejected():
    with pytest.raises(ValueError, match=r"query_ids must have shape \(2,\); got \(1,\)"):
        cvpair.evaluate(np.zeros((2, 3)), np.array([1]), np.array([1, 2, 3]))


def test_gallery_ids_of_the_wrong_length_are_named():
    with pytest.raises(ValueError, match=r"gallery_ids must have shape \(3,\)"):
        cvpair.evaluate(np.zeros((1, 3)), np.array([1]), np.array([1, 2]))


def test_cameras_of_the_wrong_length_are_named():
    with pytest.raises(ValueError, match="gallery_cams"):
        cvpair.evaluate(np.zeros((1, 2)), np.array([1]), np.array([1, 2]), np.array([0]), np.array([0]))


def test_a_distance_matrix_that_is_not_2d_is_rejected():
    with pytest.raises(ValueError, match="2-D"):
        cvpair.evaluate(np.zeros(3), np.array([1]), np.array([1, 2, 3]))


def test_nan_distances_are_rejected():
    with pytest.raises(ValueError, match="1 NaN"):
        cvpair.evaluate(np.array([[0.1, np.nan]]), np.array([1]), np.array([1, 2]))


@pytest.mark.parametrize("ranks", [(), (0, 1), (1, 2.5)])
def test_cmc_ranks_must_be_whole_numbers_from_1(ranks):
    with pytest.raises(ValueError, match="ranks"):
        cvpair.evaluate(np.zeros((1, 2)), np.array([1]), np.array([1, 2]), ranks=ranks)


def test_the_full_cmc_curve_goes_to_rank_50_in_the_json_view():
    from cvpair.metrics import CMC_CURVE

    # The only match is 30th of 60: CMC is 0 up to rank 29 and 1 from rank 30.
    gallery = np.array([0] * 29 + [5] + [0] * 30)
    result = cvpair.evaluate(ranked(list(range(60))), np.array([5]), gallery, ranks=CMC_CURVE)
    curve = result.as_dict()["cmc"]
    assert len(curve) == 50 and curve == [0.0] * 29 + [1.0] * 21
    assert result.as_dict()["rank10"] == 0.0


def test_as_dict_is_flat():
    result = cvpair.evaluate(ranked([0, 1, 2, 3, 4]), np.array([7]), np.array([7, 2, 7, 4, 5]))
    expected = {"mAP", "rank1", "rank5", "rank10", "mINP", "valid_queries", "skipped_queries"}
    assert set(result.as_dict()) == expected


def test_many_queries_span_several_blocks():
    # 1,100 copies of the ranks-1-and-3 query (more than one block of queries): every AP is 5/6.
    distmat = np.repeat(ranked([0, 1, 2, 3, 4]), 1100, axis=0)
    result = cvpair.evaluate(distmat, np.full(1100, 7), np.array([7, 2, 7, 4, 5]))
    assert result.mAP == pytest.approx(5 / 6)
    assert result.valid_queries == 1100


def test_cvpair_evaluate_is_the_metrics_function_also_after_importing_its_module():
    from cvpair.metrics import ReidMetrics

    result = cvpair.evaluate(ranked([0, 1]), np.array([7]), np.array([4, 7]))
    assert isinstance(result, ReidMetrics) and result.mAP == pytest.approx(1 / 2)
