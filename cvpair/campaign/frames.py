"""A folder of numbered frames as a clip's video: MOTChallenge's `img1/` (000001.jpg, 000002.jpg, ...).

Frame k of the clip is the k-th image by number (the first is frame 0). The numbers must run 1..N with no
gap and one image type, and the frame rate comes from the sequence's seqinfo.ini: an image folder has no
clock of its own, and a guessed one would space the build's samples wrongly.
"""

from __future__ import annotations

import re
from pathlib import Path

import cv2

from cvpair.campaign.model import VideoInfo
from cvpair.campaign.mot import read_seqinfo
from cvpair.errors import InputError, Problem

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")
_NUMBERED = re.compile(r"(\d+)")


def frame_files(folder: Path) -> list[Path]:
    """The folder's frame images in frame order; InputError if they are not numbered 1..N."""
    images = [p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES]
    numbered = {}
    for path in images:
        match = _NUMBERED.fullmatch(path.stem)
        if match is None:
            raise InputError(Problem(path, "frame images are named by their number (000001.jpg, ...)"))
        numbered[int(match.group(1))] = path
    if not numbered:
        raise InputError(Problem(folder, f"no frame images ({', '.join(IMAGE_SUFFIXES)}) in this folder"))
    missing = sorted(set(range(1, len(numbered) + 1)) - set(numbered))
    if missing:
        raise InputError(Problem(folder, f"frames must be numbered 1..N: number {missing[0]} is missing"))
    suffixes = sorted({path.suffix.lower() for path in images})
    if len(suffixes) > 1:
        raise InputError(Problem(folder, f"frames must all be one image type, found {', '.join(suffixes)}"))
    return [numbered[number] for number in sorted(numbered)]


def probe_frames(folder: Path) -> VideoInfo:
    """The frame folder's frame count, size (of its first image) and frame rate (its seqinfo.ini)."""
    folder = Path(folder)
    files = frame_files(folder)
    info = read_seqinfo(folder.parent)
    if info is None:
        raise InputError(
            Problem(folder, "a frame folder needs its frame rate: seqinfo.ini (frameRate) beside it")
        )
    first = cv2.imread(str(files[0]), cv2.IMREAD_COLOR)
    if first is None:
        raise InputError(Problem(files[0], "cannot be read as an image"))
    height, width = first.shape[:2]
    return VideoInfo(folder, len(files), info.fps, width, height, f"images ({files[0].suffix.lower()[1:]})")
