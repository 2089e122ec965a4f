"""Image transforms on torch tensors (no torchvision: its PyPI wheels do not import beside our torch).

Images are float tensors (3, H, W) in [0, 1] until `normalize`. Randomness comes from torch's global
generator, which the engine seeds and checkpoints, so augmentation is reproducible and resumable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

IMAGENET_MEAN = torch.tensor([0.485, 0.456, 0.406])[:, None, None]
IMAGENET_STD = torch.tensor([0.229, 0.224, 0.225])[:, None, None]


def resize(image: Tensor, size: tuple[int, int]) -> Tensor:
    """Bilinear resize to (height, width), antialiased when shrinking."""
    return F.interpolate(image[None], size=size, mode="bilinear", antialias=True, align_corners=False)[0]


def hflip(image: Tensor, p: float = 0.5) -> Tensor:
    return image.flip(-1) if torch.rand(()) < p else image


def pad_and_crop(image: Tensor, pad: int) -> Tensor:
    """Zero-pad by `pad` pixels, then crop back to the original size at a random offset (small shifts)."""
    if pad <= 0:
        return image
    _, height, width = image.shape
    padded = F.pad(image, (pad, pad, pad, pad))
    top, left = (int(v) for v in torch.randint(0, 2 * pad + 1, (2,)))
    return padded[:, top : top + height, left : left + width]


def colour_jitter(image: Tensor, brightness: float, contrast: float, saturation: float) -> Tensor:
    """Scale brightness, contrast and saturation by random factors in [1 - s, 1 + s], in random order."""

    def factor(strength: float) -> float:
        return 1.0 + (float(torch.rand(())) * 2 - 1) * strength

    grey = image.mul(torch.tensor([0.299, 0.587, 0.114])[:, None, None]).sum(0, keepdim=True)
    ops = [
        lambda x: x * factor(brightness),
        lambda x: (x - grey.mean()) * factor(contrast) + grey.mean(),
        lambda x: (x - grey) * factor(saturation) + grey,
    ]
    for index in torch.randperm(len(ops)).tolist():
        image = ops[index](image)
    return image.clamp(0.0, 1.0)


def normalize(image: Tensor) -> Tensor:
    return (image - IMAGENET_MEAN) / IMAGENET_STD


def random_erasing(
    image: Tensor, p: float = 0.5, area: tuple[float, float] = (0.02, 0.4), ratio: float = 0.3
) -> Tensor:
    """Zhong et al. 2020: blank a random rectangle (with zeros, the normalised mean) to simulate occlusion."""
    if torch.rand(()) >= p:
        return image
    _, height, width = image.shape
    for _ in range(10):
        target = float(torch.empty(()).uniform_(*area)) * height * width
        aspect = math.exp(float(torch.empty(()).uniform_(math.log(ratio), -math.log(ratio))))
        h, w = round(math.sqrt(target * aspect)), round(math.sqrt(target / aspect))
        if 0 < h < height and 0 < w < width:
            top = int(torch.randint(0, height - h + 1, ()))
            left = int(torch.randint(0, width - w + 1, ()))
            image = image.clone()
            image[:, top : top + h, left : left + w] = 0.0
            return image
    return image


@dataclass(frozen=True)
class TrainTransform:
    """The usual ReID training augmentation; padding scales with the input (10 px at 256)."""

    size: tuple[int, int]

    def __call__(self, image: Tensor) -> Tensor:
        image = hflip(resize(image, self.size))
        image = pad_and_crop(image, round(self.size[0] * 10 / 256))
        image = colour_jitter(image, brightness=0.2, contrast=0.2, saturation=0.1)
        return random_erasing(normalize(image))


@dataclass(frozen=True)
class EvalTransform:
    size: tuple[int, int]

    def __call__(self, image: Tensor) -> Tensor:
        return normalize(resize(image, self.size))
