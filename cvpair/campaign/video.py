"""Probes a video with PyAV: size as shown, frame rate, codec and the frames actually present.

Every packet is demuxed (read, not decoded), which is cheap and catches what the container header hides:
a file cut short still declares its full frame count or duration, but its packets run out early.
Packets an edit list hides (flagged discard) are stored but never shown, so they are not frames. Only
the first frame is decoded, for the display rotation tag, which FFmpeg hands over with decoded frames.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import av

from cvpair.campaign.model import VideoInfo
from cvpair.errors import InputError, Problem

_NO_DECODING = {"skip_frame": "all", "probesize": "32", "analyzeduration": "0"}
"""Opening a file runs FFmpeg's stream analysis, which decodes frames to learn the pixel format; we only
need what the container header says (size, rate, codec), so tell the analysis to decode nothing."""

_SHORT_FRAMES, _SHORT_S = 2, 0.5
"""Packets may end this much (frames + seconds) before the container's duration without the file counting
as truncated: durations are rounded, may leave out the last frame's, and also cover audio that can outlast
the video a little."""


@dataclass(frozen=True)
class _Probe:
    info: VideoInfo
    packets: int  # stored frames, hidden ones included: what `declared_frames` counts
    declared_frames: int  # 0 when the container does not say (Matroska)
    declared_s: float | None  # the container's duration, all streams together
    packets_end_s: float


def probe_video(path: Path) -> VideoInfo:
    """The video's properties; raises InputError if it cannot be opened, has no video or is truncated."""
    path = Path(path)
    try:
        with av.open(str(path), options=_NO_DECODING, metadata_errors="ignore") as container:
            probe = _probe(path, container)
    except av.error.FFmpegError as error:
        reason = error.strerror or str(error)
        raise InputError(
            Problem(path, f"cannot be read as a video (truncated or not a video?): {reason}")
        ) from None
    info = _turned(probe.info, display_rotation(path))
    if probe.declared_frames:  # MP4 / MOV: the index says how many frames there are
        if probe.packets < probe.declared_frames:
            message = f"truncated: declares {probe.declared_frames} frames but holds {probe.packets}"
            raise InputError(Problem(path, message))
    elif probe.declared_s is not None and probe.packets_end_s < (
        probe.declared_s - _SHORT_FRAMES / info.fps - _SHORT_S
    ):
        message = f"truncated: declares {probe.declared_s:.2f} s but holds {probe.packets_end_s:.2f} s"
        raise InputError(Problem(path, message))
    return info


def _probe(path: Path, container: av.container.InputContainer) -> _Probe:
    """Everything read from the open container (its streams are freed when it closes)."""
    if not container.streams.video:
        raise InputError(Problem(path, "has no video stream"))
    stream = container.streams.video[0]
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    width, height = stream.codec_context.width, stream.codec_context.height
    if not rate or not width or not height:
        raise InputError(Problem(path, "the video stream declares no frame rate or no frame size"))
    packets, frames, end = 0, 0, 0
    for packet in container.demux(stream):
        if packet.size == 0:  # the demuxer's end-of-stream marker
            continue
        if packet.is_corrupt:
            raise InputError(Problem(path, f"truncated or corrupt: packet {packets} is incomplete"))
        packets += 1
        if packet.is_discard:
            continue
        frames += 1
        if packet.pts is not None:
            end = max(end, packet.pts + (packet.duration or 0))
    if frames == 0:
        raise InputError(Problem(path, "holds no video frames"))
    return _Probe(
        info=VideoInfo(path, frames, float(rate), width, height, stream.codec_context.name),
        packets=packets,
        declared_frames=stream.frames,
        declared_s=container.duration / av.time_base if container.duration else None,
        packets_end_s=float((end - (stream.start_time or 0)) * stream.time_base),
    )


def display_rotation(path: Path) -> int:
    """The display rotation tag (counter-clockwise degrees, 0 when untagged), read off the first decoded
    frame; InputError for a rotation that is not a quarter turn."""
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            stream = container.streams.video[0]
            stream.thread_count = 1
            rotation = next((frame.rotation for frame in container.decode(stream)), 0)
    except av.error.FFmpegError as error:
        raise InputError(Problem(path, f"cannot decode its first frame: {error}")) from None
    if rotation % 90:
        raise InputError(
            Problem(path, f"display rotation of {rotation} degrees: only quarter turns are supported")
        )
    return rotation % 360


def _turned(info: VideoInfo, rotation: int) -> VideoInfo:
    """`info` with the frame size as shown, after the rotation tag."""
    width, height = (info.height, info.width) if rotation % 180 == 90 else (info.width, info.height)
    return replace(info, width=width, height=height, rotation=rotation)
