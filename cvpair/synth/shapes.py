"""3-D shapes made of planar faces: vehicles (from a VehicleSpec) and buildings.

A shape is a list of convex parts (boxes whose top may be inset, i.e. prisms with sloped windscreens).
Each face is a planar quad that carries decals (windows, lights, wheels, markings) in its own plane, so
everything is projected in true perspective. Object frame: x forward, y left, z up, origin on the ground
under the vehicle's centre.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from cvpair.synth.vehicles import RGB, Marking, VehicleSpec

GLASS: RGB = (0.07, 0.09, 0.12)
TYRE: RGB = (0.04, 0.04, 0.04)
RIM: RGB = (0.55, 0.56, 0.58)
TRIM: RGB = (0.09, 0.09, 0.10)


@dataclass(frozen=True, eq=False)
class Decal:
    """A flat polygon lying on its face (same normal, same visibility)."""

    points: np.ndarray  # (k, 3)
    albedo: RGB
    glass: bool = False


@dataclass(frozen=True, eq=False)
class Face:
    """A planar quad, corners in order c00, c10, c11, c01 of its (u, v) parameterisation."""

    corners: np.ndarray  # (4, 3)
    albedo: RGB
    normal: np.ndarray  # outward unit normal
    decals: tuple[Decal, ...] = ()


@dataclass(frozen=True, eq=False)
class Part:
    """A convex solid: its visible faces never overlap, so they can be drawn in any order.

    Parts of `level` 0 stand on the ground and are drawn far to near; level 1 parts sit on top of them
    (a cabin on a body) and are drawn afterwards.
    """

    faces: tuple[Face, ...]
    level: int = 0
    centre: np.ndarray = field(default_factory=lambda: np.zeros(3))

    @cached_property
    def mesh(self) -> Mesh:
        """All polygons of the part packed into arrays, so that a frame projects them in one go."""
        points, starts, owners, albedos, glass = [], [0], [], [], []
        for index, face in enumerate(self.faces):
            for polygon, albedo, is_glass in [(face.corners, face.albedo, False)] + [
                (d.points, d.albedo, d.glass) for d in face.decals
            ]:
                points.append(polygon)
                starts.append(starts[-1] + len(polygon))
                owners.append(index)
                albedos.append(albedo)
                glass.append(is_glass)
        return Mesh(
            points=np.concatenate(points),
            starts=np.array(starts),
            owner=np.array(owners),
            albedo=np.array(albedos),
            glass=np.array(glass),
            normals=np.array([f.normal for f in self.faces]),
            face_centres=np.array([f.corners.mean(axis=0) for f in self.faces]),
        )


@dataclass(frozen=True, eq=False)
class Mesh:
    """A part's polygons as arrays: polygon i is points[starts[i]:starts[i+1]] on face owner[i]."""

    points: np.ndarray
    starts: np.ndarray
    owner: np.ndarray
    albedo: np.ndarray
    glass: np.ndarray
    normals: np.ndarray
    face_centres: np.ndarray


def _at(corners: np.ndarray, u: float, v: float) -> np.ndarray:
    """The point at fractions (u, v) of a planar quad (bilinear, so it stays in the plane)."""
    c00, c10, c11, c01 = corners
    return (1 - u) * (1 - v) * c00 + u * (1 - v) * c10 + u * v * c11 + (1 - u) * v * c01


def quad_on(corners: np.ndarray, u0: float, u1: float, v0: float, v1: float) -> np.ndarray:
    return np.array([_at(corners, u0, v0), _at(corners, u1, v0), _at(corners, u1, v1), _at(corners, u0, v1)])


def polygon_on(corners: np.ndarray, uv: np.ndarray) -> np.ndarray:
    return np.array([_at(corners, u, v) for u, v in uv])


