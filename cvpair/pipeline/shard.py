"""One clip -> its crop rows: the unit of work, of retry and of resume of a build.

A shard decodes only the frames that hold a candidate box (see `sampling`), crops each box with a margin,
filters blur and near-repeats, encodes the crop as JPEG and writes rows of the declared schema into the
shard cache. Rejected boxes are counted by reason. Nothing here depends on other clips.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import cv2
import pyarrow as pa

from cvpair import protocol
from cvpair.campaign import CheckedClip
from cvpair.campaign.frames import frame_files
from cvpair.campaign.telemetry import reading_at
from cvpair.errors import InputError, Problem
from cvpair.pipeline import crop as cropping
from cvpair.pipeline import phash, quality, sampling
from cvpair.pipeline.allocator import keep_frame_buffers
from cvpair.pipeline.cache import ShardStore, ShardSummary, content_key
from cvpair.pipeline.decode import DecodedFrame
from cvpair.pipeline.frames import frame_reader
from cvpair.pipeline.stash import load_checked
from cvpair.release.provenance import sha256_of_file
from cvpair.schema import checked_row, image_id, row_schema, view_label
from cvpair.versions import toolkit_version

CORRUPT_FRAME = "corrupt_frame"
MISSING_FRAME = "missing_frame"


@dataclass(frozen=True)
class ShardParams:
    """Everything that shapes a shard's rows besides its inputs; part of its cache key."""

    quality: quality.QualityParams = field(default_factory=quality.QualityParams)
    sampling: sampling.SamplingParams = field(default_factory=sampling.SamplingParams)
    jpeg_quality: int = 95


@dataclass(frozen=True)
class ShardTask:
    """A clip to turn into crops, with the parameters and the cache to use."""

    clip: CheckedClip  # the clip, or its summary when `stash` holds the checked clip (see `stash`)
    params: ShardParams
    cache: Path
    stash: Path | None = None
    columns: tuple[str, ...] = ()  # of the shard's rows, to send back: what the build reads next


@dataclass(frozen=True)
class ShardResult:
    summary: ShardSummary
    reused: bool  # found complete in the cache
    columns: pa.Table | None = None  # `ShardTask.columns`, read by the worker (in parallel, from its cache)


def shard_inputs(clip: CheckedClip) -> dict[str, Path]:
    """The files a clip's shard is made from, by role (a frame folder's images one by one)."""
    video = clip.clip.video
    frames = (
        {f"video/{path.name}": path for path in frame_files(video)} if video.is_dir() else {"video": video}
    )
    inputs = {**frames, "annotation": clip.annotation.path}
    if clip.clip.telemetry is not None:
        inputs["telemetry"] = clip.clip.telemetry
    return inputs


def shard_key(clip: CheckedClip, digests: dict[str, str], params: ShardParams) -> str:
    """The content address of a clip's shard."""
    tracks = [
        [
            t.track_id,
            t.identity,
            [[b.frame, b.x, b.y, b.w, b.h, b.outside, b.occluded, b.angle] for b in t.boxes],
        ]
        for t in clip.annotation.tracks
    ]
    return content_key(
        {
            "toolkit": toolkit_version(),
            "schema": str(row_schema()),  # a shard cached under another schema is rebuilt, not misread
            "clip": [clip.clip.clip_id, clip.clip.view, clip.clip.device],
            "inputs": digests,
            # The annotation as checked (identities resolved from identities.csv, boxes clipped).
            "tracks": hashlib.sha256(repr(tracks).encode()).hexdigest(),
            "params": asdict(params),
        }
    )


def run_shard(task: ShardTask) -> ShardResult:
    """The shard of `task.clip`, from the cache if it is there, else built and cached."""
    keep_frame_buffers()
    if task.stash is not None:
        task = replace(task, clip=load_checked(task.stash), stash=None)
    store = ShardStore(task.cache)
    digests = {role: sha256_of_file(path) for role, path in shard_inputs(task.clip).items()}
    key = shard_key(task.clip, digests, task.params)
    summary = store.load(key)
    reused = summary is not None
    if summary is None:
        summary = _build(task, store, key, digests)
    columns = store.columns(key, list(task.columns)) if task.columns else None
    return ShardResult(summary, reused, columns)


