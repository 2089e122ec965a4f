"""Draws frames in true perspective with numpy and OpenCV, and measures what the annotations need.

Ground: the site's texture warped through the camera's ground homography, sky above the horizon, haze
with distance. Solids (buildings, vehicles): planar faces, back faces culled, painter's order (far to
near). Each vehicle is drawn into its own layer, blurred along its image motion during the exposure and
composited, which also gives its silhouette: the annotation box and how much of it others hide.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

from cvpair.synth.cameras import NEAR_M, Camera, Rig
from cvpair.synth.lighting import Lighting
from cvpair.synth.scene import Site, Trajectory
from cvpair.synth.shapes import Part

SMOOTH = np.outer([1, 2, 1], [1, 2, 1]).astype(np.float32) / 16  # edge anti-aliasing of vehicle layers
SUBPIXEL = 16
MIN_LEVEL = 4  # darkest drawn colour, so that a vehicle's layer is non-zero exactly where it is
MIN_BOX_SIDE_PX = 4
MAX_BLUR_PX = 24.0
CLEAR_AIR_M = 150.0  # haze only shows beyond this distance
FAR_GROUND = (110, 112, 104)  # albedo of the land beyond the site's texture


@dataclass(frozen=True, eq=False)
class Actor:
    """A vehicle in a clip: its track, identity, shape and path."""

    track_id: int
    identity: int
    parts: tuple[Part, ...]
    trajectory: Trajectory
    length: float
    width: float
    height: float


@dataclass(frozen=True)
class Observation:
    """What an annotator sees of one vehicle in one frame."""

    track_id: int
    box: tuple[float, float, float, float] | None  # xtl, ytl, xbr, ybr clipped to the frame; None: outside
    visible_fraction: float  # share of its in-frame silhouette that no other vehicle hides


def _clip_near(points: np.ndarray) -> np.ndarray:
    """Sutherland-Hodgman clip of a camera-frame polygon to z >= NEAR_M."""
    out = []
    for a, b in zip(points, np.roll(points, -1, axis=0), strict=True):
        a_in, b_in = a[2] >= NEAR_M, b[2] >= NEAR_M
        if a_in:
            out.append(a)
        if a_in != b_in:
            s = (NEAR_M - a[2]) / (b[2] - a[2])
            out.append(a + s * (b - a))
    return np.array(out)


def _clip_rect(points: np.ndarray, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    """Sutherland-Hodgman clip of a 2-D polygon to a rectangle (keeps fillPoly's integers in range)."""
    for axis, bound, keep_above in ((0, x0, True), (0, x1, False), (1, y0, True), (1, y1, False)):
        if len(points) == 0:
            break
        out = []
        for a, b in zip(points, np.roll(points, -1, axis=0), strict=True):
            a_in = a[axis] >= bound if keep_above else a[axis] <= bound
            b_in = b[axis] >= bound if keep_above else b[axis] <= bound
            if a_in:
                out.append(a)
            if a_in != b_in:
                out.append(a + (bound - a[axis]) / (b[axis] - a[axis]) * (b - a))
        points = np.array(out)
    return points


def project_polygon(camera: Camera, points: np.ndarray) -> np.ndarray | None:
    """Pixel polygon of a world polygon, clipped to the near plane and to a guard band around the frame."""
    cam = camera.to_camera(points)
    if (cam[:, 2] < NEAR_M).any():
        cam = _clip_near(cam)
        if len(cam) < 3:
            return None
    pixels = camera.project_camera(cam)
    w, h = camera.width, camera.height
    if np.abs(pixels).max() > 4 * max(w, h):
        pixels = _clip_rect(pixels, -w, -h, 2 * w, 2 * h)
        if len(pixels) < 3:
            return None
    return pixels


def _fixed(pixels: np.ndarray) -> np.ndarray:
    """Pixel coordinates in OpenCV's fixed point (4 fractional bits) for sub-pixel accurate fills."""
    return np.round(pixels * SUBPIXEL).astype(np.int32)


def _fill(image: np.ndarray, polygon: np.ndarray, colour, origin=(0, 0)) -> None:
    """Fills a fixed-point polygon; `origin` (whole pixels) is the image's place in the frame."""
    points = polygon - np.array(origin, np.int32) * SUBPIXEL if origin != (0, 0) else polygon
    cv2.fillPoly(image, [points], colour, cv2.LINE_8, shift=4)


def _motion_kernel(vector: np.ndarray) -> np.ndarray:
    """The anti-aliasing kernel smeared along `vector` (pixels moved while the shutter was open)."""
    length = float(np.hypot(*vector))
    if length < 1.0:
        return SMOOTH
    if length > MAX_BLUR_PX:  # a vehicle brushing past the lens: keep the smear (and the filter) bounded
        vector, length = vector * (MAX_BLUR_PX / length), MAX_BLUR_PX
    size = int(np.ceil(length)) | 1
    line = np.zeros((size, size), np.float32)
    c = size // 2
    d = vector / 2
    cv2.line(
        line,
        (round((c - d[0]) * 16), round((c - d[1]) * 16)),
        (round((c + d[0]) * 16), round((c + d[1]) * 16)),
        1.0,
        1,
        cv2.LINE_AA,
        shift=4,
    )
    line /= line.sum()
    return cv2.filter2D(np.pad(line, 1), -1, SMOOTH, borderType=cv2.BORDER_CONSTANT)


@dataclass(frozen=True, eq=False)
class _Drawn:
    """Pixel polygons and colours of a solid seen from one camera, in drawing order."""

    polygons: list[tuple[np.ndarray, tuple[float, float, float]]]  # fixed-point points, RGB

    def bounds(self) -> tuple[float, float, float, float] | None:
        if not self.polygons:
            return None
        points = np.concatenate([p for p, _ in self.polygons]) / SUBPIXEL
        return points[:, 0].min(), points[:, 1].min(), points[:, 0].max(), points[:, 1].max()


class FrameRenderer:
    """Renders the frames of one clip and reports every vehicle's box and visibility."""

    def __init__(
        self,
        site: Site,
        lighting: Lighting,
        rig: Rig,
        actors: tuple[Actor, ...],
        width: int,
        height: int,
        fps: int,
        noise_sigma: float,
        noise_seed: tuple[int, ...],
    ) -> None:
        self.site, self.lighting, self.rig, self.actors = site, lighting, rig, actors
        self.width, self.height, self.fps = width, height, fps
        rng = np.random.default_rng(noise_seed)
        grain = (rng.standard_normal((height, width, 3), dtype=np.float32) * noise_sigma).astype(np.int16)
        self.noise = [np.roll(grain, shift, axis=(0, 1)) for shift in ((0, 0), (37, 101), (211, 53))]
        self._static_background = None if rig.moving else self._background(self.camera(0.0))

    def camera(self, t: float) -> Camera:
        if not self.rig.moving:
            return self._still
        return self.rig.camera(t, self.width, self.height)

    @cached_property
    def _still(self) -> Camera:
        return self.rig.camera(0.0, self.width, self.height)

    @cached_property
    def _shadow_table(self) -> np.ndarray:
        return (np.arange(256) * (1 - self.lighting.shadow)).astype(np.uint8)

    @cached_property
    def _ground_light(self) -> np.ndarray:
        """Colour matrix that lights the ground's albedo (used by cv2.transform, which saturates)."""
        return np.diag(self.lighting.shade(np.array([0.0, 0.0, 1.0]))[0] / 255.0).astype(np.float32)

    # ------------------------------------------------------------------------------------ background

    def _background(self, camera: Camera) -> np.ndarray:
        """Ground, sky, haze and buildings: everything that does not move."""
        h, w = self.height, self.width
        warp = camera.ground_homography() @ self.site.texel_to_world()
        haze_colour = np.clip(np.array(self.lighting.sky) * 255 * self.lighting.exposure * 1.1, 0, 255)
        image = cv2.warpPerspective(
            self.site.texture, warp, (w, h), flags=cv2.INTER_LINEAR, borderValue=FAR_GROUND
        )
        image = cv2.transform(image, self._ground_light)
        rows = np.arange(h, dtype=np.float64) + 0.5
        below = -camera.pitch + np.arctan((rows - h / 2) / camera.focal_px)  # angle of each row below level
        distance = np.where(below > 1e-3, camera.position[2] / np.sin(np.maximum(below, 1e-3)), np.inf)
        fog = 1 - np.exp(-np.maximum(distance - CLEAR_AIR_M, 0) / self.lighting.haze_m)
        hazy = fog > 0.01
        if hazy.any():
            band = image[hazy].astype(np.float32)
            alpha = fog[hazy][:, None, None].astype(np.float32)
            image[hazy] = (band * (1 - alpha) + haze_colour.astype(np.float32) * alpha).astype(np.uint8)
        sky_rows = np.nonzero(below <= 1e-3)[0]
        if sky_rows.size:
            up = np.clip(-below[sky_rows] / 0.6, 0, 1)[:, None]
            sky = (
                haze_colour * (1 - up) + np.array(self.lighting.sky) * 255 * self.lighting.exposure * up * 0.9
            )
            image[sky_rows] = np.clip(sky, 0, 255).astype(np.uint8)[:, None, :]
        depth = [np.linalg.norm(part.centre - camera.position) for part in self.site.buildings]
        for index in np.argsort(depth)[::-1]:
            for polygon, colour in self._solid(
                camera, (self.site.buildings[index],), np.eye(3), np.zeros(3)
            ).polygons:
                _fill(image, polygon, colour)
        return image

    # ------------------------------------------------------------------------------------ solids

    def _solid(self, camera: Camera, parts, rotation: np.ndarray, offset: np.ndarray) -> _Drawn:
        """Visible faces and decals of the parts (already in drawing order), lit and projected."""
        polygons = []
        frame = np.array([camera.width, camera.height])
        guard = 4 * max(camera.width, camera.height)
        for part in parts:
            mesh = part.mesh
            normals = mesh.normals @ rotation.T
            centres = mesh.face_centres @ rotation.T + offset
            facing = ((camera.position - centres) * normals).sum(axis=1) > 0
            if not facing.any():
                continue
            cam = camera.to_camera(mesh.points @ rotation.T + offset)
            ahead = cam[:, 2] >= NEAR_M
            pixels = camera.project_camera(np.where(ahead[:, None], cam, [0.0, 0.0, 1.0]))
            in_front = pixels[ahead]
            beside = (in_front < 0).all(axis=0).any() or (in_front > frame).all(axis=0).any()
            if ahead.all() and beside:
                continue  # wholly left of, right of, above or below the frame
            colours = mesh.albedo * self.lighting.shade(normals)[mesh.owner]
            colours += mesh.glass[:, None] * self.lighting.glass(normals)[mesh.owner]
            colours = np.clip(colours, MIN_LEVEL, 255).tolist()
            fixed = _fixed(np.clip(pixels, -guard, guard))
            for i in np.nonzero(facing[mesh.owner])[0]:
                a, b = mesh.starts[i], mesh.starts[i + 1]
                if ahead[a:b].all() and np.abs(pixels[a:b]).max() < guard:
                    polygons.append((fixed[a:b], tuple(colours[i])))
                    continue
                polygon = project_polygon(camera, mesh.points[a:b] @ rotation.T + offset)
                if polygon is not None and len(polygon) >= 3:
                    polygons.append((_fixed(polygon), tuple(colours[i])))
        return _Drawn(polygons)

    def _vehicle(self, camera: Camera, actor: Actor, t: float) -> _Drawn:
        x, y, heading = actor.trajectory.pose(t)
        rotation = _yaw_matrix(heading)
        offset = np.array([x, y, 0.0])
        centres = [rotation @ p.centre + offset for p in actor.parts]
        order = sorted(
            range(len(actor.parts)),
            key=lambda i: (actor.parts[i].level, -np.linalg.norm(centres[i] - camera.position)),
        )
        return self._solid(camera, [actor.parts[i] for i in order], rotation, offset)

    def _image_motion(self, point: np.ndarray, point_later: np.ndarray, t: float) -> np.ndarray:
        """Pixels a point moves while the shutter is open."""
        shutter = self.lighting.shutter_s
        now, _ = self.camera(t).project(point[None])
        later, _ = self.camera(t + shutter).project(point_later[None])
        return (later - now)[0]

    def _shadows(self, image: np.ndarray, camera: Camera, t: float) -> None:
        """Darkens the ground under and beside each vehicle, away from the sun."""
        if self.lighting.shadow <= 0:
            return
        shapes = []
        for actor in self.actors:
            x, y, heading = actor.trajectory.pose(t)
            half = np.array([[1, 1], [1, -1], [-1, -1], [-1, 1]]) * [actor.length / 2, actor.width / 2]
            footprint = half @ _yaw_matrix(heading)[:2, :2].T + [x, y]
            cast = footprint + self.lighting.shadow_offset(actor.height * 0.85)
            hull = cv2.convexHull(np.concatenate([footprint, cast]).astype(np.float32))[:, 0, :]
            pixels = project_polygon(camera, np.column_stack([hull, np.full(len(hull), 0.01)]))
            if pixels is not None and len(pixels) >= 3:
                shapes.append(pixels)
        mask = np.zeros(image.shape[:2], np.uint8)
        for pixels in shapes:
            _fill(mask, _fixed(pixels), 1)
        for pixels in shapes:  # darken shadow by shadow, each pixel once, to touch only small regions
            c0, r0 = np.clip(np.floor(pixels.min(axis=0)).astype(int), 0, [self.width, self.height])
            c1, r1 = np.clip(np.ceil(pixels.max(axis=0)).astype(int) + 1, 0, [self.width, self.height])
            inside = mask[r0:r1, c0:c1]
            if inside.any():
                region = image[r0:r1, c0:c1]
                np.copyto(region, cv2.LUT(region, self._shadow_table), where=inside[..., None].astype(bool))
                inside[:] = 0

    # ------------------------------------------------------------------------------------ frames

    def render(self, frame: int) -> tuple[np.ndarray, list[Observation]]:
        """The RGB frame `frame` and one observation per actor."""
        t = frame / self.fps
        camera = self.camera(t)
        if self._static_background is not None:
            image = self._static_background.copy()
        else:
            image = self._background(camera)
            centre = camera.ground_point(self.width / 2, self.height / 2)
            if centre is not None:
                kernel = _motion_kernel(self._image_motion(centre, centre, t))
                if kernel.shape[0] > 3:
                    image = cv2.filter2D(image, -1, kernel)
        self._shadows(image, camera, t)
        labels = np.zeros((self.height, self.width), np.int16)
        solid_area = np.zeros(len(self.actors) + 1)
        boxes: list[tuple[float, float, float, float] | None] = [None] * len(self.actors)
        distance = [
            np.linalg.norm(np.array(a.trajectory.pose(t)[:2] + (a.height / 2,)) - camera.position)
            for a in self.actors
        ]
        for index in np.argsort(distance, kind="stable")[::-1]:
            actor = self.actors[index]
            drawn = self._vehicle(camera, actor, t)
            bounds = drawn.bounds()
            if bounds is None:
                continue
            x, y, _ = actor.trajectory.pose(t)
            centre = np.array([x, y, actor.height / 2])
            x_later, y_later, _ = actor.trajectory.pose(t + self.lighting.shutter_s)
            kernel = _motion_kernel(
                self._image_motion(centre, np.array([x_later, y_later, actor.height / 2]), t)
            )
            box, silhouette = self._composite(image, drawn, bounds, kernel, labels, int(index) + 1)
            boxes[index] = box
            solid_area[index + 1] = silhouette
        visible = np.bincount(labels.ravel(), minlength=len(self.actors) + 1)
        observations = [
            Observation(
                actor.track_id,
                boxes[i],
                float(visible[i + 1] / solid_area[i + 1]) if solid_area[i + 1] else 0.0,
            )
            for i, actor in enumerate(self.actors)
        ]
        image = cv2.add(image, self.noise[frame % len(self.noise)], dtype=cv2.CV_8U)
        return image, observations

    def _composite(self, image, drawn: _Drawn, bounds, kernel: np.ndarray, labels, label: int):
        """Draws one vehicle over the image; returns its box (None when out of frame) and silhouette area."""
        reach = kernel.shape[0] // 2
        x0, y0, x1, y1 = bounds
        full = (x0 - reach, y0 - reach, x1 + reach, y1 + reach)
        clipped = (max(full[0], 0.0), max(full[1], 0.0), min(full[2], self.width), min(full[3], self.height))
        width, height = clipped[2] - clipped[0], clipped[3] - clipped[1]
        if width <= 0 or height <= 0:
            return None, 0
        c0, r0 = int(np.floor(clipped[0])), int(np.floor(clipped[1]))
        c1, r1 = int(np.ceil(clipped[2])), int(np.ceil(clipped[3]))
        layer = np.zeros((r1 - r0, c1 - c0, 3), np.uint8)  # premultiplied: black where there is no vehicle
        for polygon, colour in drawn.polygons:
            _fill(layer, polygon, colour, (c0, r0))
        solid = cv2.cvtColor(layer, cv2.COLOR_RGB2GRAY) > 0  # every vehicle colour is at least MIN_LEVEL
        labels[r0:r1, c0:c1][solid] = label
        layer = cv2.filter2D(layer, -1, kernel, borderType=cv2.BORDER_CONSTANT)
        cover = cv2.filter2D(solid.astype(np.uint8) * 255, -1, kernel, borderType=cv2.BORDER_CONSTANT)
        clear = 255 - cover
        region = image[r0:r1, c0:c1]
        behind = cv2.multiply(region, cv2.merge([clear, clear, clear]), scale=1 / 255)
        image[r0:r1, c0:c1] = cv2.add(behind, layer)
        # annotated as long as a sliver is in frame, however much lies outside (a bus brushing the lens)
        if min(width, height) < MIN_BOX_SIDE_PX or not solid.any():
            return None, int(solid.sum())
        return clipped, int(solid.sum())


def _yaw_matrix(heading: float) -> np.ndarray:
    c, s = np.cos(heading), np.sin(heading)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
