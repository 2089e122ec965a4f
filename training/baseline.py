"""The plain baseline CVNet is compared with: the same kind of backbone, no MSL and no DFC.

A 1x1 convolution maps the deep map to the embedding, then pooling and the BN-neck, as in CVNet. Stage 4
gets one more block so that both models have a similar number of parameters: a gain of CVNet over this
baseline then comes from where the capacity is spent, not from more of it.
"""

from __future__ import annotations

from torch import Tensor, nn

from cvpair.training.blocks import EMBEDDING, STAGES, Backbone, BNNeck, TrainOutput, conv_bn

BASELINE_STAGES = STAGES[:3] + ((STAGES[3][0], STAGES[3][1] + 1, STAGES[3][2]),)


class Baseline(nn.Module):
    def __init__(self, num_classes: int) -> None:
        super().__init__()
        self.backbone = Backbone(BASELINE_STAGES)
        self.head = conv_bn(self.backbone.deep_channels, EMBEDDING)
        self.neck = BNNeck(EMBEDDING, num_classes)

    def forward(self, images: Tensor) -> TrainOutput | Tensor:
        _, deep = self.backbone(images)
        return self.neck(self.head(deep).mean(dim=(2, 3)))
