"""Benchmark of `cvpair build` on 4K H.265 10-bit footage, beside the same campaign in 720p H.264.

    python benchmarks/bench_build_4k.py [--data DIR] [--workers N] [--seconds S]

Writes two small synthetic campaigns of the same plan (seed 0: 2 drone and 2 street clips of S seconds
at 25 fps): 3840x2160 H.265 10-bit MP4 with B-frames, and 1280x720 H.264 8-bit, kept under --data for
reruns. For each it prints (a) the build's throughput over that of PyAV decoding every frame to RGB with
the same number of worker processes, both split per clip (one clip per task; target >= 0.75), and where
the time of one clip's shard goes: checking (probe, annotation, telemetry), decoding the frames it needs
(with the conversion to RGB), and cutting, filtering and storing crops. Each build starts from an empty
shard cache. The campaigns are small on purpose: the machine is shared.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import tempfile
import time
from pathlib import Path

from bench_build import build, time_decoding  # benchmarks/ is the script's folder, first on sys.path

from cvpair.campaign import load_campaign
from cvpair.campaign.checks import ClipCheck, check_clip
from cvpair.pipeline.shard import ShardParams, ShardTask, run_shard
from cvpair.synth import CampaignMedia, SynthProfile, VideoFormat, generate_campaign

FOUR_K = VideoFormat(codec="hevc", bit_depth=10, b_frames=2)
CAMPAIGNS = {"4K H.265 10-bit": ((3840, 2160), FOUR_K), "720p H.264 8-bit": ((1280, 720), VideoFormat())}


def campaign(data: Path, name: str, seconds: float) -> Path:
    """The campaign `name`, generated on first use."""
    (width, height), video = CAMPAIGNS[name]
    folder = data / f"{width}x{height}-{video.codec}-{video.bit_depth}bit-{seconds:g}s"
    if not (folder / "manifest.csv").is_file():
        profile = SynthProfile(
            "bench", identities=4, appearances_per_view=1, vehicles_per_clip=2, clip_seconds=seconds,
            width=width, height=height, frame_rates=(25,), sites=1,
        )  # fmt: skip
        started = time.perf_counter()
        generate_campaign(folder, profile=profile, media=CampaignMedia(video, video))
        print(f"  generated {folder} in {time.perf_counter() - started:.0f} s")
    return folder


BUILD_STAGES = {  # (module, function) of the build's main process -> its stage (wall time, workers included)
    ("checks.py", "check_campaign"): "check inputs",
    ("build.py", "_run_shards"): "shards",
    ("curate.py", "curate"): "curate",
    ("writer.py", "write_release"): "write release (Parquet, card, plots)",
}
STAGES = {  # (module, function) of cvpair's shard -> the stage its cumulative time counts for
    ("decode.py", "_index"): "index (demux every packet)",
    ("decode.py", "_decode"): "decode",
    ("decode.py", "_shown"): "to RGB (and turn)",
    ("shard.py", "row"): "crop, blur + pHash filters, JPEG",
}


def shard_breakdown(root: Path, scratch: Path) -> tuple[float, float, dict[str, float]]:
    """Where one clip's shard (the first drone clip, in this process) spends its time: checking the clip,
    and the shard's stages (cumulative times from cProfile; the rest is the cache write and Python)."""
    clip = load_campaign(root).clips[0]
    started = time.perf_counter()
    checked, _ = check_clip(ClipCheck(clip, {}))
    check_s = time.perf_counter() - started
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.runcall(run_shard, ShardTask(checked, ShardParams(), scratch / "breakdown"))
    shard_s = time.perf_counter() - started
    return check_s, shard_s, _stages(profile, STAGES)


def build_breakdown(root: Path, scratch: Path, workers: int) -> tuple[float, dict[str, float]]:
    """Where a build's wall time goes, from a profile of its main process (one more build, untimed)."""
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.runcall(build, root, scratch, workers, "demo")
    return time.perf_counter() - started, _stages(profile, BUILD_STAGES)


def _stages(profile: cProfile.Profile, stages: dict[tuple[str, str], str]) -> dict[str, float]:
    """Cumulative seconds of the functions named in `stages`, by stage."""
    seconds = dict.fromkeys(stages.values(), 0.0)
    for (file, _, function), (_, _, _, cumulative, _) in pstats.Stats(profile).stats.items():
        stage = stages.get((Path(file).name, function))
        if stage is not None and "cvpair" in file:
            seconds[stage] += cumulative
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "cvpair-bench-4k",
                        help="where the campaigns are kept between runs")  # fmt: skip
    parser.add_argument("--workers", type=int, default=2, help="worker processes [2]")
    parser.add_argument("--seconds", type=float, default=1.6, help="length of each clip [1.6]")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, {args.workers} workers")
    for name in CAMPAIGNS:
        root = campaign(args.data, name, args.seconds).resolve()
        videos = [str(clip.video) for clip in load_campaign(root).clips]
        for video in videos:  # the page cache holds the files for every timing alike
            Path(video).read_bytes()
        with tempfile.TemporaryDirectory(prefix="bench-4k-") as folder:
            scratch = Path(folder)
            decode_s, frames = time_decoding(videos, args.workers)
            build_s, report = build(root, scratch, args.workers, "demo")
            check_s, shard_s, stages = shard_breakdown(root, scratch)
            whole_s, build_stages = build_breakdown(root, scratch, args.workers)
        print(f"{name}: {len(videos)} clips, {frames} frames, {report['images']} images in the release")
        print(f"  PyAV decoding every frame to RGB: {decode_s:.1f} s ({frames / decode_s:.1f} frames/s)")
        print(f"  cvpair build: {build_s:.1f} s ({frames / build_s:.1f} frames/s)")
        print(f"  (a) build / decode throughput: {decode_s / build_s:.2f} (target >= 0.75)")
        parts = ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in build_stages.items())
        print(f"  a build, profiled: {whole_s:.1f} s: {parts}")
        shares = ", ".join(f"{stage} {seconds / shard_s:.0%}" for stage, seconds in stages.items())
        print(f"  one clip's shard, one process: checks {check_s:.2f} s; shard (profiled) {shard_s:.2f} s:")
        print(f"    {shares}")
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
