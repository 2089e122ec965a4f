"""CVNet against a plain baseline of similar size, and CVNet's ablations, trained the same way on a release.

For each model: mAP and rank-1 for both protocols (A2G, G2A), parameters (inference), FLOPs
(torch.utils.flop_counter) and CPU latency per image at batch 1, both at the training input and at
256x256. Ablations: without MSL, without DFC, and with the searched filtration replaced by identity
ops. Full-size runs belong on a GPU:

    .venv/bin/python benchmarks/bench_train.py RELEASE --epochs 60 --device cuda --out benchmarks/out/train
    .venv/bin/python benchmarks/bench_train.py RELEASE --epochs 5 --input 64x64 --p 8 --k 4   # CPU sanity run

Each model's run (checkpoint, curves, metrics) is kept under --out/<model>/; the table is printed and
written to --out/bench_train.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cvpair.training.cvnet import MODELS, build_model
from cvpair.training.data import load_cvpair
from cvpair.training.engine import TrainConfig, fit
from cvpair.training.reference import parse_size
from cvpair.training.summary import count_flops, cpu_latency_ms

MODEL_ORDER = ("cvnet", "baseline", "cvnet-no-msl", "cvnet-no-dfc", "cvnet-no-filtration")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("release")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--input", default="256x256")
    parser.add_argument("--p", type=int, default=16)
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--models", nargs="+", default=list(MODEL_ORDER), choices=sorted(MODELS))
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out/train"))
    args = parser.parse_args()

    size = parse_size(args.input)
    config = TrainConfig(
        epochs=args.epochs, p=args.p, k=args.k, size=size, device=args.device, seed=args.seed
    )
    data = load_cvpair(args.release)
    rows = [
        "| model | A2G mAP | A2G R1 | G2A mAP | G2A R1 | params M | GFLOPs | CPU ms | GFLOPs@256 | ms@256 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in args.models:
        model = build_model(name, data.num_classes, seed=args.seed)
        metrics = fit(model, data, config, args.out / name).metrics
        scores = [100 * getattr(metrics[p], field) for p in ("a2g", "g2a") for field in ("mAP", "rank1")]
        params = sum(p.numel() for p in model.parameters()) - model.neck.classifier.weight.numel()
        cost = [
            f"{count_flops(model, s) / 1e9:.3f} | {cpu_latency_ms(model, s):.1f}" for s in (size, (256, 256))
        ]
        rows.append(
            f"| {name} | {' | '.join(f'{s:.2f}' for s in scores)} | {params / 1e6:.3f} | {' | '.join(cost)} |"
        )
        print(rows[-1], flush=True)
    table = "\n".join(
        [f"Release {args.release}, {args.epochs} epochs, input {args.input}, {args.device}", "", *rows]
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_train.md").write_text(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
