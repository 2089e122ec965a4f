"""Integrity: every image is a whole JPEG matching its row, nothing is stored twice, nothing leaks."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cvpair import protocol
from cvpair.build.phash import NEAR_DUPLICATE_BITS, close_pairs, from_hex, hamming
from cvpair.checks.registry import Needs, Severity, check
from cvpair.checks.release import Release
from cvpair.checks.report import Finding
from cvpair.schema import is_footage

# Colour-thumbnail correlation of a pHash candidate pair: re-encoded or brightened copies reach > 0.995;
# look-alike vehicles of one type and paint, seen alike from above, reach 0.95-0.98 (synthetic v1.0 campaign).
SAME_PICTURE_CORRELATION = 0.99
LOOK_ALIKE_CORRELATION = 0.95
PHASH_TOLERANCE_BITS = 4  # a stored pHash may differ this much from the decoded pixels' (JPEG rounding)
_LISTED_PAIRS = 1000  # near-duplicate pairs spelt out; the rest are counted


def _joined(release: Release) -> pd.DataFrame:
    return pd.concat([release.rows.reset_index(drop=True), release.images.add_prefix("actual_")], axis=1)


@check("integrity.decode", needs=Needs.IMAGES)
def images_decode(release: Release) -> list[Finding]:
    """Every image decodes fully with Pillow."""
    rows = _joined(release)
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
def images_are_jpeg(release: Release) -> list[Finding]:
    """Every decodable image is a JPEG, or on an imported row the PNG it was published as (the report counts
    each format), and ends with its format's end-of-image marker."""
    rows = _joined(release)
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
def sizes_match(release: Release) -> list[Finding]:
    """Each image's pixel size equals its crop_width x crop_height columns."""
    rows = _joined(release)
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
def sha256_matches(release: Release) -> list[Finding]:
    """The sha256 column is the SHA-256 of each image's bytes."""
    rows = _joined(release)
    wrong = rows[rows.sha256 != rows.actual_sha256]
    return (
        [Finding("sha256 column differs from the image bytes", tuple(wrong.image_id))] if len(wrong) else []
    )


@check("integrity.unique_ids")
def unique_image_ids(release: Release) -> list[Finding]:
    """No image_id appears twice in the release."""
    ids = release.rows.image_id
    repeated = sorted(set(ids[ids.duplicated()]))
    return [Finding("image_ids used more than once", tuple(repeated))] if repeated else []


@check("integrity.duplicate_bytes", needs=Needs.IMAGES)
def no_identical_images(release: Release) -> list[Finding]:
    """No two rows store the same bytes (by the SHA-256 of the bytes themselves)."""
    rows = _joined(release)
    twins = rows[rows.actual_sha256.duplicated(keep=False)]
    items = tuple(
        " = ".join(f"{r.image_id} ({r.file_split})" for r in group.itertuples())
        for _, group in twins.groupby("actual_sha256", sort=False)
    )
    return [Finding("identical image bytes stored more than once", items)] if items else []


def _hashes(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The phash column as uint64 (0 where malformed), and which values are well formed."""
    well_formed = column.str.fullmatch(r"[0-9a-fA-F]{16}").fillna(False).to_numpy(dtype=bool)
    values = np.zeros(len(column), dtype=np.uint64)
    values[well_formed] = from_hex(column[well_formed].tolist())
    return values, well_formed


@check("integrity.phash_column", needs=Needs.IMAGES)
def phash_matches_pixels(release: Release) -> list[Finding]:
    """The phash column is 16 hex digits and, on the sampled rows, within a few bits of the pixels' pHash."""
    rows = _joined(release)
    stored, well_formed = _hashes(rows.phash)
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


def _candidates(release: Release) -> list[tuple[int, int, int]]:
    """(train row, test row, pHash distance) of the train/test pairs within NEAR_DUPLICATE_BITS, rows being
    positions in `release.rows`; identical bytes are integrity.duplicate_bytes' finding, not one of these."""
    if release.look_alike_candidates is None:
        rows = release.rows
        hashes, usable = _hashes(rows.phash)
        is_train = (rows.file_split == protocol.TRAIN_GROUP.name).to_numpy()
        train, test = np.flatnonzero(usable & is_train), np.flatnonzero(usable & ~is_train)
        sha256 = rows.sha256.to_numpy()
        release.look_alike_candidates = [
            (int(train[i]), int(test[j]), d)
            for i, j, d in close_pairs(hashes[train], hashes[test], NEAR_DUPLICATE_BITS)
            if sha256[train[i]] != sha256[test[j]]
        ]
    return release.look_alike_candidates


def thumbnail_rows(release: Release) -> set[int]:
    """The rows whose colour thumbnail the image pass must keep: both sides of every look-alike candidate.

    Found from the rows' columns before the pass starts, so that the workers make the thumbnails from the
    pixels they decode anyway (no second read of the images). Empty when the search itself fails: the
    two checks run it again, and report why.
    """
    try:
        pairs = _candidates(release)
    except Exception:  # noqa: BLE001 - reported by the checks that need the pairs
        return set()
    return {row for i, j, _ in pairs for row in (i, j)}


def _thumbnail(release: Release, row: int) -> np.ndarray:
    small = release.images.thumbnail.iloc[row]
    if small is None:
        why = release.images.decode_error.iloc[row] or "the image pass was not asked for it"
        raise ValueError(f"no colour thumbnail of {release.rows.image_id.iloc[row]}: {why}")
    return small


def _cross_split_look_alikes(release: Release) -> list[tuple[str, str, int, float]]:
    """Train/test pairs within NEAR_DUPLICATE_BITS of pHash, with their colour-thumbnail correlation.

    pHash sees only grey-level structure, so besides copies it finds look-alike vehicles (same type and
    paint: the benchmark's hard negatives); the correlation of colour pixels tells the two apart.
    """
    if release.look_alikes is None:
        ids = release.rows.image_id
        release.look_alikes = [
            (ids.iloc[i], ids.iloc[j], d, float((_thumbnail(release, i) * _thumbnail(release, j)).mean()))
            for i, j, d in _candidates(release)
        ]
    return release.look_alikes


def _listed(pairs: list[tuple[str, str, int, float]]) -> tuple[str, ...]:
    return tuple(
        f"{train} (train) ~ {test} (test, {bits} bits, correlation {correlation:.3f})"
        for train, test, bits, correlation in pairs[:_LISTED_PAIRS]
    )


@check("integrity.near_duplicates", needs=Needs.IMAGES)
def no_near_duplicates_across_splits(release: Release) -> list[Finding]:
    """No train image nearly duplicates a test image (pHash within 4 bits and colour pixels alike)."""
    pairs = [p for p in _cross_split_look_alikes(release) if p[3] >= SAME_PICTURE_CORRELATION]
    return (
        [Finding("train images that nearly duplicate test images", _listed(pairs), len(pairs))]
        if pairs
        else []
    )


@check("integrity.look_alikes", severity=Severity.WARNING, needs=Needs.IMAGES)
def few_look_alikes_across_splits(release: Release) -> list[Finding]:
    """Train/test pairs that look alike but are not copies: worth a curator's look (mislabelled tracks)."""
    pairs = [
        p
        for p in _cross_split_look_alikes(release)
        if LOOK_ALIKE_CORRELATION <= p[3] < SAME_PICTURE_CORRELATION
    ]
    return [Finding("train and test images that look alike", _listed(pairs), len(pairs))] if pairs else []
