"""DFC, deep-shallow filtrate collaboration: view-specific detail and view-shared semantics, filtered, fused.

The shallow branch (mid-level features) keeps fine detail that differs between a drone and a street view
(roof rack vs. number plate); the deep branch (high-level features) carries what both views share (colour,
make, shape). Each branch goes through a *filtration* op that suppresses what hurts matching across views;
which op works best is not obvious, so it is chosen per branch by a differentiable search (`search.py`) and
stored as a `Genotype`. A *collaboration* module then lets each branch gate the other's channels (the deep
branch decides which shallow details matter, the shallow branch which semantics are visible) and sums them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import Tensor, nn

from cvpair.errors import InputError, Problem
from cvpair.training.blocks import conv_bn


def channel_gate_weights(in_channels: int, out_channels: int, reduction: int) -> nn.Sequential:
    """Pooled context -> bottleneck -> one sigmoid weight per output channel, shaped (N, C, 1, 1)."""
    hidden = max(in_channels // reduction, 8)
    return nn.Sequential(
        nn.AdaptiveAvgPool2d(1),
        nn.Conv2d(in_channels, hidden, 1),
        nn.ReLU(inplace=True),
        nn.Conv2d(hidden, out_channels, 1),
        nn.Sigmoid(),
    )


class ChannelGate(nn.Module):
    """Squeeze-and-excitation: re-weight channels from global context (drops view-specific channels)."""

    def __init__(self, channels: int, reduction: int = 8) -> None:
        super().__init__()
        self.gate = channel_gate_weights(channels, channels, reduction)

    def forward(self, x: Tensor) -> Tensor:
        return x * self.gate(x)


class SpatialGate(nn.Module):
    """Re-weight positions from the channel mean and max (drops background positions)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.gate = nn.Sequential(nn.Conv2d(2, 1, 7, padding=3), nn.Sigmoid())

    def forward(self, x: Tensor) -> Tensor:
        summary = torch.cat([x.mean(dim=1, keepdim=True), x.amax(dim=1, keepdim=True)], dim=1)
        return x * self.gate(summary)


class HalfInstanceNorm(nn.Module):
    """IBN-Net's filter (Pan et al. 2018): instance-normalise half the channels, keep the other half.

    Instance norm removes per-image style (illumination, sensor colour response) that differs between a
    drone and a street camera; on all channels it would also remove each channel's mean, and with it the
    colour of the vehicle, a strong identity cue, so half the channels pass through untouched.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.half = channels // 2
        self.norm = nn.InstanceNorm2d(self.half, affine=True)

    def forward(self, x: Tensor) -> Tensor:
        return torch.cat([self.norm(x[:, : self.half]), x[:, self.half :]], dim=1)


FILTRATION_OPS: dict[str, Callable[[int], nn.Module]] = {
    "identity": lambda channels: nn.Identity(),
    "channel_gate": ChannelGate,
    "spatial_gate": SpatialGate,
    "instance_norm": HalfInstanceNorm,
    "conv1x1": lambda channels: conv_bn(channels, channels, act=False),
}
"""The search space of the filtration op: name -> constructor taking the channel count."""


@dataclass(frozen=True)
class Genotype:
    """The filtration op chosen for each branch."""

    shallow: str
    deep: str

    def __post_init__(self) -> None:
        for op in (self.shallow, self.deep):
            if op not in FILTRATION_OPS:
                raise ValueError(f"unknown filtration op {op!r}; choose from {sorted(FILTRATION_OPS)}")

    def save(self, path: Path, **details: object) -> Path:
        """Write the genotype (plus search details such as op weights) as JSON, atomically."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_text(json.dumps({**asdict(self), **details}, indent=2, sort_keys=True) + "\n")
        os.replace(temporary, path)
        return path

    @classmethod
    def load(cls, path: Path) -> Genotype:
        try:
            data = json.loads(Path(path).read_text())
            return cls(shallow=data["shallow"], deep=data["deep"])
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise InputError(Problem(path, f"not a genotype file: {error}")) from error


IDENTITY_GENOTYPE = Genotype("identity", "identity")
"""No filtration: the unsearched default, and the ablation 'without the searched filtration'."""
DEFAULT_GENOTYPE = IDENTITY_GENOTYPE
"""What CVNet uses without --genotype. No searched genotype is shipped: the one shipped before was edited by
hand after its search, and the measured table showed CVNet scoring higher without it (training/README.md)."""


class MixedOp(nn.Module):
    """DARTS relaxation: a softmax(alpha)-weighted sum of every candidate op; alpha is learned."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.names = list(FILTRATION_OPS)
        self.ops = nn.ModuleList(FILTRATION_OPS[name](channels) for name in self.names)
        self.alpha = nn.Parameter(torch.zeros(len(self.names)))

    def weights(self) -> dict[str, float]:
        return dict(zip(self.names, torch.softmax(self.alpha.detach(), 0).tolist(), strict=True))

    def chosen(self) -> str:
        return self.names[int(self.alpha.argmax())]

    def forward(self, x: Tensor) -> Tensor:
        weights = torch.softmax(self.alpha, 0)
        return sum(w * op(x) for w, op in zip(weights, self.ops, strict=True))


class Collaboration(nn.Module):
    """Project both branches to one width, let each gate the other's channels, and sum them."""

    def __init__(self, shallow_channels: int, deep_channels: int, channels: int, reduction: int = 4) -> None:
        super().__init__()
        self.shallow = conv_bn(shallow_channels, channels)
        self.deep = conv_bn(deep_channels, channels)
        self.gate_from_deep = channel_gate_weights(channels, channels, reduction)
        self.gate_from_shallow = channel_gate_weights(channels, channels, reduction)

    def forward(self, shallow: Tensor, deep: Tensor) -> Tensor:
        shallow, deep = self.shallow(shallow), self.deep(deep)
        return shallow * self.gate_from_deep(deep) + deep * self.gate_from_shallow(shallow)


class DFC(nn.Module):
    """Filtrate the shallow and deep feature maps (same resolution), then fuse them collaboratively.

    `genotype=None` builds the search super-network (a `MixedOp` per branch).
    """

    def __init__(self, shallow_channels: int, deep_channels: int, channels: int, genotype: Genotype | None):
        super().__init__()
        if genotype is None:
            self.filter_shallow: nn.Module = MixedOp(shallow_channels)
            self.filter_deep: nn.Module = MixedOp(deep_channels)
        else:
            self.filter_shallow = FILTRATION_OPS[genotype.shallow](shallow_channels)
            self.filter_deep = FILTRATION_OPS[genotype.deep](deep_channels)
        self.collaborate = Collaboration(shallow_channels, deep_channels, channels)

    def forward(self, shallow: Tensor, deep: Tensor) -> Tensor:
        return self.collaborate(self.filter_shallow(shallow), self.filter_deep(deep))
