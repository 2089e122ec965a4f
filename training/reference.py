"""`cvpair train-reference`: load a dataset, then search, summarise, or train and report a reference model."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cvpair.training.engine import TrainConfig

from cvpair.errors import InputError, Problem

if TYPE_CHECKING:
    from cvpair.training.data import ReidData

GENOTYPE_FILE = "genotype.json"
SUMMARY_CLASSES = 447
"""Classifier width for --summary without a dataset: the training half of CVPair v1.0 (894 identities)."""


def parse_size(text: str) -> tuple[int, int]:
    """'256x128' -> (256, 128): height x width."""
    match = re.fullmatch(r"(\d+)x(\d+)", text.strip())
    if not match or min(int(match.group(1)), int(match.group(2))) < 32:
        raise InputError(Problem("--input", f"expected HxW with both sides >= 32, got {text!r}"))
    return int(match.group(1)), int(match.group(2))


@dataclass(frozen=True)
class ReferenceRun:
    """Everything `train-reference` was asked to do."""

    release: str | None
    dataset: str
    config: str | None
    """CVPair protocol to evaluate (a2g or g2a); None evaluates both."""
    model: str
    train: TrainConfig
    out: Path
    resume: bool = False
    genotype: Path | None = None


def load_data(release: str | None, dataset: str, config: str | None) -> ReidData:
    if release is None:
        raise InputError(Problem("RELEASE", f"give the {dataset} folder to train on"))
    if dataset == "cvpair":
        from cvpair.training.data import load_cvpair

        return load_cvpair(release, (config,) if config else ("a2g", "g2a"))
    if dataset == "veri776":
        from cvpair.training.veri776 import load_veri776

        return load_veri776(Path(release))
    from cvpair.training.vehicleid import load_vehicleid

    return load_vehicleid(Path(release))


def _model(run: ReferenceRun, num_classes: int):
    from cvpair.training.cvnet import MODELS, build_model
    from cvpair.training.dfc import Genotype

    if run.model not in MODELS:
        raise InputError(Problem("--model", f"unknown model {run.model!r}; choose from {', '.join(MODELS)}"))
    genotype = Genotype.load(run.genotype) if run.genotype else None
    return build_model(run.model, num_classes, genotype, seed=run.train.seed)


def summary_lines(run: ReferenceRun) -> list[str]:
    """Parameters and FLOPs of the model at the run's input size (classes from the dataset when given)."""
    from cvpair.training.summary import summarize

    classes = load_data(run.release, run.dataset, run.config).num_classes if run.release else SUMMARY_CLASSES
    return [
        f"model: {run.model} ({classes} training identities)",
        *summarize(_model(run, classes), run.train.size).lines(),
    ]


def search(run: ReferenceRun) -> Path:
    """DARTS search for the DFC filtration ops; writes and returns `out/genotype.json`."""
    from cvpair.training.search import search_filtration

    data = load_data(run.release, run.dataset, run.config)
    path = run.out / GENOTYPE_FILE
    search_filtration(data, run.train, path)
    return path


def train_reference(run: ReferenceRun) -> Path | None:
    """Train, evaluate every protocol of the dataset and write the report; returns report.md (None on DDP
    ranks other than 0, which only train)."""
    from cvpair.training.engine import Distributed, fit
    from cvpair.training.report import write_report
    from cvpair.training.summary import summarize

    data = load_data(run.release, run.dataset, run.config)
    model = _model(run, data.num_classes)
    result = fit(model, data, run.train, run.out, resume=run.resume)
    if not Distributed.from_environment().main:
        return None
    summary = summarize(model, run.train.size)
    details = {
        "dataset": data.name,
        "model": run.model,
        "training identities": data.num_classes,
        "training images": len(data.train),
        "model size": "; ".join(summary.lines()),
        "epochs": run.train.epochs,
        "batch": f"P={run.train.p} x K={run.train.k}",
        "input": f"{run.train.size[0]}x{run.train.size[1]}",
        "device": run.train.device,
        "seed": run.train.seed,
        "training minutes": round(sum(row["seconds"] for row in result.history) / 60, 2),
    }
    return write_report(run.out, f"{run.model} on {data.name}", result.metrics, details)
