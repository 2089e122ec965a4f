"""Ranked galleries of a sample of queries: the picture in a report (true matches framed green, others red)
and the same lists as JSON, which `cvpair.browse.ranked` opens in FiftyOne."""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cvpair.training.data import Protocol, ReidImage, decode
from cvpair.training.evaluation import ProtocolResult

TOP = 10
QUERIES = 8


@dataclass(frozen=True)
class RankedQuery:
    """One query and its `TOP` nearest gallery images, nearest first."""

    query: ReidImage
    gallery: tuple[ReidImage, ...]
    distances: tuple[float, ...]

    @property
    def matches(self) -> tuple[bool, ...]:
        return tuple(image.identity == self.query.identity for image in self.gallery)


def ranked_queries(
    protocol: Protocol, result: ProtocolResult, queries: int = QUERIES, top: int = TOP, seed: int = 0
) -> list[RankedQuery]:
    """A reproducible random sample of the first trial's queries with their ranked galleries."""
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(len(result.query), size=min(queries, len(result.query)), replace=False))
    ranked = []
    for row in chosen:
        order = np.argsort(result.distances[row], kind="stable")[:top]
        gallery = tuple(protocol.images[result.gallery[i]] for i in order)
        distances = tuple(float(result.distances[row, i]) for i in order)
        ranked.append(RankedQuery(protocol.images[result.query[row]], gallery, distances))
    return ranked


def _write_atomic(path: Path, content: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(content)
    os.replace(temporary, path)


def draw(ranked: list[RankedQuery], path: Path, title: str) -> Path:
    """One row per query: the query (blue frame), then its ranked gallery, true matches in green."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    columns = 1 + max(len(r.gallery) for r in ranked)
    size = (1.3 * columns, 1.5 * len(ranked))
    figure, axes = plt.subplots(len(ranked), columns, figsize=size, squeeze=False)
    for axes_row, entry in zip(axes, ranked, strict=True):
        cells = [(entry.query, "query", "tab:blue")]
        cells += [
            (image, f"{rank}: {distance:.2f}", "tab:green" if match else "tab:red")
            for rank, (image, distance, match) in enumerate(
                zip(entry.gallery, entry.distances, entry.matches, strict=True), start=1
            )
        ]
        for cell, (image, label, colour) in zip(axes_row, cells, strict=False):
            cell.imshow(decode(image.source).permute(1, 2, 0).numpy())
            cell.set_title(label, fontsize=7)
            for spine in cell.spines.values():
                spine.set(color=colour, linewidth=3)
        for cell in axes_row:
            cell.set_xticks([])
            cell.set_yticks([])
    figure.suptitle(f"{title}: rank: distance; green = same identity as the query", fontsize=9)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    plt.close(figure)
    _write_atomic(path, buffer.getvalue())
    return path


def write_json(ranked: dict[str, list[RankedQuery]], path: Path) -> Path:
    """{protocol: [{query, identity, gallery: [{key, identity, distance, match}]}]}: image keys as in the
    data (a release's image_id, a file path under VeRi-776 / VehicleID)."""
    payload = {
        protocol: [
            {
                "query": entry.query.key,
                "identity": entry.query.identity,
                "gallery": [
                    {"key": image.key, "identity": image.identity, "distance": distance, "match": match}
                    for image, distance, match in zip(
                        entry.gallery, entry.distances, entry.matches, strict=True
                    )
                ],
            }
            for entry in entries
        ]
        for protocol, entries in ranked.items()
    }
    _write_atomic(path, (json.dumps(payload, indent=2) + "\n").encode())
    return path
