"""`cvpair.rerank` against torchreid 0.2.5's `re_ranking` on 3,000 queries x 10,000 gallery images:
the largest difference of the re-ranked distances (target <= 1e-5), the speed-up (target >= 5x) and the
peak memory of `cvpair.rerank` (target < 4 GB).

Run: python benchmarks/bench_rerank.py [--queries 3000] [--gallery 10000] [--reference-dir DIR]
The reference is fetched with `pip download torchreid==0.2.5 --no-deps --no-binary :all:` into a temporary
folder (or read from --reference-dir, an unpacked torchreid-0.2.5 source tree) and its rerank.py imported
from there; it is never copied into this repository. The distances are cosine distances of random
512-d embeddings clustered by identity (float32, as a model's features are).
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np
from peak_memory import PeakMemory

import cvpair

TOLERANCE, SPEEDUP, MEMORY_GB = 1e-5, 5.0, 4.0
RERANK_FILE = "torchreid/reid/utils/rerank.py"


def reference_rerank(folder: Path | None):
    """torchreid 0.2.5's `re_ranking`, imported from its source distribution."""
    if folder is None:
        folder = Path(tempfile.mkdtemp(prefix="torchreid-"))
        command = [sys.executable, "-m", "pip", "download", "torchreid==0.2.5", "--no-deps"]
        subprocess.run([*command, "--no-binary", ":all:", "-d", str(folder)], check=True)
        with tarfile.open(next(folder.glob("torchreid-0.2.5.tar.gz"))) as archive:
            archive.extractall(folder, filter="data")
        folder = folder / "torchreid-0.2.5"
    spec = importlib.util.spec_from_file_location("torchreid_rerank", folder / RERANK_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.re_ranking


def distances(queries: int, gallery: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(q_g, q_q, g_g) cosine distances of embeddings of about 10 images per identity."""
    rng = np.random.default_rng(seed)
    identities = rng.integers(0, (queries + gallery) // 10, queries + gallery)
    centres = rng.normal(size=(identities.max() + 1, 512))
    features = (centres[identities] + rng.normal(size=(queries + gallery, 512))).astype(np.float32)
    features /= np.linalg.norm(features, axis=1, keepdims=True)
    query, rest = features[:queries], features[queries:]
    return 1 - query @ rest.T, 1 - query @ query.T, 1 - rest @ rest.T


def timed(function, *args) -> tuple[np.ndarray, float, float]:
    """(result, seconds, peak resident GB of this process while it ran, inputs included)."""
    with PeakMemory() as memory:
        started = time.perf_counter()
        result = function(*args)
        seconds = time.perf_counter() - started
    return result, seconds, memory.peak / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=3000)
    parser.add_argument("--gallery", type=int, default=10000)
    parser.add_argument("--reference-dir", type=Path, help="Unpacked torchreid-0.2.5 source tree.")
    args = parser.parse_args()

    reference = reference_rerank(args.reference_dir)
    q_g, q_q, g_g = distances(args.queries, args.gallery)
    cvpair.rerank(q_g[:10, :100], q_q[:10, :10], g_g[:100, :100])  # import torch outside the timing
    ours, ours_s, ours_gb = timed(cvpair.rerank, q_g, q_q, g_g)
    theirs, theirs_s, theirs_gb = timed(reference, q_g, q_q, g_g)
    difference = float(np.abs(ours - theirs).max())
    size = f"{args.queries} x {args.gallery}"
    print(f"cvpair.rerank {size}: {ours_s:.2f} s, peak {ours_gb:.2f} GB (inputs included)")
    print(f"torchreid 0.2.5 re_ranking {size}: {theirs_s:.2f} s, peak {theirs_gb:.2f} GB")
    verdict = "ok" if difference <= TOLERANCE else "FAIL"
    print(f"largest difference {difference:.2e} (target <= {TOLERANCE:.0e}: {verdict})")
    speedup = theirs_s / ours_s
    print(f"speed-up {speedup:.1f}x (target >= {SPEEDUP:.0f}x: {speedup / SPEEDUP:.2f} times the target)")
    share = ours_gb / MEMORY_GB
    print(f"peak memory {ours_gb:.2f} GB (target < {MEMORY_GB:.0f} GB: {share:.2f} of the budget)")


if __name__ == "__main__":
    main()
