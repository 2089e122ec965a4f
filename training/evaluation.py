"""Score a model on evaluation protocols: embed each distinct image once, rank with `cvpair.evaluate`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from cvpair.training.data import ImageDataset, Protocol, ReidImage
from cvpair.training.transforms import EvalTransform
from torch import nn

from cvpair.metrics import ReidMetrics, evaluate


@torch.no_grad()
def embed(
    model: nn.Module,
    images: Sequence[ReidImage],
    size: tuple[int, int],
    device: torch.device,
    batch_size: int = 128,
) -> np.ndarray:
    """L2-normalised embeddings (N, D) of `images`, in order (the model is put in eval mode)."""
    model.eval()
    loader = torch.utils.data.DataLoader(
        ImageDataset(images, [im.identity for im in images], EvalTransform(size)),
        batch_size=batch_size,
        shuffle=False,
    )
    chunks = []
    for batch, _ in loader:
        with torch.autocast(device.type, enabled=device.type == "cuda"):
            chunks.append(F.normalize(model(batch.to(device)).float(), dim=1).cpu())
    return torch.cat(chunks).numpy()


def mean_metrics(runs: Sequence[ReidMetrics]) -> ReidMetrics:
    """Average of several trials (VehicleID's random galleries); query counts are rounded means."""
    return ReidMetrics(
        mAP=float(np.mean([r.mAP for r in runs])),
        cmc={k: float(np.mean([r.cmc[k] for r in runs])) for k in runs[0].cmc},
        mINP=float(np.mean([r.mINP for r in runs])),
        valid_queries=round(np.mean([r.valid_queries for r in runs])),
        skipped_queries=round(np.mean([r.skipped_queries for r in runs])),
    )


def evaluate_protocols(
    model: nn.Module, protocols: Sequence[Protocol], size: tuple[int, int], device: torch.device
) -> dict[str, ReidMetrics]:
    """Metrics per protocol with cosine distance; images shared by protocols (a2g / g2a) are embedded once."""
    distinct = {image.key: image for protocol in protocols for image in protocol.images}
    row = {key: i for i, key in enumerate(distinct)}
    features = embed(model, list(distinct.values()), size, device)
    results = {}
    for protocol in protocols:
        feats = features[[row[image.key] for image in protocol.images]]
        identities = np.array([image.identity for image in protocol.images])
        cameras = np.array([image.camera for image in protocol.images])
        runs = []
        for query, gallery in protocol.trials:
            distmat = 1.0 - feats[query] @ feats[gallery].T
            cams = (cameras[query], cameras[gallery]) if protocol.use_cameras else (None, None)
            runs.append(evaluate(distmat, identities[query], identities[gallery], *cams))
        results[protocol.name] = mean_metrics(runs)
    return results
