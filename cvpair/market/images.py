"""Read one tree image: its format from the bytes, a full decode, and the facts a release row holds.

Runs in worker processes, a batch of paths per task, so only a batch of images is ever in memory.
"""

from __future__ import annotations

import hashlib
import io
from typing import NamedTuple

import cv2
import numpy as np
from PIL import Image

from cvpair.imagebytes import image_format, is_cut_off
from cvpair.pipeline.phash import phash, to_hex
from cvpair.pipeline.quality import sharpness


class ImageFacts(NamedTuple):
    """What a release row needs from an image file; `error` is "" when the image is whole."""

    error: str
    format: str  # JPEG or PNG, read from the bytes whatever the file's suffix says
    sha256: str
    width: int
    height: int
    sharpness: float
    phash: str


def _decoder_error(data: bytes) -> str:
    """Why an image does not decode, in Pillow's words (asked only for the files OpenCV cannot read)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
    except Exception as error:  # noqa: BLE001 - any decoder failure is the file's problem, reported
        return str(error)
    return "OpenCV cannot decode it"


def inspect_bytes(data: bytes) -> ImageFacts:
    """Facts of one image's bytes; a file that is not a whole JPEG or PNG gets an `error`, never a guess."""
    sha256 = hashlib.sha256(data).hexdigest()
    fmt = image_format(data)
    if fmt is None:
        return ImageFacts("not a JPEG or PNG image (unknown first bytes)", "", sha256, 0, 0, 0.0, "")
    if is_cut_off(data, fmt):
        return ImageFacts(f"truncated {fmt}: the end-of-image marker is missing", fmt, sha256, 0, 0, 0.0, "")
    # Decoded straight to luminance (a JPEG's colour planes are read, not converted) into an array, as
    # stored: no EXIF rotation, like Pillow's size that `cvpair validate` compares with the columns.
    grey = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE | cv2.IMREAD_IGNORE_ORIENTATION)
    if grey is None:
        return ImageFacts(f"undecodable {fmt}: {_decoder_error(data)}", fmt, sha256, 0, 0, 0.0, "")
    height, width = grey.shape
    return ImageFacts("", fmt, sha256, width, height, sharpness(grey), to_hex(phash(grey)))


def start_worker() -> None:
    """Set up a worker process: one OpenCV thread (the processes already fill the cores)."""
    cv2.setNumThreads(1)


def _read(path: str) -> bytes | str:
    """The bytes of the file at `path`, or why it cannot be read (permissions, a dangling link: the file's
    problem, reported)."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as error:
        return f"unreadable: {error.strerror}"


def read_image(path: str) -> tuple[bytes, ImageFacts]:
    """The bytes of the file at `path` and their facts (no bytes, and why, when it cannot be read)."""
    data = _read(path)
    if isinstance(data, str):
        return b"", ImageFacts(data, "", "", 0, 0, 0.0, "")
    return data, inspect_bytes(data)


def inspect_files(paths: tuple[str, ...]) -> list[ImageFacts]:
    """The facts of each file, in order (a worker task)."""
    return [read_image(path)[1] for path in paths]


class FileDigest(NamedTuple):
    """A file's SHA-256, or why it cannot be read (then `sha256` is "")."""

    sha256: str
    error: str = ""


def _digest(data: bytes | str) -> FileDigest:
    """The digest of bytes `_read` returned (or of why it could not read them)."""
    return FileDigest("", data) if isinstance(data, str) else FileDigest(hashlib.sha256(data).hexdigest())


def hash_files(paths: tuple[str, ...]) -> list[FileDigest]:
    """The digest of each file, in order (a worker task: the files of the second training copy that have no
    twin read in the first)."""
    return [_digest(_read(path)) for path in paths]


def twin_digest(path: str, first: bytes, first_sha256: str) -> FileDigest:
    """The digest of the file at `path`, the second copy of an image read as `first` (whose SHA-256 is
    `first_sha256`). Same bytes, same digest: a comparison spares hashing them again."""
    data = _read(path)
    return FileDigest(first_sha256) if data == first else _digest(data)
