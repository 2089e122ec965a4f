"""P x K identity sampling: each batch holds P identities with K images each, mixing both views.

Batch-hard triplets need several images per identity in every batch; for cross-view ReID the positives
should include the *other* view, so the K images of an identity alternate between aerial and ground as far
as the identity's images allow. The order is a pure function of (seed, epoch), so runs are reproducible and
a resumed run sees the batches it would have seen. Under DDP each rank takes every world_size-th batch.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence

import numpy as np


class IdentitySampler:
    """A batch sampler (yields lists of dataset indices) over `labels` and `views` of the training images."""

    def __init__(
        self,
        labels: Sequence[int],
        views: Sequence[int],
        p: int,
        k: int,
        *,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        self.p, self.k, self.seed, self.rank, self.world_size = p, k, seed, rank, world_size
        self.epoch = 0
        by_identity: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
        for index, (label, view) in enumerate(zip(labels, views, strict=True)):
            by_identity[int(label)][int(view)].append(index)
        self.by_identity = {label: dict(views) for label, views in sorted(by_identity.items())}
        if len(self.by_identity) < p:
            raise ValueError(
                f"P={p} identities per batch but the training set has only {len(self.by_identity)}"
            )

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _chunks(self, views: dict[int, list[int]], rng: np.random.Generator) -> list[list[int]]:
        """An identity's images as chunks of K, views alternating; images repeat only when fewer than K."""
        pools = [list(rng.permutation(indices)) for _, indices in sorted(views.items())]
        order: list[int] = []
        while any(pools):
            order += [int(pool.pop()) for pool in pools if pool]
        order += [order[i % len(order)] for i in range(max(self.k - len(order), 0))]
        return [order[start : start + self.k] for start in range(0, len(order) - self.k + 1, self.k)]

    def _batches(self) -> list[list[int]]:
        """One epoch: every identity contributes each of its chunks once (as in torchreid's sampler)."""
        rng = np.random.default_rng([self.seed, self.epoch])
        chunks = {label: self._chunks(views, rng) for label, views in self.by_identity.items()}
        batches = []
        while len(available := [label for label, left in chunks.items() if left]) >= self.p:
            chosen = rng.choice(available, self.p, replace=False)
            batches.append([index for label in chosen for index in chunks[int(label)].pop()])
        usable = len(batches) - len(batches) % self.world_size
        return batches[:usable]

    def __iter__(self) -> Iterator[list[int]]:
        yield from self._batches()[self.rank :: self.world_size]

    def __len__(self) -> int:
        return len(self._batches()) // self.world_size
