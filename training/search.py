"""A small DARTS search (Liu et al. 2019, first-order) for DFC's filtration op of each branch.

The super-network is CVNet with a `MixedOp` in each DFC branch: a softmax(alpha)-weighted sum of every
candidate op. Each identity's training images are split in two halves; architecture weights (alpha) take a
step on a batch of one half, network weights on a batch of the other, alternately. The strongest op of each
branch forms the genotype, written as JSON with the final op weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from cvpair.training.cvnet import CVNet
from cvpair.training.data import ImageDataset, ReidData
from cvpair.training.dfc import Genotype, MixedOp
from cvpair.training.engine import (
    Distributed,
    TrainConfig,
    loader_workers,
    lr_factor,
    resolve_device,
    seed_everything,
    train_step,
)
from cvpair.training.losses import ReidLoss
from cvpair.training.sampler import IdentitySampler
from cvpair.training.transforms import TrainTransform
from tqdm import tqdm

ARCH_LR = 3e-3
ARCH_WEIGHT_DECAY = 1e-3


@dataclass(frozen=True)
class SearchResult:
    genotype: Genotype
    weights: dict[str, dict[str, float]]
    """Final softmax(alpha) per branch: how clear-cut each choice was."""


def _half_loader(
    data: ReidData, labels: list[int], parity: int, config: TrainConfig, device: torch.device
) -> torch.utils.data.DataLoader:
    """Every other image of each identity (by position), P x K sampled."""
    position: dict[int, int] = {}
    chosen = []
    for index, label in enumerate(labels):
        if position.get(label, 0) % 2 == parity:
            chosen.append(index)
        position[label] = position.get(label, 0) + 1
    images = [data.train[i] for i in chosen]
    half_labels = [labels[i] for i in chosen]
    sampler = IdentitySampler(
        half_labels, [im.view for im in images], config.p, config.k, seed=config.seed + parity
    )
    return torch.utils.data.DataLoader(
        ImageDataset(images, half_labels, TrainTransform(config.size)),
        batch_sampler=sampler,
        num_workers=loader_workers(config, device),
    )


def search_filtration(data: ReidData, config: TrainConfig, out: Path) -> SearchResult:
    """Run the search for `config.epochs` epochs and write `out` (the genotype JSON)."""
    seed_everything(config.seed)
    device = resolve_device(config.device, Distributed())
    labels = data.train_labels()
    model = CVNet(data.num_classes, genotype=None).to(device)
    arch = [p for name, p in model.named_parameters() if name.endswith(".alpha")]
    weights = [p for name, p in model.named_parameters() if p.requires_grad and not name.endswith(".alpha")]
    weight_opt = torch.optim.Adam(weights, lr=config.lr, weight_decay=config.weight_decay)
    arch_opt = torch.optim.Adam(arch, lr=ARCH_LR, betas=(0.5, 0.999), weight_decay=ARCH_WEIGHT_DECAY)
    scaler = torch.amp.GradScaler(device.type, enabled=device.type == "cuda")
    loss_fn = ReidLoss()
    weight_half, arch_half = (_half_loader(data, labels, half, config, device) for half in (0, 1))
    for epoch in range(config.epochs):
        weight_half.batch_sampler.set_epoch(epoch)
        arch_half.batch_sampler.set_epoch(epoch)
        model.train()
        steps = min(len(weight_half), len(arch_half))
        pairs = tqdm(
            zip(weight_half, arch_half, strict=False), total=steps, desc=f"search {epoch + 1}", disable=None
        )
        for step, ((images, targets), (arch_images, arch_targets)) in enumerate(pairs):
            for group in weight_opt.param_groups:
                progress = (epoch + step / steps) / config.epochs
                group["lr"] = config.lr * lr_factor(progress, config.warmup_fraction)
            # First-order DARTS: the architecture step treats the network weights as constants.
            train_step(model, arch_images.to(device), arch_targets.to(device), loss_fn, arch_opt, scaler)
            train_step(model, images.to(device), targets.to(device), loss_fn, weight_opt, scaler)
    mixed = {"shallow": model.dfc.filter_shallow, "deep": model.dfc.filter_deep}
    assert all(isinstance(op, MixedOp) for op in mixed.values())
    result = SearchResult(
        Genotype(shallow=mixed["shallow"].chosen(), deep=mixed["deep"].chosen()),
        {branch: op.weights() for branch, op in mixed.items()},
    )
    result.genotype.save(
        out, weights=result.weights, searched_on=data.name, epochs=config.epochs, seed=config.seed
    )
    return result
