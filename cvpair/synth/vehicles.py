"""The identity catalogue: what each synthetic vehicle looks like, fixed once per campaign.

An identity is a body type, a size, a paint colour and two markings: one on the roof (seen by the drone)
and one on the sides (seen from the street). Look-alike groups share type, size and colour and differ only
in their markings, the hard negatives a ReID model must learn to tell apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RGB = tuple[float, float, float]

# (length, width, height) in metres, and how often the type occurs in traffic.
BODY_TYPES: dict[str, tuple[tuple[float, float, float], float]] = {
    "sedan": ((4.6, 1.8, 1.45), 0.34),
    "suv": ((4.7, 1.9, 1.75), 0.25),
    "van": ((5.2, 2.0, 2.3), 0.12),
    "pickup": ((5.3, 1.95, 1.85), 0.11),
    "truck": ((8.5, 2.5, 3.4), 0.09),
    "bus": ((11.5, 2.55, 3.1), 0.09),
}

# Paint albedos (linear 0..1) with their share of the fleet: white, black and greys dominate real traffic.
PAINTS: tuple[tuple[RGB, float], ...] = (
    ((0.86, 0.87, 0.87), 0.22),
    ((0.07, 0.07, 0.08), 0.15),
    ((0.62, 0.63, 0.65), 0.14),
    ((0.38, 0.39, 0.41), 0.13),
    ((0.62, 0.08, 0.07), 0.08),
    ((0.12, 0.25, 0.60), 0.08),
    ((0.07, 0.10, 0.25), 0.04),
    ((0.12, 0.35, 0.18), 0.04),
    ((0.85, 0.70, 0.10), 0.03),
    ((0.85, 0.40, 0.08), 0.03),
    ((0.72, 0.64, 0.50), 0.03),
    ((0.35, 0.22, 0.12), 0.03),
)

MARKING_COLOURS: tuple[RGB, ...] = (
    (0.95, 0.95, 0.95),
    (0.05, 0.05, 0.05),
    (0.85, 0.10, 0.08),
    (0.10, 0.30, 0.80),
    (0.95, 0.75, 0.05),
    (0.10, 0.60, 0.25),
    (0.95, 0.45, 0.05),
)

ROOF_MARKINGS = ("none", "stripes", "cross_band", "patch", "sunroof", "number", "rack")
SIDE_MARKINGS = ("none", "band", "double_band", "logo", "two_tone", "text")


@dataclass(frozen=True)
class Marking:
    """A painted or fitted feature: its kind, colour and a 0..1 parameter that moves or resizes it."""

    kind: str
    colour: RGB
    param: float


@dataclass(frozen=True)
class VehicleSpec:
    """One identity's consistent 3-D appearance."""

    identity: int
    body_type: str
    length: float
    width: float
    height: float
    colour: RGB
    secondary: RGB  # cargo box of a truck, window frames of a bus
    roof: Marking
    side: Marking
    lookalike_group: int | None = None


def make_catalogue(
    count: int, rng: np.random.Generator, lookalike_fraction: float
) -> tuple[VehicleSpec, ...]:
    """`count` identities numbered from 1. Each new look is a look-alike group of 2-3 with probability
    `lookalike_fraction` (0.3 puts about half of the identities in groups), else a single identity."""
    specs: list[VehicleSpec] = []
    group = 0
    while len(specs) < count:
        size = int(rng.integers(2, 4)) if rng.random() < lookalike_fraction else 1
        size = min(size, count - len(specs))
        base = _base_look(rng, shade_jitter=size == 1)
        group_id = group if size > 1 else None
        group += size > 1
        for roof, side in _distinct_markings(rng, size, base["colour"]):
            specs.append(
                VehicleSpec(identity=len(specs) + 1, roof=roof, side=side, lookalike_group=group_id, **base)
            )
    return tuple(specs)


def _base_look(rng: np.random.Generator, shade_jitter: bool) -> dict:
    """Type, size and paint; shared by every member of a look-alike group."""
    types = list(BODY_TYPES)
    weights = np.array([BODY_TYPES[t][1] for t in types])
    body_type = types[rng.choice(len(types), p=weights / weights.sum())]
    (length, width, height), _ = BODY_TYPES[body_type]
    paints = np.array([share for _, share in PAINTS])
    colour = np.array(PAINTS[rng.choice(len(PAINTS), p=paints / paints.sum())][0])
    if shade_jitter:
        colour = np.clip(colour * rng.uniform(0.9, 1.1, 3), 0.02, 0.97)
    secondary = PAINTS[int(rng.integers(len(PAINTS)))][0] if rng.random() < 0.5 else PAINTS[0][0]
    return {
        "body_type": body_type,
        "length": round(length * rng.uniform(0.94, 1.06), 3),
        "width": round(width * rng.uniform(0.96, 1.04), 3),
        "height": round(height * rng.uniform(0.95, 1.05), 3),
        "colour": tuple(round(float(c), 4) for c in colour),
        "secondary": secondary,
    }


def _distinct_markings(rng: np.random.Generator, size: int, paint: RGB) -> list[tuple[Marking, Marking]]:
    """`size` (roof, side) marking pairs. Look-alikes differ in both roof and side kind, so that either
    view alone can tell them apart, and none of them is plain."""
    while True:
        roofs = rng.choice(ROOF_MARKINGS, size=size, replace=False)
        sides = rng.choice(SIDE_MARKINGS, size=size, replace=False)
        plain = sum(r == "none" and s == "none" for r, s in zip(roofs, sides, strict=True))
        if size == 1 or plain == 0:
            return [
                (_marking(rng, str(r), paint), _marking(rng, str(s), paint))
                for r, s in zip(roofs, sides, strict=True)
            ]


def _marking(rng: np.random.Generator, kind: str, paint: RGB) -> Marking:
    """A marking in a colour that stands out from the paint, so that it is visible at all."""
    contrasting = [c for c in MARKING_COLOURS if np.abs(np.subtract(c, paint)).sum() > 0.6]
    colour = contrasting[int(rng.integers(len(contrasting)))]
    return Marking(kind=kind, colour=colour, param=round(float(rng.random()), 4))
