"""What curators mark on crops in the App: sample tags and the `corrected_identity` field, read per crop."""

from __future__ import annotations

from dataclasses import dataclass

import fiftyone as fo
from fiftyone import ViewField as F

BAD_CROP = "bad_crop"
WRONG_IDENTITY = "wrong_identity"
CORRECTED_IDENTITY = "corrected_identity"
"""Sample field a curator sets (with the `wrong_identity` tag) to relabel a crop instead of dropping it."""


@dataclass(frozen=True)
class Marks:
    """A curator's marks on one crop, all the samples that show it together."""

    tags: tuple[str, ...] = ()
    corrected_identity: int | None = None


def crop_marks(dataset: fo.Dataset) -> dict[str, Marks]:
    """The marks of every tagged or relabelled crop, by image_id (a crop repeated in pairs counts once)."""
    crops = dataset.select_group_slices()
    marked = crops.match((F("tags").length() > 0) | F(CORRECTED_IDENTITY).exists())
    marks: dict[str, Marks] = {}
    for crop, tags, identity in zip(*marked.values(["image_id", "tags", CORRECTED_IDENTITY]), strict=True):
        earlier = marks.get(crop, Marks())
        merged_tags = tuple(sorted({*earlier.tags, *tags}))
        marks[crop] = Marks(merged_tags, identity if identity is not None else earlier.corrected_identity)
    return marks
