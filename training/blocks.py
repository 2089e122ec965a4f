"""Lightweight convolution blocks shared by CVNet and its baseline (MobileNetV2-style)."""

from __future__ import annotations

from typing import NamedTuple

from torch import Tensor, nn


def conv_bn(
    in_channels: int,
    out_channels: int,
    kernel: int = 1,
    *,
    stride: int = 1,
    groups: int = 1,
    dilation: int = 1,
    act: bool = True,
) -> nn.Sequential:
    """Convolution + BatchNorm (+ ReLU6); 'same' padding for odd kernels."""
    layers: list[nn.Module] = [
        nn.Conv2d(
            in_channels,
            out_channels,
            kernel,
            stride=stride,
            padding=dilation * (kernel // 2),
            dilation=dilation,
            groups=groups,
            bias=False,
        ),
        nn.BatchNorm2d(out_channels),
    ]
    if act:
        layers.append(nn.ReLU6(inplace=True))
    return nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    """Expand (1x1) -> depthwise 3x3 -> project (1x1), with a skip when shapes allow: cheap per FLOP."""

    def __init__(self, in_channels: int, out_channels: int, stride: int, expansion: int) -> None:
        super().__init__()
        hidden = in_channels * expansion
        self.body = nn.Sequential(
            conv_bn(in_channels, hidden),
            conv_bn(hidden, hidden, 3, stride=stride, groups=hidden),
            conv_bn(hidden, out_channels, act=False),
        )
        self.skip = stride == 1 and in_channels == out_channels

    def forward(self, x: Tensor) -> Tensor:
        out = self.body(x)
        return x + out if self.skip else out


def stage(in_channels: int, out_channels: int, blocks: int, stride: int, expansion: int) -> nn.Sequential:
    """`blocks` inverted residuals; only the first one changes resolution and width."""
    layers = [InvertedResidual(in_channels, out_channels, stride, expansion)]
    layers += [InvertedResidual(out_channels, out_channels, 1, expansion) for _ in range(blocks - 1)]
    return nn.Sequential(*layers)


STAGES: tuple[tuple[int, int, int], ...] = ((32, 1, 2), (48, 2, 2), (96, 3, 2), (160, 3, 1))
"""(width, blocks, stride) of the four stages after the stride-2 stem. The last stage keeps stride 1, as is
usual in ReID, so the deep map stays at 1/16 of the input, the same resolution as the shallow map."""
STEM_WIDTH = 24
EMBEDDING = 512
EXPANSION = 4


class Backbone(nn.Module):
    """Stem and four stages; returns the stage-3 (shallow) and stage-4 (deep) maps.

    `after_stage2` is inserted at 1/8 resolution, where vehicle scale differs most between the views
    (that is where CVNet puts MSL).
    """

    def __init__(
        self, stages: tuple[tuple[int, int, int], ...] = STAGES, after_stage2: nn.Module | None = None
    ):
        super().__init__()
        self.stem = conv_bn(3, STEM_WIDTH, 3, stride=2)
        widths = [STEM_WIDTH] + [width for width, _, _ in stages]
        built = [
            stage(widths[i], width, blocks, stride, EXPANSION)
            for i, (width, blocks, stride) in enumerate(stages)
        ]
        self.low = nn.Sequential(self.stem, built[0], built[1], after_stage2 or nn.Identity())
        self.shallow = built[2]
        self.deep = built[3]
        self.shallow_channels, self.deep_channels = widths[3], widths[4]

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        shallow = self.shallow(self.low(x))
        return shallow, self.deep(shallow)


class TrainOutput(NamedTuple):
    """What a ReID model returns in training mode: class logits (for cross-entropy) and the embedding
    before the BN-neck (for the triplet loss)."""

    logits: Tensor
    embedding: Tensor


class BNNeck(nn.Module):
    """BatchNorm between the embedding and the classifier (Luo et al., 'Bag of Tricks', 2019).

    The triplet loss works on the embedding before the norm, cross-entropy after it; the normalised
    embedding is what the model returns at inference. The BN bias is frozen so the classifier's hyperplanes
    pass through the origin, which suits cosine distance.
    """

    def __init__(self, channels: int, num_classes: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm1d(channels)
        self.norm.bias.requires_grad_(False)
        self.classifier = nn.Linear(channels, num_classes, bias=False)
        nn.init.normal_(self.classifier.weight, std=0.001)

    def forward(self, embedding: Tensor) -> TrainOutput | Tensor:
        normed = self.norm(embedding)
        if self.training:
            return TrainOutput(self.classifier(normed), embedding)
        return normed
