"""The places and the traffic: a street site (road texture, lanes, buildings, geo-reference) and the
straight-line trajectories of vehicles driving along its lanes during one clip."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import NamedTuple

import cv2
import numpy as np

from cvpair.synth.cameras import ZOOM_REFERENCE_WIDTH_PX, Camera
from cvpair.synth.shapes import Part, building_part

TEXEL_M = 0.05
X_EXTENT_M = 160.0  # the textured ground spans x in [-X, X]
Y_EXTENT_M = 40.0
ROAD_HALF_M = 7.0  # four 3.5 m lanes
PAVEMENT_M = 4.0
LANES: tuple[tuple[float, int], ...] = ((-5.25, 1), (-1.75, 1), (1.75, -1), (5.25, -1))  # (y, direction)
# traffic placement: tries at a spot wholly in frame and unhidden, then at one wholly in frame, before
# settling for any free spot; "unhidden": no nearer vehicle's box covers more than MAX_HIDDEN of it
STRICT_ATTEMPTS = 200
IN_FRAME_ATTEMPTS = 100
MAX_HIDDEN = 0.3
# a placed vehicle is wholly in frame over SEEN_SPAN_S around its mid time (the build samples a track every
# 0.5 s, so it can give two crops there), its box's shorter side at least the build's smallest crop (in 720p)
SEEN_SPAN_S = 0.5
MIN_SEEN_PX = 32


@dataclass(frozen=True, eq=False)
class Site:
    """A straight four-lane street with a crossing, pavements and buildings, placed on the globe."""

    index: int
    texture: np.ndarray  # (H, W, 3) uint8 RGB albedo of the ground; row 0 is y = +Y_EXTENT_M
    buildings: tuple[Part, ...]
    crossing_x: float
    latitude: float
    longitude: float
    bearing: float  # radians: compass direction of the +x axis, clockwise from north
    elevation_m: float

    @property
    def corridor(self) -> float:
        """Half-width of the open space between the building lines."""
        return ROAD_HALF_M + PAVEMENT_M

    def texel_to_world(self) -> np.ndarray:
        """Maps texture pixel (col, row, 1) to ground point (x, y, 1)."""
        return np.array([[TEXEL_M, 0, -X_EXTENT_M], [0, -TEXEL_M, Y_EXTENT_M], [0, 0, 1.0]])

    def geodetic(self, x: float, y: float) -> tuple[float, float]:
        """Latitude and longitude of a ground point."""
        east = x * np.sin(self.bearing) - y * np.cos(self.bearing)
        north = x * np.cos(self.bearing) + y * np.sin(self.bearing)
        latitude = self.latitude + north / 111_320.0
        longitude = self.longitude + east / (111_320.0 * np.cos(np.radians(self.latitude)))
        return float(latitude), float(longitude)


@lru_cache(maxsize=4)
def make_site(seed: int, index: int) -> Site:
    """The site `index` of a campaign; cached because every clip filmed there needs it."""
    rng = np.random.default_rng([seed, 7, index])
    crossing_x = float(rng.uniform(-60, 60))
    texture = _ground_texture(rng, crossing_x)
    buildings = _buildings(rng, crossing_x)
    return Site(
        index=index,
        texture=texture,
        buildings=buildings,
        crossing_x=crossing_x,
        latitude=float(22.50 + rng.uniform(-0.08, 0.08)),
        longitude=float(114.05 + rng.uniform(-0.08, 0.08)),
        bearing=float(rng.uniform(0, 2 * np.pi)),
        elevation_m=float(rng.uniform(5, 60)),
    )


def _to_px(x: float, y: float) -> tuple[int, int]:
    return int(round((x + X_EXTENT_M) / TEXEL_M)), int(round((Y_EXTENT_M - y) / TEXEL_M))


def _fill(texture: np.ndarray, x0: float, x1: float, y0: float, y1: float, colour) -> None:
    """Paints the ground rectangle between the two x and the two y values."""
    (c0, r1), (c1, r0) = _to_px(min(x0, x1), min(y0, y1)), _to_px(max(x0, x1), max(y0, y1))
    texture[max(r0, 0) : max(r1, 0), max(c0, 0) : max(c1, 0)] = colour


def _noise(rng: np.random.Generator, shape: tuple[int, int], cell: int, amplitude: float) -> np.ndarray:
    """Smooth value noise: random values on a coarse grid, upsampled."""
    coarse = rng.normal(0, amplitude, (shape[0] // cell + 2, shape[1] // cell + 2)).astype(np.float32)
    return cv2.resize(coarse, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)


def _ground_texture(rng: np.random.Generator, crossing_x: float) -> np.ndarray:
    """Asphalt with lane markings, zebra crossings, kerbs, pavements and verges, as an albedo image."""
    cols, rows = int(2 * X_EXTENT_M / TEXEL_M), int(2 * Y_EXTENT_M / TEXEL_M)
    tex = np.empty((rows, cols, 3), np.uint8)
    tex[:] = (96, 112, 78)  # grass / verge behind the buildings
    lot = tuple(int(c) for c in int(rng.integers(115, 150)) + rng.integers(-6, 7, 3))  # yards and car parks
    _fill(tex, -X_EXTENT_M, X_EXTENT_M, -ROAD_HALF_M - PAVEMENT_M - 16, ROAD_HALF_M + PAVEMENT_M + 16, lot)
    _fill(tex, -X_EXTENT_M, X_EXTENT_M, -ROAD_HALF_M - PAVEMENT_M, ROAD_HALF_M + PAVEMENT_M, (150, 148, 142))
    asphalt = int(rng.integers(70, 95))
    _fill(tex, -X_EXTENT_M, X_EXTENT_M, -ROAD_HALF_M, ROAD_HALF_M, (asphalt,) * 3)
    _fill(tex, crossing_x - ROAD_HALF_M, crossing_x + ROAD_HALF_M, -Y_EXTENT_M, Y_EXTENT_M, (asphalt,) * 3)
    for y in (-ROAD_HALF_M, ROAD_HALF_M):  # kerb stones
        _fill(tex, -X_EXTENT_M, X_EXTENT_M, y - 0.15, y + 0.15, (185, 183, 178))
    for x in np.arange(-X_EXTENT_M, X_EXTENT_M, 1.5):  # pavement slab joints
        for sign in (-1, 1):
            _fill(tex, x, x + 0.04, sign * ROAD_HALF_M, sign * (ROAD_HALF_M + PAVEMENT_M), (120, 118, 114))
    white, yellow = (225, 225, 220), (215, 175, 40)
    for y in (-0.2, 0.2):
        _fill(tex, -X_EXTENT_M, X_EXTENT_M, y - 0.06, y + 0.06, yellow)
    for y in (-ROAD_HALF_M + 0.35, ROAD_HALF_M - 0.35):
        _fill(tex, -X_EXTENT_M, X_EXTENT_M, y - 0.08, y + 0.08, white)
    for x in np.arange(-X_EXTENT_M, X_EXTENT_M, 9.0):
        for y in (-3.5, 3.5):
            _fill(tex, x, x + 3.0, y - 0.07, y + 0.07, white)
    # the crossing: clear the markings inside it, then zebra stripes and stop lines on both approaches
    _fill(tex, crossing_x - ROAD_HALF_M, crossing_x + ROAD_HALF_M, -ROAD_HALF_M, ROAD_HALF_M, (asphalt,) * 3)
    for sign in (-1, 1):
        x_zebra = crossing_x + sign * (ROAD_HALF_M + 2.5)
        for y in np.arange(-ROAD_HALF_M + 0.5, ROAD_HALF_M - 0.5, 1.0):
            _fill(tex, x_zebra - 1.5, x_zebra + 1.5, y, y + 0.5, white)
        _fill(tex, x_zebra + sign * 2.0 - 0.2, x_zebra + sign * 2.0 + 0.2, -ROAD_HALF_M, ROAD_HALF_M, white)
    for _ in range(40):  # patched asphalt and manholes
        x, y = rng.uniform(-X_EXTENT_M, X_EXTENT_M), rng.uniform(-ROAD_HALF_M + 0.5, ROAD_HALF_M - 0.5)
        (c, r) = _to_px(x, y)
        if rng.random() < 0.5:
            cv2.circle(tex, (c, r), int(0.35 / TEXEL_M), (55, 55, 58), -1, cv2.LINE_AA)
        else:
            w, h = int(rng.uniform(1, 4) / TEXEL_M), int(rng.uniform(0.5, 2) / TEXEL_M)
            shade = asphalt + int(rng.integers(-18, 10))
            cv2.rectangle(tex, (c, r), (c + w, r + h), (shade,) * 3, -1)
    grain = _noise(rng, tex.shape[:2], 40, 5.0) + rng.standard_normal(tex.shape[:2], dtype=np.float32) * 4.0
    tex = cv2.add(tex, cv2.merge([grain.astype(np.int16)] * 3), dtype=cv2.CV_8U)
    return cv2.GaussianBlur(tex, (3, 3), 0.6)


def _buildings(rng: np.random.Generator, crossing_x: float) -> tuple[Part, ...]:
    """Rows of buildings along both sides of the street, leaving the cross street open."""
    palette = [(0.72, 0.68, 0.6), (0.6, 0.58, 0.55), (0.78, 0.76, 0.72), (0.55, 0.45, 0.38), (0.5, 0.55, 0.6)]
    parts = []
    for side in (-1, 1):
        x = -X_EXTENT_M
        while x < X_EXTENT_M:
            width = float(rng.uniform(8, 26))
            x0, x1 = x + float(rng.uniform(0, 4)), x + width
            x = x1
            if x1 > crossing_x - ROAD_HALF_M - 2 and x0 < crossing_x + ROAD_HALF_M + 2:
                continue
            front = ROAD_HALF_M + PAVEMENT_M + float(rng.uniform(0, 2.5))
            depth = float(rng.uniform(10, 16))
            y0, y1 = (front, front + depth) if side > 0 else (-front - depth, -front)
            colour = palette[int(rng.integers(len(palette)))]
            height = float(rng.uniform(6, 30))
            parts.append(building_part(x0, x1, y0, y1, height, colour, -side, 3.2, bool(rng.random() < 0.35)))
    return tuple(parts)


# ---------------------------------------------------------------------------------------------- traffic


@dataclass(frozen=True)
class Trajectory:
    """A vehicle driving along a lane at constant speed: at time t it is at x0 + direction * speed * t."""

    lane_y: float
    direction: int
    x0: float
    speed: float

    def pose(self, t: float) -> tuple[float, float, float]:
        """(x, y, heading) at time t."""
        heading = 0.0 if self.direction > 0 else np.pi
        return self.x0 + self.direction * self.speed * t, self.lane_y, heading


def visible_stretch(camera: Camera, lane_y: float, max_distance: float) -> np.ndarray:
    """x positions on a lane (0.5 m steps) whose point projects inside the frame, within `max_distance`."""
    xs = np.arange(-X_EXTENT_M + 10, X_EXTENT_M - 10, 0.5)
    points = np.stack([xs, np.full_like(xs, lane_y), np.full_like(xs, 0.8)], axis=1)
    pixels, depth = camera.project(points)
    inside = (
        (depth > 2.0)
        & (depth < max_distance)
        & (pixels[:, 0] > camera.width * 0.1)
        & (pixels[:, 0] < camera.width * 0.9)
        & (pixels[:, 1] > camera.height * 0.1)
        & (pixels[:, 1] < camera.height * 0.9)
    )
    return xs[inside]


def image_box(
    camera: Camera, x: float, y: float, size: tuple[float, float, float]
) -> tuple[float, float, float, float] | None:
    """Pixel bounding box (x0, y0, x1, y1) of a vehicle's bounding solid on a lane, or None if it is not
    wholly in front of the camera."""
    length, width, height = size
    corners = np.array(
        [
            [x + sx * length / 2, y + sy * width / 2, z]
            for sx in (-1, 1)
            for sy in (-1, 1)
            for z in (0.0, height)
        ]
    )
    pixels, depth = camera.project(corners)
    if (depth < 1.0).any():
        return None
    return (*pixels.min(axis=0), *pixels.max(axis=0))


def _hidden_share(front, back) -> float:
    """Share of box `back` covered by box `front`."""
    w = min(front[2], back[2]) - max(front[0], back[0])
    h = min(front[3], back[3]) - max(front[1], back[1])
    area = (back[2] - back[0]) * (back[3] - back[1])
    return max(w, 0) * max(h, 0) / area if area > 0 else 1.0


@dataclass(frozen=True)
class _Placed:
    trajectory: Trajectory
    size: tuple[float, float, float]
    t_mid: float
    seen: bool = True  # False: no spot in view was free, the vehicle went wherever it fitted


class Placement(NamedTuple):
    """A vehicle's path through a clip, and whether it is seen on it (wholly in frame, large enough, and no
    other vehicle of the final traffic hides it mid-clip)."""

    trajectory: Trajectory
    seen: bool


def plan_traffic(
    rng: np.random.Generator,
    sizes: list[tuple[float, float, float]],
    camera_at: Callable[[float], Camera],
    duration: float,
    max_distance: float,
) -> list[Placement]:
    """One trajectory per vehicle (length, width, height), each wholly in view and not mostly hidden by
    another vehicle at some moment mid-clip, so that every filmed identity yields usable crops. When a
    crowded view leaves no such spot, the vehicle goes where it fits and its placement says it is not seen.

    Vehicles in a lane share its speed, so spacing set at t=0 holds for the whole clip: no collisions.
    A lane is sometimes stopped (a queue at the lights).
    """
    lane_speed = [0.0 if rng.random() < 0.12 else float(rng.uniform(4, 13)) for _ in LANES]
    placed: list[_Placed] = []
    for size in sizes:
        choice = None
        for attempt in range(STRICT_ATTEMPTS + IN_FRAME_ATTEMPTS + 50):
            lane = int(rng.integers(len(LANES)))
            y, direction = LANES[lane]
            t_mid = float(rng.uniform(0.2, 0.8)) * duration
            stretch = visible_stretch(camera_at(t_mid), y, max_distance)
            if stretch.size == 0:
                continue
            speed = lane_speed[lane]
            candidate = _Placed(
                Trajectory(y, direction, float(rng.choice(stretch)) - direction * speed * t_mid, speed),
                size,
                t_mid,
            )
            relaxed = attempt >= STRICT_ATTEMPTS + IN_FRAME_ATTEMPTS
            if _collides(candidate, placed, gap=0.5 if relaxed else 2.5):
                continue
            if not relaxed and not _seen(candidate, placed, camera_at, attempt < STRICT_ATTEMPTS, duration):
                continue
            choice = replace(candidate, seen=not relaxed)
            break
        placed.append(choice or _queue_behind(size, placed, lane_speed))
    # a vehicle placed later, where it fitted, may stand in front of one placed earlier: only the final
    # traffic says who is seen
    return [
        Placement(p.trajectory, p.seen and not _hidden_among(p, placed, camera_at(p.t_mid))) for p in placed
    ]


def _collides(candidate: _Placed, placed: list[_Placed], gap: float) -> bool:
    mine = candidate.trajectory
    return any(
        other.trajectory.lane_y == mine.lane_y
        and abs(other.trajectory.x0 - mine.x0) <= (other.size[0] + candidate.size[0]) / 2 + gap
        for other in placed
    )


def _seen(candidate: _Placed, placed: list[_Placed], camera_at, unhidden: bool, duration: float) -> bool:
    """Wholly in frame and large enough over SEEN_SPAN_S around its mid time; if `unhidden`, also not hidden
    by a placed vehicle at its mid time, nor hiding one at that one's mid time."""
    start = min(max(candidate.t_mid - SEEN_SPAN_S / 2, 0.0), max(duration - SEEN_SPAN_S, 0.0))
    moments = (start, candidate.t_mid, min(start + SEEN_SPAN_S, duration))
    if not all(_framed(camera_at(t), _box_at(camera_at(t), candidate, t)) for t in moments):
        return False
    return not unhidden or not any(
        _hides(other, candidate, camera_at(candidate.t_mid), candidate.t_mid)
        or _hides(candidate, other, camera_at(other.t_mid), other.t_mid)
        for other in placed
    )


