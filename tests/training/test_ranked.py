"""Ranked galleries of sample queries: which gallery images come first, the report's picture (true
matches framed green), and the same lists opened in FiftyOne."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from cvpair.training.data import Protocol, ReidImage
from cvpair.training.evaluation import score_protocol
from cvpair.training.ranked import draw, ranked_queries
from tests.helpers.release_factory import crop_pixels


def _image(identity: int, view: str, index: int) -> ReidImage:
    buffer = io.BytesIO()
    Image.fromarray(crop_pixels(identity, view, index)).save(buffer, "JPEG")
    view_index = 0 if view == "aerial" else 1
    return ReidImage(f"{view}/{identity}/{index}", buffer.getvalue(), identity, 0, view_index)


@pytest.fixture(scope="module")
def ranked():
    """Queries: identities 1 and 2 (aerial). Gallery (ground): 1, 2, 3, 1. Features on a circle, so the
    cosine distance orders are known: query 1 at 0 deg sees gallery 1 (10 deg), then 1' (40 deg), then
    3 (80 deg), then 2 (170 deg); query 2 at 180 deg sees 2 (170), 3 (80), 1' (40), 1 (10)."""
    query = [_image(1, "aerial", 0), _image(2, "aerial", 0)]
    gallery = [_image(1, "ground", 0), _image(2, "ground", 0), _image(3, "ground", 0), _image(1, "ground", 1)]
    protocol = Protocol.query_gallery("a2g", query, gallery, use_cameras=False)
    angles = np.radians([0, 180, 10, 170, 80, 40])
    features = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    result = score_protocol(features, protocol)
    return protocol, ranked_queries(protocol, result, queries=2, top=3)


def test_each_query_lists_its_nearest_gallery_images_in_order(ranked):
    _, entries = ranked
    assert [image.key for image in entries[0].gallery] == ["ground/1/0", "ground/1/1", "ground/3/0"]
    assert entries[0].matches == (True, True, False)
    assert [image.key for image in entries[1].gallery] == ["ground/2/0", "ground/3/0", "ground/1/1"]
    assert entries[1].matches == (True, False, False)
    assert entries[0].distances[0] == pytest.approx(1 - np.cos(np.radians(10)))


def test_the_picture_frames_true_matches_green_and_others_red(ranked, tmp_path):
    _, entries = ranked
    pixels = np.asarray(Image.open(draw(entries, tmp_path / "ranked.png", "a2g")).convert("RGB")).astype(int)
    green = (pixels[..., 1] > 120) & (pixels[..., 0] < 80) & (pixels[..., 2] < 80)
    red = (pixels[..., 0] > 180) & (pixels[..., 1] < 60) & (pixels[..., 2] < 60)
    assert green.sum() > 100 and red.sum() > 100


def test_the_ranked_lists_open_in_fiftyone(fiftyone_database, ranked, tmp_path):
    from cvpair.browse.ranked import RANKED_VIEW, load_ranked

    _, entries = ranked
    dataset = load_ranked({"a2g": entries}, tmp_path / "images", "ranked-test")
    assert len(dataset) == 2 * (1 + 3)
    assert dataset.count_sample_tags() == {"query": 2, "match": 3, "mismatch": 3}
    groups = dataset.load_saved_view(RANKED_VIEW)
    first = groups.get_dynamic_group("a2g:aerial/1/0")
    assert first.values("rank") == [0, 1, 2, 3]
    assert first.values("image_key") == ["aerial/1/0", "ground/1/0", "ground/1/1", "ground/3/0"]
