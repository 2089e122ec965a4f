"""Decoding only the frames a shard needs from one video, with PyAV.

Frame k is what CVAT calls frame k: the k-th decoded frame in presentation order from the first frame
shown, turned as the display rotation tag says (CVAT turns frames by the tag, as FFmpeg's command line
does). Packets an edit list hides are not frames; times are measured from the first frame shown.

The file is opened without FFmpeg's stream analysis (`open_video`): the analysis decodes frames only to
learn what the decoder finds out anyway, and cost as much as decoding half a dozen frames per opening.
Packets are first demuxed without decoding (cheap) to learn every frame's presentation time and where the
keyframes are. Wanted frames are then decoded in runs: a run starts with a seek to the keyframe before its
first frame, so long stretches with nothing wanted are skipped, and only wanted frames are converted to
pixels (the conversion costs about as much as decoding).

Corrupt data: FFmpeg conceals decoding errors and rarely flags the damaged frames, and every frame that
predicts from a damaged one is damaged too. So any decoder error marks the whole group of pictures (GOP,
keyframe to keyframe) of the packets in flight as corrupt; the shard drops crops from those frames and
warns, naming the file and frames.
"""

from __future__ import annotations

import bisect
import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from cvpair.campaign.video import open_video
from cvpair.errors import InputError, Problem

SEEK_MIN_SKIP = 16
"""Seek when it skips at least this many frames; below that, decoding through them is about as fast."""


@dataclass(frozen=True)
class DecodedFrame:
    index: int  # 0-based, presentation order
    time_s: float  # presentation time from the first frame
    image: np.ndarray  # height x width x 3, BGR (what OpenCV expects)


@dataclass
class DecodeIssues:
    """What went wrong while decoding: corrupt [start, stop) frame ranges and the decoder's messages."""

    corrupt: list[tuple[int, int]] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    def is_corrupt(self, frame: int) -> bool:
        return any(start <= frame < stop for start, stop in self.corrupt)


