"""The one declared CVPair record schema: one row per vehicle crop.

Everything else derives from `FIELDS`: the Hugging Face `datasets.Features` (typed loading, the card's
`dataset_info`) and the pyarrow schema (Parquet files, validation). Change a field here and only here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

import pyarrow as pa
from datasets import ClassLabel, Features, Image, Value

VIEWS: tuple[str, ...] = ("aerial", "ground")
"""Class names of the `view` column, in label order (aerial = 0, ground = 1)."""


@dataclass(frozen=True)
class Field:
    name: str
    feature: object  # a `datasets` feature type
    nullable: bool
    doc: str


FIELDS: tuple[Field, ...] = (
    Field("image", Image(), False, "The vehicle crop, JPEG bytes (no EXIF/GPS)."),
    Field("image_id", Value("string"), False, "Stable id: '<clip>/<track>/<frame>', zero-padded."),
    Field("identity", Value("int32"), False, "Vehicle identity, shared across views."),
    Field("view", ClassLabel(names=list(VIEWS)), False, "aerial (drone) or ground (street camera)."),
    Field("device", Value("string"), False, "Camera / drone id that filmed the clip."),
    Field("clip", Value("string"), False, "Source video id from the campaign manifest."),
    Field("track", Value("int32"), False, "Track id inside the clip's annotation file."),
    Field("frame", Value("int32"), False, "0-based frame index in the source video."),
    Field("timestamp_s", Value("float64"), False, "Presentation time of the frame in the video, seconds."),
    Field("bbox_x", Value("float32"), False, "Box left edge in the source frame, pixels."),
    Field("bbox_y", Value("float32"), False, "Box top edge in the source frame, pixels."),
    Field("bbox_w", Value("float32"), False, "Box width in the source frame, pixels."),
    Field("bbox_h", Value("float32"), False, "Box height in the source frame, pixels."),
    Field("frame_width", Value("int32"), False, "Width of the source frame, pixels."),
    Field("frame_height", Value("int32"), False, "Height of the source frame, pixels."),
    Field("crop_width", Value("int32"), False, "Width of the stored crop, pixels."),
    Field("crop_height", Value("int32"), False, "Height of the stored crop, pixels."),
    Field("altitude_m", Value("float32"), True, "Drone altitude above take-off (telemetry); null on ground."),
    Field("sharpness", Value("float32"), False, "Variance of the Laplacian of the crop (higher is sharper)."),
    Field("sha256", Value("string"), False, "SHA-256 of the JPEG bytes, hex."),
    Field("phash", Value("string"), False, "64-bit DCT perceptual hash of the crop, 16 hex digits."),
)

FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)


@cache
def features() -> Features:
    """The `datasets.Features` of a release row."""
    return Features({f.name: f.feature for f in FIELDS})


@cache
def arrow_schema() -> pa.Schema:
    """The pyarrow schema of a release row, with nullability and the `datasets` feature metadata.

    The metadata makes `load_dataset` decode `image` as an Image and `view` as a ClassLabel even when a
    Parquet file is read without the card.
    """
    arrow_types = features().arrow_schema
    fields = [pa.field(f.name, arrow_types.field(f.name).type, nullable=f.nullable) for f in FIELDS]
    metadata = {"huggingface": json.dumps({"info": {"features": features().to_dict()}})}
    return pa.schema(fields, metadata=metadata)


def view_label(view: str) -> int:
    """The integer label stored for a view name."""
    return VIEWS.index(view)


def image_id(clip: str, track: int, frame: int) -> str:
    """The stable id of the crop of `track` at `frame` in `clip`."""
    return f"{clip}/{track:05d}/{frame:07d}"