def _hidden_among(placed: _Placed, traffic: list[_Placed], camera: Camera) -> bool:
    """Whether another vehicle of `traffic` hides `placed` at its mid time (seen by `camera` then)."""
    return any(_hides(other, placed, camera, placed.t_mid) for other in traffic if other is not placed)


def _framed(camera: Camera, box) -> bool:
    """A box wholly inside the frame, its shorter side at least MIN_SEEN_PX (in a 720p frame; smaller
    frames scale down alike, as the drone's zoom does)."""
    return (
        box is not None
        and box[0] >= 1
        and box[1] >= 1
        and box[2] <= camera.width - 1
        and box[3] <= camera.height - 1
        and min(box[2] - box[0], box[3] - box[1]) >= MIN_SEEN_PX * camera.width / ZOOM_REFERENCE_WIDTH_PX
    )


def _hides(front: _Placed, back: _Placed, camera: Camera, t: float) -> bool:
    """Whether `front` stands between the camera and `back` at time t, covering much of it."""
    front_box, back_box = _box_at(camera, front, t), _box_at(camera, back, t)
    if front_box is None or back_box is None or _depth(camera, front, t) >= _depth(camera, back, t):
        return False
    return _hidden_share(front_box, back_box) > MAX_HIDDEN


def _box_at(camera: Camera, placed: _Placed, t: float):
    x, y, _ = placed.trajectory.pose(t)
    return image_box(camera, x, y, placed.size)


def _depth(camera: Camera, placed: _Placed, t: float) -> float:
    x, y, _ = placed.trajectory.pose(t)
    return float(np.linalg.norm(np.array([x, y, placed.size[2] / 2]) - camera.position))


def _queue_behind(size, placed: list[_Placed], lane_speed: list[float]) -> _Placed:
    """No free spot in view: the vehicle queues 2.5 m behind the last vehicle of the emptiest lane."""
    counts = [sum(p.trajectory.lane_y == y for p in placed) for y, _ in LANES]
    lane = int(np.argmin(counts))
    y, direction = LANES[lane]
    # rear ends measured along the driving direction
    rears = [direction * p.trajectory.x0 - p.size[0] / 2 for p in placed if p.trajectory.lane_y == y]
    x0 = direction * (min(rears, default=0.0) - 2.5 - size[0] / 2)
    return _Placed(Trajectory(y, direction, x0, lane_speed[lane]), size, 0.0, seen=False)
