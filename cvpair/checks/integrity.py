"""Integrity: every image is a whole JPEG matching its row, nothing is stored twice, nothing leaks."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from PIL import Image

from cvpair.build.phash import from_hex, hamming
from cvpair.checks.registry import Needs, Severity, check
from cvpair.checks.release import Release
from cvpair.checks.report import Finding
from cvpair.checks.scan import image_bytes
from cvpair.release import layout

NEAR_DUPLICATE_BITS = 4  # pHash distance at or below which two crops may be the same picture
# Colour-thumbnail correlation of a pHash candidate pair: re-encoded or brightened copies reach > 0.995;
# look-alike vehicles of one type and paint, seen alike from above, reach 0.95-0.98 (synthetic v1.0 campaign).
SAME_PICTURE_CORRELATION = 0.99
LOOK_ALIKE_CORRELATION = 0.95
_THUMBNAIL = (32, 32)
PHASH_TOLERANCE_BITS = 4  # a stored pHash may differ this much from the decoded pixels' (JPEG rounding)
_BLOCK = 256  # train hashes joined with all test hashes per step: bounds the candidates in memory
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
    """Every decodable image is a JPEG ending with its end-of-image marker."""
    rows = _joined(release)
    decoded = rows[rows.actual_decode_error == ""]
    other = decoded[decoded.actual_format != "JPEG"]
    cut = decoded[(decoded.actual_format == "JPEG") & ~decoded.actual_has_end_marker.astype(bool)]
    findings = []
    if len(other):
        findings.append(
            Finding(
                "images that are not JPEG",
                tuple(f"{r.image_id} ({r.actual_format})" for r in other.itertuples()),
            )
        )
    if len(cut):
        findings.append(Finding("JPEGs cut short (no end-of-image marker)", tuple(cut.image_id)))
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


def _band_matches(left_keys: np.ndarray, right_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (i, j) with left_keys[i] == right_keys[j], by a sorted join."""
    order = np.argsort(right_keys, kind="stable")
    ordered = right_keys[order]
    start = np.searchsorted(ordered, left_keys, "left")
    counts = np.searchsorted(ordered, left_keys, "right") - start
    first = np.repeat(start - (np.cumsum(counts) - counts), counts)
    return np.repeat(np.arange(len(left_keys)), counts), order[np.arange(counts.sum()) + first]


def close_pairs(left: np.ndarray, right: np.ndarray, bits: int) -> list[tuple[int, int, int]]:
    """(i, j, distance) for every left[i], right[j] within `bits` of each other.

    Multi-index hashing: cut the 64 bits into bits + 1 bands; by pigeonhole, two hashes within `bits` agree
    exactly on at least one band. Joining on each band finds the few candidates, whose full distance is
    then measured: near-linear, where comparing all pairs grows with train x test.
    """
    edges = np.linspace(0, 64, bits + 2).astype(np.uint64)
    found = []
    for begin in range(0, len(left), _BLOCK):  # blocks bound memory when many hashes collide
        block = left[begin : begin + _BLOCK]
        candidates = []
        for low, high in zip(edges[:-1], edges[1:], strict=True):
            mask = np.uint64((1 << int(high - low)) - 1)
            candidates.append(np.stack(_band_matches((block >> low) & mask, (right >> low) & mask)))
        i, j = np.unique(np.concatenate(candidates, axis=1), axis=1)
        distance = hamming(block[i], right[j])
        keep = distance <= bits
        found += zip((i[keep] + begin).tolist(), j[keep].tolist(), distance[keep].tolist(), strict=True)
    return found


def _cross_split_look_alikes(release: Release) -> list[tuple[str, str, int, float]]:
    """Train/test pairs within NEAR_DUPLICATE_BITS of pHash, with their colour-thumbnail correlation.

    pHash sees only grey-level structure, so besides copies it finds look-alike vehicles (same type and
    paint: the benchmark's hard negatives); the correlation of colour pixels tells the two apart.
    """
    if release.look_alikes is None:
        rows = release.rows.reset_index(drop=True)
        hashes, usable = _hashes(rows.phash)
        train = np.flatnonzero(usable & (rows.file_split == layout.TRAIN).to_numpy())
        test = np.flatnonzero(usable & (rows.file_split != layout.TRAIN).to_numpy())
        sha256 = rows.sha256.to_numpy()
        # identical bytes are integrity.duplicate_bytes' finding; here only different images that look alike
        candidates = [
            (train[i], test[j], d)
            for i, j, d in close_pairs(hashes[train], hashes[test], NEAR_DUPLICATE_BITS)
            if sha256[train[i]] != sha256[test[j]]
        ]
        images = _images(release, rows, {k for i, j, _ in candidates for k in (i, j)})
        release.look_alikes = [
            (rows.image_id[i], rows.image_id[j], d, _thumbnail_correlation(images[i], images[j]))
            for i, j, d in candidates
        ]
    return release.look_alikes


def _listed(pairs: list[tuple[str, str, int, float]]) -> tuple[str, ...]:
    return tuple(
        f"{train} (train) ~ {test} (test, {bits} bits, correlation {correlation:.3f})"
        for train, test, bits, correlation in pairs[:_LISTED_PAIRS]
    )


@check("integrity.near_duplicates", needs=Needs.ROWS)
def no_near_duplicates_across_splits(release: Release) -> list[Finding]:
    """No train image nearly duplicates a test image (pHash within 4 bits and colour pixels alike)."""
    pairs = [p for p in _cross_split_look_alikes(release) if p[3] >= SAME_PICTURE_CORRELATION]
    return (
        [Finding("train images that nearly duplicate test images", _listed(pairs), len(pairs))]
        if pairs
        else []
    )


@check("integrity.look_alikes", severity=Severity.WARNING, needs=Needs.ROWS)
def few_look_alikes_across_splits(release: Release) -> list[Finding]:
    """Train/test pairs that look alike but are not copies: worth a curator's look (mislabelled tracks)."""
    pairs = [
        p
        for p in _cross_split_look_alikes(release)
        if LOOK_ALIKE_CORRELATION <= p[3] < SAME_PICTURE_CORRELATION
    ]
    return [Finding("train and test images that look alike", _listed(pairs), len(pairs))] if pairs else []


def _images(release: Release, rows: pd.DataFrame, indices: set[int]) -> dict[int, bytes]:
    """The JPEG bytes of the given rows, reading only the row groups that hold them."""
    images: dict[int, bytes] = {}
    wanted = rows.loc[sorted(indices), ["file", "row"]]
    for name, group in wanted.groupby("file"):
        parquet = pq.ParquetFile(release.root / name)
        sizes = [parquet.metadata.row_group(g).num_rows for g in range(parquet.num_row_groups)]
        starts = np.cumsum([0, *sizes])
        row_group = np.searchsorted(starts, group.row.to_numpy(), side="right") - 1
        for g in np.unique(row_group):
            in_group = image_bytes(parquet, int(g))
            for index, row in zip(group.index[row_group == g], group.row[row_group == g], strict=True):
                images[index] = in_group[int(row - starts[g])]
    return images


def _thumbnail_correlation(first: bytes, second: bytes) -> float:
    """Correlation of two images' colour thumbnails, each brightness- and contrast-normalised."""
    thumbnails = []
    for data in (first, second):
        with Image.open(io.BytesIO(data)) as image:
            pixels = np.asarray(image.convert("RGB").resize(_THUMBNAIL, Image.BILINEAR), dtype=np.float32)
        pixels -= pixels.mean()
        thumbnails.append(pixels / (pixels.std() + 1e-6))
    return float((thumbnails[0] * thumbnails[1]).mean())
