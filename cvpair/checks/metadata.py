"""Metadata: the per-row capture facts are physically possible, and no image carries hidden metadata.

The capture facts (box, frame size, altitude, timestamp, track) exist on footage rows only: imported rows
leave them null (`cvpair.schema.FOOTAGE_ONLY`), so these checks read `footage_rows`.
"""

from __future__ import annotations

import numpy as np

from cvpair.checks.facts import ReleaseFacts
from cvpair.checks.registry import Needs, check
from cvpair.checks.report import Finding, Severity
from cvpair.protocol import AERIAL
from cvpair.schema import (
    ABOVE_TAKEOFF,
    ALTITUDE_REFERENCES,
    FOOTAGE_ONLY,
    IMPORT_ONLY,
    VIEWS,
    image_id,
    is_footage,
)

ALTITUDE_RANGE_M = (2.0, 500.0)  # what a camera drone filming traffic can plausibly fly at
BBOX_SLACK_PX = 0.5  # boxes are float32: allow rounding at the frame border


def footage_rows(facts: ReleaseFacts):
    """The rows cut from footage (imported rows have no box, frame, altitude, timestamp or track)."""
    rows = facts.rows
    footage = is_footage(rows.source_name)
    return rows if footage.all() else rows[footage]


@check("metadata.footage_columns")
def footage_columns_filled(facts: ReleaseFacts) -> list[Finding]:
    """Footage rows fill every footage column and no import column; imported rows the reverse (the schema
    says which: `FOOTAGE_ONLY` null on imported rows, `IMPORT_ONLY` null on footage rows)."""
    rows = facts.rows
    footage = is_footage(rows.source_name)
    findings = []
    always = [c for c in FOOTAGE_ONLY if c not in ("bbox_angle", "altitude_m", "altitude_reference")]
    for message, mask, columns in (
        ("footage rows missing", footage, always),
        ("footage rows with import columns", footage, IMPORT_ONLY),
        ("imported rows with footage columns", ~footage, FOOTAGE_ONLY),
        ("imported rows missing", ~footage, IMPORT_ONLY),
    ):
        filled = message.endswith("columns")
        for column in columns:
            bad = mask & (rows[column].notna() if filled else rows[column].isna())
            if bad.any():
                findings.append(Finding(f"{message} {column}", tuple(rows.image_id[bad])))
    return findings


@check("metadata.bbox")
def bbox_inside_frame(facts: ReleaseFacts) -> list[Finding]:
    """Each box has a positive size and lies inside its source frame (frame_width x frame_height); a
    rotated box (`bbox_angle`), which the build cannot clip to the frame, has its centre inside it."""
    r = footage_rows(facts)
    upright = r.bbox_angle.fillna(0) == 0
    beyond_edges = (
        (r.bbox_x < -BBOX_SLACK_PX)
        | (r.bbox_y < -BBOX_SLACK_PX)
        | (r.bbox_x + r.bbox_w > r.frame_width + BBOX_SLACK_PX)
        | (r.bbox_y + r.bbox_h > r.frame_height + BBOX_SLACK_PX)
    )
    centre_x, centre_y = r.bbox_x + r.bbox_w / 2, r.bbox_y + r.bbox_h / 2
    centre_outside = ~centre_x.between(0, r.frame_width) | ~centre_y.between(0, r.frame_height)
    outside = (r.bbox_w <= 0) | (r.bbox_h <= 0) | (upright & beyond_edges) | (~upright & centre_outside)
    items = tuple(
        f"{x.image_id} ({x.bbox_x:g},{x.bbox_y:g} {x.bbox_w:g}x{x.bbox_h:g} "
        f"in {x.frame_width}x{x.frame_height})"
        for x in r[outside].itertuples()
    )
    return [Finding("boxes outside their frame", items)] if items else []


def _aerial_clips_with_telemetry(rows) -> set[str]:
    """Aerial clips where at least one row has an altitude: the clip had telemetry."""
    aerial = rows[rows["view"] == VIEWS.index(AERIAL)]
    return set(aerial["clip"][aerial.altitude_m.notna()].tolist())  # tolist: 10x faster than iterating


