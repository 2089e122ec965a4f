"""`generate_campaign`: plans a whole synthetic capture campaign, renders its clips (in parallel) and
writes the campaign folder atomically.

Planning (identities, who is filmed in which clip, cameras, light, traffic) happens up front from the
seed alone; each clip is then rendered from its own plan, so the result does not depend on how many
workers render it or in which order.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from cvpair.errors import InputError, Problem
from cvpair.synth.annotate import build_track
from cvpair.synth.cameras import Rig, aerial_rig, ground_rig
from cvpair.synth.lighting import Lighting, sample_lighting
from cvpair.synth.profiles import SynthProfile, get_profile
from cvpair.synth.renderer import Actor, FrameRenderer
from cvpair.synth.scene import PAVEMENT_M, ROAD_HALF_M, Trajectory, make_site, plan_traffic
from cvpair.synth.shapes import vehicle_parts
from cvpair.synth.vehicles import VehicleSpec, make_catalogue
from cvpair.synth.writers import (
    SRT_LAYOUTS,
    ManifestRow,
    SrtEntry,
    TaskInfo,
    VideoFormat,
    VideoWriter,
    cvat_xml,
    dji_srt,
    manifest_csv,
)

VIEWS = ("aerial", "ground")
VIEW_PREFIX = {"aerial": "A", "ground": "G"}
# street cameras: vehicles farther than this are too small to matter when placing traffic
GROUND_RANGE_M = 45.0
MAX_RETAKES = 3  # rounds of extra clips for identities that a crowded view missed
CAMPAIGN_START = datetime(2026, 5, 1, 8, 0, 0)
TELEMETRY_WANDER_M = 0.02  # random-walk step of the logged position per frame


@dataclass(frozen=True)
class CampaignMedia:
    """How the campaign's files are written: each view's video format (a phone filming upright tags its
    street clips with a rotation) and the drones' SRT layout (a key of `SRT_LAYOUTS`)."""

    aerial: VideoFormat = VideoFormat()
    ground: VideoFormat = VideoFormat()
    srt_layout: str = "mavic3"

    def __post_init__(self) -> None:
        if self.srt_layout not in SRT_LAYOUTS:
            known = ", ".join(SRT_LAYOUTS)
            raise InputError(
                Problem("--srt-layout", f"unknown SRT layout {self.srt_layout!r}; known: {known}")
            )


@dataclass(frozen=True)
class ClipPlan:
    """Everything needed to render one clip, fixed before any rendering starts."""

    clip_id: str
    view: str
    device: str
    seed: int
    site_index: int
    rig: Rig
    lighting: Lighting
    fps: int
    frames: int
    width: int
    height: int
    noise_sigma: float
    start: datetime
    vehicles: tuple[tuple[VehicleSpec, Trajectory], ...]
    missed: tuple[int, ...] = ()  # identities the crowded view could not show well: filmed again

    @property
    def noise_seed(self) -> tuple[int, ...]:
        return (self.seed, ord(self.clip_id[0]), int(self.clip_id[1:]))


