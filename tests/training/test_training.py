"""Training the reference model end to end on a small synthetic release: the CPU smoke run reaches a mAP
far above chance, runs are deterministic under a seed, resume continues exactly, and the search writes a
genotype. The release is written by the real writer (rows follow the schema) and read back through
`datasets.load_dataset`."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

import cvpair
from cvpair.cli import main
from cvpair.errors import InputError
from cvpair.protocol import TEST, TRAIN
from cvpair.training import checkpoint as checkpoints
from cvpair.training.checkpoint import CHECKPOINT
from cvpair.training.cvnet import build_model
from cvpair.training.data import Protocol, ReidData, ReidImage, load_cvpair
from cvpair.training.dfc import FILTRATION_OPS, Genotype
from cvpair.training.engine import TrainConfig, fit
from cvpair.training.search import search_filtration, split_tracks
from tests.helpers.synthetic_release import Identity, write_identities

TRAIN_IDS, TEST_IDS = range(1, 33), range(33, 65)
SMALL = TrainConfig(epochs=2, p=4, k=4, size=(64, 64), seed=3)


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    """32 training identities (4 aerial + 4 ground images) and 32 test identities (3 + 3)."""
    identities = [Identity(i, TRAIN, aerial=4, ground=4) for i in TRAIN_IDS]
    identities += [Identity(i, TEST, aerial=3, ground=3) for i in TEST_IDS]
    return write_identities(tmp_path_factory.mktemp("training") / "release", identities)


@pytest.fixture(scope="module")
def data(release):
    return load_cvpair(release)


@pytest.fixture(scope="module")
def few(data) -> ReidData:
    """8 training and 8 test identities (A2G only): enough to compare runs weight for weight, quickly."""
    train = tuple(image for image in data.train if image.identity in TRAIN_IDS[:8])
    a2g = data.protocols[0]
    query, gallery = (
        [a2g.images[i] for i in side if a2g.images[i].identity in TEST_IDS[:8]] for side in a2g.trials[0]
    )
    return ReidData("few", train, (Protocol.query_gallery("a2g", query, gallery, use_cameras=True),))


def chance_map(protocol, draws: int = 200) -> float:
    """Expected mAP of a random ranking of this protocol's gallery, estimated by sampling."""
    query, gallery = protocol.trials[0]
    ids = np.array([image.identity for image in protocol.images])
    rng = np.random.default_rng(0)
    scores = [
        cvpair.evaluate(rng.random((len(query), len(gallery))), ids[query], ids[gallery]).mAP
        for _ in range(draws)
    ]
    return float(np.mean(scores))


def test_release_loads_with_both_protocols_and_swapped_roles(data):
    assert data.num_classes == 32 and len(data.train) == 32 * 8
    a2g, g2a = data.protocols
    assert (a2g.name, g2a.name) == ("a2g", "g2a")
    for protocol, query_view in ((a2g, 0), (g2a, 1)):
        query, gallery = protocol.trials[0]
        assert {protocol.images[i].view for i in query} == {query_view}
        assert {protocol.images[i].view for i in gallery} == {1 - query_view}
        # one query per test identity (its earliest frame); the other two images of the other view
        assert (len(query), len(gallery)) == (32, 32 * 2)


@pytest.mark.slow
def test_cpu_smoke_run_reaches_a2g_map_far_above_chance(release, data, tmp_path):
    out = tmp_path / "run"
    started = time.perf_counter()
    result = CliRunner().invoke(
        main,
        ["train-reference", str(release), "--epochs", "6", "--p", "8", "--k", "4", "--input", "64x64"]
        + ["--device", "cpu", "--out", str(out), "--seed", "0"],
    )
    seconds = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    trained, chance = report["metrics"]["a2g"]["mAP"], chance_map(data.protocols[0])
    g2a = report["metrics"]["g2a"]["mAP"]
    print(f"A2G mAP {trained:.3f} vs chance {chance:.3f}; G2A mAP {g2a:.3f}; {seconds:.0f} s")
    assert trained > 5 * chance
    for name in ("report.md", "metrics.json", "metrics.csv", "curves.png", "checkpoint.pt"):
        assert (out / name).stat().st_size > 0
    assert "| a2g |" in (out / "report.md").read_text()
    assert len(json.loads((out / "metrics.json").read_text())) == 6


