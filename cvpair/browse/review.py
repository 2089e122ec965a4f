"""Curators' tags in the App -> the campaign's corrections.csv, which the next build applies.

A curator tags a crop `bad_crop` (blurred, truncated, not a vehicle) or `wrong_identity` (the crop shows
another vehicle than its pair). Both drop the crop, unless a `wrong_identity` crop also has the sample field
`corrected_identity` set, which relabels it instead.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import fiftyone as fo

from cvpair.browse.loader import default_name
from cvpair.browse.marks import BAD_CROP, WRONG_IDENTITY, crop_marks
from cvpair.campaign.corrections import COLUMNS, read_corrections
from cvpair.campaign.model import Correction
from cvpair.errors import InputError, Problem
from cvpair.release import layout

CORRECTIONS = "corrections.csv"


@dataclass(frozen=True)
class ReviewResult:
    path: Path
    from_tags: int  # corrections made from the current tags
    total: int  # rows in corrections.csv after merging


def corrections_from_tags(dataset: fo.Dataset) -> list[Correction]:
    """One correction per crop tagged `bad_crop` or `wrong_identity`, in image_id order."""
    corrections = []
    for crop, marks in sorted(crop_marks(dataset).items()):
        if BAD_CROP in marks.tags:
            corrections.append(Correction(crop, "drop", None, BAD_CROP))
        elif WRONG_IDENTITY in marks.tags and marks.corrected_identity is not None:
            corrections.append(Correction(crop, "relabel", marks.corrected_identity, WRONG_IDENTITY))
        elif WRONG_IDENTITY in marks.tags:
            corrections.append(Correction(crop, "drop", None, WRONG_IDENTITY))
    return corrections


def merge_corrections(existing: Iterable[Correction], new: Iterable[Correction]) -> list[Correction]:
    """Existing corrections updated by the new ones (the latest review of a crop wins), by image_id."""
    merged = {correction.image_id: correction for correction in existing}
    merged.update((correction.image_id, correction) for correction in new)
    return [merged[crop] for crop in sorted(merged)]


def write_corrections(path: Path, corrections: Iterable[Correction]) -> None:
    """Write corrections.csv atomically (a reader never sees half a file)."""
    staging = path.parent / f".{path.name}.partial"
    with open(staging, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(COLUMNS)
        for c in corrections:
            writer.writerow([c.image_id, c.action, "" if c.identity is None else c.identity, c.note])
    os.replace(staging, path)


def apply_review(release: Path, *, campaign: Path | None = None, name: str | None = None) -> ReviewResult:
    """Merge the tags of `release`'s dataset into the campaign's corrections.csv."""
    name = name or default_name(release)
    if not fo.dataset_exists(name):
        raise InputError(
            Problem(release, f"no FiftyOne dataset {name!r}: open it with `cvpair browse` first")
        )
    campaign = campaign or _campaign_of(Path(release))
    path = campaign / CORRECTIONS
    existing = read_corrections(path) if path.is_file() else []
    new = corrections_from_tags(fo.load_dataset(name))
    merged = merge_corrections(existing, new)
    write_corrections(path, merged)
    return ReviewResult(path, len(new), len(merged))


def _campaign_of(release: Path) -> Path:
    """The campaign named in provenance.json, looked for beside the release and in the current folder."""
    recorded = json.loads((release / layout.PROVENANCE).read_text()).get("campaign")
    name = recorded.get("name") if isinstance(recorded, dict) else None
    for folder in (release.resolve().parent, Path.cwd()) if name else ():
        if (folder / name / "manifest.csv").is_file():
            return folder / name
    raise InputError(Problem(release / layout.PROVENANCE, "campaign folder not found: pass --campaign DIR"))
