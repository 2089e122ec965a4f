"""Pinhole cameras and the rigs that move them: a drone (altitude, gimbal pitch, hover or flight) and a
street camera on a pole or a tripod at the roadside.

World frame: x along the road, y to its left, z up, metres. Camera frame (OpenCV): x right, y down,
z forward. Focal lengths are 35 mm equivalents, as DJI telemetry reports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

NEAR_M = 0.3  # near clipping plane


@dataclass(frozen=True, eq=False)
class Camera:
    """One camera pose with its intrinsics; projects world points to pixels."""

    width: int
    height: int
    focal_mm: float
    position: np.ndarray  # (3,)
    yaw: float  # radians, direction of view in the ground plane, counter-clockwise from +x
    pitch: float  # radians, negative looks down

    @property
    def focal_px(self) -> float:
        return self.width * self.focal_mm / 36.0

    @cached_property
    def intrinsics(self) -> np.ndarray:
        f = self.focal_px
        return np.array([[f, 0, self.width / 2], [0, f, self.height / 2], [0, 0, 1.0]])

    @cached_property
    def rotation(self) -> np.ndarray:
        """Rows are the camera's right, down and forward axes in world coordinates."""
        cy, sy, cp, sp = np.cos(self.yaw), np.sin(self.yaw), np.cos(self.pitch), np.sin(self.pitch)
        forward = np.array([cp * cy, cp * sy, sp])
        right = np.array([sy, -cy, 0.0])
        return np.stack([right, np.cross(forward, right), forward])

    def to_camera(self, points: np.ndarray) -> np.ndarray:
        return (points - self.position) @ self.rotation.T

    def project_camera(self, points_cam: np.ndarray) -> np.ndarray:
        """Pixels of camera-frame points that lie in front of the near plane."""
        f = self.focal_px
        return np.stack(
            [
                f * points_cam[:, 0] / points_cam[:, 2] + self.width / 2,
                f * points_cam[:, 1] / points_cam[:, 2] + self.height / 2,
            ],
            axis=1,
        )

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(pixels, depth) of world points; pixels are meaningless where depth <= NEAR_M."""
        cam = self.to_camera(points)
        depth = cam[:, 2]
        safe = cam.copy()
        safe[:, 2] = np.where(depth > NEAR_M, depth, NEAR_M)
        return self.project_camera(safe), depth

    def ground_homography(self) -> np.ndarray:
        """Maps ground-plane points (x, y, 1) to homogeneous pixels."""
        r = self.rotation
        t = -r @ self.position
        return self.intrinsics @ np.column_stack([r[:, 0], r[:, 1], t])

    def ground_point(self, u: float, v: float) -> np.ndarray | None:
        """Where the ray through pixel (u, v) meets the ground, or None if it points at the sky."""
        ray = self.rotation.T @ np.linalg.inv(self.intrinsics) @ np.array([u, v, 1.0])
        if ray[2] >= -1e-6:
            return None
        return self.position + ray * (-self.position[2] / ray[2])


@dataclass(frozen=True)
class Rig:
    """A camera's pose over time: a start position and a constant velocity (zero for a hovering drone)."""

    start: tuple[float, float, float]
    velocity: tuple[float, float, float]
    yaw: float
    pitch: float
    focal_mm: float

    @property
    def moving(self) -> bool:
        return any(self.velocity)

    def camera(self, t: float, width: int, height: int) -> Camera:
        position = np.add(self.start, np.multiply(self.velocity, t))
        return Camera(width, height, self.focal_mm, position, self.yaw, self.pitch)


# DJI zoom steps (35 mm equivalent): the pilot zooms in when flying high so vehicles stay large enough.
DRONE_FOCALS_MM = (24.0, 48.0, 70.0, 112.0, 166.0)
STREET_FOCALS_MM = (24.0, 28.0, 35.0)
ZOOM_REFERENCE_WIDTH_PX = 1280  # the zoom is chosen as for a 720p frame, so smaller frames scale down alike


def aerial_rig(
    rng: np.random.Generator, look_at: tuple[float, float], corridor: float, duration: float
) -> Rig:
    """A drone 20-120 m up, gimbal -30..-90 degrees, hovering or flying along the road, centred on `look_at`.

    The drone stays above the street corridor (|y| < `corridor`) so no building stands between it and
    the road, and the focal length is the shortest zoom step that keeps a car at least ~34 px wide.
    """
    altitude = float(rng.uniform(20.5, 119.5))  # margin for the barometer's wander in the telemetry
    pitch = float(np.radians(rng.uniform(-90, -30)))
    reach = altitude / np.tan(-pitch)  # horizontal distance from the drone to the point it looks at
    for _ in range(64):
        yaw = float(rng.uniform(-np.pi, np.pi))
        if abs(look_at[1] - reach * np.sin(yaw)) < corridor:
            break
    else:
        yaw = 0.0 if rng.random() < 0.5 else float(np.pi)
    slant = altitude / np.sin(-pitch)
    car_px = [1.8 * (ZOOM_REFERENCE_WIDTH_PX * f / 36) / slant for f in DRONE_FOCALS_MM]
    focal = next((f for f, px in zip(DRONE_FOCALS_MM, car_px, strict=True) if px >= 34), DRONE_FOCALS_MM[-1])
    speed = float(rng.uniform(2, 9)) * rng.choice([-1, 1]) if rng.random() < 0.5 else 0.0
    x0 = look_at[0] - reach * np.cos(yaw) - speed * duration / 2
    y0 = look_at[1] - reach * np.sin(yaw)
    return Rig((float(x0), float(y0), altitude), (speed, 0.0, 0.0), yaw, pitch, focal)


def ground_rig(rng: np.random.Generator, road_half: float, pavement: float, x: float) -> Rig:
    """A static street camera 1.2-6 m up on the pavement, looking along and across the road, pitch 0..-20."""
    height = float(rng.uniform(1.2, 6.0))
    side = float(rng.choice([-1, 1]))
    y = side * (road_half + rng.uniform(0.6, pavement - 0.4))
    along = float(rng.choice([0.0, np.pi]))
    towards_road = float(np.radians(rng.uniform(12, 50)))
    # turning towards the road: from +x, the road (y=0) lies at -side; from -x at +side
    yaw = along - side * towards_road if along == 0.0 else along + side * towards_road
    target = float(rng.uniform(10, 35))
    pitch = float(np.clip(-np.arctan2(height, target), np.radians(-20), 0.0))
    focal = float(rng.choice(STREET_FOCALS_MM))
    return Rig((x, y, height), (0.0, 0.0, 0.0), yaw, pitch, focal)
