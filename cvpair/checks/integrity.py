"""Integrity: every image is a whole JPEG matching its row, nothing is stored twice, nothing leaks."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cvpair.checks.facts import ReleaseFacts
from cvpair.checks.lookalikes import LookAlike, phash_values
from cvpair.checks.registry import Needs, Severity, check
from cvpair.checks.report import Finding
from cvpair.pipeline.phash import hamming
from cvpair.schema import is_footage

# Colour-thumbnail correlation of a pHash candidate pair: re-encoded or brightened copies reach > 0.995;
# look-alike vehicles of one type and paint, seen alike from above, reach 0.95-0.98 (synthetic v1.0 campaign).
SAME_PICTURE_CORRELATION = 0.99
LOOK_ALIKE_CORRELATION = 0.95
PHASH_TOLERANCE_BITS = 4  # a stored pHash may differ this much from the decoded pixels' (JPEG rounding)
_LISTED_PAIRS = 1000  # near-duplicate pairs spelt out; the rest are counted


def _joined(facts: ReleaseFacts) -> pd.DataFrame:
    return pd.concat([facts.rows.reset_index(drop=True), facts.images.add_prefix("actual_")], axis=1)


@check("integrity.decode", needs=Needs.IMAGES)
def images_decode(facts: ReleaseFacts) -> list[Finding]:
    """Every image decodes fully with Pillow."""
    rows = _joined(facts)
    bad = rows[rows.actual_decode_error != ""]
    return (
        [
            Finding(
                "images that do not decode",
                tuple(f"{r.image_id} ({r.actual_decode_error})" for r in bad.itertuples()),
            )
        ]
        if len(bad)
        else []
    )


@check("integrity.jpeg", needs=Needs.IMAGES)
def images_are_jpeg(facts: ReleaseFacts) -> list[Finding]:
    """Every decodable image is a JPEG, or on an imported row the PNG it was published as (the report counts
    each format), and ends with its format's end-of-image marker."""
    rows = _joined(facts)
    decoded = rows[rows.actual_decode_error == ""]
    allowed = decoded.actual_format.eq("JPEG") | (
        decoded.actual_format.eq("PNG") & ~is_footage(decoded.source_name)
    )
    other = decoded[~allowed]
    cut = decoded[decoded.actual_format.isin(["JPEG", "PNG"]) & ~decoded.actual_has_end_marker.astype(bool)]
    findings = []
    if len(other):
        findings.append(
            Finding(
                "images that are not JPEG",
                tuple(f"{r.image_id} ({r.actual_format})" for r in other.itertuples()),
            )
        )
    if len(cut):
        findings.append(Finding("images cut short (no end-of-image marker)", tuple(cut.image_id)))
    return findings


@check("integrity.size", needs=Needs.IMAGES)
def sizes_match(facts: ReleaseFacts) -> list[Finding]:
    """Each image's pixel size equals its crop_width x crop_height columns."""
    rows = _joined(facts)
    decoded = rows[rows.actual_decode_error == ""]
    wrong = decoded[
        (decoded.actual_width != decoded.crop_width) | (decoded.actual_height != decoded.crop_height)
    ]
    items = tuple(
        f"{r.image_id} ({r.actual_width}x{r.actual_height}, columns {r.crop_width}x{r.crop_height})"
        for r in wrong.itertuples()
    )
    return [Finding("images whose size differs from crop_width x crop_height", items)] if items else []


@check("integrity.sha256", needs=Needs.IMAGES)
def sha256_matches(facts: ReleaseFacts) -> list[Finding]:
    """The sha256 column is the SHA-256 of each image's bytes."""
    rows = _joined(facts)
    wrong = rows[rows.sha256 != rows.actual_sha256]
    return (
        [Finding("sha256 column differs from the image bytes", tuple(wrong.image_id))] if len(wrong) else []
    )


@check("integrity.unique_ids")
def unique_image_ids(facts: ReleaseFacts) -> list[Finding]:
    """No image_id appears twice in the release."""
    ids = facts.rows.image_id
    repeated = sorted(set(ids[ids.duplicated()]))
    return [Finding("image_ids used more than once", tuple(repeated))] if repeated else []


@check("integrity.duplicate_bytes", needs=Needs.IMAGES)
def no_identical_images(facts: ReleaseFacts) -> list[Finding]:
    """No two rows store the same bytes (by the SHA-256 of the bytes themselves)."""
    rows = _joined(facts)
    twins = rows[rows.actual_sha256.duplicated(keep=False)]
    items = tuple(
        " = ".join(f"{r.image_id} ({r.file_split})" for r in group.itertuples())
        for _, group in twins.groupby("actual_sha256", sort=False)
    )
    return [Finding("identical image bytes stored more than once", items)] if items else []


@check("integrity.phash_column", needs=Needs.IMAGES)
def phash_matches_pixels(facts: ReleaseFacts) -> list[Finding]:
    """The phash column is 16 hex digits and, on the sampled rows, within a few bits of the pixels' pHash."""
    rows = _joined(facts)
    stored, well_formed = phash_values(rows.phash)
    findings = []
    if not well_formed.all():
        findings.append(
            Finding("phash values that are not 16 hex digits", tuple(rows.image_id[~well_formed]))
        )
    sampled = rows.actual_phash.notna().to_numpy() & well_formed
    recomputed = (
        rows.actual_phash[sampled].astype(np.uint64).to_numpy() if sampled.any() else np.zeros(0, np.uint64)
    )
    far = hamming(stored[sampled], recomputed) > PHASH_TOLERANCE_BITS
    ids = rows.image_id[sampled][far]
    if len(ids):
        findings.append(
            Finding(f"phash column more than {PHASH_TOLERANCE_BITS} bits from the pixels' pHash", tuple(ids))
        )
    return findings


def _listed(pairs: list[LookAlike]) -> tuple[str, ...]:
    return tuple(
        f"{train} (train) ~ {test} (test, {bits} bits, correlation {correlation:.3f})"
        for train, test, bits, correlation in pairs[:_LISTED_PAIRS]
    )


@check("integrity.near_duplicates", needs=Needs.IMAGES)
def no_near_duplicates_across_splits(facts: ReleaseFacts) -> list[Finding]:
    """No train image nearly duplicates a test image (pHash within 4 bits and colour pixels alike)."""
    pairs = [p for p in facts.look_alikes() if p.correlation >= SAME_PICTURE_CORRELATION]
    return (
        [Finding("train images that nearly duplicate test images", _listed(pairs), len(pairs))]
        if pairs
        else []
    )


@check("integrity.look_alikes", severity=Severity.WARNING, needs=Needs.IMAGES)
def few_look_alikes_across_splits(facts: ReleaseFacts) -> list[Finding]:
    """Train/test pairs that look alike but are not copies: worth a curator's look (mislabelled tracks)."""
    pairs = [
        p for p in facts.look_alikes() if LOOK_ALIKE_CORRELATION <= p.correlation < SAME_PICTURE_CORRELATION
    ]
    return [Finding("train and test images that look alike", _listed(pairs), len(pairs))] if pairs else []
