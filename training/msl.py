"""MSL, multi-scale localization: see the same vehicle at several scales, then look where it is.

A drone sees a car a few dozen pixels long from above; a street camera sees it filling the frame. Parallel
depthwise convolutions with kernels 3, 5 and 7 give receptive fields for both, a pointwise convolution fuses
them (together a depthwise separable convolution), and a localization attention predicts a spatial map of the
salient regions (the vehicle body, not the road) that re-weights the fused features before they are added
back to the input.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from cvpair.training.blocks import conv_bn


class MSL(nn.Module):
    """Multi-scale depthwise separable convolutions fused, re-weighted by a spatial localization map."""

    def __init__(self, channels: int, kernels: tuple[int, ...] = (3, 5, 7), reduction: int = 8) -> None:
        super().__init__()
        self.scales = nn.ModuleList(
            conv_bn(channels, channels, k, groups=channels, act=False) for k in kernels
        )
        self.fuse = conv_bn(channels * len(kernels), channels)
        hidden = max(channels // reduction, 4)
        # Dilation widens the map's context (whole vehicle) at the cost of a 3x3 kernel on few channels.
        self.localize = nn.Sequential(
            conv_bn(channels, hidden),
            nn.Conv2d(hidden, 1, 3, padding=2, dilation=2),
            nn.Sigmoid(),
        )

    def forward(self, x: Tensor) -> Tensor:
        fused = self.fuse(torch.cat([scale(x) for scale in self.scales], dim=1))
        return x + fused * self.localize(fused)
