"""The one declared CVPair record schema: one row per vehicle crop.

Everything else derives from `FIELDS`: the Hugging Face `datasets.Features` (typed loading, the card's
`dataset_info`) and the pyarrow schema (Parquet files, validation). Change a field here and only here.

Rows come from two sources. A footage build (`cvpair build`) fills every column except `source_name` (empty)
and `sequence` / `instance` (null). An imported Market-1501-style tree (`cvpair import`, names
`<id>_c<camera>s<sequence>_<frame>_<instance>.jpg`) keeps what the name says: identity, view (from the
camera, `cvpair.protocol.MARKET_CAMERAS`), device (`c<camera>`), sequence, frame, instance and the original
name in `source_name`; the columns only footage provides (`FOOTAGE_ONLY`: clip, track, timestamp, box, frame
size, altitude) are null. Checks that read footage columns apply to footage rows only (`is_footage`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

import pyarrow as pa

from cvpair.protocol import VIEWS

ABOVE_TAKEOFF, ABOVE_SEA_LEVEL, UNKNOWN_REFERENCE = "above_takeoff", "above_sea_level", "unknown"
ALTITUDE_REFERENCES: tuple[str, ...] = (ABOVE_TAKEOFF, ABOVE_SEA_LEVEL, UNKNOWN_REFERENCE)
"""Values of `altitude_reference`: what a drone's altitude is measured from, as its telemetry format says."""

IMAGE, VIEW = "image", "view"
"""The two kinds of field that are not a plain `datasets.Value`."""


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # IMAGE, VIEW (a ClassLabel of VIEWS), or a `datasets.Value` dtype ("string", "int32", ...)
    nullable: bool
    doc: str

    @property
    def feature(self):
        """The field's `datasets` feature type."""
        from datasets import ClassLabel, Image, Value  # here: build workers use the schema without `datasets`

        if self.kind == IMAGE:
            return Image()
        if self.kind == VIEW:
            return ClassLabel(names=list(VIEWS))
        return Value(self.kind)

    @property
    def arrow_type(self) -> pa.DataType:
        """How `datasets` stores the feature in Arrow (tests hold the two to each other)."""
        if self.kind == IMAGE:
            return pa.struct([("bytes", pa.binary()), ("path", pa.string())])
        if self.kind == VIEW:
            return pa.int64()
        return pa.type_for_alias(self.kind)


_IMPORTED_NULL = "; null for imported rows."
FIELDS: tuple[Field, ...] = (
    Field("image", IMAGE, False, "The crop's bytes: JPEG from footage (no EXIF/GPS); imported: as found."),
    Field("image_id", "string", False, "Stable id: '<clip>/<track>/<frame>'; imported: the name's stem."),
    Field("identity", "int32", False, "Vehicle identity, shared across views."),
    Field("view", VIEW, False, "aerial (drone) or ground (street camera)."),
    Field("device", "string", False, "Camera / drone id that filmed the clip; imported: 'c<camera>'."),
    Field("source_name", "string", False, "Original file name of an imported image; empty for footage."),
    Field("clip", "string", True, "Source video id from the campaign manifest" + _IMPORTED_NULL),
    Field("sequence", "int32", True, "Sequence of an imported name (s<sequence>); null for footage."),
    Field("track", "int32", True, "Track id inside the clip's annotation file" + _IMPORTED_NULL),
    Field("frame", "int32", False, "0-based frame index in the source video; imported: the name's frame."),
    Field("instance", "int32", True, "Box of an imported name in its frame (_<instance>); null for footage."),
    Field("timestamp_s", "float64", True, "Presentation time of the frame, seconds" + _IMPORTED_NULL),
    Field("bbox_x", "float32", True, "Box left edge in the source frame, pixels" + _IMPORTED_NULL),
    Field("bbox_y", "float32", True, "Box top edge in the source frame, pixels" + _IMPORTED_NULL),
    Field("bbox_w", "float32", True, "Box width in the source frame, pixels" + _IMPORTED_NULL),
    Field("bbox_h", "float32", True, "Box height in the source frame, pixels" + _IMPORTED_NULL),
    Field(
        "bbox_angle",
        "float32",
        True,
        "Box rotation, degrees clockwise about its centre (CVAT's `rotation`): the crop is the box turned "
        "upright; 0 for an upright box, null where the source has no box (imported rows).",
    ),
    Field("frame_width", "int32", True, "Width of the source frame, pixels" + _IMPORTED_NULL),
    Field("frame_height", "int32", True, "Height of the source frame, pixels" + _IMPORTED_NULL),
    Field("crop_width", "int32", False, "Width of the stored crop, pixels."),
    Field("crop_height", "int32", False, "Height of the stored crop, pixels."),
    Field(
        "altitude_m",
        "float32",
        True,
        "Drone altitude (telemetry), metres; null on ground, untracked, imported.",
    ),
    Field("altitude_reference", "string", True, "What altitude_m is measured from; null with it."),
    Field("sharpness", "float32", False, "Variance of the Laplacian of the crop (higher is sharper)."),
    Field("sha256", "string", False, "SHA-256 of the stored image bytes, hex."),
    Field("phash", "string", False, "64-bit DCT perceptual hash of the crop, 16 hex digits."),
)

FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)
_REQUIRED = frozenset(f.name for f in FIELDS if not f.nullable)

FOOTAGE_ONLY: tuple[str, ...] = (
    "clip",
    "track",
    "timestamp_s",
    "bbox_x",
    "bbox_y",
    "bbox_w",
    "bbox_h",
    "bbox_angle",
    "frame_width",
    "frame_height",
    "altitude_m",
    "altitude_reference",
)
"""Columns only footage provides: null in imported rows (altitude is also null on ground rows)."""

IMPORT_ONLY: tuple[str, ...] = ("sequence", "instance")
"""Columns only an imported name provides: null in footage rows."""


def is_footage(source_name):
    """Which rows come from footage (their `source_name` is empty), for a string array or Series."""
    return source_name == ""


@cache
def features():
    """The `datasets.Features` of a release row."""
    from datasets import Features

    return Features({f.name: f.feature for f in FIELDS})


@cache
def row_schema() -> pa.Schema:
    """The pyarrow schema of a row, with nullability: what the build's shard cache holds. It needs no
    `datasets` import (~0.4 s), which every build worker would otherwise pay."""
    return pa.schema([pa.field(f.name, f.arrow_type, nullable=f.nullable) for f in FIELDS])


@cache
def arrow_schema() -> pa.Schema:
    """The release's pyarrow schema: `row_schema` with the `datasets` feature metadata.

    The metadata makes `load_dataset` decode `image` as an Image and `view` as a ClassLabel even when a
    Parquet file is read without the card.
    """
    metadata = {"huggingface": json.dumps({"info": {"features": features().to_dict()}})}
    return row_schema().with_metadata(metadata)


def checked_row(row: dict[str, object]) -> dict[str, object]:
    """`row` when it has exactly the declared fields and a value in each one that cannot be null.

    Arrow fills a missing key with null and drops an unknown one without a word: a misspelt column would
    otherwise reach the release as an empty one.
    """
    if row.keys() != set(FIELD_NAMES):
        missing, extra = sorted(set(FIELD_NAMES) - row.keys()), sorted(row.keys() - set(FIELD_NAMES))
        raise ValueError(f"a row does not have the declared fields: missing {missing}, undeclared {extra}")
    empty = sorted(name for name in _REQUIRED if row[name] is None)
    if empty:
        raise ValueError(f"row {row.get('image_id')!r}: null in fields that cannot be null: {empty}")
    return row


def view_label(view: str) -> int:
    """The integer label stored for a view name."""
    return VIEWS.index(view)


def image_id(clip: str, track: int, frame: int) -> str:
    """The stable id of the crop of `track` at `frame` in `clip`."""
    return f"{clip}/{track:05d}/{frame:07d}"
