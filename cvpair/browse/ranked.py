"""The ranked galleries of an evaluation report, opened in FiftyOne: one sample per shown image (a query
and its ranked gallery), the lists as dynamic groups by query, ordered by rank.

Crops stored as bytes (a CVPair release) are written as files under `folder` first; VeRi-776 and
VehicleID images are used where they lie.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

import fiftyone as fo

if TYPE_CHECKING:
    from cvpair.training.data import ReidImage
    from cvpair.training.ranked import RankedQuery

RANKED_VIEW = "ranked"
"""Saved view: the samples grouped by `query`, ordered by `rank` (0 is the query itself)."""


def _file(image: ReidImage, folder: Path) -> str:
    """A file holding the image: its own path, or its bytes written once under a content-derived name."""
    if isinstance(image.source, Path):
        return str(image.source.resolve())
    path = folder / f"{hashlib.sha256(image.source).hexdigest()[:20]}.jpg"
    if not path.exists():
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_bytes(image.source)
        os.replace(temporary, path)
    return str(path.resolve())


def load_ranked(ranked: dict[str, list[RankedQuery]], folder: Path, name: str) -> fo.Dataset:
    """A persistent dataset `name` (replaced if it exists) of the ranked lists per protocol."""
    folder.mkdir(parents=True, exist_ok=True)
    if fo.dataset_exists(name):
        fo.delete_dataset(name)
    dataset = fo.Dataset(name, persistent=True)
    samples = []
    for protocol, entries in ranked.items():
        for entry in entries:
            query = f"{protocol}:{entry.query.key}"
            shown = [(entry.query, 0, None, None)]
            shown += [
                (image, rank, distance, match)
                for rank, (image, distance, match) in enumerate(
                    zip(entry.gallery, entry.distances, entry.matches, strict=True), start=1
                )
            ]
            for image, rank, distance, match in shown:
                sample = fo.Sample(filepath=_file(image, folder), protocol=protocol, query=query, rank=rank)
                sample.update_fields(
                    {"image_key": image.key, "identity": image.identity, "distance": distance, "match": match}
                )
                sample.tags.append("query" if rank == 0 else ("match" if match else "mismatch"))
                samples.append(sample)
    dataset.add_samples(samples)
    dataset.save_view(RANKED_VIEW, dataset.group_by("query", order_by="rank"))
    return dataset
