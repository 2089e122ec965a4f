"""Benchmark `cvpair validate` against its floor: a bare loop that fully decodes every image.

Both sides read the same Parquet row-group ranges with the same number of processes; only the work per
image differs. Without a full-size build at hand (`--release`), the script writes a full-size synthetic
release first (the published v1.0 table: 894 identities, 14,969 JPEG crops of 40-250 px, through
`write_release`) and says so.
Prints the median wall time of each (runs alternate, so both see the same machine load), their ratio, the
CPU-time ratio (steadier on a shared machine), and the peak resident memory, child processes included.

    .venv/bin/python benchmarks/bench_validate.py [--release PATH] [--workers N] [--repeat 3]

With --release PATH naming a folder that does not exist, the synthetic release is written there and kept.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from peak_memory import PeakMemory  # benchmarks/ is the script's folder, first on sys.path
from PIL import Image

from cvpair.checks.scan import Task, default_workers, image_bytes, plan, run_tasks
from cvpair.pipeline.phash import phash, to_hex

# Decoding workers are spawned and re-import this script: the heavy modules (datasets, pandas, the card)
# are imported inside the functions of the main process only, as the `cvpair` command does.

IDENTITIES, IMAGES = 894, 14_969
MEMORY_LIMIT = 1 << 30
RATIO_LIMIT = 1.3


def _crop(rng: np.random.Generator, identity: int) -> np.ndarray:
    """A crop of 40-250 px a side: the identity's own coarse pattern (what pHash sees), plus noise."""
    width, height = (int(v) for v in rng.integers(40, 251, size=2))
    pattern = np.random.default_rng(identity).uniform(0, 255, size=(8, 8, 3)).astype(np.float32)
    image = np.asarray(
        Image.fromarray(pattern.astype(np.uint8)).resize((width, height), Image.BICUBIC), np.float32
    )
    image += rng.normal(0, 8, size=image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def _row(rng: np.random.Generator, identity: int, view: str, index: int) -> dict:
    from cvpair.schema import ABOVE_TAKEOFF, image_id, view_label

    pixels = _crop(rng, identity)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=90)
    data = buffer.getvalue()
    clip = f"{'A' if view == 'aerial' else 'G'}{identity:04d}"
    height, width = pixels.shape[:2]
    return {
        "image": {"bytes": data, "path": None},
        "image_id": image_id(clip, 1, 5 * index),
        "identity": identity,
        "view": view_label(view),
        "device": "drone-1" if view == "aerial" else "street-1",
        "source_name": "",
        "clip": clip,
        "sequence": None,
        "track": 1,
        "frame": 5 * index,
        "instance": None,
        "timestamp_s": index / 5,
        "bbox_x": 10.0,
        "bbox_y": 10.0,
        "bbox_w": float(width),
        "bbox_h": float(height),
        "bbox_angle": 0.0,
        "frame_width": 1920,
        "frame_height": 1080,
        "crop_width": width,
        "crop_height": height,
        "altitude_m": float(rng.uniform(20, 120)) if view == "aerial" else None,
        "altitude_reference": ABOVE_TAKEOFF if view == "aerial" else None,
        "sharpness": 100.0,
        "sha256": hashlib.sha256(data).hexdigest(),
        "phash": to_hex(phash(np.asarray(Image.open(io.BytesIO(data)).convert("L")))),
    }


def _spread(total: int, identities: list[int]) -> dict[int, int]:
    """`total` images spread as evenly as can be over `identities`."""
    base, extra = divmod(total, len(identities))
    return {identity: base + (k < extra) for k, identity in enumerate(identities)}


def _batches(group, identities: list[int], counts: dict[tuple[int, str], int], seed: int):
    """Rows of file group `group` (a `cvpair.protocol.FileGroup`), in image_id order, 500 at a time (memory
    stays bounded). Each identity's images in a view are frames 0, 5, 10, ...: frame 0 is its query."""
    from cvpair.protocol import QUERY, TEST, VIEWS
    from cvpair.schema import arrow_schema, view_label

    views = VIEWS if group.view is None else (group.view,)
    rows: list[dict] = []
    clips = sorted(
        (f"{view[0].upper()}{identity:04d}", identity, view) for identity in identities for view in views
    )
    for _, identity, view in clips:
        rng = np.random.default_rng([seed, identity, view_label(view)])
        indices = range(1 if group.role == QUERY else counts[identity, view])
        made = [_row(rng, identity, view, k) for k in indices]
        rows += made[1:] if group.split == TEST and group.role != QUERY else made
        if len(rows) >= 500:
            yield pa.Table.from_pylist(rows, schema=arrow_schema())
            rows = []
    if rows:
        yield pa.Table.from_pylist(rows, schema=arrow_schema())


