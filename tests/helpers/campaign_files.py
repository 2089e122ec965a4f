"""Small campaign files written the way the contract describes them, for the campaign reader tests.

Written here by hand (not by cvpair's own writers) so that the readers are tested against the formats,
not against themselves. Every box of a CVAT file is on its own line, so a test finds a box's line by text.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import av
import numpy as np

WIDTH, HEIGHT, FRAMES, FPS = 64, 48, 10, 25


@dataclass
class TrackSpec:
    """One track of a CVAT file: boxes are (frame, xtl, ytl, xbr, ybr), all visible unless in `outside`."""

    track_id: int
    identity: int | None
    boxes: list[tuple[int, float, float, float, float]]
    outside: set[int] = field(default_factory=set)  # frames flagged outside="1"
    label: str = "vehicle"


def still_track(track_id: int, identity: int | None, frames: int = FRAMES) -> TrackSpec:
    """A track with the same box, well inside the frame, on every frame."""
    return TrackSpec(track_id, identity, [(frame, 10, 8, 30, 24) for frame in range(frames)])


def cvat_xml(tracks: list[TrackSpec], size: int = FRAMES, width: int = WIDTH, height: int = HEIGHT) -> str:
    """A CVAT for video 1.1 document with the structure of the contract."""
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        "<annotations>",
        "  <version>1.1</version>",
        "  <meta>",
        "    <task>",
        f"      <size>{size}</size>",
        "      <mode>interpolation</mode>",
        "      <start_frame>0</start_frame>",
        f"      <stop_frame>{size - 1}</stop_frame>",
        "      <labels><label><name>vehicle</name><attributes><attribute><name>identity</name>"
        "<mutable>False</mutable><input_type>number</input_type><default_value>0</default_value>"
        "<values>0\n1000000\n1</values></attribute></attributes></label></labels>",
        f"      <original_size><width>{width}</width><height>{height}</height></original_size>",
        "    </task>",
        "  </meta>",
    ]
    for track in tracks:
        lines.append(f'  <track id="{track.track_id}" label="{track.label}" source="manual">')
        for frame, xtl, ytl, xbr, ybr in track.boxes:
            outside = int(frame in track.outside)
            attribute = (
                "" if track.identity is None else f'<attribute name="identity">{track.identity}</attribute>'
            )
            lines.append(
                f'    <box frame="{frame}" keyframe="1" outside="{outside}" occluded="0" '
                f'xtl="{xtl}" ytl="{ytl}" xbr="{xbr}" ybr="{ybr}" z_order="0">{attribute}</box>'
            )
        lines.append("  </track>")
    lines.append("</annotations>")
    return "\n".join(lines) + "\n"


def line_of(path: Path, needle: str, after: int = 0) -> int:
    """The 1-based number of the first line (past line `after`) of `path` that contains `needle`."""
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if number > after and needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def srt_entry(frame: int, latitude: float = 22.5, longitude: float = 113.9, rel_alt: float = 45.2) -> str:
    """One DJI SRT entry for the 0-based `frame` of a 25 fps video, as the contract shows it."""
    start, end = (f"00:00:{ms // 1000:02d},{ms % 1000:03d}" for ms in (frame * 40, frame * 40 + 40))
    return (
        f"{frame + 1}\n{start} --> {end}\n"
        f'<font size="28">FrameCnt: {frame + 1}, DiffTime: 40ms\n'
        f"2026-05-01 10:00:{start[6:].replace(',', '.')}\n"
        "[iso: 100] [shutter: 1/1000.0] [fnum: 2.8] [ev: 0] [ct: 5500] [color_md: default] "
        f"[focal_len: 24.00] [latitude: {latitude}] [longitude: {longitude}] "
        f"[rel_alt: {rel_alt:.3f} abs_alt: {rel_alt + 35:.3f}] </font>\n\n"
    )


def write_video(
    path: Path, frames: int = FRAMES, fmt: str | None = None, faststart: bool = False, rotation: int = 0
) -> Path:
    """A small H.264 video of changing noise (so frames have real size), `frames` long at 25 fps;
    `rotation`: its display rotation tag (counter-clockwise degrees, none if 0)."""
    rng = np.random.default_rng(frames)
    options = {"movflags": "faststart"} if faststart else {}
    with av.open(str(path), "w", format=fmt, options=options) as container:
        stream = container.add_stream("libx264", rate=FPS, options={"preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        if rotation:
            stream.set_display_rotation(rotation)
        for _ in range(frames):
            pixels = rng.integers(0, 256, (HEIGHT, WIDTH, 3), dtype=np.uint8)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
        container.mux(stream.encode())
    return path


@cache
def video_bytes() -> bytes:
    """The bytes of one small valid MP4 (encoded once per test session)."""
    with tempfile.TemporaryDirectory() as folder:
        return write_video(Path(folder) / "clip.mp4").read_bytes()


def write_campaign(root: Path, aerial: int = 1, ground: int = 1) -> Path:
    """A valid campaign: each clip has one still track whose identity is its clip number (0, 1, ...);
    aerial clips have telemetry for every frame."""
    video = video_bytes()
    rows = ["clip,video,annotation,view,device,telemetry"]
    clips = [(f"A{n:04d}", "aerial") for n in range(aerial)] + [
        (f"G{n:04d}", "ground") for n in range(ground)
    ]
    for folder in ("videos", "annotations", "telemetry"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    for number, (clip, view) in enumerate(clips):
        (root / "videos" / f"{clip}.mp4").write_bytes(video)
        (root / "annotations" / f"{clip}.xml").write_text(cvat_xml([still_track(0, number)]))
        telemetry = ""
        if view == "aerial":
            telemetry = f"telemetry/{clip}.SRT"
            (root / telemetry).write_text("".join(srt_entry(frame) for frame in range(FRAMES)))
        rows.append(f"{clip},videos/{clip}.mp4,annotations/{clip}.xml,{view},{view}-cam,{telemetry}")
    (root / "manifest.csv").write_text("\n".join(rows) + "\n")
    return root