def box_faces(
    x0: float,
    x1: float,
    y0: float,
    y1: float,
    z0: float,
    z1: float,
    front: float = 0,
    back: float = 0,
    side: float = 0,
) -> dict[str, np.ndarray]:
    """Corner arrays of a box's top and four sides; the top is inset by `front`, `back` and `side` metres.

    Sides run u back->front (v bottom->top); front/back run u right->left; the top runs u back->front,
    v right->left. The bottom is never seen and is left out.
    """
    xt0, xt1, yt0, yt1 = x0 + back, x1 - front, y0 + side, y1 - side
    p = np.array
    return {
        "top": p([[xt0, yt0, z1], [xt1, yt0, z1], [xt1, yt1, z1], [xt0, yt1, z1]]),
        "left": p([[x0, y1, z0], [x1, y1, z0], [xt1, yt1, z1], [xt0, yt1, z1]]),
        "right": p([[x0, y0, z0], [x1, y0, z0], [xt1, yt0, z1], [xt0, yt0, z1]]),
        "front": p([[x1, y0, z0], [x1, y1, z0], [xt1, yt1, z1], [xt1, yt0, z1]]),
        "back": p([[x0, y0, z0], [x0, y1, z0], [xt0, yt1, z1], [xt0, yt0, z1]]),
    }


def make_part(
    corners: dict[str, np.ndarray], albedo: dict[str, RGB] | RGB, decals: dict, level: int = 0
) -> Part:
    """A Part from box corners; outward normals are worked out from the solid's centre."""
    centre = np.mean([c.mean(axis=0) for c in corners.values()], axis=0)
    faces = []
    for name, c in corners.items():
        normal = np.cross(c[1] - c[0], c[3] - c[0])
        normal = normal / (np.linalg.norm(normal) or 1.0)
        if np.dot(normal, c.mean(axis=0) - centre) < 0:
            normal = -normal
        colour = albedo[name] if isinstance(albedo, dict) else albedo
        faces.append(Face(c, colour, normal, tuple(decals.get(name, ()))))
    return Part(tuple(faces), level, centre)


# ---------------------------------------------------------------------------------------------- vehicles


def vehicle_parts(spec: VehicleSpec) -> tuple[Part, ...]:
    """The parts of one identity's vehicle, markings and all."""
    build = {
        "sedan": _car,
        "suv": _car,
        "pickup": _car,
        "van": _van,
        "truck": _truck,
        "bus": _bus,
    }[spec.body_type]
    return build(spec)


def _wheels(side: np.ndarray, x0: float, x1: float, z0: float, z1: float, xs, radius: float) -> list[Decal]:
    """Tyre and rim octagons on a vertical side face spanning x0..x1, z0..z1."""
    angles = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    decals = []
    for x in xs:
        for r, colour in ((radius, TYRE), (radius * 0.55, RIM)):
            u = (x + r * np.cos(angles) - x0) / (x1 - x0)
            v = (radius + r * np.sin(angles) - z0) / (z1 - z0)
            decals.append(Decal(polygon_on(side, np.stack([u, v], 1)), colour))
    return decals


def _lights(front: np.ndarray, back: np.ndarray) -> dict[str, list[Decal]]:
    return {
        "front": [
            Decal(quad_on(front, 0.06, 0.24, 0.55, 0.8), (0.96, 0.96, 0.9)),
            Decal(quad_on(front, 0.76, 0.94, 0.55, 0.8), (0.96, 0.96, 0.9)),
            Decal(quad_on(front, 0.32, 0.68, 0.35, 0.72), TRIM),
            Decal(quad_on(front, 0.4, 0.6, 0.1, 0.28), (0.92, 0.92, 0.9)),
        ],
        "back": [
            Decal(quad_on(back, 0.05, 0.22, 0.55, 0.82), (0.7, 0.05, 0.04)),
            Decal(quad_on(back, 0.78, 0.95, 0.55, 0.82), (0.7, 0.05, 0.04)),
            Decal(quad_on(back, 0.4, 0.6, 0.12, 0.3), (0.92, 0.92, 0.9)),
        ],
    }


def _cabin_windows(cabin: dict[str, np.ndarray], split: bool = True) -> dict[str, list[Decal]]:
    sides = [(0.07, 0.47), (0.53, 0.93)] if split else [(0.07, 0.93)]
    return {
        "front": [Decal(quad_on(cabin["front"], 0.05, 0.95, 0.08, 0.9), GLASS, glass=True)],
        "back": [Decal(quad_on(cabin["back"], 0.08, 0.92, 0.12, 0.88), GLASS, glass=True)],
        "left": [Decal(quad_on(cabin["left"], u0, u1, 0.12, 0.88), GLASS, glass=True) for u0, u1 in sides],
        "right": [Decal(quad_on(cabin["right"], u0, u1, 0.12, 0.88), GLASS, glass=True) for u0, u1 in sides],
    }


