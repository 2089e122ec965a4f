"""Score a model on evaluation protocols: embed each distinct image once, rank with `cvpair.evaluate`.

Under DDP every rank embeds its share of the images (every world_size-th one), rank 0 gathers them and
scores; all ranks leave together. Options: flip at test time (the embedding of an image plus that of its
mirror image) and k-reciprocal re-ranking (`cvpair.rerank`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cvpair.errors import InputError, Problem
from cvpair.metrics import CMC_CURVE, NoValidQuery, ReidMetrics, evaluate
from cvpair.reranking import rerank
from cvpair.training.data import ImageDataset, Protocol, ReidImage
from cvpair.training.distributed import ONE_PROCESS, Distributed
from cvpair.training.transforms import EvalTransform

SPREAD = ("mAP", "rank1", "rank5", "mINP")


@dataclass(frozen=True)
class Scoring:
    """How distances are made: flip at test time, re-ranking (with torchreid's defaults k1, k2, lambda)."""

    flip: bool = False
    rerank: bool = False


@dataclass(frozen=True)
class ProtocolResult:
    """A protocol's metrics (mean over its trials) and its first trial's distances, for ranked lists."""

    metrics: ReidMetrics
    query: np.ndarray
    gallery: np.ndarray
    """Indices into the protocol's images of the first trial's queries and gallery."""
    distances: np.ndarray
    """(len(query), len(gallery)) distances of the first trial, as ranked."""


@torch.no_grad()
def embed(
    model: nn.Module,
    images: Sequence[ReidImage],
    size: tuple[int, int],
    device: torch.device,
    batch_size: int = 128,
    flip: bool = False,
) -> np.ndarray:
    """L2-normalised embeddings (N, D) of `images`, in order (the model is put in eval mode); with `flip`,
    of the sum of each image's and its mirror image's embeddings."""
    model.eval()
    loader = torch.utils.data.DataLoader(
        ImageDataset(images, [im.identity for im in images], EvalTransform(size)),
        batch_size=batch_size,
        shuffle=False,
    )
    chunks = []
    for batch, _ in loader:
        batch = batch.to(device)
        with torch.autocast(device.type, enabled=device.type == "cuda"):
            features = model(batch).float()
            if flip:
                features = features + model(batch.flip(-1)).float()
        chunks.append(F.normalize(features, dim=1).cpu())
    return torch.cat(chunks).numpy()


def embed_shared(
    model: nn.Module,
    images: Sequence[ReidImage],
    size: tuple[int, int],
    device: torch.device,
    dist: Distributed,
    flip: bool = False,
) -> np.ndarray | None:
    """`embed` split over the ranks; the whole (N, D) array on rank 0, None on the others."""
    dist.share(model)
    parts = dist.gather(embed(model, images[dist.rank :: dist.world_size], size, device, flip=flip))
    if not dist.main:
        return None
    features = np.empty((len(images), parts[0].shape[1]), dtype=parts[0].dtype)
    for rank, part in enumerate(parts):
        features[rank :: dist.world_size] = part
    return features


def mean_metrics(runs: Sequence[ReidMetrics]) -> ReidMetrics:
    """Mean and standard deviation over several draws (VehicleID's random galleries)."""
    if len(runs) == 1:
        return runs[0]
    flat = [run.as_dict() for run in runs]
    return ReidMetrics(
        mAP=float(np.mean([r.mAP for r in runs])),
        cmc={k: float(np.mean([r.cmc[k] for r in runs])) for k in runs[0].cmc},
        mINP=float(np.mean([r.mINP for r in runs])),
        valid_queries=round(np.mean([r.valid_queries for r in runs])),
        skipped_queries=round(np.mean([r.skipped_queries for r in runs])),
        trials=len(runs),
        spread={name: float(np.std([f[name] for f in flat])) for name in SPREAD},
    )


def _distances(features: np.ndarray, query: np.ndarray, gallery: np.ndarray, scoring: Scoring) -> np.ndarray:
    """Cosine distances of the (L2-normalised) features, re-ranked when asked."""
    q_g = 1.0 - features[query] @ features[gallery].T
    if not scoring.rerank:
        return q_g
    q_q = 1.0 - features[query] @ features[query].T
    g_g = 1.0 - features[gallery] @ features[gallery].T
    return rerank(q_g, q_q, g_g)


def score_protocol(features: np.ndarray, protocol: Protocol, scoring: Scoring = Scoring()) -> ProtocolResult:
    """Metrics of one protocol from the features of its images (rows in `protocol.images` order)."""
    identities = np.array([image.identity for image in protocol.images])
    cameras = np.array([image.camera for image in protocol.images])
    runs, first = [], None
    for query, gallery in protocol.trials:
        distances = _distances(features, query, gallery, scoring)
        cams = (cameras[query], cameras[gallery]) if protocol.use_cameras else (None, None)
        try:
            runs.append(evaluate(distances, identities[query], identities[gallery], *cams, ranks=CMC_CURVE))
        except NoValidQuery as error:
            raise InputError(Problem(f"protocol {protocol.name}", str(error))) from error
        first = first or (query, gallery, distances)
    return ProtocolResult(mean_metrics(runs), *first)


def score_protocols(
    model: nn.Module,
    protocols: Sequence[Protocol],
    size: tuple[int, int],
    device: torch.device,
    dist: Distributed = ONE_PROCESS,
    scoring: Scoring = Scoring(),
) -> dict[str, ProtocolResult]:
    """Results per protocol with cosine distance (on rank 0; empty on the other ranks). Images shared by
    protocols (a2g / g2a) are embedded once."""
    distinct = {image.key: image for protocol in protocols for image in protocol.images}
    features = embed_shared(model, list(distinct.values()), size, device, dist, scoring.flip)
    results = {}
    if features is not None:
        row = {key: i for i, key in enumerate(distinct)}
        for protocol in protocols:
            rows = features[[row[image.key] for image in protocol.images]]
            results[protocol.name] = score_protocol(rows, protocol, scoring)
    dist.barrier()
    return results
