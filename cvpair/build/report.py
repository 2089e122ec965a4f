"""The build report (counts per split, view and identity; images per identity; crops left out, by
reason) as JSON for the release and as text for the terminal, and the progress bars of a build."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from tqdm import tqdm

from cvpair import protocol
from cvpair.protocol import VIEWS

STAGES = ("check inputs", "crops per video", "curate", "write release")


class Progress:
    """Two bars: the build's stages, and the videos (shards) done; silent when disabled."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.build = tqdm(total=len(STAGES), desc="build", unit="step", disable=not enabled, position=0)
        self.videos: tqdm | None = None

    def stage(self, name: str) -> None:
        """Mark the stages before `name` as done and show `name` as running."""
        self.build.update(STAGES.index(name) - self.build.n)
        self.build.set_postfix_str(name)

    def start_videos(self, total: int) -> tqdm:
        self.videos = tqdm(total=total, desc="videos", unit="video", disable=not self.enabled, position=1)
        return self.videos

    def close(self) -> None:
        self.build.update(len(STAGES) - self.build.n)
        for bar in (self.videos, self.build):
            if bar is not None:
                bar.close()


def build_report(
    rows: pd.DataFrame,
    rejected: Mapping[str, int],
    dropped: Mapping[str, int],
    *,
    crops_before_curation: int,
    clips: int,
    warnings: Iterable[str] = (),
) -> dict:
    """The report of a release whose crops' metadata is `rows` (identity, view label, split, file_group)."""
    table = rows.assign(view=rows.view.map(dict(enumerate(VIEWS))))
    splits = dict(zip(table.identity, table.split, strict=True))
    per_split = {}
    for split, group in table.groupby("split"):
        views = group.groupby("view")
        per_split[split] = {
            "identities": int(group.identity.nunique()),
            "images": len(group),
            "views": {view: {"identities": int(g.identity.nunique()), "images": len(g)} for view, g in views},
        }
    per_identity = table.groupby(["identity", "view"]).size().unstack(fill_value=0)
    sizes = per_identity.sum(axis=1)
    return {
        "identities": int(table.identity.nunique()),
        "images": len(table),
        "splits": per_split,
        "file_groups": {
            group: {
                "identities": int(table.identity[table.file_group == group].nunique()),
                "images": int((table.file_group == group).sum()),
            }
            for group in protocol.FILE_GROUP_NAMES
        },
        "images_per_identity": {
            "min": int(sizes.min()) if len(sizes) else 0,
            "median": float(sizes.median()) if len(sizes) else 0.0,
            "max": int(sizes.max()) if len(sizes) else 0,
            "histogram": {str(k): int(v) for k, v in sorted(Counter(sizes.tolist()).items())},
        },
        "per_identity": [
            {"identity": int(identity), "split": splits[identity], **{v: int(n) for v, n in counts.items()}}
            for identity, counts in per_identity.iterrows()
        ],
        "clips": clips,
        "crops_before_curation": crops_before_curation,
        "rejected_crops": dict(sorted(rejected.items())),
        "curation_dropped": dict(sorted(dropped.items())),
        "warnings": list(warnings),
    }


def histogram_lines(histogram: Mapping[str, int], bins: int = 8, width: int = 40) -> list[str]:
    """Images-per-identity histogram as text bars, in at most `bins` equal-width bins."""
    if not histogram:
        return []
    sizes = np.array([int(k) for k in histogram])
    counts = np.array(list(histogram.values()))
    step = max(1, int(np.ceil((sizes.max() - sizes.min() + 1) / bins)))
    starts = range(int(sizes.min()), int(sizes.max()) + 1, step)
    totals = [int(counts[(sizes >= s) & (sizes < s + step)].sum()) for s in starts]
    scale = width / max(totals)
    return [
        f"  {s:>5}-{s + step - 1:<5} {'#' * max(1, round(n * scale)) if n else '':<{width}} {n}"
        for s, n in zip(starts, totals, strict=True)
    ]


def render(report: Mapping) -> str:
    """The report as the few lines a terminal user reads."""
    lines = [f"{report['identities']:,} identities, {report['images']:,} images"]
    lines.append(f"  {'split':<6} {'view':<7} {'identities':>10} {'images':>8}")
    for split, counts in sorted(report["splits"].items(), key=lambda item: item[0] != protocol.TRAIN):
        for view, view_counts in counts["views"].items():
            lines.append(
                f"  {split:<6} {view:<7} {view_counts['identities']:>10,} {view_counts['images']:>8,}"
            )
    for name, chosen in protocol.PROTOCOLS.items():
        query, gallery = (report["file_groups"][g.name]["images"] for g in (chosen.query, chosen.gallery))
        lines.append(
            f"  {name}: {query:,} {chosen.query_view} queries, {gallery:,} {chosen.gallery_view} gallery"
        )
    stats = report["images_per_identity"]
    lines.append(f"images per identity: min {stats['min']}, median {stats['median']:g}, max {stats['max']}")
    lines += histogram_lines(stats["histogram"])
    titles = {"rejected_crops": "crops rejected in shards", "curation_dropped": "dropped in curation"}
    for key, title in titles.items():
        reasons = report[key]
        shown = ", ".join(f"{reason} {count:,}" for reason, count in reasons.items()) or "none"
        lines.append(f"{title}: {shown}")
    lines += [f"warning: {warning}" for warning in report["warnings"]]
    return "\n".join(lines)
