"""Picks the annotation reader for a file: CVAT video XML (`.xml`) or MOT Challenge ground truth (`.txt`)."""

from __future__ import annotations

from pathlib import Path

from cvpair.campaign.cvat import read_cvat
from cvpair.campaign.model import Annotation
from cvpair.campaign.mot import read_mot
from cvpair.errors import InputError, Problem

_READERS = {".xml": read_cvat, ".txt": read_mot}


def read_annotation(path: Path) -> Annotation:
    """The tracks of an annotation file, read by the reader its extension names."""
    path = Path(path)
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise InputError(
            Problem(path, "unknown annotation format: expected CVAT video XML (.xml) or MOT gt.txt")
        )
    return reader(path)
