"""The renderer draws vehicles where the annotations say they are: checked on the pixels of frames rendered
with and without the vehicle, plus the occlusion and track conventions an annotator follows."""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pytest

from cvpair.synth.annotate import build_track
from cvpair.synth.cameras import Rig
from cvpair.synth.lighting import Lighting
from cvpair.synth.renderer import Actor, FrameRenderer, Observation
from cvpair.synth.scene import Trajectory, image_box, make_site, plan_traffic
from cvpair.synth.shapes import vehicle_parts
from cvpair.synth.vehicles import Marking, VehicleSpec, make_catalogue

W, H = 320, 180
OVERCAST = Lighting(
    sun_azimuth=0.5, sun_elevation=0.8, sun=0.2, ambient=0.8, exposure=1.0, tint=(1.0, 1.0, 1.0), shadow=0.0,
    haze_m=600.0, sky=(0.55, 0.6, 0.7), shutter_s=1 / 60, iso=100, colour_temperature=5500,
)  # fmt: skip
DRONE = Rig((0.0, 0.0, 30.0), (4.0, 0.0, 0.0), yaw=0.3, pitch=-math.radians(80), focal_mm=24.0)
STREET = Rig((-18.0, -9.0, 1.6), (0.0, 0.0, 0.0), yaw=0.35, pitch=-0.05, focal_mm=24.0)


def _actor(track: int, body_type: str, trajectory: Trajectory) -> Actor:
    spec = VehicleSpec(
        identity=track + 1, body_type=body_type, length=4.6, width=1.8, height=1.5, colour=(0.6, 0.1, 0.1),
        secondary=(0.8, 0.8, 0.8), roof=Marking("stripes", (0.95, 0.95, 0.95), 0.5),
        side=Marking("band", (0.1, 0.3, 0.8), 0.5),
    )  # fmt: skip
    return Actor(track, spec.identity, vehicle_parts(spec), trajectory, spec.length, spec.width, spec.height)


def _renderer(rig: Rig, actors) -> FrameRenderer:
    return FrameRenderer(make_site(0, 0), OVERCAST, rig, tuple(actors), W, H, 25, 2.0, (0, 1, 2))


@pytest.mark.parametrize(
    ("rig", "body_type", "trajectory"),
    [
        (DRONE, "sedan", Trajectory(-1.75, 1, -2.0, 9.0)),
        (DRONE, "bus", Trajectory(1.75, -1, 6.0, 5.0)),
        (STREET, "suv", Trajectory(-1.75, 1, -6.0, 14.0)),  # fast and near: smeared by the 1/60 s shutter
        (STREET, "truck", Trajectory(5.25, -1, 10.0, 6.0)),
    ],
)
def test_box_tightly_encloses_the_pixels_the_vehicle_changes(rig, body_type, trajectory):
    with_vehicle = _renderer(rig, [_actor(0, body_type, trajectory)])
    without = _renderer(rig, [])
    checked = 0
    for frame in range(0, 25, 6):
        image, (seen,) = with_vehicle.render(frame)
        background, _ = without.render(frame)
        changed = np.argwhere(np.abs(image.astype(int) - background.astype(int)).max(axis=2) > 0)
        if seen.box is None:
            continue
        xtl, ytl, xbr, ybr = seen.box
        rows, cols = changed[:, 0], changed[:, 1]
        assert cols.min() >= math.floor(xtl) - 1 and cols.max() <= math.ceil(xbr) + 1
        assert rows.min() >= math.floor(ytl) - 1 and rows.max() <= math.ceil(ybr) + 1
        # tight: the vehicle reaches each edge of its box (within 2 px) unless the frame border cuts it
        assert cols.min() <= xtl + 2 and cols.max() >= xbr - 3
        assert rows.min() <= ytl + 2 and rows.max() >= ybr - 3
        assert seen.visible_fraction == 1.0
        checked += 1
    assert checked >= 3


def test_a_vehicle_behind_another_in_the_street_view_is_occluded():
    near = _actor(0, "truck", Trajectory(-1.75, 1, 4.0, 0.0))
    far = _actor(1, "sedan", Trajectory(1.75, -1, 14.5, 0.0))  # on the line of sight through the truck
    _, (front, hidden) = _renderer(STREET, [near, far]).render(0)
    assert front.visible_fraction == 1.0
    assert hidden.box is not None and hidden.visible_fraction < 0.6


def test_vehicles_side_by_side_seen_from_straight_above_hide_nothing():
    nadir = Rig((0.0, 0.0, 40.0), (0.0, 0.0, 0.0), yaw=0.0, pitch=-math.pi / 2, focal_mm=24.0)
    left = _actor(0, "sedan", Trajectory(-1.75, 1, 0.0, 0.0))
    right = _actor(1, "bus", Trajectory(1.75, -1, 2.0, 0.0))
    _, observations = _renderer(nadir, [left, right]).render(0)
    assert [o.visible_fraction for o in observations] == [1.0, 1.0]