def _weights(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {name: value.detach().clone() for name, value in model.state_dict().items()}


def _same(first: dict[str, torch.Tensor], second: dict[str, torch.Tensor]) -> bool:
    return first.keys() == second.keys() and all(torch.equal(first[n], second[n]) for n in first)


@pytest.mark.slow
def test_two_runs_with_the_same_seed_are_identical(few, tmp_path):
    config = TrainConfig(epochs=1, p=4, k=4, size=(64, 64), seed=11)
    runs = []
    for name in ("first", "second"):
        torch.manual_seed(999 if name == "first" else 0)  # the run must not depend on the state before it
        model = build_model("cvnet", few.num_classes, seed=config.seed)
        result = fit(model, few, config, tmp_path / name)
        runs.append((_weights(model), result.metrics["a2g"], result.history[0]["loss"]))
    assert _same(runs[0][0], runs[1][0])
    assert runs[0][1] == runs[1][1] and runs[0][2] == runs[1][2]


@pytest.mark.slow
def test_resumed_run_matches_an_uninterrupted_one(few, tmp_path):
    straight = build_model("cvnet", few.num_classes, seed=SMALL.seed)
    straight_result = fit(straight, few, SMALL, tmp_path / "straight")

    interrupted = build_model("cvnet", few.num_classes, seed=SMALL.seed)
    fit(interrupted, few, SMALL, tmp_path / "resumed", stop_after=1)
    assert json.loads((tmp_path / "resumed" / "metrics.json").read_text())[-1]["epoch"] == 1
    # Another initialisation, as in a fresh process: only the checkpoint may count.
    resumed = build_model("cvnet", few.num_classes, seed=1)
    result = fit(resumed, few, SMALL, tmp_path / "resumed", resume=True)
    assert [row["epoch"] for row in result.history] == [1, 2]
    assert _same(_weights(straight), _weights(resumed))
    assert result.metrics == straight_result.metrics


@pytest.fixture(scope="module")
def one_epoch(few, tmp_path_factory) -> Path:
    """A run of SMALL stopped after its first epoch: its folder holds checkpoint.pt."""
    out = tmp_path_factory.mktemp("one-epoch")
    fit(build_model("cvnet", few.num_classes, seed=SMALL.seed), few, SMALL, out, stop_after=1)
    return out


def _resume_parts(few, config: TrainConfig = SMALL):
    model = build_model("cvnet", few.num_classes, seed=config.seed)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=config.lr)
    record = checkpoints.run_record(config, few, 1, model.architecture)
    return model, optimizer, record


@pytest.mark.slow
def test_resuming_with_other_settings_is_refused_naming_them(few, one_epoch, tmp_path):
    longer = replace(SMALL, epochs=3, lr=1e-3)
    with pytest.raises(InputError, match=r"epochs: 2 -> 3; lr: 0.0015 -> 0.001") as caught:
        fit(build_model("cvnet", few.num_classes, seed=SMALL.seed), few, longer, one_epoch, resume=True)
    assert "checkpoint.pt" in str(caught.value)


def test_settings_that_cannot_change_what_is_learned_may_change_on_resume(few):
    record = checkpoints.run_record(SMALL, few, 1, None)
    moved = checkpoints.run_record(replace(SMALL, device="cuda", eval_every=1), few, 1, None)
    assert checkpoints.changed_settings(record, moved) == []
    assert checkpoints.changed_settings(record, checkpoints.run_record(SMALL, few, 2, None)) == [
        "world_size: 1 -> 2"
    ]


def test_a_cpu_checkpoint_resumes_where_losses_are_scaled(few, one_epoch):
    """A CPU run saves a disabled scaler's empty state; a CUDA run's scaler is enabled. CI has no GPU: an
    enabled CPU scaler stands in for it (the same load_state_dict), and map_location="cpu" is what reads a
    CUDA checkpoint on a CPU. Not run here: resuming on a real GPU."""
    model, optimizer, record = _resume_parts(few)
    scaler = torch.amp.GradScaler("cpu", enabled=True)
    history, epoch = checkpoints.resume(one_epoch / CHECKPOINT, model, optimizer, scaler, record)
    assert (epoch, len(history)) == (1, 1)
    assert scaler.get_scale() == torch.amp.GradScaler("cpu").get_scale()  # a fresh scale


def test_a_scaled_checkpoint_resumes_on_a_cpu_and_keeps_its_scale_on_a_gpu(few, one_epoch, tmp_path):
    state = torch.load(one_epoch / CHECKPOINT, weights_only=False)
    state["scaler"] = torch.amp.GradScaler("cpu", init_scale=128.0).state_dict()  # as a CUDA run saves it
    torch.save(state, tmp_path / CHECKPOINT)
    model, optimizer, record = _resume_parts(few)
    cpu = torch.amp.GradScaler("cpu", enabled=False)
    checkpoints.resume(tmp_path / CHECKPOINT, model, optimizer, cpu, record)
    scaling = torch.amp.GradScaler("cpu", enabled=True)
    checkpoints.resume(tmp_path / CHECKPOINT, model, optimizer, scaling, record)
    assert scaling.get_scale() == 128.0