class VideoReader:
    """Reads chosen frames of one video; `issues` fills in while frames are read."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.issues = DecodeIssues()
        self._pts, self._keyframes, self._time_base = self._index()
        self._frame_of = {pts: index for index, pts in enumerate(self._pts)}

    @property
    def frame_count(self) -> int:
        return len(self._pts)

    def _open(self):
        try:
            container = open_video(self.path)
        except av.error.FFmpegError as error:
            raise InputError(Problem(self.path, f"cannot open video: {error}")) from error
        if not container.streams.video:
            container.close()
            raise InputError(Problem(self.path, "no video stream"))
        return container, container.streams.video[0]

    def _index(self) -> tuple[list[int], list[int], Fraction]:
        """Presentation timestamps of all frames (sorted), keyframe indices, and the stream's time base."""
        container, stream = self._open()
        time_base = stream.time_base
        packets: list[tuple[int, bool]] = []
        try:
            for packet in container.demux(stream):
                if packet.pts is not None and not packet.is_discard:
                    packets.append((packet.pts, packet.is_keyframe))
        except av.error.FFmpegError as error:
            self.issues.messages.append(f"demuxing stopped after {len(packets)} packets: {error}")
        finally:
            container.close()
        pts = sorted(p for p, _ in packets)
        frame_of = {p: i for i, p in enumerate(pts)}
        keyframes = sorted({0} | {frame_of[p] for p, key in packets if key})
        return pts, keyframes, time_base

    def gop(self, frame: int) -> tuple[int, int]:
        """[start, stop) frames of the group of pictures that holds `frame`."""
        position = bisect.bisect_right(self._keyframes, frame) - 1
        stop = self._keyframes[position + 1] if position + 1 < len(self._keyframes) else self.frame_count
        return self._keyframes[position], stop

    def _runs(self, wanted: list[int]) -> list[list[int]]:
        """Wanted frames grouped so that each group is decoded from one seek, straight through."""
        runs: list[list[int]] = []
        for frame in wanted:
            if runs and self.gop(frame)[0] - runs[-1][-1] < SEEK_MIN_SKIP:
                runs[-1].append(frame)
            else:
                runs.append([frame])
        return runs

    def frames(self, wanted: list[int]) -> Iterator[DecodedFrame]:
        """The `wanted` frames that exist, in order, as BGR arrays; frames past the end are skipped."""
        wanted = sorted({f for f in wanted if 0 <= f < self.frame_count})
        if not wanted:
            return
        # FFmpeg's logging goes through PyAV only once a level is set; PANIC keeps it quiet while PyAV
        # still counts error-level messages, which is how concealed decoding errors are noticed.
        av.logging.set_level(av.logging.PANIC)
        self._errors_seen = av.logging.get_last_error()[0]
        container, stream = self._open()
        stream.thread_count = 1  # parallelism is across shards: one decoding thread per worker process
        try:
            for run in self._runs(wanted):
                yield from self._decode_run(container, stream, run)
        finally:
            _drain(stream)
            container.close()

    def _decode_run(self, container, stream, run: list[int]) -> Iterator[DecodedFrame]:
        start = self.gop(run[0])[0]
        container.seek(self._pts[start], stream=stream, backward=True, any_frame=False)
        todo = set(run)
        in_flight: list[int] = []  # frames of the packets the decoder may still be working on
        try:
            for packet in container.demux(stream):
                if packet.pts in self._frame_of:
                    in_flight = (in_flight + [self._frame_of[packet.pts]])[-_decoder_delay(stream) :]
                for frame in self._decode(packet, in_flight):
                    index = self._frame_of.get(frame.pts)
                    if index in todo:
                        todo.discard(index)
                        yield DecodedFrame(index, self._time(frame.pts), _shown(frame))
                if not todo:
                    return
        except av.error.FFmpegError as error:
            self.issues.messages.append(f"reading stopped before frame {min(todo)}: {error}")

    def _decode(self, packet, in_flight: list[int]) -> list:
        """The frames the decoder returns for `packet`; an error marks the GOPs in flight corrupt."""
        try:
            frames, message = packet.decode(), None
        except av.error.FFmpegError as error:
            frames, message = [], str(error)
        # Decoder threads log errors at any time: compare with the count at the previous packet.
        errors, last_error = av.logging.get_last_error()
        if errors > self._errors_seen and message is None:
            message = f"{last_error[1]}: {last_error[2]}"
        self._errors_seen = errors
        if message is not None:
            self.issues.messages.append(message.strip())
            for gop in sorted({self.gop(frame) for frame in in_flight}):
                if gop not in self.issues.corrupt:
                    self.issues.corrupt.append(gop)
        return frames

    def _time(self, pts: int) -> float:
        return float((pts - self._pts[0]) * self._time_base)


def _shown(frame) -> np.ndarray:
    """The frame as shown, a BGR array: turned by its rotation tag (a quarter turn moves pixels, it does
    not resample them). Converted to RGB as FFmpeg's command line does (bicubic chroma: the same pixels
    for 8-bit video, the closest for 10-bit), on this thread: PyAV's default starts a pool of scaling
    threads (one per CPU) for every frame, which costs more than it saves and competes with the workers."""
    image = frame.to_ndarray(format="bgr24", interpolation="BICUBIC", threads=1)
    if frame.rotation % 360:
        image = np.ascontiguousarray(np.rot90(image, k=frame.rotation // 90))
    return image


def _drain(stream) -> None:
    """Let the decoder's threads finish their packets. PyAV frees a decoder holding the GIL, and a decoder
    thread that logs needs the GIL: freeing one with work in flight can deadlock."""
    with contextlib.suppress(av.error.FFmpegError):
        stream.codec_context.decode(None)


def _decoder_delay(stream) -> int:
    """How many packets a frame-threaded decoder may hold before an error about them surfaces."""
    threads = stream.codec_context.thread_count or min(16, (os.cpu_count() or 1) + 1)  # 0 until opened
    return threads + 1
