"""The ReID training objective: label-smoothed cross-entropy on identities + batch-hard triplet loss."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from cvpair.training.blocks import TrainOutput


def batch_hard_triplet(embeddings: Tensor, labels: Tensor, margin: float) -> Tensor:
    """Hermans et al. 2017: for each anchor, its farthest positive and nearest negative in the batch.

    Assumes every label in the batch has at least one other sample (the P x K sampler guarantees it).
    """
    dist = torch.cdist(embeddings, embeddings)
    same = labels[:, None] == labels[None, :]
    hardest_positive = (dist * same).amax(dim=1)
    hardest_negative = dist.masked_fill(same, float("inf")).amin(dim=1)
    return F.relu(hardest_positive - hardest_negative + margin).mean()


@dataclass(frozen=True)
class ReidLoss:
    """Cross-entropy with label smoothing `epsilon` (Szegedy et al.) plus the triplet term, unweighted."""

    epsilon: float = 0.1
    margin: float = 0.3

    def __call__(self, output: TrainOutput, labels: Tensor) -> dict[str, Tensor]:
        ce = F.cross_entropy(output.logits.float(), labels, label_smoothing=self.epsilon)
        triplet = batch_hard_triplet(output.embedding.float(), labels, self.margin)
        return {"loss": ce + triplet, "ce": ce, "triplet": triplet}
