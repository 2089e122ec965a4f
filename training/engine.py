"""The training loop: P x K batches, label-smoothed CE + batch-hard triplet, warm-up then cosine learning
rate, AMP on CUDA only, a checkpoint every epoch (resume continues exactly where it stopped), per-epoch
metrics (JSON, CSV, PNG) and DDP when launched by torchrun with WORLD_SIZE > 1 (every rank trains on its
share of the batches and embeds its share of the images at evaluation; rank 0 writes the files).

Determinism: every random draw (sampler, augmentation, initialisation) derives from `seed`; every rank's
RNG states are checkpointed, so a run resumed after epoch e matches an uninterrupted one (`checkpoint.py`).
"""

from __future__ import annotations

import math
import os
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from cvpair.metrics import ReidMetrics
from cvpair.training import checkpoint as checkpoints
from cvpair.training.data import ImageDataset, ReidData
from cvpair.training.distributed import Distributed
from cvpair.training.evaluation import ProtocolResult, score_protocols
from cvpair.training.losses import ReidLoss
from cvpair.training.report import write_history
from cvpair.training.sampler import IdentitySampler
from cvpair.training.transforms import TrainTransform

CHECKPOINT = checkpoints.CHECKPOINT


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 60
    p: int = 16
    k: int = 4
    size: tuple[int, int] = (256, 256)
    lr: float = 1.5e-3
    """Adam, for a network trained from scratch (training/README.md says why this rate; 3.5e-4, Bag of
    Tricks' value, is for ImageNet-pretrained nets). Not scaled with the number of DDP processes: N
    processes train an N times larger batch at this rate."""
    weight_decay: float = 5e-4
    warmup_fraction: float = 0.1
    device: str = "cpu"
    seed: int = 0
    workers: int | None = None
    """DataLoader processes; None: 0 on CPU (the main process decodes), up to 8 on CUDA."""
    eval_every: int = 0
    """Evaluate every this many epochs (0: about ten times per run); the last epoch is always evaluated."""


@dataclass(frozen=True)
class TrainResult:
    history: list[dict[str, float]]
    results: dict[str, ProtocolResult]
    """The last evaluation, per protocol (on rank 0; empty on the other DDP ranks)."""

    @property
    def metrics(self) -> dict[str, ReidMetrics]:
        return {name: result.metrics for name, result in self.results.items()}


def lr_factor(progress: float, warmup: float) -> float:
    """Multiplier of the base learning rate at `progress` in [0, 1] of the run: linear warm-up from 1 %
    over the first `warmup` fraction, then a cosine decay to 1 %."""
    if progress < warmup:
        return 0.01 + 0.99 * progress / warmup
    cosine = 0.5 * (1 + math.cos(math.pi * (progress - warmup) / max(1.0 - warmup, 1e-8)))
    return 0.01 + 0.99 * cosine


def seed_everything(seed: int) -> None:
    """Seed every generator the run draws from and ask torch for deterministic kernels."""
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True
    torch.use_deterministic_algorithms(True, warn_only=True)


def resolve_device(name: str, dist: Distributed) -> torch.device:
    if name == "cuda":
        if not torch.cuda.is_available():
            from cvpair.errors import CvpairError

            raise CvpairError("--device cuda was asked for but torch sees no CUDA device")
        torch.cuda.set_device(dist.local_rank)
        return torch.device("cuda", dist.local_rank)
    return torch.device(name)


def train_step(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    loss_fn: ReidLoss,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
) -> dict[str, float]:
    """One optimisation step (autocast and loss scaling only on CUDA); returns the loss terms and accuracy."""
    device = images.device
    with torch.autocast(device.type, enabled=device.type == "cuda"):
        output = model(images)
    losses = loss_fn(output, labels)
    optimizer.zero_grad(set_to_none=True)
    scaler.scale(losses["loss"]).backward()
    scaler.step(optimizer)
    scaler.update()
    figures = {name: float(value.detach()) for name, value in losses.items()}
    figures["accuracy"] = float((output.logits.argmax(1) == labels).float().mean())
    return figures


def loader_workers(config: TrainConfig, device: torch.device) -> int:
    """DataLoader processes for this run (see `TrainConfig.workers`)."""
    if config.workers is not None:
        return config.workers
    return min(8, os.cpu_count() or 1) if device.type == "cuda" else 0


