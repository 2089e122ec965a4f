"""The build report (counts per split, view and identity; images per identity; crops left out, by
reason): a typed record, written as JSON into the release and rendered as text for the terminal."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cvpair import protocol
from cvpair.counts import Count, count_by, identity_histogram, images_per_identity, split_view_counts
from cvpair.protocol import VIEWS

HISTOGRAM_BINS = 8  # text bars in a terminal


@dataclass(frozen=True)
class SplitCounts:
    identities: int
    images: int
    views: dict[str, Count]  # view -> its identities and images in this split


@dataclass(frozen=True)
class IdentityImages:
    """One identity's split and its images per view."""

    identity: int
    split: str
    views: dict[str, int]


@dataclass(frozen=True)
class ImagesPerIdentity:
    min: int
    median: float
    max: int
    histogram: dict[int, int]  # images -> identities with that many

    def sizes(self) -> np.ndarray:
        """Every identity's number of images (in increasing order)."""
        return np.repeat(np.array(list(self.histogram), dtype=np.int64), list(self.histogram.values()))


@dataclass(frozen=True)
class BuildReport:
    identities: int
    images: int
    splits: dict[str, SplitCounts]
    file_groups: dict[str, Count]  # every file group of `protocol.FILE_GROUP_NAMES`, empty ones too
    images_per_identity: ImagesPerIdentity
    per_identity: tuple[IdentityImages, ...]
    clips: int
    crops_before_curation: int
    rejected_crops: dict[str, int]  # reason -> boxes rejected in the shards
    curation_dropped: dict[str, int]  # reason -> crops dropped by curation
    warnings: tuple[str, ...]

    def to_dict(self) -> dict:
        """The report as `build_report.json` holds it."""

        def counts(count: Count) -> dict[str, int]:
            return {"identities": count.identities, "images": count.images}

        sizes = self.images_per_identity
        return {
            "identities": self.identities,
            "images": self.images,
            "splits": {
                split: {
                    "identities": c.identities,
                    "images": c.images,
                    "views": {view: counts(v) for view, v in c.views.items()},
                }
                for split, c in self.splits.items()
            },
            "file_groups": {group: counts(c) for group, c in self.file_groups.items()},
            "images_per_identity": {
                "min": sizes.min,
                "median": sizes.median,
                "max": sizes.max,
                "histogram": {str(k): v for k, v in sorted(sizes.histogram.items())},
            },
            "per_identity": [
                {"identity": row.identity, "split": row.split, **row.views} for row in self.per_identity
            ],
            "clips": self.clips,
            "crops_before_curation": self.crops_before_curation,
            "rejected_crops": self.rejected_crops,
            "curation_dropped": self.curation_dropped,
            "warnings": list(self.warnings),
        }


def build_report(
    rows: pd.DataFrame,
    rejected: Mapping[str, int],
    dropped: Mapping[str, int],
    *,
    crops_before_curation: int,
    clips: int,
    warnings: Iterable[str] = (),
) -> BuildReport:
    """The report of a release whose crops' metadata is `rows` (identity, view label, split, file_group)."""
    view = rows.view.map(dict(enumerate(VIEWS)))
    counts = split_view_counts(rows.identity, rows.split, view)
    groups = count_by(rows.identity, rows.file_group)
    return BuildReport(
        identities=counts[()].identities,
        images=counts[()].images,
        splits={
            key[0]: SplitCounts(
                *count, {k[1]: c for k, c in counts.items() if len(k) == 2 and k[0] == key[0]}
            )
            for key, count in counts.items()
            if len(key) == 1
        },
        file_groups={g: groups.get((g,), Count(0, 0)) for g in protocol.FILE_GROUP_NAMES},
        images_per_identity=_images_per_identity(images_per_identity(rows.identity)),
        per_identity=_per_identity(rows.identity, rows.split, view),
        clips=clips,
        crops_before_curation=crops_before_curation,
        rejected_crops=dict(sorted(rejected.items())),
        curation_dropped=dict(sorted(dropped.items())),
        warnings=tuple(warnings),
    )


def _images_per_identity(sizes: np.ndarray) -> ImagesPerIdentity:
    if not len(sizes):
        return ImagesPerIdentity(0, 0.0, 0, {})
    values, identities = np.unique(sizes, return_counts=True)
    histogram = dict(zip(values.tolist(), identities.tolist(), strict=True))
    return ImagesPerIdentity(int(sizes.min()), float(np.median(sizes)), int(sizes.max()), histogram)


def _per_identity(identity: pd.Series, split: pd.Series, view: pd.Series) -> tuple[IdentityImages, ...]:
    """Each identity's split and images per view (every view the release has, 0 where it has none)."""
    splits = dict(zip(identity, split, strict=True))
    table = pd.crosstab(identity, view)
    return tuple(
        IdentityImages(int(i), splits[i], {v: int(n) for v, n in counts.items()})
        for i, counts in table.iterrows()
    )


def histogram_lines(sizes: np.ndarray, bins: int = HISTOGRAM_BINS, width: int = 40) -> list[str]:
    """Images-per-identity histogram as text bars, in at most `bins` equal-width bins."""
    histogram = identity_histogram(sizes, bins)
    if not histogram:
        return []
    scale = width / max(b.identities for b in histogram)
    bars = ["#" * max(1, round(b.identities * scale)) if b.identities else "" for b in histogram]
    return [
        f"  {b.low:>5}-{b.high:<5} {bar:<{width}} {b.identities}"
        for b, bar in zip(histogram, bars, strict=True)
    ]


def render(report: BuildReport) -> str:
    """The report as the few lines a terminal user reads."""
    lines = [f"{report.identities:,} identities, {report.images:,} images"]
    lines.append(f"  {'split':<6} {'view':<7} {'identities':>10} {'images':>8}")
    for split, counts in sorted(report.splits.items(), key=lambda item: item[0] != protocol.TRAIN):
        for view, view_counts in counts.views.items():
            lines.append(f"  {split:<6} {view:<7} {view_counts.identities:>10,} {view_counts.images:>8,}")
    for name, chosen in protocol.PROTOCOLS.items():
        query, gallery = (report.file_groups[g.name].images for g in (chosen.query, chosen.gallery))
        lines.append(
            f"  {name}: {query:,} {chosen.query_view} queries, {gallery:,} {chosen.gallery_view} gallery"
        )
    stats = report.images_per_identity
    lines.append(f"images per identity: min {stats.min}, median {stats.median:g}, max {stats.max}")
    lines += histogram_lines(stats.sizes())
    for title, reasons in (
        ("crops rejected in shards", report.rejected_crops),
        ("dropped in curation", report.curation_dropped),
    ):
        shown = ", ".join(f"{reason} {count:,}" for reason, count in reasons.items()) or "none"
        lines.append(f"{title}: {shown}")
    lines += [f"warning: {warning}" for warning in report.warnings]
    return "\n".join(lines)
