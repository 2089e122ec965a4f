"""Picks the annotation reader for a clip: CVAT XML (`.xml`), MOTChallenge text (`.txt`) or a
MOTChallenge sequence folder, and passes it what the manifest says about the file."""

from __future__ import annotations

from pathlib import Path

from cvpair.campaign.cvat import read_cvat
from cvpair.campaign.model import Annotation, AnnotationSource
from cvpair.campaign.mot import read_mot
from cvpair.errors import InputError, Problem


def read_annotation(source: AnnotationSource | Path) -> Annotation:
    """The tracks of an annotation file, read by the reader its extension (or folder) names."""
    if not isinstance(source, AnnotationSource):
        source = AnnotationSource(Path(source))
    path = Path(source.path)
    mot = path.is_dir() or path.suffix.lower() == ".txt"
    if path.suffix.lower() == ".xml":
        if source.start_frame is not None or source.frame_step is not None:
            raise InputError(
                Problem(path, "manifest start_frame / frame_step are for MOT files: CVAT XML states its own")
            )
        return read_cvat(path, source.task, source.frame_names)
    if mot:
        if source.task is not None:
            raise InputError(
                Problem(path, "manifest `task` names a task of a CVAT XML export, not of a MOT file")
            )
        return read_mot(path, source.start_frame, source.frame_step)
    raise InputError(
        Problem(
            path,
            "unknown annotation format: expected CVAT XML (.xml), MOTChallenge text (.txt) or a MOTChallenge "
            "sequence folder",
        )
    )
