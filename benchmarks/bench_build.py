"""Benchmark of `cvpair build`: throughput against plain decoding, scaling with workers, peak memory, sizes.

    python benchmarks/bench_build.py [--campaign DIR] [--profile NAME] [--workers N] [--keep RELEASE]

(a) build throughput / throughput of PyAV decoding every frame of every video to RGB with the same number
    of worker processes (target >= 0.75); (b) build time with 1 worker / with N workers (target >= 1.7 for
    N = 2); (c) peak resident memory of the build's process tree, in a third, untimed build (target < 1.5 GB);
    (d) identities and images of the release against the profile's totals, and per file group and view
    against the profile's table when it has one. Without --campaign the bundled demo campaign is used;
    --keep keeps the release of the timed N-worker build.
Each build starts from an empty shard cache. Prints one line per figure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import av
from peak_memory import PeakMemory  # benchmarks/ is the script's folder, first on sys.path

from cvpair import protocol
from cvpair.campaign import load_campaign
from cvpair.pipeline.build import build_release
from cvpair.pipeline.bundled import bundled_campaign
from cvpair.profiles import Table, load_profile


def decode_all(video: str) -> int:
    """Every frame of `video` to an RGB array, as the baseline decoder would; returns the frame count."""
    with av.open(video) as container:
        stream = container.streams.video[0]
        stream.thread_count = 1  # as the build: one decoding and one conversion thread per worker process
        frames = container.decode(stream)
        return sum(1 for frame in frames if frame.to_ndarray(format="rgb24", threads=1) is not None)


def time_decoding(videos: list[str], workers: int) -> tuple[float, int]:
    started = time.perf_counter()
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        frames = sum(pool.map(decode_all, videos))
    return time.perf_counter() - started, frames


def build(
    campaign: Path, scratch: Path, workers: int, profile: str, out: Path | None = None
) -> tuple[float, dict]:
    """(seconds, build report) of a build from an empty shard cache, into `out` (default: in `scratch`)."""
    out, work = out or scratch / f"release-{workers}", scratch / f"work-{workers}"
    result = build_release(campaign, out, workers=workers, profile=profile, work_dir=work, overwrite=True)
    shutil.rmtree(work)
    return result.seconds, json.loads((out / "build_report.json").read_text())


def peak_memory_of_build(campaign: Path, scratch: Path, workers: int, profile: str) -> int:
    """Peak RSS of the process tree during one more build, untimed: sampling the tree (every 20 ms, a scan
    of /proc) takes CPU from the workers and the GIL from an inline build, so it stays out of (a) and (b)."""
    with PeakMemory() as memory:
        build(campaign, scratch, workers, profile)
    return memory.peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--campaign", type=Path, help="campaign folder [default: the bundled demo campaign]")
    parser.add_argument("--profile", default="demo", help="release profile [default: demo]")
    parser.add_argument("--workers", type=int, default=2, help="worker processes for (a), (b), (c) [2]")
    parser.add_argument("--keep", type=Path, help="keep the release of the timed N-worker build here")
    args = parser.parse_args()
    if args.keep and args.keep.exists():
        parser.error(f"--keep {args.keep} exists; choose a new folder")
    campaign = (args.campaign or bundled_campaign()).resolve()
    videos = [str(clip.video) for clip in load_campaign(campaign).clips]
    for video in videos:  # the page cache holds the files for every timing alike
        Path(video).read_bytes()
    print(f"campaign {campaign} ({len(videos)} videos), profile {args.profile}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="bench-build-") as folder:
        scratch = Path(folder)
        decode_s, frames = time_decoding(videos, args.workers)
        build_n, report = build(campaign, scratch, args.workers, args.profile, args.keep)
        build_1, _ = build(campaign, scratch, 1, args.profile)
        peak = peak_memory_of_build(campaign, scratch, args.workers, args.profile)
    load = os.getloadavg()[0]
    workers = args.workers
    print(
        f"decode all {frames} frames to RGB, {workers} workers: {decode_s:.1f} s ({frames / decode_s:.0f}/s)"
    )
    print(f"build, {workers} workers: {build_n:.1f} s ({frames / build_n:.0f}/s), 1 worker: {build_1:.1f} s")
    print(f"(a) build / decode throughput: {decode_s / build_n:.2f} (target >= 0.75)")
    print(f"(b) speed-up {args.workers} workers vs 1: {build_1 / build_n:.2f} (target >= 1.7 for 2 workers)")
    print(f"(c) peak RSS of the process tree: {peak / 2**30:.2f} GiB (target < 1.5)")
    profile = load_profile(args.profile)
    wanted = f" (profile: {profile.identities} / {profile.images})" if profile.identities else ""
    print(f"(d) release: {report['identities']} identities, {report['images']} images{wanted}")
    if profile.table:
        print_table_check(report, profile.table)
    print(f"load average (1 min) at the end: {load:.1f}")


def print_table_check(report: dict, table: Table) -> None:
    """Images and identities of every file group, in each view, against the profile's table (every group
    holds all the identities of its split)."""
    rows = []
    for (group, view), images in table.images.items():
        split = protocol.GROUPS_BY_NAME[group].split
        if split == protocol.TRAIN:
            got = report["splits"][split]["views"][view]
        else:
            got = report["file_groups"][group]
        wanted = (images, table.identities[split])
        rows.append((f"{group} {view}", (got["images"], got["identities"]), wanted))
    for label, got, wanted in rows:
        mark = "" if got == wanted else "  <-- differs"
        counts = f"{got[0]:>6,} images, {got[1]:>4} identities"
        print(f"    {label:<22} {counts} (table {wanted[0]:,}, {wanted[1]}){mark}")
    exact = all(got == wanted for _, got, wanted in rows)
    print(f"    exactly the profile's table: {'yes' if exact else 'NO'}")


if __name__ == "__main__":
    main()
