"""Time `cvpair.evaluate` on 3,000 queries x 10,000 gallery images (target: under 2 s on a CPU).

Run: python benchmarks/bench_evaluate.py [--queries 3000] [--gallery 10000] [--repeat 3]
Prints the best wall time with and without the same-camera exclusion, the ratio to the 2 s target, the
process's CPU time for that run (on a shared machine the wall time grows with the load, the CPU time much
less) and the load average.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import cvpair

TARGET_S = 2.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=3000)
    parser.add_argument("--gallery", type=int, default=10000)
    parser.add_argument("--identities", type=int, default=1000)
    parser.add_argument("--cameras", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    distmat = rng.random((args.queries, args.gallery), dtype=np.float32)
    query_ids, gallery_ids = (
        rng.integers(0, args.identities, args.queries),
        rng.integers(0, args.identities, args.gallery),
    )
    query_cams, gallery_cams = (
        rng.integers(0, args.cameras, args.queries),
        rng.integers(0, args.cameras, args.gallery),
    )
    for label, cams in (("no cameras", ()), ("with cameras", (query_cams, gallery_cams))):
        times = []
        for _ in range(args.repeat):
            started, cpu = time.perf_counter(), time.process_time()
            cvpair.evaluate(distmat, query_ids, gallery_ids, *cams)
            times.append((time.perf_counter() - started, time.process_time() - cpu))
        best, cpu = min(times)
        print(
            f"evaluate {args.queries} x {args.gallery} ({label}): {best:.3f} s best of {args.repeat} "
            f"(target < {TARGET_S} s: {best / TARGET_S:.2f} of the budget; {cpu:.3f} s CPU; "
            f"load average {os.getloadavg()[0]:.1f})"
        )


if __name__ == "__main__":
    main()
