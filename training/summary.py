"""Model size figures: parameters (with and without the training-only classifier), FLOPs counted by torch's
own counter on one image, and CPU latency per image at batch 1."""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

PARAMS_TARGET = 2.2e6
FLOPS_TARGET = 0.6e9


@dataclass(frozen=True)
class ModelSummary:
    params: int
    """All parameters, identity classifier included."""
    inference_params: int
    """Parameters used at inference (the classifier is dropped)."""
    flops: int
    """Multiply-adds of the convolutions and matrix products for one image: one fused multiply-add counts as
    one FLOP (the usual ReID convention); element-wise ops are not counted."""
    size: tuple[int, int]

    def lines(self) -> list[str]:
        return [
            f"parameters: {self.inference_params / 1e6:.3f} M at inference "
            f"({self.params / 1e6:.3f} M with the training classifier; "
            f"target <= {PARAMS_TARGET / 1e6:.1f} M)",
            f"FLOPs: {self.flops / 1e9:.3f} G at {self.size[0]}x{self.size[1]} "
            f"(1 multiply-add = 1 FLOP; target <= {FLOPS_TARGET / 1e9:.1f} G at 256x256)",
        ]


@torch.no_grad()
def count_flops(model: nn.Module, size: tuple[int, int]) -> int:
    """Multiply-adds of one forward pass on one image, counted by `torch.utils.flop_counter` (part of torch,
    so a plain install can count; it reports 2 FLOPs per multiply-add, halved here)."""
    model = copy.deepcopy(model).cpu().eval()
    with FlopCounterMode(display=False) as counter:
        model(torch.zeros(1, 3, *size))
    return counter.get_total_flops() // 2


def summarize(model: nn.Module, size: tuple[int, int]) -> ModelSummary:
    params = sum(p.numel() for p in model.parameters())
    classifier = sum(p.numel() for p in model.neck.classifier.parameters())
    return ModelSummary(params, params - classifier, count_flops(model, size), size)


@torch.no_grad()
def cpu_latency_ms(model: nn.Module, size: tuple[int, int], repeats: int = 30) -> float:
    """Median wall time of one forward pass on one image on the CPU, after a warm-up."""
    model = copy.deepcopy(model).cpu().eval()
    image = torch.randn(1, 3, *size)
    for _ in range(3):
        model(image)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        model(image)
        times.append(time.perf_counter() - started)
    return 1000 * sorted(times)[len(times) // 2]