def plan_campaign(profile: SynthProfile, seed: int) -> tuple[tuple[VehicleSpec, ...], list[ClipPlan]]:
    """The identity catalogue and one plan per clip: each identity in as many clips of a view as
    `plan_appearances` gives it, plus a retake (in clips half as crowded) for each clip whose crowded view
    hid or missed it."""
    catalogue = make_catalogue(
        profile.identities, np.random.default_rng([seed, 0]), profile.lookalike_fraction
    )
    plans = []
    for code, view in enumerate(VIEWS, start=1):
        groups, numbered = plan_groups(profile, seed, view), 0
        for _ in range(MAX_RETAKES + 1):
            planned = [
                _plan_clip(profile, seed, view, code, number, [catalogue[i] for i in members])
                for number, members in enumerate(groups, start=numbered + 1)
            ]
            plans.extend(planned)
            numbered += len(planned)
            missed = np.array(sorted(identity - 1 for plan in planned for identity in plan.missed), dtype=int)
            if not missed.size:
                break
            # half as many vehicles a clip: the crowding that hid them is not repeated
            retake_size = max(1, profile.filming(view).vehicles_per_clip // 2)
            groups = np.array_split(missed, math.ceil(len(missed) / retake_size))
    return catalogue, plans


def plan_appearances(profile: SynthProfile, seed: int, view: str) -> np.ndarray:
    """How many clips of `view` film each identity (index = identity - 1), within the profile's bounds."""
    low, high = profile.filming(view).appearances
    rng = np.random.default_rng([seed, VIEWS.index(view) + 1, 0, 1])
    return rng.integers(low, high + 1, profile.identities)


def plan_groups(profile: SynthProfile, seed: int, view: str) -> list[np.ndarray]:
    """The identity indices filmed together in each clip of `view`, in clip order.

    Clips are made in rounds: round r films, in random groups of up to `vehicles_per_clip`, every identity
    that appears more than r times, so no clip films an identity twice.
    """
    filming = profile.filming(view)
    appearances = plan_appearances(profile, seed, view)
    rng = np.random.default_rng([seed, VIEWS.index(view) + 1, 0])
    groups = []
    for round_ in range(int(appearances.max())):
        filmed = np.flatnonzero(appearances > round_)
        groups.extend(
            np.array_split(rng.permutation(filmed), math.ceil(len(filmed) / filming.vehicles_per_clip))
        )
    return groups


def _plan_clip(profile: SynthProfile, seed: int, view: str, code: int, number: int, specs) -> ClipPlan:
    rng = np.random.default_rng([seed, code, number])
    fps = int(rng.choice(profile.frame_rates))
    frames = int(round(profile.filming(view).clip_seconds * fps))
    duration = frames / fps
    corridor = ROAD_HALF_M + PAVEMENT_M - 0.5
    if view == "aerial":
        rig = aerial_rig(rng, (float(rng.uniform(-70, 70)), float(rng.uniform(-3, 3))), corridor, duration)
        device = f"drone-{int(rng.integers(profile.drones)) + 1:02d}"
        reach = 1e4
    else:
        rig = ground_rig(rng, ROAD_HALF_M, PAVEMENT_M, float(rng.uniform(-70, 70)))
        device = f"street-{int(rng.integers(profile.street_cameras)) + 1:02d}"
        reach = GROUND_RANGE_M
    placements = plan_traffic(
        rng,
        [(spec.length, spec.width, spec.height) for spec in specs],
        lambda t: rig.camera(t, profile.width, profile.height),
        duration,
        reach,
    )
    placed = list(zip(specs, placements, strict=True))
    start = CAMPAIGN_START + timedelta(days=int(rng.integers(0, 6)), seconds=int(rng.integers(0, 9 * 3600)))
    return ClipPlan(
        clip_id=f"{VIEW_PREFIX[view]}{number:04d}",
        view=view,
        device=device,
        seed=seed,
        site_index=int(rng.integers(profile.sites)),
        rig=rig,
        lighting=sample_lighting(rng),
        fps=fps,
        frames=frames,
        width=profile.width,
        height=profile.height,
        noise_sigma=float(rng.uniform(1.0, 2.5)),
        start=start,
        vehicles=tuple((spec, placement.trajectory) for spec, placement in placed),
        missed=tuple(spec.identity for spec, placement in placed if not placement.seen),
    )


def render_clip(plan: ClipPlan, root: Path, media: CampaignMedia = CampaignMedia()) -> ManifestRow:
    """Renders one clip into `root`: its video, its CVAT annotation and, for a drone, its SRT telemetry."""
    site = make_site(plan.seed, plan.site_index)
    actors = tuple(
        Actor(track, spec.identity, vehicle_parts(spec), trajectory, spec.length, spec.width, spec.height)
        for track, (spec, trajectory) in enumerate(plan.vehicles)
    )
    renderer = FrameRenderer(
        site,
        plan.lighting,
        plan.rig,
        actors,
        plan.width,
        plan.height,
        plan.fps,
        plan.noise_sigma,
        plan.noise_seed,
    )
    timelines: list[list] = [[] for _ in actors]
    video_format = media.aerial if plan.view == "aerial" else media.ground
    video = f"videos/{plan.clip_id}{video_format.suffix}"
    with VideoWriter(root / video, plan.width, plan.height, plan.fps, video_format) as writer:
        for frame in range(plan.frames):
            image, observations = renderer.render(frame)
            writer.write(image)
            for timeline, observation in zip(timelines, observations, strict=True):
                timeline.append(observation)
    tracks = [
        build_track(a.track_id, a.identity, timeline) for a, timeline in zip(actors, timelines, strict=True)
    ]
    task = TaskInfo(
        task_id=int(plan.clip_id[1:]) + (0 if plan.view == "aerial" else 50_000),
        name=plan.clip_id,
        frames=plan.frames,
        width=plan.width,
        height=plan.height,
        created=plan.start + timedelta(days=3),
    )
    annotation = f"annotations/{plan.clip_id}.xml"
    (root / annotation).write_bytes(cvat_xml(task, tracks))
    telemetry = ""
    if plan.view == "aerial":
        telemetry = f"telemetry/{plan.clip_id}.SRT"
        (root / telemetry).write_bytes(dji_srt(_telemetry(plan, site), media.srt_layout))
    return ManifestRow(plan.clip_id, video, annotation, plan.view, plan.device, telemetry)


def _telemetry(plan: ClipPlan, site) -> list[SrtEntry]:
    """One SRT entry per frame. GNSS and barometer readings wander by centimetres from frame to frame
    even while the gimbal holds the picture still, as real flight logs do."""
    rng = np.random.default_rng((*plan.noise_seed, 1))
    wander = np.cumsum(rng.normal(0, TELEMETRY_WANDER_M, (plan.frames, 3)), axis=0)
    entries = []
    for frame in range(plan.frames):
        t = frame / plan.fps
        position = plan.rig.camera(t, plan.width, plan.height).position + wander[frame] * (1, 1, 0.3)
        latitude, longitude = site.geodetic(float(position[0]), float(position[1]))
        entries.append(
            SrtEntry(
                frame=frame,
                time_s=t,
                duration_s=1 / plan.fps,
                clock=plan.start + timedelta(milliseconds=round(t * 1000)),
                latitude=latitude,
                longitude=longitude,
                rel_alt=float(position[2]),
                abs_alt=float(position[2]) + site.elevation_m,
                iso=plan.lighting.iso,
                shutter_s=plan.lighting.shutter_s,
                colour_temperature=plan.lighting.colour_temperature,
                focal_mm=plan.rig.focal_mm,
            )
        )
    return entries


def _start_worker() -> None:
    import cv2

    cv2.setNumThreads(1)  # one clip per process: threads inside a process would only fight over the cores


def generate_campaign(
    out: Path,
    profile: str | SynthProfile = "demo",
    seed: int = 0,
    workers: int | None = None,
    media: CampaignMedia = CampaignMedia(),
) -> Path:
    """Writes a synthetic campaign folder at `out` (which must not exist or be empty) and returns it;
    `media` says in which video formats and SRT layout.

    The folder is assembled under a hidden sibling name and renamed into place at the end, so an
    interrupted run never leaves something that looks like a complete campaign.
    """
    out = Path(out)
    settings = get_profile(profile) if isinstance(profile, str) else profile
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(Problem(out, "already exists and is not empty; choose a new folder"))
    _, plans = plan_campaign(settings, seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        for folder in ("videos", "annotations", "telemetry"):
            (staging / folder).mkdir(parents=True)
        rows = _render_all(plans, staging, workers or os.cpu_count() or 1, media)
        (staging / "manifest.csv").write_bytes(manifest_csv(rows))
        if out.exists():
            out.rmdir()
        try:
            os.replace(staging, out)
        except OSError as error:  # someone else filled `out` while we rendered
            raise InputError(Problem(out, f"was created by someone else meanwhile: {error}")) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out


def _render_all(plans: list[ClipPlan], root: Path, workers: int, media: CampaignMedia) -> list[ManifestRow]:
    """Renders every clip; clips are handed out grouped by site so each worker reuses its site textures."""
    order = sorted(range(len(plans)), key=lambda i: (plans[i].site_index, i))
    if workers <= 1 or len(plans) == 1:
        rows = {i: render_clip(plans[i], root, media) for i in order}
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            min(workers, len(plans)), mp_context=context, initializer=_start_worker
        ) as pool:
            futures = {i: pool.submit(render_clip, plans[i], root, media) for i in order}
            try:
                rows = {i: future.result() for i, future in futures.items()}
            except BaseException:
                pool.shutdown(cancel_futures=True)  # do not render the rest of a campaign that has failed
                raise
    return [rows[i] for i in range(len(plans))]
