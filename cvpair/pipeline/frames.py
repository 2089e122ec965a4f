"""Reading chosen frames of a frame folder (see `cvpair.campaign.frames`) the way `VideoReader` reads a
video: the same DecodedFrame records, unreadable images recorded as corrupt frames."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2

from cvpair.campaign.frames import frame_files
from cvpair.pipeline.decode import DecodedFrame, DecodeIssues, VideoReader


class FrameFolderReader:
    """Reads chosen frames of a numbered image folder at `fps` frames a second."""

    def __init__(self, folder: Path, fps: float) -> None:
        self.files = frame_files(folder)
        self.fps = fps
        self.issues = DecodeIssues()

    @property
    def frame_count(self) -> int:
        return len(self.files)

    def frames(self, wanted: list[int]) -> Iterator[DecodedFrame]:
        """The `wanted` frames that exist, in order, as BGR arrays; an unreadable image is a corrupt frame."""
        for index in sorted({f for f in wanted if 0 <= f < self.frame_count}):
            image = cv2.imread(str(self.files[index]), cv2.IMREAD_COLOR)
            if image is None:
                self.issues.corrupt.append((index, index + 1))
                self.issues.messages.append(f"{self.files[index].name} cannot be read as an image")
                continue
            yield DecodedFrame(index, index / self.fps, image)


def frame_reader(path: Path, fps: float) -> VideoReader | FrameFolderReader:
    """The reader of a clip's frames: a frame folder's, or a video file's."""
    return FrameFolderReader(path, fps) if Path(path).is_dir() else VideoReader(path)
