"""Per-clip light: sun direction and strength, sky, exposure and white balance, shadows and haze."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Lighting:
    sun_azimuth: float  # radians in the world frame
    sun_elevation: float  # radians above the horizon
    sun: float  # direct light strength
    ambient: float  # sky light strength
    exposure: float
    tint: tuple[float, float, float]  # white balance error of the camera
    shadow: float  # how much a vehicle's shadow darkens the ground (0 when overcast)
    haze_m: float  # distance at which the air hides ~63 % of the scene
    sky: tuple[float, float, float]  # sky colour at the zenith, 0..1
    shutter_s: float
    iso: int
    colour_temperature: int

    @property
    def sun_direction(self) -> np.ndarray:
        """Unit vector towards the sun."""
        ce = np.cos(self.sun_elevation)
        return np.array(
            [ce * np.cos(self.sun_azimuth), ce * np.sin(self.sun_azimuth), np.sin(self.sun_elevation)]
        )

    def shade(self, normals: np.ndarray) -> np.ndarray:
        """RGB factors (0..255 scale), one row per normal, that turn albedo into pixel values."""
        normals = np.atleast_2d(normals)
        lambert = np.maximum(normals @ self.sun_direction, 0.0)
        sky = 0.6 + 0.4 * np.maximum(normals[:, 2], 0.0)  # vertical faces see about half the sky
        light = self.ambient * sky + self.sun * lambert
        return 255.0 * self.exposure * light[:, None] * np.array(self.tint)

    def glass(self, normals: np.ndarray) -> np.ndarray:
        """Extra light windows reflect: the sky, more on windows that face up."""
        normals = np.atleast_2d(normals)
        return (
            255.0 * self.exposure * (0.1 + 0.3 * np.maximum(normals[:, 2], 0.0))[:, None] * np.array(self.sky)
        )

    def shadow_offset(self, height: float) -> np.ndarray:
        """Ground offset (x, y) of the shadow of a point `height` metres up."""
        reach = height / np.tan(self.sun_elevation)
        return -reach * np.array([np.cos(self.sun_azimuth), np.sin(self.sun_azimuth)])


def sample_lighting(rng: np.random.Generator) -> Lighting:
    """Sunny, hazy or overcast daylight with a plausible exposure for it."""
    overcast = rng.random() < 0.3
    warmth = float(rng.uniform(-1, 1))
    if overcast:
        sun, ambient, shadow, shutter = 0.12, 0.85, 0.0, float(rng.choice([1 / 60, 1 / 120, 1 / 250]))
    else:
        sun, ambient, shadow = (
            float(rng.uniform(0.5, 0.75)),
            float(rng.uniform(0.35, 0.5)),
            float(rng.uniform(0.3, 0.5)),
        )
        shutter = float(rng.choice([1 / 120, 1 / 250, 1 / 500, 1 / 1000, 1 / 2000]))
    blue = 0.55 if overcast else 0.85
    return Lighting(
        sun_azimuth=float(rng.uniform(-np.pi, np.pi)),
        sun_elevation=float(np.radians(rng.uniform(35, 75))),
        sun=sun,
        ambient=ambient,
        exposure=float(rng.uniform(0.75, 1.2)),
        tint=(1 + 0.06 * warmth, 1.0, 1 - 0.06 * warmth),
        shadow=shadow,
        haze_m=float(rng.uniform(250, 900)),
        sky=(0.6 if overcast else 0.45, 0.62 if overcast else 0.62, blue),
        shutter_s=shutter,
        iso=int(rng.choice([100, 100, 200, 400])),
        colour_temperature=int(5500 - 600 * warmth),
    )