def _car(spec: VehicleSpec) -> tuple[Part, ...]:
    """Sedan, SUV and pickup: a body box, a cabin prism on top (a pickup's is short: its bed is open)."""
    half_l, half_w, h = spec.length / 2, spec.width / 2, spec.height
    shape = {
        # body top / height, cabin start from the back, cabin end from the front, windscreen, rear window
        "sedan": (0.655, 0.9, 1.3, 0.5, 0.45),
        "suv": (0.63, 0.15, 1.25, 0.5, 0.1),
        "pickup": (0.6, 2.45, 1.3, 0.45, 0.05),
    }[spec.body_type]
    body_ratio, cabin_back, cabin_front, front_inset, back_inset = shape
    body_top = body_ratio * h
    clearance = 0.3 if spec.body_type == "sedan" else 0.42
    body = box_faces(-half_l, half_l, -half_w, half_w, clearance, body_top)
    cabin = box_faces(
        -half_l + cabin_back,
        half_l - cabin_front,
        -half_w,
        half_w,
        body_top,
        h,
        front_inset,
        back_inset,
        0.12,
    )
    body_decals = _lights(body["front"], body["back"])
    wheel_x = (-half_l + 0.95, half_l - 0.95)
    for name in ("left", "right"):
        body_decals[name] = _side_marking(body[name], spec.side, (0.08, 0.92), (0.15, 0.95)) + _wheels(
            body[name], -half_l, half_l, clearance, body_top, wheel_x, 0.33
        )
    if spec.body_type == "pickup":
        bed_end = (cabin_back - 0.1) / spec.length
        body_decals["top"] = [Decal(quad_on(body["top"], 0.02, bed_end, 0.07, 0.93), (0.12, 0.12, 0.12))]
    cabin_decals = _cabin_windows(cabin)
    cabin_decals["top"] = _roof_marking(cabin["top"], spec.roof)
    return (make_part(body, spec.colour, body_decals), make_part(cabin, spec.colour, cabin_decals, level=1))


def _van(spec: VehicleSpec) -> tuple[Part, ...]:
    """A panel van: low body and a tall cargo body with a sloped windscreen; markings on the cargo sides."""
    half_l, half_w, h = spec.length / 2, spec.width / 2, spec.height
    body = box_faces(-half_l, half_l, -half_w, half_w, 0.35, 1.05)
    upper = box_faces(-half_l, half_l - 0.55, -half_w, half_w, 1.05, h, front=0.55, side=0.05)
    body_decals = _lights(body["front"], body["back"])
    for name in ("left", "right"):
        body_decals[name] = _wheels(
            body[name], -half_l, half_l, 0.35, 1.05, (-half_l + 1.0, half_l - 1.0), 0.36
        )
    upper_decals = {
        "front": [Decal(quad_on(upper["front"], 0.05, 0.95, 0.1, 0.92), GLASS, glass=True)],
        "back": [Decal(quad_on(upper["back"], 0.1, 0.48, 0.2, 0.85), GLASS, glass=True)]
        + [Decal(quad_on(upper["back"], 0.52, 0.9, 0.2, 0.85), GLASS, glass=True)],
        "top": _roof_marking(upper["top"], spec.roof),
    }
    for name in ("left", "right"):
        upper_decals[name] = _side_marking(upper[name], spec.side, (0.04, 0.72), (0.05, 0.9)) + [
            Decal(quad_on(upper[name], 0.78, 0.96, 0.4, 0.9), GLASS, glass=True)
        ]
    return (make_part(body, spec.colour, body_decals), make_part(upper, spec.colour, upper_decals, level=1))


