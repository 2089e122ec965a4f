"""Probes a video with PyAV: size as shown, frame rate, codec and the frames actually present.

Every packet is demuxed (read, not decoded), which is cheap and catches what the container header hides:
a file cut short still declares its full frame count or duration, but its packets run out early.
Packets an edit list hides (flagged discard) are stored but never shown, so they are not frames. Only
the first frame is decoded, in the same pass, for the display rotation tag, which FFmpeg hands over with
decoded frames (a second opening of the file for it cost as much as the rest of the probe).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import av

from cvpair.campaign.model import VideoInfo
from cvpair.errors import InputError, Problem

_NO_DECODING = {"skip_frame": "all", "probesize": "32", "analyzeduration": "0"}
"""Opening a file runs FFmpeg's stream analysis, which decodes frames to learn the pixel format; we only
need what the container header says (size, rate, codec), so tell the analysis to decode nothing. The
options apply to the analysis only: frames decoded later are the same as after a default opening."""

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
    rotation: int  # the first frame's display rotation tag (0 when untagged or nothing decoded)


class _FirstFrame:
    """Feeds packets to the decoder until the first frame comes out, and keeps its rotation tag."""

    def __init__(self) -> None:
        self.rotation: int | None = None
        self.error: av.error.FFmpegError | None = None

    def feed(self, packet: av.Packet) -> None:
        """Decode `packet` if no frame came out yet (an empty packet drains the decoder's delayed frames)."""
        if self.rotation is not None or self.error is not None:
            return
        try:
            frames = packet.decode()
        except av.error.FFmpegError as error:
            self.error = error
            return
        if frames:
            self.rotation = frames[0].rotation


def open_video(path: Path) -> av.container.InputContainer:
    """`path` opened for demuxing and decoding without FFmpeg's stream analysis (see `_NO_DECODING`)."""
    return av.open(str(path), options=_NO_DECODING, metadata_errors="ignore")


def probe_video(path: Path) -> VideoInfo:
    """The video's properties; raises InputError if it cannot be opened, has no video or is truncated."""
    path = Path(path)
    try:
        with open_video(path) as container:
            probe = _probe(path, container)
    except av.error.FFmpegError as error:
        reason = error.strerror or str(error)
        raise InputError(
            Problem(path, f"cannot be read as a video (truncated or not a video?): {reason}")
        ) from None
    info = _turned(probe.info, _quarter_turns(path, probe.rotation))
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
    stream.thread_count = 1  # one frame is decoded: threads would only cost their start-up
    first = _FirstFrame()
    packets, frames, end = 0, 0, 0
    for packet in container.demux(stream):
        first.feed(packet)
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
    if first.error is not None:
        raise InputError(Problem(path, f"cannot decode its first frame: {first.error}"))
    return _Probe(
        info=VideoInfo(path, frames, float(rate), width, height, stream.codec_context.name),
        packets=packets,
        declared_frames=stream.frames,
        declared_s=container.duration / av.time_base if container.duration else None,
        packets_end_s=float((end - (stream.start_time or 0)) * stream.time_base),
        rotation=first.rotation or 0,
    )


def _quarter_turns(path: Path, rotation: int) -> int:
    """The display rotation tag (counter-clockwise degrees) as 0, 90, 180 or 270; InputError for a
    rotation that is not a quarter turn."""
    if rotation % 90:
        raise InputError(
            Problem(path, f"display rotation of {rotation} degrees: only quarter turns are supported")
        )
    return rotation % 360


def _turned(info: VideoInfo, rotation: int) -> VideoInfo:
    """`info` with the frame size as shown, after the rotation tag."""
    width, height = (info.height, info.width) if rotation % 180 == 90 else (info.width, info.height)
    return replace(info, width=width, height=height, rotation=rotation)
