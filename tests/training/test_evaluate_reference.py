"""`cvpair evaluate-reference`: a saved model scored without training, here on a tiny VehicleID tree with
one chosen test list, flip at test time and re-ranking; and what flip at test time guarantees."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from cvpair.cli import main
from cvpair.training.cvnet import build_model
from cvpair.training.data import ReidImage
from cvpair.training.evaluation import embed


@pytest.fixture
def checkpoint(tmp_path):
    """A checkpoint as training writes it (model, config, architecture), of an untrained 3-class CVNet."""
    model = build_model("cvnet", 3, seed=0)
    state = {"model": model.state_dict(), "config": {"size": (32, 32)}, "architecture": model.architecture}
    torch.save(state, tmp_path / "checkpoint.pt")
    return tmp_path / "checkpoint.pt"


def test_a_vehicleid_test_list_is_scored_with_flip_and_reranking(checkpoint, vehicleid, tmp_path):  # noqa: F811
    out = tmp_path / "evaluation"
    args = ["evaluate-reference", str(checkpoint), str(vehicleid), "--dataset", "vehicleid"]
    args += ["--test-size", "800", "--flip", "--rerank", "--device", "cpu", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "report.json").read_text())["metrics"]
    assert list(metrics) == ["vehicleid-800"]
    scores = metrics["vehicleid-800"]
    assert scores["trials"] == 10 and set(scores["std"]) == {"mAP", "rank1", "rank5", "mINP"}
    assert len(scores["cmc"]) == 50 and scores["cmc"][-1] == 1.0  # every query's match is within 50
    report = (out / "report.md").read_text()
    assert "±" in report and "ranked-vehicleid-800.png" in report
    assert (out / "ranked-vehicleid-800.png").stat().st_size > 0


def test_without_a_release_the_checkpoint_must_say_where_it_was_trained(checkpoint):
    result = CliRunner().invoke(main, ["evaluate-reference", str(checkpoint)])
    assert result.exit_code == 2 and "RELEASE" in result.output


def test_flip_at_test_time_gives_a_mirror_image_the_same_embedding():
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 255, (40, 48, 3), dtype=np.uint8)
    images = []
    for array in (pixels, pixels[:, ::-1]):
        buffer = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(array)).save(buffer, "PNG")
        images.append(ReidImage(f"{len(images)}", buffer.getvalue(), 0, 0, 0))
    model = build_model("cvnet", 3, seed=0)
    plain = embed(model, images, (32, 32), torch.device("cpu"))
    flipped = embed(model, images, (32, 32), torch.device("cpu"), flip=True)
    assert not np.allclose(plain[0], plain[1], atol=1e-4)  # the network itself is not mirror-symmetric
    np.testing.assert_allclose(flipped[0], flipped[1], atol=1e-5)
