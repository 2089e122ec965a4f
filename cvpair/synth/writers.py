"""The campaign's files, in the formats real capture campaigns deliver: H.264 MP4 (PyAV), CVAT for video
1.1 XML, DJI-style SRT telemetry and the manifest CSV. Text outputs are byte-for-byte reproducible."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from xml.etree import ElementTree as ET

import av
import cv2
import numpy as np

from cvpair.campaign.model import Track

MANIFEST_HEADER = ("clip", "video", "annotation", "view", "device", "telemetry")


@dataclass(frozen=True)
class VideoFormat:
    """How a clip is encoded: the variants capture devices write, so tests need no real footage.

    The default is the campaign's own: H.264 8-bit MP4 without B-frames. `rotation` is the display
    rotation tag, counter-clockwise degrees as FFmpeg reads it (a phone held upright: 90 or 270); the
    writer is fed frames as they are to be shown and stores them turned back. `lead_in_frames` are
    encoded before an edit list's start, so decoders drop them (what a trim without re-encoding leaves);
    `start_s` starts the first shown frame later (an empty edit); `variable_rate` makes every third frame
    last twice as long (phones vary their rate). With B-frames an encoder may not repeat its bitstream
    exactly from run to run.
    """

    codec: str = "h264"  # or "hevc"
    bit_depth: int = 8  # or 10
    container: str = "mp4"  # or "mov"
    b_frames: int = 0
    rotation: int = 0
    lead_in_frames: int = 0
    start_s: float = 0.0
    variable_rate: bool = False

    def __post_init__(self) -> None:
        if self.codec not in _ENCODERS or self.bit_depth not in _PIXEL_FORMATS or self.rotation % 90:
            raise ValueError(f"unsupported video format {self}")
        if self.container not in ("mp4", "mov") or (self.lead_in_frames and self.start_s):
            raise ValueError(f"unsupported video format {self}")

    @property
    def suffix(self) -> str:
        return f".{self.container}"


_ENCODERS = {"h264": "libx264", "hevc": "libx265"}
_PIXEL_FORMATS = {8: "yuv420p", 10: "yuv420p10le"}
_TICKS_PER_FRAME = 2  # the stream's time base is half a frame: room for frames that last 1.5 or 2


class VideoWriter:
    """Encodes RGB frames in `VideoFormat` (veryfast, CRF 23, a keyframe every two seconds).

    One encoder thread: clips are encoded in parallel by separate processes already. No B-frames and no
    macroblock-tree rate control by default: with them, this x264 build (PyAV wheel, SIMD on) gave
    different bitstreams for the same frames from run to run, and the same seed must give the same pixels.
    """

    def __init__(
        self, path: Path, width: int, height: int, fps: int, video: VideoFormat = VideoFormat()
    ) -> None:
        self.video, self.written = video, 0
        self.container = av.open(str(path), mode="w", format=video.container)
        self.stream = self.container.add_stream(
            _ENCODERS[video.codec], rate=fps, options=_encoder_options(video, fps)
        )
        turned = video.rotation % 180 == 90
        self.stream.width, self.stream.height = (height, width) if turned else (width, height)
        self.stream.pix_fmt = _PIXEL_FORMATS[video.bit_depth]
        self.stream.codec_context.time_base = Fraction(1, fps * _TICKS_PER_FRAME)
        if video.rotation:
            self.stream.set_display_rotation(video.rotation)

    def write(self, frame: np.ndarray) -> None:
        if self.video.rotation:  # stored turned back: shown after turning by `rotation` counter-clockwise
            frame = np.ascontiguousarray(np.rot90(frame, k=-self.video.rotation // 90))
        if self.video == VideoFormat():  # the campaign's own format: OpenCV converts several times faster
            yuv = cv2.cvtColor(frame, cv2.COLOR_RGB2YUV_I420)
            picture = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
        else:
            picture = av.VideoFrame.from_ndarray(frame, format="rgb24")
        picture.pts = self._pts(self.written)
        self.written += 1
        for packet in self.stream.encode(picture):
            self.container.mux(packet)

    def _pts(self, index: int) -> int:
        """The frame's presentation time in ticks: before 0 for lead-in frames (the edit list hides them)."""
        index -= self.video.lead_in_frames
        ticks = index * _TICKS_PER_FRAME
        if self.video.variable_rate:
            ticks += (index // 3) * _TICKS_PER_FRAME  # the third frame of every three lasts two
        return ticks + round(self.video.start_s * self.stream.codec_context.time_base.denominator)

    def close(self) -> None:
        for packet in self.stream.encode():
            self.container.mux(packet)
        self.container.close()

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _encoder_options(video: VideoFormat, fps: int) -> dict[str, str]:
    keyframes = str(2 * fps)
    if video.codec == "hevc":
        params = f"bframes={video.b_frames}:keyint={keyframes}:pools=none:frame-threads=1:log-level=error"
        return {"preset": "ultrafast", "crf": "26", "x265-params": params}
    mbtree = "" if video.b_frames else ":no-mbtree=1"
    params = f"bframes={video.b_frames}{mbtree}"
    return {"preset": "veryfast", "crf": "23", "g": keyframes, "threads": "1", "x264-params": params}


@dataclass(frozen=True)
class TaskInfo:
    """The CVAT task a clip was annotated in."""

    task_id: int
    name: str
    frames: int
    width: int
    height: int
    created: datetime


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def cvat_xml(task: TaskInfo, tracks: list[Track]) -> bytes:
    """A CVAT "for video 1.1" export: task meta, the `vehicle` label with its `identity` attribute, tracks."""
    root = ET.Element("annotations")
    _sub(root, "version", "1.1")
    meta = _sub(root, "meta")
    node = _sub(meta, "task")
    stamp = task.created.isoformat(timespec="microseconds") + "+00:00"
    for tag, text in (
        ("id", str(task.task_id)),
        ("name", task.name),
        ("size", str(task.frames)),
        ("mode", "interpolation"),
        ("overlap", "5"),
        ("bugtracker", ""),
        ("created", stamp),
        ("updated", stamp),
        ("subset", "default"),
        ("start_frame", "0"),
        ("stop_frame", str(task.frames - 1)),
        ("frame_filter", ""),
    ):
        _sub(node, tag, text)
    label = _sub(_sub(node, "labels"), "label")
    _sub(label, "name", "vehicle")
    _sub(label, "color", "#fa3253")
    _sub(label, "type", "rectangle")
    attribute = _sub(_sub(label, "attributes"), "attribute")
    for tag, text in (("name", "identity"), ("mutable", "False"), ("input_type", "number")):
        _sub(attribute, tag, text)
    # as annotation/cvat_labels.json: a default no vehicle has, so a track left at it is refused
    _sub(attribute, "default_value", "-1")
    _sub(attribute, "values", "-1\n1000000\n1")
    size = _sub(node, "original_size")
    _sub(size, "width", str(task.width))
    _sub(size, "height", str(task.height))
    _sub(meta, "dumped", stamp)
    for track in tracks:
        element = _sub(root, "track", id=str(track.track_id), label=track.label, source="manual")
        for box in track.boxes:
            box_element = _sub(
                element,
                "box",
                frame=str(box.frame),
                keyframe="1" if _is_keyframe(track, box.frame) else "0",
                outside="1" if box.outside else "0",
                occluded="1" if box.occluded else "0",
                xtl=f"{box.x:.2f}",
                ytl=f"{box.y:.2f}",
                xbr=f"{box.x + box.w:.2f}",
                ybr=f"{box.y + box.h:.2f}",
                z_order="0",
            )
            _sub(box_element, "attribute", str(track.identity), name="identity")
    ET.indent(root, space="  ")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


def _is_keyframe(track: Track, frame: int) -> bool:
    """Annotators key the first and last frame of each visible run and every tenth frame between."""
    frames = {box.frame: box for box in track.boxes}
    previous, following = frames.get(frame - 1), frames.get(frame + 1)
    return frame % 10 == 0 or previous is None or previous.outside or following is None or following.outside


@dataclass(frozen=True)
class SrtEntry:
    """The drone's state at one frame, as the DJI SRT sidecar writes it."""

    frame: int
    time_s: float
    duration_s: float
    clock: datetime
    latitude: float
    longitude: float
    rel_alt: float
    abs_alt: float
    iso: int
    shutter_s: float
    colour_temperature: int
    focal_mm: float


def _srt_time(seconds: float) -> str:
    millis = int(round(seconds * 1000))
    return (
        f"{millis // 3_600_000:02d}:{millis // 60_000 % 60:02d}:{millis // 1000 % 60:02d},{millis % 1000:03d}"
    )


def _mavic3(e: SrtEntry, n: int) -> str:
    clock = e.clock.strftime("%Y-%m-%d %H:%M:%S.") + f"{e.clock.microsecond // 1000:03d}"
    return (
        f'<font size="28">FrameCnt: {n}, DiffTime: {int(round(e.duration_s * 1000))}ms\n{clock}\n'
        f"[iso: {e.iso}] [shutter: 1/{1 / e.shutter_s:.1f}] [fnum: 2.8] [ev: 0] [ct: {e.colour_temperature}] "
        f"[color_md: default] [focal_len: {e.focal_mm:.2f}] [latitude: {e.latitude:.6f}] "
        f"[longitude: {e.longitude:.6f}] [rel_alt: {e.rel_alt:.3f} abs_alt: {e.abs_alt:.3f}] </font>"
    )


def _older_camera(e: SrtEntry, counter: str, n: int) -> str:
    """The counter, clock and camera fields of Mavic 2 / Air 2-era firmwares (spaces before colons)."""
    clock = e.clock.strftime("%Y-%m-%d %H:%M:%S,") + f"{e.clock.microsecond // 1000:03d},000"
    return (
        f'<font size="36">{counter} : {n}, DiffTime : {int(round(e.duration_s * 1000))}ms\n{clock}\n'
        f"[iso : {e.iso}] [shutter : 1/{1 / e.shutter_s:.1f}] [fnum : 280] [ev : 0] "
        f"[ct : {e.colour_temperature}] [color_md : default] [focal_len : 240] "
    )


def _air2s(e: SrtEntry, n: int) -> str:
    position = f"[latitude: {e.latitude:.6f}] [longitude: {e.longitude:.6f}] [altitude: {e.abs_alt:.6f}]"
    return f"{_older_camera(e, 'SrtCnt', n)}{position} </font>"


def _mavic_2_pro(e: SrtEntry, n: int) -> str:
    position = f"[latitude : {e.latitude:.6f}] [longtitude : {e.longitude:.6f}]"
    return f"{_older_camera(e, 'FrameCnt', n + 217)}{position} </font>"


def _p4p(e: SrtEntry, n: int) -> str:
    return (
        f"F/2.8, SS {1 / e.shutter_s:.0f}, ISO {e.iso}, EV 0, GPS ({e.longitude:.6f}, {e.latitude:.6f}, 18), "
        f"D 10.00m, H {e.rel_alt:.2f}m, H.S 0.00m/s, V.S 0.00m/s "
    )


def _mavic_pro(e: SrtEntry, n: int) -> str:
    return (
        f"HOME({e.longitude:.4f},{e.latitude:.4f}) {e.clock:%Y.%m.%d %H:%M:%S}\n"
        f"GPS({e.longitude:.4f},{e.latitude:.4f},16) BAROMETER:{e.rel_alt:.1f}\n"
        f"ISO:{e.iso} Shutter:{1 / e.shutter_s:.0f} EV: Fnum:2.2"
    )


def _matrice_300(e: SrtEntry, n: int) -> str:
    position = f"GPS({e.latitude:.4f},{e.longitude:.4f},0.0M) BAROMETER:{e.rel_alt:.1f}M"
    return f"{e.clock:%Y.%m.%d %H:%M:%S}\n{position}"


@dataclass(frozen=True)
class SrtLayout:
    """One DJI firmware's way of writing its SRT file (see cvpair/campaign/telemetry.py for the readings)."""

    body: Callable[[SrtEntry, int], str]  # the entry's text lines after its time line, given its number
    once_a_second: bool = False  # one entry a second (older firmwares) instead of one a frame
    first_second: int = 0  # Phantom-era firmwares start their first entry one second in
    newline: str = "\n"


SRT_LAYOUTS: dict[str, SrtLayout] = {
    "mavic3": SrtLayout(_mavic3),  # rel_alt: above take-off
    "air2s": SrtLayout(_air2s),  # [altitude]: reference unknown
    "mavic2pro": SrtLayout(_mavic_2_pro),  # counters from 218, no altitude
    "p4p": SrtLayout(_p4p, once_a_second=True),  # GPS (lon, lat, satellites), H above take-off
    "mavicpro": SrtLayout(_mavic_pro, once_a_second=True, first_second=1),  # BAROMETER
    "m300": SrtLayout(_matrice_300, once_a_second=True, newline="\r\n"),  # GPS(lat, lon, altitude M)
}


def dji_srt(entries: list[SrtEntry], layout: str = "mavic3") -> bytes:
    """DJI-style subtitles in `layout`: an entry per frame, or per whole second of the video for 1 Hz
    layouts, each with its time, camera settings, GPS and altitude as that firmware writes them."""
    style = SRT_LAYOUTS[layout]
    if style.once_a_second:
        entries = [
            replace(e, duration_s=1.0)
            for e in entries
            if abs(e.time_s - round(e.time_s)) < 1e-6 and round(e.time_s) >= style.first_second
        ]
    out = io.StringIO()
    for n, e in enumerate(entries, start=1):
        text = f"{n}\n{_srt_time(e.time_s)} --> {_srt_time(e.time_s + e.duration_s)}\n{style.body(e, n)}\n\n"
        out.write(text.replace("\n", style.newline))
    return out.getvalue().encode("utf-8")


@dataclass(frozen=True)
class ManifestRow:
    clip: str
    video: str
    annotation: str
    view: str
    device: str
    telemetry: str


def manifest_csv(rows: list[ManifestRow]) -> bytes:
    """The campaign manifest, one row per clip in the given order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(MANIFEST_HEADER)
    for row in rows:
        writer.writerow([getattr(row, name) for name in MANIFEST_HEADER])
    return out.getvalue().encode("utf-8")