class _CropMaker:
    """Turns candidate boxes of decoded frames into rows; counts what it rejects."""

    def __init__(self, clip: CheckedClip, params: ShardParams) -> None:
        self.clip, self.params = clip, params
        self.gate = sampling.AppearanceGate(params.sampling.min_change_bits)
        self.rejected: Counter[str] = Counter()
        self.telemetry = clip.telemetry if clip.clip.view == protocol.AERIAL else None

    def row(self, frame: DecodedFrame, candidate: sampling.Candidate) -> dict | None:
        box, height, width = candidate.box, *frame.image.shape[:2]
        crop = cropping.cut(frame.image, box, self.params.quality.margin)
        grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
        sharpness = quality.sharpness(grey)
        if sharpness < self.params.quality.min_sharpness:
            self.rejected[quality.BLURRY] += 1
            return None
        crop_hash = phash.phash(grey)
        if not self.gate.admit(candidate.track, crop_hash):
            self.rejected[sampling.SIMILAR] += 1
            return None
        ok, encoded = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, self.params.jpeg_quality])
        if not ok:
            raise RuntimeError(f"JPEG encoding failed for {self.clip.clip.clip_id} frame {frame.index}")
        jpeg = encoded.tobytes()
        reading = reading_at(self.telemetry, frame.time_s) if self.telemetry else None
        altitude = reading.altitude_m if reading else None
        clip = self.clip.clip
        return checked_row(
            {
                "image": {"bytes": jpeg, "path": None},
                "image_id": image_id(clip.clip_id, candidate.track, frame.index),
                "identity": candidate.identity,
                "view": view_label(clip.view),
                "device": clip.device,
                "source_name": "",
                "clip": clip.clip_id,
                "sequence": None,
                "track": candidate.track,
                "frame": frame.index,
                "instance": None,
                "timestamp_s": frame.time_s,
                "bbox_x": box.x,
                "bbox_y": box.y,
                "bbox_w": box.w,
                "bbox_h": box.h,
                "bbox_angle": box.angle,
                "frame_width": width,
                "frame_height": height,
                "crop_width": crop.shape[1],
                "crop_height": crop.shape[0],
                "altitude_m": altitude,
                "altitude_reference": self.telemetry.altitude_reference if altitude is not None else None,
                "sharpness": sharpness,
                "sha256": hashlib.sha256(jpeg).hexdigest(),
                "phash": phash.to_hex(crop_hash),
            }
        )


def _build(task: ShardTask, store: ShardStore, key: str, digests: dict[str, str]) -> ShardSummary:
    clip = task.clip
    plan = sampling.plan_samples(
        clip.annotation.tracks,
        (clip.width, clip.height),
        clip.fps,
        clip.frame_count,
        task.params.quality,
        task.params.sampling,
    )
    maker = _CropMaker(clip, task.params)
    maker.rejected.update(plan.rejected)
    reader = frame_reader(clip.clip.video, clip.fps)
    decoded: set[int] = set()
    frames_of_rows: list[int] = []
    with store.writer(key) as out:
        for frame in reader.frames(sorted(plan.by_frame)):
            decoded.add(frame.index)
            for candidate in plan.by_frame[frame.index]:
                row = maker.row(frame, candidate)
                if row is not None:
                    out.add(row)
                    frames_of_rows.append(frame.index)
        warnings = _missing_frames(clip, plan, decoded, maker.rejected)
        corrupt = [frame for frame in frames_of_rows if reader.issues.is_corrupt(frame)]
        if reader.issues.corrupt:
            maker.rejected[CORRUPT_FRAME] += len(corrupt)
            spans = ", ".join(f"{start}-{stop - 1}" for start, stop in reader.issues.corrupt)
            warnings.append(
                f"{clip.clip.video}: corrupt data in frames {spans} ({reader.issues.messages[0]}); "
                f"{len(corrupt)} crop(s) from them left out"
            )
        rejected = dict(sorted(maker.rejected.items()))
        summary = ShardSummary(clip.clip.clip_id, key, 0, rejected, warnings, digests)
        return out.commit(summary, drop_frames=set(corrupt))


def _missing_frames(
    clip: CheckedClip, plan: sampling.SamplePlan, decoded: set[int], rejected: Counter[str]
) -> list[str]:
    """Warnings for candidate frames the video did not deliver (a stream that ends early)."""
    missing = sorted(set(plan.by_frame) - decoded)
    if not missing:
        return []
    if not decoded:
        raise InputError(Problem(clip.clip.video, "no frame could be decoded", frame=missing[0]))
    rejected[MISSING_FRAME] += sum(len(plan.by_frame[frame]) for frame in missing)
    shown = ", ".join(map(str, missing[:5])) + (" ..." if len(missing) > 5 else "")
    return [f"{clip.clip.video}: frames {shown} could not be decoded; their crops are left out"]
