"""The campaign's files, in the formats real capture campaigns deliver: H.264 MP4 (PyAV), CVAT for video
1.1 XML, DJI-style SRT telemetry and the manifest CSV. Text outputs are byte-for-byte reproducible."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree as ET

import av
import cv2
import numpy as np

from cvpair.campaign.model import Track

MANIFEST_HEADER = ("clip", "video", "annotation", "view", "device", "telemetry")


class VideoWriter:
    """H.264 in MP4, veryfast / CRF 23 with a keyframe every two seconds, fed RGB frames.

    One encoder thread: clips are encoded in parallel by separate processes already. No B-frames and no
    macroblock-tree rate control: with them, this x264 build (PyAV wheel, SIMD on) gave different
    bitstreams for the same frames from run to run, and the same seed must give the same pixels.
    """

    def __init__(self, path: Path, width: int, height: int, fps: int) -> None:
        self.container = av.open(str(path), mode="w")
        self.stream = self.container.add_stream(
            "libx264",
            rate=fps,
            options={
                "preset": "veryfast",
                "crf": "23",
                "g": str(2 * fps),
                "threads": "1",
                "x264-params": "bframes=0:no-mbtree=1",
            },
        )
        self.stream.width, self.stream.height, self.stream.pix_fmt = width, height, "yuv420p"

    def write(self, frame: np.ndarray) -> None:
        yuv = cv2.cvtColor(frame, cv2.COLOR_RGB2YUV_I420)
        for packet in self.stream.encode(av.VideoFrame.from_ndarray(yuv, format="yuv420p")):
            self.container.mux(packet)

    def close(self) -> None:
        for packet in self.stream.encode():
            self.container.mux(packet)
        self.container.close()

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


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


def dji_srt(entries: list[SrtEntry]) -> bytes:
    """DJI-style subtitles: one entry per frame with time, camera settings, GPS and altitudes."""
    out = io.StringIO()
    for e in entries:
        n = e.frame + 1
        clock = e.clock.strftime("%Y-%m-%d %H:%M:%S.") + f"{e.clock.microsecond // 1000:03d}"
        out.write(
            f"{n}\n{_srt_time(e.time_s)} --> {_srt_time(e.time_s + e.duration_s)}\n"
            f'<font size="28">FrameCnt: {n}, DiffTime: {int(round(e.duration_s * 1000))}ms\n{clock}\n'
            f"[iso: {e.iso}] [shutter: 1/{1 / e.shutter_s:.1f}] [fnum: 2.8] [ev: 0] "
            f"[ct: {e.colour_temperature}] "
            f"[color_md: default] [focal_len: {e.focal_mm:.2f}] [latitude: {e.latitude:.6f}] "
            f"[longitude: {e.longitude:.6f}] [rel_alt: {e.rel_alt:.3f} abs_alt: {e.abs_alt:.3f}] </font>\n\n"
        )
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
