"""`cvpair train-reference` and `cvpair evaluate-reference`: load a dataset, then search, summarise, train
and report a reference model, or evaluate a saved one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cvpair.errors import InputError, Problem
from cvpair.training.engine import TrainConfig
from cvpair.training.evaluation import Scoring

if TYPE_CHECKING:
    from cvpair.training.data import ReidData
    from cvpair.training.evaluation import ProtocolResult

GENOTYPE_FILE = "genotype.json"
RANKED_PNG, RANKED_JSON = "ranked-{protocol}.png", "ranked.json"
SUMMARY_PROFILE = "cvpair-v1.0"
"""--summary without a dataset sizes the classifier for this profile's training identities (391)."""


def parse_size(text: str) -> tuple[int, int]:
    """'256x128' -> (256, 128): height x width."""
    match = re.fullmatch(r"(\d+)x(\d+)", text.strip())
    if not match or min(int(match.group(1)), int(match.group(2))) < 32:
        raise InputError(Problem("--input", f"expected HxW with both sides >= 32, got {text!r}"))
    return int(match.group(1)), int(match.group(2))


@dataclass(frozen=True)
class DataSource:
    """Which dataset to read and from where; `config` / `test_sizes` pick its protocols."""

    release: str | None
    dataset: str = "cvpair"
    config: str | None = None
    """CVPair protocol to evaluate (a2g or g2a); None evaluates both."""
    test_sizes: tuple[int, ...] = ()
    """VehicleID test lists (800, 1600, 2400); empty: all three."""

    def load(self) -> ReidData:
        if self.release is None:
            raise InputError(Problem("RELEASE", f"give the {self.dataset} folder to read"))
        if self.dataset == "cvpair":
            from cvpair.training.data import load_cvpair

            return load_cvpair(self.release, (self.config,) if self.config else ("a2g", "g2a"))
        if self.dataset == "veri776":
            from cvpair.training.veri776 import load_veri776

            return load_veri776(Path(self.release))
        from cvpair.training.vehicleid import TEST_SIZES, load_vehicleid

        return load_vehicleid(Path(self.release), self.test_sizes or TEST_SIZES)


@dataclass(frozen=True)
class ReferenceRun:
    """Everything `train-reference` was asked to do."""

    source: DataSource
    model: str
    train: TrainConfig
    out: Path
    resume: bool = False
    genotype: Path | None = None


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

    if run.source.release:
        classes = run.source.load().num_classes
    else:
        from cvpair.profiles import load_profile

        classes = load_profile(SUMMARY_PROFILE).table.identities["train"]
    return [
        f"model: {run.model} ({classes} training identities)",
        *summarize(_model(run, classes), run.train.size).lines(),
    ]


def search(run: ReferenceRun) -> Path:
    """DARTS search for the DFC filtration ops; writes and returns `out/genotype.json`."""
    from cvpair.training.search import search_filtration

    path = run.out / GENOTYPE_FILE
    search_filtration(run.source.load(), run.train, path)
    return path


def _ranked_pictures(
    data: ReidData, results: dict[str, ProtocolResult], out: Path, fiftyone: str | None = None
) -> dict[str, str]:
    """ranked-<protocol>.png per protocol and ranked.json (optionally a FiftyOne dataset); returns the
    pictures for the report (file name -> caption)."""
    from cvpair.training.ranked import draw, ranked_queries, write_json

    protocols = {protocol.name: protocol for protocol in data.protocols}
    ranked = {name: ranked_queries(protocols[name], result) for name, result in results.items()}
    pictures = {}
    for name, entries in ranked.items():
        picture = draw(entries, out / RANKED_PNG.format(protocol=name), f"{name}: ranked gallery")
        pictures[picture.name] = f"Ranked gallery of sample {name} queries (green: same identity)"
    write_json(ranked, out / RANKED_JSON)
    if fiftyone:
        from cvpair.browse.ranked import load_ranked

        load_ranked(ranked, out / "ranked-images", fiftyone)
    return pictures