def _train_epoch(
    trained: nn.Module,
    loader: torch.utils.data.DataLoader,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    config: TrainConfig,
    epoch: int,
    show: bool,
) -> dict[str, float]:
    """One pass of the sampler; returns the epoch's row of the history (mean losses, accuracy, speed)."""
    device = next(trained.parameters()).device
    loss_fn = ReidLoss()
    trained.train()
    started, sums, steps = time.perf_counter(), {}, len(loader.batch_sampler)
    bar = tqdm(loader, total=steps, desc=f"epoch {epoch + 1}/{config.epochs}", disable=None if show else True)
    for step, (images, targets) in enumerate(bar):
        factor = lr_factor((epoch + step / steps) / config.epochs, config.warmup_fraction)
        for group in optimizer.param_groups:
            group["lr"] = config.lr * factor
        images, targets = images.to(device, non_blocking=True), targets.to(device)
        figures = train_step(trained, images, targets, loss_fn, optimizer, scaler)
        sums = {name: sums.get(name, 0.0) + value for name, value in figures.items()}
        bar.set_postfix(loss=f"{figures['loss']:.3f}")
    seconds = time.perf_counter() - started
    row = {"epoch": epoch + 1, "lr": optimizer.param_groups[0]["lr"], "seconds": seconds}
    row |= {name: value / max(steps, 1) for name, value in sums.items()}
    row["images_per_s"] = steps * config.p * config.k / seconds
    return row


def fit(
    model: nn.Module,
    data: ReidData,
    config: TrainConfig,
    out: Path,
    resume: bool = False,
    stop_after: int | None = None,
    source: dict[str, str] | None = None,
) -> TrainResult:
    """Train on `data.train`, evaluate on `data.protocols`; checkpoints and curves go into `out`.

    `stop_after` ends the run after that epoch, as a job slot shorter than the schedule would; `resume`
    then continues from the checkpoint as if nothing had happened. `source` (dataset kind and where it was
    read from) is kept in the checkpoint, for evaluating it later on the same data.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    dist = Distributed.from_environment()
    seed_everything(config.seed + dist.rank)  # ranks augment differently; the sampler shares `config.seed`
    device = resolve_device(config.device, dist)
    model.to(device)
    labels = data.train_labels()
    sampler = IdentitySampler(
        labels, [im.view for im in data.train], config.p, config.k,
        seed=config.seed, rank=dist.rank, world_size=dist.world_size,
    )  # fmt: skip
    loader = torch.utils.data.DataLoader(
        ImageDataset(data.train, labels, TrainTransform(config.size)),
        batch_sampler=sampler,
        num_workers=loader_workers(config, device),
        pin_memory=device.type == "cuda",
    )
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(trainable, lr=config.lr, weight_decay=config.weight_decay)
    scaler = torch.amp.GradScaler(device.type, enabled=device.type == "cuda")
    eval_every = config.eval_every or max(1, config.epochs // 10)

    checkpoint = out / CHECKPOINT
    record = checkpoints.run_record(config, data, dist.world_size, getattr(model, "architecture", None))
    history, start_epoch = [], 0
    if resume and checkpoint.exists():
        history, start_epoch = checkpoints.resume(checkpoint, model, optimizer, scaler, record, dist.rank)
    trained = model
    if dist.world_size > 1:
        device_ids = [dist.local_rank] if device.type == "cuda" else None
        trained = nn.parallel.DistributedDataParallel(model, device_ids=device_ids)

    results: dict[str, ProtocolResult] = {}
    scored = False
    for epoch in range(start_epoch, min(config.epochs, stop_after or config.epochs)):
        sampler.set_epoch(epoch)
        row = _train_epoch(trained, loader, optimizer, scaler, config, epoch, show=dist.main)
        if (epoch + 1) % eval_every == 0 or epoch + 1 == config.epochs:
            results, scored = score_protocols(model, data.protocols, config.size, device, dist), True
            for name, result in results.items():
                row |= {f"{name}_mAP": result.metrics.mAP, f"{name}_rank1": result.metrics.rank1}
        history.append(row)
        rng = dist.gather(checkpoints.rng_state())  # every rank's generators, on rank 0
        if dist.main:
            state = {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scaler": scaler.state_dict(),
            }
            state |= {"epoch": epoch + 1, "history": history, "rng": rng, "config": asdict(config)}
            state |= {"run": record, "source": source or {}}
            if hasattr(model, "architecture"):  # set by build_model: what to rebuild the network from
                state["architecture"] = model.architecture
            checkpoints.save(checkpoint, state)
            write_history(history, out)
    if not scored:  # nothing scored in this call (stopped early, or resumed a finished run)
        results = score_protocols(model, data.protocols, config.size, device, dist)
    return TrainResult(history, results)