def test_track_has_a_box_per_visible_frame_and_one_outside_box_when_it_leaves():
    box = (10.0, 20.0, 50.0, 40.0)
    timeline = [
        Observation(3, box, 1.0),
        Observation(3, box, 0.5),
        Observation(3, None, 0.0),
        Observation(3, None, 0.0),
        Observation(3, box, 0.9),
    ]
    track = build_track(3, 17, timeline)
    assert (track.track_id, track.identity) == (3, 17)
    assert [(b.frame, b.outside, b.occluded) for b in track.boxes] == [
        (0, False, False),
        (1, False, True),
        (2, True, False),
        (4, False, False),
    ]
    assert (track.boxes[0].x, track.boxes[0].y, track.boxes[0].w, track.boxes[0].h) == (
        10.0,
        20.0,
        40.0,
        20.0,
    )


def test_lookalikes_share_type_size_and_paint_and_differ_in_both_markings():
    catalogue = make_catalogue(300, np.random.default_rng(5), lookalike_fraction=0.4)
    assert [spec.identity for spec in catalogue] == list(range(1, 301))
    groups = defaultdict(list)
    for spec in catalogue:
        if spec.lookalike_group is not None:
            groups[spec.lookalike_group].append(spec)
    assert len(groups) > 20 and all(2 <= len(members) <= 3 for members in groups.values())
    for members in groups.values():
        assert len({(m.body_type, m.length, m.width, m.height, m.colour) for m in members}) == 1
        assert len({m.roof.kind for m in members}) == len({m.side.kind for m in members}) == len(members)


def test_traffic_never_collides_and_every_vehicle_is_wholly_in_view_mid_clip():
    sizes = [(4.6, 1.8, 1.5), (11.5, 2.55, 3.1), (8.5, 2.5, 3.4)] * 4
    camera = STREET.camera(0.0, 1280, 720)
    # twelve vehicles, buses and trucks among them: several hide others (and are filmed again, see below)
    placements = plan_traffic(np.random.default_rng(3), sizes, lambda t: camera, 6.0, 45.0)
    trajectories = [p.trajectory for p in placements]
    for i, (a, size_a) in enumerate(zip(trajectories, sizes, strict=True)):
        for b, size_b in zip(trajectories[i + 1 :], sizes[i + 1 :], strict=True):
            if a.lane_y == b.lane_y:  # same lane, same speed: the gap at t=0 holds all clip long
                assert (a.speed, a.direction) == (b.speed, b.direction)
                assert abs(a.x0 - b.x0) > (size_a[0] + size_b[0]) / 2
        in_view = []
        for t in np.linspace(1.2, 4.8, 19):
            x, y, _ = a.pose(t)
            box = image_box(camera, x, y, size_a)
            in_view.append(
                box is not None and box[0] >= 0 and box[1] >= 0 and box[2] <= 1280 and box[3] <= 720
            )
        assert any(in_view)


@pytest.mark.parametrize("seed", [0, 2, 6])
def test_a_vehicle_the_plan_counts_as_seen_is_rendered_unhidden_and_wholly_in_frame_at_least_once(seed):
    """Ten cars in one street clip: where the final traffic hides one (a car placed later in front of it),
    the plan must say so, so that the campaign films it again (these seeds hid cars the plan counted)."""
    placements = plan_traffic(
        np.random.default_rng(seed), [(4.6, 1.8, 1.5)] * 10, lambda t: STREET.camera(t, W, H), 2.5, 45.0
    )
    actors = [_actor(track, "suv", placement.trajectory) for track, placement in enumerate(placements)]
    renderer = _renderer(STREET, actors)
    timelines = list(zip(*(renderer.render(frame)[1] for frame in range(63)), strict=True))
    for track, (placement, timeline) in enumerate(zip(placements, timelines, strict=True)):
        boxes = build_track(track, track + 1, list(timeline)).boxes
        in_frame = [b for b in boxes if b.x >= 1 and b.y >= 1 and b.x + b.w <= W - 1 and b.y + b.h <= H - 1]
        usable = [b for b in in_frame if not (b.outside or b.occluded)]
        assert usable or not placement.seen, f"car {track} is hidden or cut off all clip, yet planned as seen"


def test_a_vehicle_mostly_outside_the_frame_is_annotated_clipped_to_it():
    brushing = _actor(0, "bus", Trajectory(-5.25, 1, -18.0, 0.0))  # level with the camera: half behind it
    _, (seen,) = _renderer(STREET, [brushing]).render(0)
    assert seen.box is not None
    xtl, ytl, xbr, ybr = seen.box
    assert 0 <= xtl < xbr <= W and 0 <= ytl < ybr <= H
    assert xtl == 0 or ytl == 0 or xbr == W or ybr == H
