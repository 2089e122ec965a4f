"""The VeRi-776 and VehicleID readers on tiny trees laid out exactly like the real datasets."""

from __future__ import annotations

import numpy as np
import pytest

from cvpair.errors import InputError
from cvpair.training.data import decode
from cvpair.training.vehicleid import TRIALS, load_vehicleid
from cvpair.training.veri776 import load_veri776


def test_veri_reads_identity_and_camera_from_file_names(veri):
    data = load_veri776(veri)
    assert [(im.identity, im.camera) for im in data.train] == [(2, 2), (2, 3), (10, 1)]
    assert data.train_labels() == [0, 0, 1]
    assert data.num_classes == 2
    (protocol,) = data.protocols
    query, gallery = protocol.trials[0]
    assert [protocol.images[i].key for i in query] == ["image_query/0005_c004_00077200_0.jpg"]
    gallery_labels = [(protocol.images[i].identity, protocol.images[i].camera) for i in gallery]
    assert gallery_labels == [(5, 4), (5, 11), (7, 4)]
    assert protocol.use_cameras


def test_veri_images_decode_from_their_paths(veri):
    image = decode(load_veri776(veri).train[1].source)
    assert image.shape == (3, 10, 12)
    assert image[0].max() == pytest.approx(40 / 255, abs=2 / 255)


def test_veri_bad_name_is_reported_with_its_line(veri):
    (veri / "name_query.txt").write_text("0005_c004_00077200_0.jpg\nnot-a-veri-name.jpg\n")
    with pytest.raises(InputError, match=r"name_query.txt:2"):
        load_veri776(veri)


def test_veri_missing_image_is_reported(veri):
    (veri / "image_test" / "0007_c004_00010000_0.jpg").unlink()
    with pytest.raises(InputError, match="0007_c004_00010000_0.jpg"):
        load_veri776(veri)


def test_vehicleid_reads_train_list(vehicleid):
    data = load_vehicleid(vehicleid)
    assert [(im.key, im.identity) for im in data.train] == [
        ("image/0000001.jpg", 0),
        ("image/0000002.jpg", 0),
        ("image/0000003.jpg", 4),
    ]
    assert [p.name for p in data.protocols] == ["vehicleid-800", "vehicleid-1600", "vehicleid-2400"]


def test_vehicleid_gallery_has_one_image_per_identity_and_the_rest_are_queries(vehicleid):
    protocol = load_vehicleid(vehicleid).protocols[0]
    identities = np.array([im.identity for im in protocol.images])
    assert len(protocol.trials) == TRIALS == 10
    for query, gallery in protocol.trials:
        assert sorted(identities[gallery]) == [21, 33, 40]
        assert sorted(np.concatenate([query, gallery])) == list(range(6))
    assert not protocol.use_cameras


def test_vehicleid_trials_vary_and_are_reproducible(vehicleid):
    first = load_vehicleid(vehicleid, seed=3).protocols[0].trials
    again = load_vehicleid(vehicleid, seed=3).protocols[0].trials
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(first, again, strict=True))
    assert len({tuple(gallery) for _, gallery in first}) > 1


def test_vehicleid_malformed_line_is_reported(vehicleid):
    (vehicleid / "train_test_split" / "train_list.txt").write_text("0000001 0\n0000002\n")
    with pytest.raises(InputError, match=r"train_list.txt:2"):
        load_vehicleid(vehicleid)


def test_vehicleid_missing_list_is_reported(vehicleid):
    (vehicleid / "train_test_split" / "test_list_2400.txt").unlink()
    with pytest.raises(InputError, match="test_list_2400.txt"):
        load_vehicleid(vehicleid)


def test_vehicleid_test_list_can_be_chosen(vehicleid):
    data = load_vehicleid(vehicleid, sizes=(1600,))
    assert [p.name for p in data.protocols] == ["vehicleid-1600"]


def test_several_draws_report_their_mean_and_spread():
    from cvpair.metrics import ReidMetrics
    from cvpair.training.evaluation import mean_metrics

    first = ReidMetrics(0.5, {1: 0.4, 5: 0.8, 10: 1.0}, 0.2, 10, 0)
    second = ReidMetrics(0.7, {1: 0.6, 5: 0.8, 10: 1.0}, 0.4, 10, 0)
    mean = mean_metrics([first, second])
    assert (mean.mAP, mean.cmc[1], mean.trials) == (pytest.approx(0.6), pytest.approx(0.5), 2)
    # Population standard deviation of two values a, b is |a - b| / 2.
    assert mean.spread == pytest.approx({"mAP": 0.1, "rank1": 0.1, "rank5": 0.0, "mINP": 0.1})
    assert mean.as_dict()["std"] == mean.spread and mean.as_dict()["trials"] == 2
