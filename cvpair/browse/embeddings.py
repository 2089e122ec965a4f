"""Embeddings of every crop from a trained reference model, with a FiftyOne Brain similarity index and a 2-D
map over them, so a curator can find look-alike identities (often a labelling error).

The checkpoint is a `cvpair train-reference` run's checkpoint.pt; images are embedded with the training
code's own `embed` (same preprocessing and L2 normalisation as at evaluation). Nothing is downloaded.
"""

from __future__ import annotations

from pathlib import Path

import fiftyone as fo
import fiftyone.brain as fob

FIELD = "embedding"
SIMILARITY_KEY = "cvpair_similarity"
VISUALIZATION_KEY = "cvpair_visualization"
EMBEDDINGS_INFO = "cvpair_embeddings"  # in dataset.info: the checkpoint the embeddings come from


def add_embeddings(dataset: fo.Dataset, checkpoint: Path, *, device: str = "cpu") -> fo.DatasetView:
    """Embed every crop of every group slice into the `embedding` field, then compute the similarity index
    (`cvpair_similarity`, sklearn backend) and a PCA map (`cvpair_visualization`); returns the view of all
    slices the brain runs are computed on. Runs of an earlier call are replaced."""
    import torch

    from cvpair.training.checkpoint import load_model
    from cvpair.training.data import ReidImage
    from cvpair.training.evaluation import embed

    model, size = load_model(checkpoint, device)
    crops = dataset.select_group_slices()
    filepaths = crops.values("filepath")
    distinct = list(dict.fromkeys(filepaths))  # a crop repeated to fill a pair is embedded once
    images = [ReidImage(path, Path(path), identity=0, camera=0, view=0) for path in distinct]
    features = embed(model, images, size, torch.device(device))
    row = {path: i for i, path in enumerate(distinct)}
    if not dataset.has_sample_field(FIELD):
        dataset.add_sample_field(FIELD, fo.VectorField)
    crops.set_values(FIELD, [features[row[path]] for path in filepaths])
    for key in (SIMILARITY_KEY, VISUALIZATION_KEY):
        if key in dataset.list_brain_runs():
            dataset.delete_brain_run(key)
    fob.compute_similarity(crops, embeddings=FIELD, brain_key=SIMILARITY_KEY, backend="sklearn")
    fob.compute_visualization(crops, embeddings=FIELD, method="pca", brain_key=VISUALIZATION_KEY)
    dataset.info[EMBEDDINGS_INFO] = str(Path(checkpoint).resolve())
    dataset.save()
    return crops
