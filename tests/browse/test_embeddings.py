"""`cvpair browse --embeddings`: a checkpoint of a tiny training run embeds every crop of the browsed release,
and FiftyOne Brain builds a similarity index and a 2-D map over the embeddings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from cvpair import protocol
from cvpair.cli import main
from cvpair.training.blocks import EMBEDDING
from cvpair.training.cvnet import build_model
from cvpair.training.data import load_cvpair
from cvpair.training.engine import CHECKPOINT, TrainConfig, fit
from tests.helpers.synthetic_release import Identity, write_identities

IDENTITIES = [Identity(i, protocol.TRAIN, aerial=2, ground=2) for i in range(1, 5)]
IDENTITIES += [Identity(i, protocol.TEST, aerial=2, ground=2) for i in range(5, 8)]
SAMPLES = 4 * 4 + 3 * 4  # 2 pairs of 2 crops per identity


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    return write_identities(tmp_path_factory.mktemp("embeddings") / "release", IDENTITIES)


@pytest.fixture(scope="module")
def checkpoint(release, tmp_path_factory) -> Path:
    """One epoch of CVNet at 32x32: trained weights, not good ones."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        data = load_cvpair(release, ("a2g",))
        config = TrainConfig(epochs=1, p=4, k=2, size=(32, 32), seed=0)
        out = tmp_path_factory.mktemp("embeddings-run")
        fit(build_model("cvnet", data.num_classes, seed=0), data, config, out)
    finally:
        torch.set_num_threads(threads)
    return out / CHECKPOINT


@pytest.fixture(scope="module")
def dataset(fiftyone_database, release, checkpoint):
    from cvpair.browse.embeddings import add_embeddings
    from cvpair.browse.loader import load_release

    dataset = load_release(release, name="browse-embeddings")
    add_embeddings(dataset, checkpoint)
    return dataset


def test_the_checkpoint_records_how_to_rebuild_the_model(checkpoint):
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    assert state["architecture"]["name"] == "cvnet"
    assert set(state["architecture"]["genotype"]) == {"shallow", "deep"}
    assert tuple(state["config"]["size"]) == (32, 32)


def test_every_crop_has_a_unit_embedding_of_the_model_width(dataset):
    crops = dataset.select_group_slices()
    embeddings = crops.values("embedding")
    assert len(embeddings) == SAMPLES
    assert all(e is not None and np.shape(e) == (EMBEDDING,) for e in embeddings)
    assert np.allclose(np.linalg.norm(np.stack(embeddings), axis=1), 1.0, atol=1e-4)


def test_the_similarity_index_ranks_a_crop_first_among_its_neighbours(dataset):
    from cvpair.browse.embeddings import SIMILARITY_KEY, VISUALIZATION_KEY

    assert {SIMILARITY_KEY, VISUALIZATION_KEY} <= set(dataset.list_brain_runs())
    crops = dataset.select_group_slices()
    query = crops.match({"repeated": False}).first()  # a repeated crop ties with its other sample
    nearest = crops.sort_by_similarity(query.id, k=5, brain_key=SIMILARITY_KEY)
    assert len(nearest) == 5
    assert nearest.first().id == query.id


def test_the_visualization_has_a_2d_point_per_crop(dataset):
    from cvpair.browse.embeddings import VISUALIZATION_KEY

    results = dataset.load_brain_results(VISUALIZATION_KEY)
    assert np.shape(results.points) == (SAMPLES, 2)
    assert np.isfinite(results.points).all()


def test_an_old_checkpoint_without_the_architecture_still_loads(checkpoint, tmp_path):
    from cvpair.training.checkpoint import load_model

    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    del state["architecture"]
    torch.save(state, tmp_path / "old.pt")
    model, size = load_model(tmp_path / "old.pt")
    assert size == (32, 32)
    assert model(torch.zeros(1, 3, 32, 32)).shape == (1, EMBEDDING)


def test_a_file_that_is_no_checkpoint_is_a_user_error(tmp_path):
    from cvpair.errors import InputError
    from cvpair.training.checkpoint import load_model

    (tmp_path / "junk.pt").write_text("not a checkpoint")
    with pytest.raises(InputError, match="not a cvpair training checkpoint"):
        load_model(tmp_path / "junk.pt")


def test_browse_no_launch_with_embeddings(fiftyone_database, release, checkpoint):
    args = ["browse", str(release), "--name", "browse-embeddings-cli", "--no-launch"]
    result = CliRunner().invoke(main, [*args, "--embeddings", str(checkpoint)])
    assert result.exit_code == 0, result.output
    assert f"embedded {SAMPLES} crops" in result.output
    again = CliRunner().invoke(main, [*args, "--embeddings", str(checkpoint)])  # runs are replaced
    assert again.exit_code == 0, again.output
