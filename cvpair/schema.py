"""The one declared CVPair record schema: one row per vehicle crop.

Everything else derives from `FIELDS`: the Hugging Face `datasets.Features` (typed loading, the card's
`dataset_info`) and the pyarrow schema (Parquet files, validation). Change a field here and only here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

import pyarrow as pa

VIEWS: tuple[str, ...] = ("aerial", "ground")
"""Class names of the `view` column, in label order (aerial = 0, ground = 1)."""

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


FIELDS: tuple[Field, ...] = (
    Field("image", IMAGE, False, "The vehicle crop, JPEG bytes (no EXIF/GPS)."),
    Field("image_id", "string", False, "Stable id: '<clip>/<track>/<frame>', zero-padded."),
    Field("identity", "int32", False, "Vehicle identity, shared across views."),
    Field("view", VIEW, False, "aerial (drone) or ground (street camera)."),
    Field("device", "string", False, "Camera / drone id that filmed the clip."),
    Field("clip", "string", False, "Source video id from the campaign manifest."),
    Field("track", "int32", False, "Track id inside the clip's annotation file."),
    Field("frame", "int32", False, "0-based frame index in the source video."),
    Field("timestamp_s", "float64", False, "Presentation time of the frame in the video, seconds."),
    Field("bbox_x", "float32", False, "Box left edge in the source frame, pixels."),
    Field("bbox_y", "float32", False, "Box top edge in the source frame, pixels."),
    Field("bbox_w", "float32", False, "Box width in the source frame, pixels."),
    Field("bbox_h", "float32", False, "Box height in the source frame, pixels."),
    Field(
        "bbox_angle",
        "float32",
        True,
        "Box rotation, degrees clockwise about its centre (CVAT's `rotation`): the crop is the box turned "
        "upright; 0 for an upright box, null where the source has no box.",
    ),
    Field("frame_width", "int32", False, "Width of the source frame, pixels."),
    Field("frame_height", "int32", False, "Height of the source frame, pixels."),
    Field("crop_width", "int32", False, "Width of the stored crop, pixels."),
    Field("crop_height", "int32", False, "Height of the stored crop, pixels."),
    Field("altitude_m", "float32", True, "Drone altitude (telemetry), metres; null on ground or untracked."),
    Field("altitude_reference", "string", True, "What altitude_m is measured from; null with it."),
    Field("sharpness", "float32", False, "Variance of the Laplacian of the crop (higher is sharper)."),
    Field("sha256", "string", False, "SHA-256 of the JPEG bytes, hex."),
    Field("phash", "string", False, "64-bit DCT perceptual hash of the crop, 16 hex digits."),
)

FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)


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


def view_label(view: str) -> int:
    """The integer label stored for a view name."""
    return VIEWS.index(view)


def image_id(clip: str, track: int, frame: int) -> str:
    """The stable id of the crop of `track` at `frame` in `clip`."""
    return f"{clip}/{track:05d}/{frame:07d}"
