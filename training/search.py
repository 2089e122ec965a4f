"""A small DARTS search (Liu et al. 2019, first-order) for DFC's filtration op of each branch.

The super-network is CVNet with a `MixedOp` in each DFC branch: a softmax(alpha)-weighted sum of every
candidate op. Each identity's *tracks* are split in two halves (whole tracks, never frames of one track on
both sides: neighbouring frames are near-copies, and tuning alpha on them measures memory, not matching);
architecture weights (alpha) take a step on a batch of the held-out tracks, network weights on a batch of
the others, alternately. The strongest op of each branch forms the genotype, written as JSON with the
settings, the data, how it was split, and the final op weights: the file is the search's own record.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from tqdm import tqdm

from cvpair.errors import InputError, Problem
from cvpair.training.cvnet import CVNet
from cvpair.training.data import ImageDataset, ReidData, ReidImage
from cvpair.training.dfc import Genotype, MixedOp
from cvpair.training.distributed import ONE_PROCESS
from cvpair.training.engine import (
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

ARCH_LR = 3e-3
ARCH_WEIGHT_DECAY = 1e-3


@dataclass(frozen=True)
class SearchResult:
    genotype: Genotype
    weights: dict[str, dict[str, float]]
    """Final softmax(alpha) per branch: how clear-cut each choice was."""


@dataclass(frozen=True)
class TrackSplit:
    """Indices into the training images: network weights learn on `train`, alpha on `held_out`."""

    train: tuple[int, ...]
    held_out: tuple[int, ...]
    identities_held_out: int
    """Identities with tracks on both sides (one with a single track stays on the training side)."""

    def describe(self) -> str:
        return (
            f"whole tracks held out per identity: {len(self.held_out)} images of "
            f"{self.identities_held_out} identities for alpha, {len(self.train)} images for the weights"
        )


def split_tracks(images: tuple[ReidImage, ...], labels: list[int]) -> TrackSplit:
    """Every other track of each identity, taken in (view, track) order, is held out, so both halves see
    both views where an identity has two tracks or more per view."""
    tracks: dict[int, dict[tuple[int, str], list[int]]] = defaultdict(lambda: defaultdict(list))
    for index, (image, label) in enumerate(zip(images, labels, strict=True)):
        tracks[label][image.view, image.track].append(index)
    train, held_out, identities = [], [], 0
    for by_track in tracks.values():
        ordered = [by_track[key] for key in sorted(by_track)]
        train += [i for position, members in enumerate(ordered) if position % 2 == 0 for i in members]
        held_out += [i for position, members in enumerate(ordered) if position % 2 == 1 for i in members]
        identities += len(ordered) > 1
    return TrackSplit(tuple(sorted(train)), tuple(sorted(held_out)), identities)


def _loader(
    data: ReidData, labels: list[int], chosen: tuple[int, ...], seed: int, config: TrainConfig, device
) -> torch.utils.data.DataLoader:
    """The `chosen` training images, P x K sampled."""
    images = [data.train[i] for i in chosen]
    half_labels = [labels[i] for i in chosen]
    sampler = IdentitySampler(half_labels, [im.view for im in images], config.p, config.k, seed=seed)
    return torch.utils.data.DataLoader(
        ImageDataset(images, half_labels, TrainTransform(config.size)),
        batch_sampler=sampler,
        num_workers=loader_workers(config, device),
    )


def search_filtration(data: ReidData, config: TrainConfig, out: Path) -> SearchResult:
    """Run the search for `config.epochs` epochs and write `out` (the genotype JSON)."""
    if any(image.track is None for image in data.train):
        raise InputError(
            Problem(data.name, "the search holds out whole tracks, but this dataset has no track ids")
        )
    seed_everything(config.seed)
    device = resolve_device(config.device, ONE_PROCESS)
    labels = data.train_labels()
    split = split_tracks(data.train, labels)
    model = CVNet(data.num_classes, genotype=None).to(device)
    arch = [p for name, p in model.named_parameters() if name.endswith(".alpha")]
    weights = [p for name, p in model.named_parameters() if p.requires_grad and not name.endswith(".alpha")]
    weight_opt = torch.optim.Adam(weights, lr=config.lr, weight_decay=config.weight_decay)
    arch_opt = torch.optim.Adam(arch, lr=ARCH_LR, betas=(0.5, 0.999), weight_decay=ARCH_WEIGHT_DECAY)
    scaler = torch.amp.GradScaler(device.type, enabled=device.type == "cuda")
    loss_fn = ReidLoss()
    weight_half = _loader(data, labels, split.train, config.seed, config, device)
    arch_half = _loader(data, labels, split.held_out, config.seed + 1, config, device)
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
    settings = {name: list(v) if isinstance(v, tuple) else v for name, v in asdict(config).items()}
    settings |= {"arch_lr": ARCH_LR, "arch_weight_decay": ARCH_WEIGHT_DECAY}
    data_record = f"{data.name}: {len(data.train)} training images of {data.num_classes} identities"
    result.genotype.save(
        out, weights=result.weights, settings=settings, data=data_record, held_out=split.describe()
    )
    return result
