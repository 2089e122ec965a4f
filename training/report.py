"""Files a training run leaves behind: per-epoch history (JSON, CSV, PNG curves) and the final report
(metrics table as Markdown and JSON, model summary). Every write is atomic."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from cvpair.metrics import ReidMetrics

HISTORY_JSON, HISTORY_CSV, CURVES_PNG = "metrics.json", "metrics.csv", "curves.png"
REPORT_MD, REPORT_JSON = "report.md", "report.json"


def _write_atomic(path: Path, content: str | bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    if isinstance(content, bytes):
        temporary.write_bytes(content)
    else:
        temporary.write_text(content)
    os.replace(temporary, path)


def write_history(history: Sequence[Mapping[str, float]], out: Path) -> None:
    """metrics.json, metrics.csv and curves.png (loss terms and mAP / rank-1 per protocol by epoch)."""
    _write_atomic(out / HISTORY_JSON, json.dumps(list(history), indent=2) + "\n")
    columns = list(dict.fromkeys(name for row in history for name in row))
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=columns)
    writer.writeheader()
    writer.writerows(history)
    _write_atomic(out / HISTORY_CSV, text.getvalue())
    _write_atomic(out / CURVES_PNG, _plot(history, columns))


def _plot(history: Sequence[Mapping[str, float]], columns: list[str]) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (losses, scores) = plt.subplots(1, 2, figsize=(11, 4))
    for name in ("loss", "ce", "triplet"):
        losses.plot([r["epoch"] for r in history], [r[name] for r in history], label=name)
    losses.set(xlabel="epoch", ylabel="training loss", title="Loss")
    for name in (c for c in columns if c.endswith(("_mAP", "_rank1"))):
        points = [(r["epoch"], 100 * r[name]) for r in history if name in r]
        scores.plot(*zip(*points, strict=True), marker="o", label=name)
    scores.set(xlabel="epoch", ylabel="%", title="Evaluation")
    for axes in (losses, scores):
        if axes.get_legend_handles_labels()[0]:
            axes.legend()
        axes.grid(alpha=0.3)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    plt.close(figure)
    return buffer.getvalue()


def metrics_table(metrics: Mapping[str, ReidMetrics]) -> str:
    """Markdown table, one row per protocol, scores in percent; `mean ± std` over several random draws."""
    lines = [
        "| protocol | mAP | rank-1 | rank-5 | rank-10 | mINP | queries (skipped) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, m in metrics.items():
        values = {"mAP": m.mAP, "rank1": m.cmc[1], "rank5": m.cmc[5], "rank10": m.cmc[10], "mINP": m.mINP}
        scores = " | ".join(
            f"{100 * value:.2f}" + (f" ± {100 * m.spread[key]:.2f}" if key in m.spread else "")
            for key, value in values.items()
        )
        draws = f", mean of {m.trials} draws" if m.trials > 1 else ""
        lines.append(f"| {name} | {scores} | {m.valid_queries} ({m.skipped_queries}{draws}) |")
    return "\n".join(lines)


def write_report(
    out: Path,
    title: str,
    metrics: Mapping[str, ReidMetrics],
    details: Mapping[str, object],
    pictures: Mapping[str, str] | None = None,
) -> Path:
    """report.md (metrics table, model summary, run details and `pictures`: file name -> caption) and
    report.json (with the CMC curve to rank 50); returns report.md."""
    detail_lines = [f"- {name}: {value}" for name, value in details.items()]
    pictures = {CURVES_PNG: "Curves"} if pictures is None else pictures
    picture_lines = [f"{caption}:\n\n![{caption}]({name})\n" for name, caption in pictures.items()]
    text = "\n".join([f"# {title}", "", metrics_table(metrics), "", *detail_lines, "", *picture_lines])
    _write_atomic(out / REPORT_MD, text)
    payload = {"metrics": {name: m.as_dict() for name, m in metrics.items()}, "details": dict(details)}
    _write_atomic(out / REPORT_JSON, json.dumps(payload, indent=2, default=str) + "\n")
    return out / REPORT_MD
