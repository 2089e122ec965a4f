"""Benchmark `cvpair import` of a full-size published-like tree against its floor: a bare Pillow full
decode of the same unique files with the same number of processes.

    .venv/bin/python benchmarks/bench_import.py [--tree DIR] [--release DIR] [--workers N] [--repeat 3]

The tree: `--tree DIR` (written there if missing: the published counts, 14,969 unique images of 894
identities, aerial crops from 50 px and ground crops to 480 px, 88 PNGs named .jpg, AppleDouble files, an
upload leftover); or `--release DIR`, a full-size build exported with `cvpair export` and given the same
quirks. The import is the whole command (`cvpair import TREE -o OUT --workers N`, in a fresh process, with
its registration for `load_dataset("cvpair")`, into an empty scratch datasets cache each time); the floor
opens and fully decodes every unique image (not the second training copy, nor the leftovers) in N spawned
processes. The tree's files are read once before the runs (the page cache warm for all of them); runs
alternate; prints the median wall time of each, their ratio (limit 2, aim 1.5), and the peak
resident memory of the import's process tree, sampled in one more, untimed import (limit 1 GB).
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from peak_memory import PeakMemory  # benchmarks/ is the script's folder, first on sys.path
from PIL import Image

# The floor's workers are spawned and re-import this script: cvpair is imported inside the functions of
# the main process only, so the floor's processes start with Pillow alone, as a bare decode loop would.

RATIO_LIMIT, RATIO_AIM = 2.0, 1.5
MEMORY_LIMIT = 1 << 30
BATCH = 64


def unique_images(tree: Path) -> list[str]:
    """The files an import decodes: every image folder but the second training copy, leftovers left out."""
    from cvpair.market.tree import FOLDER_GROUPS, TRAIN_FOLDER, folder_name, leftover_kind

    second = folder_name("g2a", TRAIN_FOLDER)
    return [
        str(path)
        for folder in FOLDER_GROUPS
        if folder != second
        for path in sorted((tree / folder).iterdir())
        if leftover_kind(path.name) is None
    ]


def decode_files(paths: list[str]) -> int:
    """The floor's work: read each file and fully decode it with Pillow."""
    for path in paths:
        with open(path, "rb") as handle, Image.open(io.BytesIO(handle.read())) as image:
            image.load()
    return len(paths)


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (and theirs: pool workers are reaped)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(function: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds incl. children) of one call."""
    cpu, started = _cpu_seconds(), time.perf_counter()
    function()
    return time.perf_counter() - started, _cpu_seconds() - cpu


def bare_decode(paths: list[str], workers: int) -> None:
    batches = [paths[i : i + BATCH] for i in range(0, len(paths), BATCH)]
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        assert sum(pool.map(decode_files, batches)) == len(paths)


def import_command(tree: Path, scratch: Path, workers: int) -> None:
    """The whole `cvpair import` command, in a fresh process, into an empty `datasets` cache: a second
    registration of the same rows would find them cached, which a user's first import does not."""
    out, cache = scratch / "release", scratch / "hf"
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    env = {**os.environ, "HF_HOME": str(cache), "HF_DATASETS_CACHE": str(cache / "datasets")}
    command = [Path(sys.executable).with_name("cvpair"), "import", tree, "-o", out, "--workers", str(workers)]
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)


def _tree(args: argparse.Namespace, scratch: Path) -> Path:
    from cvpair.synth.market_tree import PUBLISHED, plant_quirks, write_market_tree

    if args.release is not None:
        from cvpair.market.exporter import export_release

        tree = scratch / "exported"
        export_release(args.release, tree)
        plant_quirks(tree, PUBLISHED.pngs, seed=0)
        print(f"tree: {args.release} exported with `cvpair export`, quirks planted")
        return tree
    tree = args.tree or scratch / "published-like"
    if not tree.exists():
        started = time.perf_counter()
        write_market_tree(tree, PUBLISHED, seed=0)
        seconds = time.perf_counter() - started
        print(f"no tree at hand: wrote a full-size published-like one at {tree} in {seconds:.0f} s")
    return tree


def main() -> None:
    from cvpair.checks.scan import default_workers

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tree", type=Path, help="A published-like tree; written (full size) if missing.")
    parser.add_argument("--release", type=Path, help="A full-size release to export and import instead.")
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--repeat", type=int, default=3, help="Alternating runs of each; medians compared.")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="cvpair-bench-import-") as folder:
        scratch = Path(folder)
        tree = _tree(args, scratch)
        paths = unique_images(tree)
        size = sum(os.path.getsize(p) for p in paths)
        print(f"tree: {tree}: {len(paths):,} unique images, {size / 1e6:.0f} MB; workers: {args.workers}")
        for path in tree.rglob("*"):  # warm the page cache: the first timed run would pay alone for the disk
            if path.is_file():
                path.read_bytes()
        floor, imported = [], []
        for _ in range(args.repeat):
            floor.append(timed(lambda: bare_decode(paths, args.workers)))
            imported.append(timed(lambda: import_command(tree, scratch, args.workers)))
        with PeakMemory(interval=0.05) as memory:
            import_command(tree, scratch, args.workers)
        for label, runs in (("bare Pillow decode", floor), ("cvpair import", imported)):
            wall, cpu = (statistics.median(r[i] for r in runs) for i in (0, 1))
            times = ", ".join(f"{r[0]:.2f}" for r in runs)
            rate = len(paths) / wall
            print(
                f"{label:<19}: median wall {wall:6.2f} s ({rate:,.0f} img/s; runs {times}), CPU {cpu:.2f} s"
            )
        ratio = statistics.median(i[0] for i in imported) / statistics.median(f[0] for f in floor)
        paired = statistics.median(i[0] / f[0] for f, i in zip(floor, imported, strict=True))
        cpu_ratio = statistics.median(i[1] for i in imported) / statistics.median(f[1] for f in floor)
        print(
            f"ratio import / decode: wall {ratio:.2f} (medians; {paired:.2f} median of paired runs; limit "
            f"{RATIO_LIMIT}, aim {RATIO_AIM}), CPU {cpu_ratio:.2f}; peak RSS of the import incl. children "
            f"{memory.peak / 2**20:,.0f} MiB (limit {MEMORY_LIMIT / 2**20:,.0f} MiB)"
        )


if __name__ == "__main__":
    main()