def make_full_size_release(out: Path, seed: int = 0) -> Path:
    """The published v1.0 table exactly (`splits/cvpair-v1.0/profile.json`): 391 train and 503 test
    identities, each view's images spread evenly over them, one query per test identity and view."""
    from cvpair import protocol
    from cvpair.profiles import load_profile
    from cvpair.release.provenance import Provenance
    from cvpair.release.writer import write_release

    table = load_profile("cvpair-v1.0").table
    split_ids = {
        protocol.TRAIN: list(range(1, table.identities[protocol.TRAIN] + 1)),
        protocol.TEST: list(range(table.identities[protocol.TRAIN] + 1, IDENTITIES + 1)),
    }
    counts = {
        (identity, view): n
        for split, identities in split_ids.items()
        for view in protocol.VIEWS
        for identity, n in _spread(table.view_images(split, view), identities).items()
    }
    return write_release(
        out,
        {g.name: _batches(g, split_ids[g.split], counts, seed) for g in protocol.FILE_GROUPS},
        provenance=Provenance("bench", {"profile": "cvpair-v1.0", "seed": seed}),
        report={},
    )


def _decode_task(task: Task) -> int:
    """The floor: read the task's image bytes and fully decode each one, nothing more."""
    parquet = pq.ParquetFile(task.path)
    count = 0
    for group in task.row_groups:
        for data in image_bytes(parquet, group):
            with Image.open(io.BytesIO(data)) as image:
                image.load()
            count += 1
    return count


def bare_decode(release: Path, workers: int) -> int:
    from cvpair.checks.facts import open_release

    with run_tasks(plan(open_release(release).files, workers), workers, _decode_task) as counts:
        return sum(counts)


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (pool workers are reaped at shutdown)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(function: Callable[[], object]) -> tuple[float, float, int, object]:
    """(wall seconds, CPU seconds incl. children, peak RSS incl. children, result) of one call."""
    with PeakMemory() as memory:
        cpu, started = _cpu_seconds(), time.perf_counter()
        result = function()
        seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    return seconds, cpu, memory.peak, result


def main() -> None:
    from cvpair.checks.runner import validate_release

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--release",
        type=Path,
        help="A built release; written (synthetic, full size) if missing [default: a temporary one].",
    )
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument(
        "--repeat", type=int, default=3, help="Alternating runs of each; medians are compared."
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="cvpair-bench-") as scratch:
        release = args.release or Path(scratch) / "release"
        if not release.exists():
            started = time.perf_counter()
            make_full_size_release(release)
            seconds = time.perf_counter() - started
            print(f"no release at hand: wrote a full-size SYNTHETIC release ({IDENTITIES} identities, "
                  f"{IMAGES} images, JPEG crops 40-250 px) in {seconds:.0f} s")  # fmt: skip
        size = sum(p.stat().st_size for p in release.rglob("*.parquet"))
        print(f"release: {release} ({size / 1e6:.0f} MB of Parquet), workers: {args.workers}")
        floor, checked = [], []
        for _ in range(args.repeat):
            floor.append(measure(lambda: bare_decode(release, args.workers)))
            checked.append(measure(lambda: validate_release(release, workers=args.workers)))
        images, report = floor[-1][3], checked[-1][3]
        floor_s, floor_cpu, _ = _summary("bare decode loop", floor, images)
        check_s, check_cpu, check_mem = _summary("cvpair validate", checked, images)
        paired = statistics.median(c[0] / f[0] for f, c in zip(floor, checked, strict=True))
        print(
            f"ratio validate / decode: wall {check_s / floor_s:.2f} (medians; {paired:.2f} median of "
            f"paired runs; limit {RATIO_LIMIT}), CPU {check_cpu / floor_cpu:.2f}; peak RSS of validate incl. "
            f"children {check_mem / 2**20:,.0f} MiB (limit {MEMORY_LIMIT / 2**20:,.0f} MiB); "
            f"release valid: {report.valid}"
        )
        if not report.valid:
            print(report.render_table())


def _summary(
    label: str, runs: list[tuple[float, float, int, object]], images: int
) -> tuple[float, float, int]:
    """Print the median wall and CPU time and the peak memory of `runs`; return them."""
    seconds = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[1] for r in runs)
    peak = max(r[2] for r in runs)
    times = ", ".join(f"{r[0]:.2f}" for r in runs)
    print(
        f"{label:<17}: median wall {seconds:6.2f} s ({images / seconds:,.0f} images/s; runs {times}), "
        f"median CPU {cpu:6.2f} s, peak RSS {peak / 2**20:,.0f} MiB"
    )
    return seconds, cpu, peak


if __name__ == "__main__":
    main()
