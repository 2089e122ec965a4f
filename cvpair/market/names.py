"""Market-1501-style image names, `<id>_c<cam>s<seq>_<frame>_<inst>.jpg`, as CVPair v1.0 spells them.

`0004_c0s2_00030_00.jpg`: identity 4, camera 0 (ground), sequence 2, frame 30, instance 0. Some published
identities are not zero-padded (`181_c1s2_00010_00.jpg`); both parse. Camera 0 is the ground view and
camera 1 the aerial view; any other camera is an error, never a guess.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from cvpair.protocol import MARKET_CAMERAS

CAMERA_VIEWS: dict[int, str] = {camera: view for view, camera in MARKET_CAMERAS.items()}
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
IDENTITY_DIGITS, FRAME_DIGITS, INSTANCE_DIGITS = 4, 5, 2
"""Minimum widths of the fields in names we write (wider values are written in full)."""

_NAME = re.compile(
    r"(?P<identity>\d+)_c(?P<camera>\d+)s(?P<sequence>\d+)_(?P<frame>\d+)_(?P<instance>\d+)"
    r"(?P<suffix>\.[A-Za-z]+)"
)


class MarketName(NamedTuple):
    """What an image's name says about it."""

    identity: int
    camera: int
    sequence: int
    frame: int
    instance: int

    @property
    def view(self) -> str:
        return CAMERA_VIEWS[self.camera]

    @property
    def key(self) -> str:
        """The name's meaning in one canonical spelling: two files with the same key are the same image."""
        return format_name(self, suffix="")


def parse_name(name: str) -> MarketName:
    """The fields of an image file name; ValueError says why a name is not one."""
    match = _NAME.fullmatch(name)
    if match is None:
        raise ValueError("not <id>_c<cam>s<seq>_<frame>_<inst>.jpg")
    if match["suffix"].lower() not in IMAGE_SUFFIXES:
        raise ValueError(f"suffix {match['suffix']!r} is not one of {', '.join(IMAGE_SUFFIXES)}")
    parsed = MarketName(*(int(match[field]) for field in MarketName._fields))
    if parsed.camera not in CAMERA_VIEWS:
        raise ValueError(f"camera c{parsed.camera} is neither c0 (ground) nor c1 (aerial)")
    return parsed


def format_name(name: MarketName, suffix: str = ".jpg") -> str:
    """The name we write: identity padded to 4 digits, frame to 5, instance to 2."""
    return (
        f"{name.identity:0{IDENTITY_DIGITS}d}_c{name.camera}s{name.sequence}_"
        f"{name.frame:0{FRAME_DIGITS}d}_{name.instance:0{INSTANCE_DIGITS}d}{suffix}"
    )
