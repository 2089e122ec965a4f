"""Reference models trained the same way on a release, over one or more seeds: CVNet, the plain baseline,
the ablations, and CVNet with a filtration found by its own search (`cvnet-searched`).

For each (model, seed): mAP and rank-1 for A2G and G2A, training minutes and the machine's load average
while it ran; for each model: parameters (inference), FLOPs (torch.utils.flop_counter) and CPU latency per
image at batch 1, at the training input and at 256x256; over the seeds: mean ± standard deviation of mAP.
`cvnet-searched` first runs the DARTS search (`--search-epochs`, same seed, same recipe otherwise), then
trains CVNet with the genotype it wrote. The CPU tables in the README (published cvpair-v1.0 split):

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_train.py RELEASE --models cvnet baseline \\
        --epochs 10 --eval-every 5 --input 64x64 --seeds 0 --out OUT/item7
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_train.py RELEASE \\
        --models cvnet cvnet-searched baseline --seeds 0 1 2 --epochs 5 --search-epochs 3 --input 64x64 \\
        --out OUT/search

Every run keeps its checkpoint under --out/<model>-s<seed>/ (searches under --out/search-s<seed>/): rerunning
the same command resumes an interrupted run and only re-scores finished ones. The tables are printed and
written to --out/bench_train.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from dataclasses import dataclass, replace
from pathlib import Path

import torch

from cvpair.training.cvnet import MODELS, build_model
from cvpair.training.data import ReidData, load_cvpair
from cvpair.training.dfc import Genotype
from cvpair.training.engine import TrainConfig, fit
from cvpair.training.reference import GENOTYPE_FILE, parse_size
from cvpair.training.search import search_filtration
from cvpair.training.summary import count_flops, cpu_latency_ms

SEARCHED = "cvnet-searched"
PROTOCOLS = ("a2g", "g2a")


def searched_genotype(data: ReidData, config: TrainConfig, folder: Path) -> tuple[Genotype, str]:
    """The genotype of this seed's search (run now unless its file exists) and its final op weights."""
    path = folder / GENOTYPE_FILE
    if not path.exists():
        search_filtration(data, config, path)
    weights = json.loads(path.read_text())["weights"]
    shown = "; ".join(
        f"{branch}: " + ", ".join(f"{op} {w:.3f}" for op, w in sorted(ops.items(), key=lambda x: -x[1])[:2])
        for branch, ops in weights.items()
    )
    return Genotype.load(path), shown


@dataclass(frozen=True)
class Run:
    """One trained model: its scores (percent), training minutes and the load average while it trained."""

    name: str
    seed: int
    scores: dict[str, float]
    minutes: float
    load: float
    found: str
    """The searched genotype and its two strongest op weights per branch (cvnet-searched only)."""

    def row(self) -> str:
        cells = [f"{value:.2f}" for value in self.scores.values()]
        cells += [f"{self.minutes:.1f}", f"{self.load:.1f}", self.found]
        return f"| {self.name} | {self.seed} | {' | '.join(cells)} |"


def train(name: str, seed: int, data: ReidData, config: TrainConfig, args) -> tuple[Run, torch.nn.Module]:
    """Train (or resume, or re-score) one model with one seed under --out/<name>-s<seed>/."""
    seeded = replace(config, seed=seed)
    genotype, found = None, ""
    if name == SEARCHED:
        search = replace(seeded, epochs=args.search_epochs)
        genotype, weights = searched_genotype(data, search, args.out / f"search-s{seed}")
        found = f"{genotype.shallow} / {genotype.deep} ({weights})"
    model = build_model("cvnet" if name == SEARCHED else name, data.num_classes, genotype, seed=seed)
    load = os.getloadavg()[0]
    result = fit(model, data, seeded, args.out / f"{name}-s{seed}", resume=True)
    scores = {f"{p} {f}": 100 * getattr(result.metrics[p], f) for p in PROTOCOLS for f in ("mAP", "rank1")}
    minutes = sum(row["seconds"] for row in result.history) / 60
    return Run(name, seed, scores, minutes, (load + os.getloadavg()[0]) / 2, found), model


def cost_row(name: str, model: torch.nn.Module, size: tuple[int, int]) -> str:
    """Parameters (inference), GFLOPs and CPU ms per image at the training input and at 256x256."""
    params = sum(p.numel() for p in model.parameters()) - model.neck.classifier.weight.numel()
    cost = [f"{count_flops(model, s) / 1e9:.3f} | {cpu_latency_ms(model, s):.1f}" for s in (size, (256, 256))]
    return f"| {name} | {params / 1e6:.3f} | {' | '.join(cost)} |"


def spread(values: list[float]) -> str:
    """mean ± sample standard deviation (the value alone for one seed)."""
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}"


def summary_rows(runs: list[Run]) -> list[str]:
    """Per model, each score's mean ± std over its seeds."""
    rows = ["| model | seeds | A2G mAP | A2G R1 | G2A mAP | G2A R1 |", "|---|---:|---:|---:|---:|---:|"]
    for name in dict.fromkeys(run.name for run in runs):
        mine = [run for run in runs if run.name == name]
        cells = [spread([run.scores[key] for run in mine]) for key in mine[0].scores]
        rows.append(f"| {name} | {len(mine)} | {' | '.join(cells)} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("release")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--search-epochs", type=int, default=20)
    parser.add_argument("--eval-every", type=int, default=0, help="0: only after the last epoch")
    parser.add_argument("--input", default="256x256")
    parser.add_argument("--lr", type=float, default=TrainConfig.lr)
    parser.add_argument("--p", type=int, default=16)
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--models", nargs="+", default=["cvnet", "baseline"], choices=[*MODELS, SEARCHED])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out/train"))
    args = parser.parse_args()

    size = parse_size(args.input)
    config = TrainConfig(
        epochs=args.epochs, p=args.p, k=args.k, size=size, lr=args.lr, device=args.device,
        eval_every=args.eval_every or args.epochs,
    )  # fmt: skip
    data = load_cvpair(args.release)
    runs: list[Run] = []
    costs: dict[str, str] = {}
    for seed in args.seeds:
        for name in args.models:
            started = time.perf_counter()
            run, model = train(name, seed, data, config, args)
            runs.append(run)
            print(run.row(), f"({time.perf_counter() - started:.0f} s with evaluation)", flush=True)
            costs.setdefault(name, cost_row(name, model, size))
    searches = f" (searches: {args.search_epochs})" if SEARCHED in args.models else ""
    heading = (
        f"Release {args.release} ({data.num_classes} training identities, {len(data.train)} images); "
        f"{args.epochs} epochs{searches}, input {args.input}, "
        f"P x K = {args.p} x {args.k}, lr {args.lr:g}, {args.device}, {torch.get_num_threads()} thread(s)"
    )
    table = [
        heading,
        "",
        "| model | seed | A2G mAP | A2G R1 | G2A mAP | G2A R1 | train min | load avg | searched filtration |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
        *(run.row() for run in runs),
        "",
        "Mean ± std over seeds:",
        "",
        *summary_rows(runs),
        "",
        f"| model | params (M) | GFLOPs @{args.input} | CPU ms @{args.input} | GFLOPs @256 | CPU ms @256 |",
        "|---|---:|---:|---:|---:|---:|",
        *costs.values(),
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_train.md").write_text("\n".join(table) + "\n")
    print("\n".join(table))


if __name__ == "__main__":
    main()
