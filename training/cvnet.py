"""CVNet, the CVPair reference model, and the registry every training entry point builds models from.

Image -> stem and stages 1-2 -> MSL (1/8 resolution) -> stage 3 (shallow map) -> stage 4 (deep map, same
resolution) -> DFC (filtration per branch, collaboration) -> global average pool -> 512-d embedding ->
BN-neck -> identity classifier (training only). The design rationale is in training/README.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

import torch
from torch import Tensor, nn

from cvpair.training.baseline import Baseline
from cvpair.training.blocks import EMBEDDING, STAGES, Backbone, BNNeck, TrainOutput, conv_bn
from cvpair.training.dfc import DEFAULT_GENOTYPE, DFC, IDENTITY_GENOTYPE, Genotype
from cvpair.training.msl import MSL


class CVNet(nn.Module):
    """The reference model; `msl` / `dfc` switch its two modules off for ablations.

    `genotype` picks the DFC filtration ops: a `Genotype`, or None for the search super-network.
    Without DFC the deep map goes through a plain 1x1 convolution to the embedding width.
    """

    def __init__(
        self,
        num_classes: int,
        *,
        genotype: Genotype | None,
        msl: bool = True,
        dfc: bool = True,
        stages: tuple[tuple[int, int, int], ...] = STAGES,
    ) -> None:
        super().__init__()
        msl_channels = stages[1][0]
        self.backbone = Backbone(stages, MSL(msl_channels) if msl else None)
        shallow, deep = self.backbone.shallow_channels, self.backbone.deep_channels
        self.dfc = DFC(shallow, deep, EMBEDDING, genotype) if dfc else None
        self.head = None if dfc else conv_bn(deep, EMBEDDING)
        self.neck = BNNeck(EMBEDDING, num_classes)

    def forward(self, images: Tensor) -> TrainOutput | Tensor:
        shallow, deep = self.backbone(images)
        fmap = self.dfc(shallow, deep) if self.dfc is not None else self.head(deep)
        return self.neck(fmap.mean(dim=(2, 3)))


MODELS: dict[str, Callable[[int, Genotype], nn.Module]] = {
    "cvnet": lambda classes, genotype: CVNet(classes, genotype=genotype),
    "baseline": lambda classes, genotype: Baseline(classes),
    "cvnet-no-msl": lambda classes, genotype: CVNet(classes, genotype=genotype, msl=False),
    "cvnet-no-dfc": lambda classes, genotype: CVNet(classes, genotype=genotype, dfc=False),
    "cvnet-no-filtration": lambda classes, genotype: CVNet(classes, genotype=IDENTITY_GENOTYPE),
}
"""Name -> constructor(num_classes, genotype). The `cvnet-no-*` entries are the ablations."""


def build_model(
    name: str, num_classes: int, genotype: Genotype | None = None, seed: int | None = None
) -> nn.Module:
    """A registered model; `genotype` defaults to `DEFAULT_GENOTYPE` (unsearched: identity filtration).

    With a `seed` the initial weights depend on it alone, not on the global RNG state (which is left as is).
    The model's `architecture` attribute records what was built; the engine saves it in the checkpoint so
    that `rebuild_model` can make the same network again.
    """
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose from {sorted(MODELS)}")
    genotype = genotype or DEFAULT_GENOTYPE
    with torch.random.fork_rng(devices=[]):
        if seed is not None:
            torch.manual_seed(seed)
        model = MODELS[name](num_classes, genotype)
    model.architecture = {"name": name, "num_classes": num_classes, "genotype": asdict(genotype)}
    return model


def rebuild_model(architecture: dict) -> nn.Module:
    """The network `build_model` made when it recorded `architecture` (weights to be loaded by the caller)."""
    genotype = Genotype(**architecture["genotype"])
    return build_model(architecture["name"], architecture["num_classes"], genotype)