def _truck(spec: VehicleSpec) -> tuple[Part, ...]:
    """A box truck: dark chassis, a cab in the paint colour and a cargo box in the secondary colour."""
    half_l, half_w, h = spec.length / 2, spec.width / 2, spec.height
    chassis = box_faces(-half_l, half_l, -half_w + 0.1, half_w - 0.1, 0.45, 0.95)
    cab = box_faces(half_l - 2.0, half_l, -half_w, half_w, 0.5, 2.9, front=0.15, side=0.05)
    cargo = box_faces(-half_l, half_l - 2.15, -half_w, half_w, 0.95, h)
    chassis_decals = {}
    for name in ("left", "right"):
        chassis_decals[name] = _wheels(
            chassis[name], -half_l, half_l, 0.45, 0.95, (-half_l + 1.2, -half_l + 2.3, half_l - 1.2), 0.5
        )
    cab_decals = {
        "front": [Decal(quad_on(cab["front"], 0.06, 0.94, 0.55, 0.92), GLASS, glass=True)]
        + _lights(cab["front"], cab["back"])["front"][:2],
        "left": [Decal(quad_on(cab["left"], 0.45, 0.9, 0.58, 0.9), GLASS, glass=True)],
        "right": [Decal(quad_on(cab["right"], 0.45, 0.9, 0.58, 0.9), GLASS, glass=True)],
    }
    cargo_decals = {
        "top": _roof_marking(cargo["top"], spec.roof),
        "back": [Decal(quad_on(cargo["back"], 0.49, 0.51, 0.02, 0.98), TRIM)],
    }
    for name in ("left", "right"):
        cargo_decals[name] = _side_marking(cargo[name], spec.side, (0.05, 0.95), (0.08, 0.92))
    return (
        make_part(chassis, TRIM, chassis_decals),
        make_part(cab, spec.colour, cab_decals, level=1),
        make_part(cargo, spec.secondary, cargo_decals, level=1),
    )


def _bus(spec: VehicleSpec) -> tuple[Part, ...]:
    """A city bus: one tall box with a window band, a big windscreen and a roof fitting."""
    half_l, half_w, h = spec.length / 2, spec.width / 2, spec.height
    body = box_faces(-half_l, half_l, -half_w, half_w, 0.3, h, front=0.05, back=0.05, side=0.03)
    decals = {
        "front": [
            Decal(quad_on(body["front"], 0.04, 0.96, 0.42, 0.94), GLASS, glass=True),
            Decal(quad_on(body["front"], 0.06, 0.2, 0.12, 0.22), (0.96, 0.96, 0.9)),
            Decal(quad_on(body["front"], 0.8, 0.94, 0.12, 0.22), (0.96, 0.96, 0.9)),
        ],
        "back": [Decal(quad_on(body["back"], 0.1, 0.9, 0.6, 0.9), GLASS, glass=True)]
        + _lights(body["front"], body["back"])["back"][:2],
        "top": _roof_marking(body["top"], spec.roof),
    }
    panes = np.linspace(0.03, 0.97, 7)
    for name in ("left", "right"):
        windows = [
            Decal(quad_on(body[name], u0 + 0.005, u1 - 0.005, 0.5, 0.88), GLASS, glass=True)
            for u0, u1 in zip(panes[:-1], panes[1:], strict=True)
        ]
        frame = [Decal(quad_on(body[name], 0.02, 0.98, 0.47, 0.91), spec.secondary)]
        decals[name] = (
            frame
            + windows
            + _side_marking(body[name], spec.side, (0.05, 0.95), (0.08, 0.42))
            + _wheels(body[name], -half_l, half_l, 0.3, h, (-half_l + 2.6, half_l - 2.4), 0.5)
        )
    unit = box_faces(-1.2, 1.2, -0.7, 0.7, h, h + 0.3, front=0.1, back=0.1, side=0.1)
    return (make_part(body, spec.colour, decals), make_part(unit, (0.55, 0.56, 0.57), {}, level=1))