def test_each_rank_resumes_its_own_random_state(few, one_epoch, tmp_path):
    state = torch.load(one_epoch / CHECKPOINT, weights_only=False)
    generators = []
    for seed in (1, 2):
        torch.manual_seed(seed)
        generators.append(checkpoints.rng_state())
    state["rng"] = generators  # rank 0's and rank 1's, as a two-process run saves them
    torch.save(state, tmp_path / CHECKPOINT)
    model, optimizer, record = _resume_parts(few)
    scaler = torch.amp.GradScaler("cpu", enabled=False)
    draws = []
    for rank in (0, 1):
        checkpoints.resume(tmp_path / CHECKPOINT, model, optimizer, scaler, record, rank=rank)
        draws.append(torch.rand(3))
    torch.manual_seed(2)
    assert torch.equal(draws[1], torch.rand(3)) and not torch.equal(draws[0], draws[1])


def test_the_search_holds_out_whole_tracks_of_each_identity():
    """Identity 5: aerial tracks a1, a2 and ground track g1 -> a1 and g1 train the weights, a2 is held out.
    Identity 6: one track only -> it stays with the weights."""

    def image(identity: int, view: int, track: str, frame: int) -> ReidImage:
        return ReidImage(f"{track}/{frame}", b"", identity, view, view, track)

    images = (
        image(5, 0, "a1", 0), image(5, 0, "a2", 0), image(5, 0, "a1", 1), image(5, 1, "g1", 0),
        image(5, 0, "a2", 1), image(6, 1, "g9", 0), image(6, 1, "g9", 1),
    )  # fmt: skip
    split = split_tracks(images, [0, 0, 0, 0, 0, 1, 1])
    assert split.held_out == (1, 4)
    assert split.train == (0, 2, 3, 5, 6)
    assert split.identities_held_out == 1
    held = {images[i].track for i in split.held_out}
    assert held.isdisjoint(images[i].track for i in split.train)


@pytest.mark.slow
def test_search_writes_a_genotype_of_known_ops(few, tmp_path):
    config = TrainConfig(epochs=1, p=4, k=2, size=(64, 64), seed=0)
    result = search_filtration(few, config, tmp_path / "genotype.json")
    assert Genotype.load(tmp_path / "genotype.json") == result.genotype
    record = json.loads((tmp_path / "genotype.json").read_text())
    assert set(record) == {"shallow", "deep", "weights", "settings", "data", "held_out"}
    assert record["settings"]["epochs"] == 1 and record["settings"]["size"] == [64, 64]
    assert record["data"] == "few: 64 training images of 8 identities"
    for branch in ("shallow", "deep"):
        assert set(result.weights[branch]) == set(FILTRATION_OPS)
        assert sum(result.weights[branch].values()) == pytest.approx(1.0)
        assert max(result.weights[branch], key=result.weights[branch].get) == getattr(result.genotype, branch)


def test_summary_command_prints_parameters_and_flops():
    result = CliRunner().invoke(main, ["train-reference", "--summary", "--input", "128x128"])
    assert result.exit_code == 0, result.output
    assert "parameters: 1.1" in result.output and "FLOPs:" in result.output and "128x128" in result.output
    assert "391 training identities" in result.output  # the published cvpair-v1.0 split


def test_bad_input_size_is_a_user_error():
    result = CliRunner().invoke(main, ["train-reference", "--summary", "--input", "big"])
    assert result.exit_code == 2 and "--input" in result.output


def test_training_without_a_release_is_a_user_error(tmp_path):
    result = CliRunner().invoke(main, ["train-reference", "--epochs", "1", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "RELEASE" in result.output


@pytest.mark.slow
def test_cpu_smoke_run_on_the_demo_release_is_well_above_chance(demo_release, tmp_path):
    """The real builder's output trains end to end. With 12 training and 12 test identities the demo can
    only teach so much cross-view matching: 15 epochs at 96x96 reach about 2.3x chance (the synthetic
    64-identity release above shows the model learning properly)."""
    out = tmp_path / "demo"
    args = ["train-reference", str(demo_release), "--epochs", "15", "--p", "6", "--k", "4"]
    args += ["--input", "96x96", "--device", "cpu", "--out", str(out), "--seed", "0"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "report.json").read_text())["metrics"]
    assert set(metrics) == {"a2g", "g2a"}
    assert all(m["valid_queries"] > 0 for m in metrics.values())
    trained, chance = metrics["a2g"]["mAP"], chance_map(load_cvpair(demo_release).protocols[0])
    print(f"demo release: A2G mAP {trained:.3f} vs chance {chance:.3f}; G2A mAP {metrics['g2a']['mAP']:.3f}")
    assert trained > 2 * chance