def train_reference(run: ReferenceRun) -> Path | None:
    """Train, evaluate every protocol of the dataset and write the report; returns report.md (None on DDP
    ranks other than 0). Under DDP every rank meets the others at a barrier before it returns."""
    from cvpair.training.distributed import Distributed
    from cvpair.training.engine import fit
    from cvpair.training.report import CURVES_PNG, write_report
    from cvpair.training.summary import summarize

    data = run.source.load()
    model = _model(run, data.num_classes)
    source = {"dataset": run.source.dataset, "release": str(run.source.release)}
    result = fit(model, data, run.train, run.out, resume=run.resume, source=source)
    dist = Distributed.from_environment()
    report = None
    if dist.main:
        summary = summarize(model, run.train.size)
        details = {
            "dataset": data.name,
            "model": run.model,
            "training identities": data.num_classes,
            "training images": len(data.train),
            "model size": "; ".join(summary.lines()),
            "epochs": run.train.epochs,
            "batch": f"P={run.train.p} x K={run.train.k} per process, {dist.world_size} process(es)",
            "input": f"{run.train.size[0]}x{run.train.size[1]}",
            "device": run.train.device,
            "seed": run.train.seed,
            "training minutes": round(sum(row["seconds"] for row in result.history) / 60, 2),
        }
        pictures = {CURVES_PNG: "Curves", **_ranked_pictures(data, result.results, run.out)}
        report = write_report(run.out, f"{run.model} on {data.name}", result.metrics, details, pictures)
    dist.close()
    return report


@dataclass(frozen=True)
class EvaluationRun:
    """Everything `evaluate-reference` was asked to do."""

    checkpoint: Path
    source: DataSource
    out: Path
    device: str = "cpu"
    scoring: Scoring = Scoring()
    fiftyone: str | None = None
    """Name of a FiftyOne dataset to load the ranked lists into (None: none)."""


def recorded_source(checkpoint: Path) -> dict[str, str]:
    """The dataset kind and release a training checkpoint was trained on ({} when not recorded)."""
    import torch

    from cvpair.training.checkpoint import UNREADABLE

    try:
        return dict(torch.load(checkpoint, map_location="cpu", weights_only=False).get("source") or {})
    except UNREADABLE as error:
        raise InputError(Problem(checkpoint, f"not a cvpair training checkpoint: {error}")) from error


def evaluate_reference(run: EvaluationRun) -> Path | None:
    """Score a saved model on every protocol of a dataset, without training; writes report.md / .json and
    the ranked-gallery pictures into `run.out`; returns report.md (None on DDP ranks other than 0)."""
    from cvpair.training.checkpoint import load_model
    from cvpair.training.distributed import Distributed
    from cvpair.training.engine import resolve_device
    from cvpair.training.evaluation import score_protocols
    from cvpair.training.report import write_report

    dist = Distributed.from_environment()
    device = resolve_device(run.device, dist)
    model, size = load_model(run.checkpoint, "cpu")
    data = run.source.load()
    results = score_protocols(model.to(device), data.protocols, size, device, dist, run.scoring)
    report = None
    if dist.main:
        run.out.mkdir(parents=True, exist_ok=True)
        details = {
            "checkpoint": run.checkpoint,
            "dataset": data.name,
            "input": f"{size[0]}x{size[1]}",
            "flip at test time": run.scoring.flip,
            "k-reciprocal re-ranking": "k1=20, k2=6, lambda=0.3" if run.scoring.rerank else False,
            "device": run.device,
        }
        pictures = _ranked_pictures(data, results, run.out, run.fiftyone)
        metrics = {name: result.metrics for name, result in results.items()}
        report = write_report(run.out, f"{run.checkpoint} on {data.name}", metrics, details, pictures)
    dist.close()
    return report