def _roof_marking(top: np.ndarray, marking: Marking) -> list[Decal]:
    """Decals of a roof marking on a top face (u along the vehicle, v across it)."""
    p, colour = marking.param, marking.colour
    if marking.kind == "stripes":
        w = 0.06 + 0.06 * p
        return [Decal(quad_on(top, 0.02, 0.98, 0.5 - 0.03 - w, 0.47), colour)] + [
            Decal(quad_on(top, 0.02, 0.98, 0.53, 0.53 + w), colour)
        ]
    if marking.kind == "cross_band":
        u0 = 0.2 + 0.45 * p
        return [Decal(quad_on(top, u0, u0 + 0.15, 0.02, 0.98), colour)]
    if marking.kind == "patch":
        return [Decal(quad_on(top, 0.22, 0.78, 0.18 + 0.1 * p, 0.82 - 0.1 * p), colour)]
    if marking.kind == "sunroof":
        return [Decal(quad_on(top, 0.42, 0.82, 0.2, 0.8), GLASS, glass=True)]
    if marking.kind == "number":
        digits = 2 + int(p * 2.99)
        plate = [Decal(quad_on(top, 0.2, 0.8, 0.2, 0.8), (0.95, 0.95, 0.95))]
        width = 0.5 / digits
        return plate + [
            Decal(quad_on(top, 0.25 + i * width + 0.02, 0.25 + (i + 1) * width - 0.02, 0.3, 0.7), colour)
            for i in range(digits)
        ]
    if marking.kind == "rack":
        rails = [Decal(quad_on(top, 0.05, 0.95, v, v + 0.05), TRIM) for v in (0.08, 0.87)]
        bars = [Decal(quad_on(top, u, u + 0.04, 0.08, 0.92), TRIM) for u in (0.25 + 0.1 * p, 0.7)]
        return rails + bars
    return []


def _side_marking(side: np.ndarray, marking: Marking, u_range, v_range) -> list[Decal]:
    """Decals of a side marking inside the (u, v) window of a side face that is free for it."""
    p, colour = marking.param, marking.colour
    (ua, ub), (va, vb) = u_range, v_range

    def sub(u0, u1, v0, v1):
        return quad_on(
            side, ua + (ub - ua) * u0, ua + (ub - ua) * u1, va + (vb - va) * v0, va + (vb - va) * v1
        )

    if marking.kind == "band":
        v0 = 0.3 + 0.4 * p
        return [Decal(sub(0.0, 1.0, v0, v0 + 0.18), colour)]
    if marking.kind == "double_band":
        return [
            Decal(sub(0.0, 1.0, 0.3, 0.38), colour),
            Decal(sub(0.0, 1.0, 0.48 + 0.2 * p, 0.56 + 0.2 * p), colour),
        ]
    if marking.kind == "logo":
        u0 = 0.3 + 0.2 * p
        return [
            Decal(sub(u0, u0 + 0.3, 0.25, 0.85), colour),
            Decal(sub(u0 + 0.07, u0 + 0.23, 0.4, 0.7), (0.95, 0.95, 0.95)),
        ]
    if marking.kind == "two_tone":
        return [Decal(sub(0.0, 1.0, 0.0, 0.3 + 0.15 * p), colour)]
    if marking.kind == "text":
        letters = 4 + int(p * 4.99)
        step = 0.7 / letters
        return [
            Decal(sub(0.15 + i * step, 0.15 + i * step + step * 0.7, 0.45, 0.7), colour)
            for i in range(letters)
        ]
    return []


# ---------------------------------------------------------------------------------------------- buildings


def building_part(
    x0: float,
    x1: float,
    y0: float,
    y1: float,
    height: float,
    colour: RGB,
    facing: int,
    storey: float,
    ribbon: bool,
) -> Part:
    """A block of flats or offices, windowed on the facade that faces the road (`facing`: -1 or +1 in y)."""
    faces = box_faces(x0, x1, y0, y1, 0.0, height)
    road_side = "right" if facing < 0 else "left"
    floors = max(1, int(height / storey))
    facade = faces[road_side]
    # a glass band per floor, cut into windows by piers in the wall colour: floors + columns polygons
    windows = [
        Decal(quad_on(facade, 0.04, 0.96, (f + 0.3) / floors, (f + 0.75) / floors), GLASS, glass=True)
        for f in range(floors)
    ]
    if not ribbon:
        columns = max(1, int((x1 - x0) / 3.2))
        windows += [
            Decal(quad_on(facade, (c - 0.25) / columns, (c + 0.25) / columns, 0.0, 1.0), colour)
            for c in range(1, columns)
        ]
    roof = [Decal(quad_on(faces["top"], 0.08, 0.92, 0.08, 0.92), tuple(0.8 * c for c in colour))]
    return make_part(faces, colour, {road_side: windows, "top": roof})
