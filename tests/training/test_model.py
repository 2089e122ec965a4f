"""CVNet's parts (MSL, DFC, search space, BN-neck), its size, and the training building blocks: losses,
the P x K sampler, transforms and the learning-rate schedule. Expected values are worked out by hand."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
from torch import nn

from cvpair.training import cvnet
from cvpair.training.blocks import EMBEDDING, TrainOutput
from cvpair.training.cvnet import MODELS, CVNet, build_model
from cvpair.training.dfc import DEFAULT_GENOTYPE, FILTRATION_OPS, Genotype, MixedOp
from cvpair.training.engine import lr_factor
from cvpair.training.losses import ReidLoss, batch_hard_triplet
from cvpair.training.msl import MSL
from cvpair.training.sampler import IdentitySampler
from cvpair.training.summary import FLOPS_TARGET, PARAMS_TARGET, count_flops, summarize
from cvpair.training.transforms import colour_jitter, hflip, pad_and_crop, random_erasing, resize


def test_cvnet_meets_the_parameter_and_flop_targets_at_256():
    summary = summarize(build_model("cvnet", 500), (256, 256))
    print(*summary.lines(), sep="\n")
    assert summary.params <= PARAMS_TARGET == 2.2e6
    assert summary.flops <= FLOPS_TARGET == 0.6e9


def test_flop_counter_counts_multiply_adds_of_a_convolution():
    # 8 output channels x 32 x 32 positions x (3 input channels x 3 x 3 kernel) multiply-adds.
    conv = nn.Conv2d(3, 8, 3, padding=1, bias=False)
    assert count_flops(conv, (32, 32)) == 8 * 32 * 32 * 3 * 9


def test_baseline_is_of_similar_size():
    models = build_model("cvnet", 100), build_model("baseline", 100)
    cvnet, baseline = (sum(p.numel() for p in model.parameters()) for model in models)
    assert abs(cvnet - baseline) / cvnet < 0.15


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_registered_model_trains_and_embeds(name):
    model = build_model(name, 7)
    images = torch.randn(4, 3, 64, 64)
    output = model.train()(images)
    assert isinstance(output, TrainOutput)
    assert output.logits.shape == (4, 7) and output.embedding.shape == (4, EMBEDDING)
    assert model.eval()(images).shape == (4, EMBEDDING)


def test_unknown_model_name_is_rejected():
    with pytest.raises(ValueError, match="unknown model"):
        build_model("resnet50", 3)


def test_bn_neck_bias_is_frozen():
    neck = build_model("cvnet", 3).neck
    assert not neck.norm.bias.requires_grad and neck.norm.weight.requires_grad


def test_msl_keeps_the_feature_shape():
    features = torch.randn(2, 48, 16, 12)
    assert MSL(48).eval()(features).shape == features.shape


def test_mixed_op_weights_are_a_softmax_and_the_strongest_op_is_chosen():
    op = MixedOp(16)
    with torch.no_grad():
        op.alpha.copy_(torch.tensor([0.0, 0.0, 2.0, 0.0, 0.0]))
    weights = op.weights()
    assert list(weights) == list(FILTRATION_OPS)
    assert sum(weights.values()) == pytest.approx(1.0)
    assert weights["spatial_gate"] == pytest.approx(math.exp(2) / (math.exp(2) + 4))
    assert op.chosen() == "spatial_gate"


@pytest.mark.parametrize("name", sorted(FILTRATION_OPS))
def test_every_filtration_op_keeps_the_shape(name):
    features = torch.randn(2, 16, 8, 8)
    assert FILTRATION_OPS[name](16)(features).shape == features.shape


def test_search_network_has_mixed_ops_in_both_branches():
    model = CVNet(5, genotype=None)
    assert isinstance(model.dfc.filter_shallow, MixedOp) and isinstance(model.dfc.filter_deep, MixedOp)


def test_genotype_round_trips_through_json(tmp_path):
    path = Genotype("instance_norm", "conv1x1").save(tmp_path / "g.json", epochs=3)
    assert Genotype.load(path) == Genotype("instance_norm", "conv1x1")
    assert json.loads(path.read_text())["epochs"] == 3


def test_without_a_genotype_cvnet_uses_the_unsearched_identity_filtration():
    assert Genotype("identity", "identity") == DEFAULT_GENOTYPE
    assert build_model("cvnet", 5).architecture["genotype"] == {"shallow": "identity", "deep": "identity"}
    assert not (Path(cvnet.__file__).parent / "genotype.json").exists()  # no hand-edited search result


def test_unknown_filtration_op_is_rejected():
    with pytest.raises(ValueError, match="unknown filtration op"):
        Genotype("identity", "dropout")


def test_batch_hard_triplet_on_points_of_a_line():
    # Label 0 at 0 and 1, label 1 at 3 and 6; margin 0.3.
    # anchor 0: hardest positive 1, nearest negative 3 -> max(1 - 3 + 0.3, 0) = 0
    # anchor 1: 1 vs 2 -> 0;  anchor 3: 3 vs 2 -> 1.3;  anchor 6: 3 vs 5 -> 0.   Mean = 1.3 / 4.
    points = torch.tensor([[0.0], [1.0], [3.0], [6.0]])
    loss = batch_hard_triplet(points, torch.tensor([0, 0, 1, 1]), margin=0.3)
    assert float(loss) == pytest.approx(1.3 / 4)


def test_reid_loss_with_uniform_logits_is_log_of_the_class_count():
    # Uniform logits: cross-entropy is log(4) whatever the smoothing; identical embeddings: triplet = margin.
    output = TrainOutput(torch.zeros(4, 4), torch.zeros(4, 8))
    losses = ReidLoss(epsilon=0.1, margin=0.3)(output, torch.tensor([0, 0, 1, 1]))
    assert float(losses["ce"]) == pytest.approx(math.log(4))
    assert float(losses["triplet"]) == pytest.approx(0.3)
    assert float(losses["loss"]) == pytest.approx(math.log(4) + 0.3)


LABELS = [0] * 6 + [1] * 6 + [2] * 4 + [3] * 5 + [4] * 8
VIEWS = [0, 1] * 3 + [0] * 3 + [1] * 3 + [0, 1] * 2 + [0] * 5 + [1, 0] * 4


def test_sampler_batches_hold_p_identities_of_k_images_mixing_views():
    sampler = IdentitySampler(LABELS, VIEWS, p=2, k=4, seed=1)
    batches = list(sampler)
    assert batches and len(batches) == len(sampler)
    for batch in batches:
        assert len(batch) == 8
        identities = [LABELS[i] for i in batch]
        assert len(set(identities)) == 2 and all(identities.count(i) == 4 for i in set(identities))
        for identity in set(identities):
            views = {VIEWS[i] for i in batch if LABELS[i] == identity}
            assert views == {0, 1} or identity == 3  # identity 3 was only seen from the air


def test_sampler_is_a_function_of_seed_and_epoch():
    first, again = IdentitySampler(LABELS, VIEWS, 2, 4, seed=5), IdentitySampler(LABELS, VIEWS, 2, 4, seed=5)
    assert list(first) == list(again)
    epoch0 = list(first)
    first.set_epoch(1)
    assert list(first) != epoch0


def test_sampler_ranks_split_batches_evenly():
    ranks = [IdentitySampler(LABELS, VIEWS, 2, 2, seed=0, rank=r, world_size=2) for r in (0, 1)]
    batches = [list(sampler) for sampler in ranks]
    assert len(batches[0]) == len(batches[1]) == len(ranks[0])
    assert not {tuple(b) for b in batches[0]} & {tuple(b) for b in batches[1]}


def test_sampler_needs_p_identities():
    with pytest.raises(ValueError, match="identities"):
        IdentitySampler([0, 0, 1, 1], [0, 1, 0, 1], p=3, k=2)


def test_resize_gives_the_asked_size():
    assert resize(torch.rand(3, 40, 90), (64, 32)).shape == (3, 64, 32)


def test_hflip_mirrors_columns():
    image = torch.arange(6.0).reshape(1, 2, 3).expand(3, 2, 3)
    assert torch.equal(hflip(image, p=1.0)[0, 0], torch.tensor([2.0, 1.0, 0.0]))


def test_pad_and_crop_shifts_without_resizing():
    image = torch.ones(3, 10, 8)
    out = pad_and_crop(image, 2)
    assert out.shape == image.shape
    assert out.sum() >= image.sum() * (6 * 4) / (10 * 8)  # at most 2 rows and 2 columns shifted out


def test_colour_jitter_of_zero_strength_changes_nothing():
    image = torch.rand(3, 8, 8)
    assert torch.allclose(colour_jitter(image, 0.0, 0.0, 0.0), image, atol=1e-6)


def test_random_erasing_blanks_a_rectangle():
    torch.manual_seed(0)
    out = random_erasing(torch.ones(3, 32, 32), p=1.0)
    erased = (out == 0).all(dim=0)
    rows, cols = erased.any(dim=1).sum(), erased.any(dim=0).sum()
    assert 0 < erased.sum() == rows * cols  # one filled rectangle
    assert 0.02 * 32 * 32 * 0.8 <= erased.sum() <= 0.4 * 32 * 32 * 1.2


def test_learning_rate_warms_up_then_decays_by_cosine():
    assert lr_factor(0.0, 0.1) == pytest.approx(0.01)
    assert lr_factor(0.05, 0.1) == pytest.approx(0.01 + 0.99 * 0.5)
    assert lr_factor(0.1, 0.1) == pytest.approx(1.0)
    assert lr_factor(0.55, 0.1) == pytest.approx(0.01 + 0.99 * 0.5)  # half-way through the cosine
    assert lr_factor(1.0, 0.1) == pytest.approx(0.01)