@check("metadata.altitude")
def altitude_for_aerial_only(facts: ReleaseFacts) -> list[Finding]:
    """Aerial altitudes above take-off lie within 2-500 m (above sea level, or from a format that does not
    say, any value can be right); every altitude names its reference and only altitudes do; ground rows
    have none."""
    r = footage_rows(facts)
    aerial = r["view"] == VIEWS.index(AERIAL)
    has_altitude, reference = r.altitude_m.notna(), r.altitude_reference
    low, high = ALTITUDE_RANGE_M
    findings = []
    for message, bad in (
        ("ground rows with an altitude", ~aerial & has_altitude),
        (
            f"altitudes above take-off outside {low:g}-{high:g} m",
            aerial & (reference == ABOVE_TAKEOFF) & ~r.altitude_m.between(low, high),
        ),
        (
            f"altitudes without a reference ({', '.join(ALTITUDE_REFERENCES)})",
            has_altitude & ~reference.isin(ALTITUDE_REFERENCES),
        ),
        ("altitude references without an altitude", ~has_altitude & reference.notna()),
    ):
        if bad.any():
            findings.append(Finding(message, tuple(r.image_id[bad])))
    return findings


@check("metadata.altitude_coverage", severity=Severity.WARNING)
def aerial_clips_have_altitude(facts: ReleaseFacts) -> list[Finding]:
    """Every aerial clip has telemetry altitude, on every row (a clip filmed without an SRT file has none,
    and frames outside the SRT's times have none: allowed, but worth knowing)."""
    r = footage_rows(facts)
    aerial = r["view"] == VIEWS.index(AERIAL)
    with_telemetry = _aerial_clips_with_telemetry(r)
    clips = set(r["clip"][aerial].tolist()) - with_telemetry
    uncovered = aerial & r.altitude_m.isna() & r["clip"].isin(with_telemetry)
    findings = []
    if clips:
        findings.append(Finding("aerial clips without any altitude (no telemetry?)", tuple(sorted(clips))))
    if uncovered.any():
        message = "aerial rows without altitude in clips with telemetry (frames the SRT does not cover)"
        findings.append(Finding(message, tuple(r.image_id[uncovered])))
    return findings


@check("metadata.timestamps")
def timestamps_increase(facts: ReleaseFacts) -> list[Finding]:
    """Along each (clip, track), timestamps strictly increase with the frame number."""
    r = footage_rows(facts).sort_values(["clip", "track", "frame"], kind="stable")
    same_track = (r["clip"].to_numpy()[1:] == r["clip"].to_numpy()[:-1]) & (
        r["track"].to_numpy()[1:] == r["track"].to_numpy()[:-1]
    )
    not_later = np.diff(r.timestamp_s.to_numpy()) <= 0
    bad = np.flatnonzero(same_track & not_later) + 1
    items = tuple(r.image_id.iloc[bad])
    return [Finding("timestamps not after the previous frame's in their track", items)] if items else []


@check("metadata.image_id")
def image_ids_follow_clip_track_frame(facts: ReleaseFacts) -> list[Finding]:
    """Each image_id is '<clip>/<track>/<frame>' of its own row (ids are stable and sort by capture); an
    imported row's is its original file name without the suffix."""
    r = footage_rows(facts)
    ids, clips = r.image_id.tolist(), r["clip"].tolist()
    # as integers: beside imported rows (null track) pandas holds the track column as floats
    tracks, frames = (r[c].astype("int64").tolist() for c in ("track", "frame"))
    rows = zip(ids, clips, tracks, frames, strict=True)
    wrong = [i for i, clip, track, frame in rows if i != image_id(clip, track, frame)]
    imported = facts.rows[~is_footage(facts.rows.source_name)]
    names = zip(imported.image_id.tolist(), imported.source_name.tolist(), strict=True)
    wrong += [i for i, name in names if i != name.rsplit(".", 1)[0]]
    return (
        [Finding("image_ids that do not match clip/track/frame or file name", tuple(wrong))] if wrong else []
    )


def _embedded(facts: ReleaseFacts, footage: bool) -> tuple[str, ...]:
    embedded = facts.images.embedded.to_numpy()
    mine = is_footage(facts.rows.source_name).to_numpy() == footage
    return tuple(
        f"{facts.rows.image_id.iloc[i]} ({embedded[i]})" for i in np.flatnonzero(mine & (embedded != ""))
    )


@check("metadata.embedded", needs=Needs.IMAGES)
def no_embedded_metadata(facts: ReleaseFacts) -> list[Finding]:
    """No crop cut from footage carries EXIF (GPS above all) or XMP: locations and devices must not leak
    through files (the build writes none)."""
    items = _embedded(facts, footage=True)
    return [Finding("images with embedded metadata", items)] if items else []


@check("metadata.embedded_imported", severity=Severity.WARNING, needs=Needs.IMAGES)
def imported_embedded_metadata(facts: ReleaseFacts) -> list[Finding]:
    """Imported images keep their published bytes: those carrying EXIF, GPS or XMP are named (the published
    data is what it is; `cvpair import --strip-metadata` makes a derived release without it)."""
    items = _embedded(facts, footage=False)
    return [Finding("imported images with embedded metadata, kept as published", items)] if items else []
