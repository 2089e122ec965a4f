"""The release described in MLCommons Croissant 1.0 (`croissant.json`): files with their SHA-256, and the
record sets a loader reads from them, with fields derived from `cvpair.schema.FIELDS`.

Written as plain JSON-LD so building a release needs no Croissant library; the tests validate it and read
records through `mlcroissant`.
"""

from __future__ import annotations

import json
from pathlib import Path

from datasets import ClassLabel, Image, Value

from cvpair import protocol
from cvpair.protocol import VIEWS
from cvpair.release import layout
from cvpair.release.about import about
from cvpair.release.provenance import sha256_of_file
from cvpair.schema import FIELDS

CROISSANT = "croissant.json"
CONFORMS_TO = "http://mlcommons.org/croissant/1.0"
PARQUET_FILES = "parquet-files"
SPLIT_MANIFEST_FILE = "split-manifest"
CROPS = "crops"
SPLITS = "splits"
FILE_SPLIT_FIELD = "file_split"

CONTEXT = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}
"""The JSON-LD context that the Croissant 1.0 specification prescribes."""

_VALUE_TYPES = {"string": "sc:Text", "bool": "sc:Boolean"}


def _data_type(feature: object) -> str:
    if isinstance(feature, Image):
        return "sc:ImageObject"
    if isinstance(feature, ClassLabel):
        return "sc:Integer"
    assert isinstance(feature, Value), feature
    if feature.dtype in _VALUE_TYPES:
        return _VALUE_TYPES[feature.dtype]
    return "sc:Integer" if "int" in feature.dtype else "sc:Float"


def _field(record_set: str, name: str, data_type: str, description: str, source: dict) -> dict:
    return {
        "@type": "cr:Field",
        "@id": f"{record_set}/{name}",
        "name": name,
        "description": description,
        "dataType": data_type,
        "source": source,
    }


def _crop_fields() -> list[dict]:
    """One Croissant field per schema field, read from the Parquet column of the same name."""
    fields = []
    for spec in FIELDS:
        source: dict = {"fileSet": {"@id": PARQUET_FILES}, "extract": {"column": spec.name}}
        description = spec.doc
        if isinstance(spec.feature, Image):
            source["transform"] = {"jsonPath": "bytes"}  # the column is a {bytes, path} struct
        if isinstance(spec.feature, ClassLabel):
            description += " Labels: " + ", ".join(f"{i} = {name}" for i, name in enumerate(VIEWS)) + "."
        fields.append(_field(CROPS, spec.name, _data_type(spec.feature), description, source))
    split_pattern = "|".join(protocol.FILE_GROUP_NAMES)
    fields.append(
        _field(
            CROPS,
            FILE_SPLIT_FIELD,
            "sc:Text",
            "File group the row is stored in: " + ", ".join(protocol.FILE_GROUP_NAMES) + ".",
            {
                "fileSet": {"@id": PARQUET_FILES},
                "extract": {"fileProperty": "filename"},
                "transform": {"regex": f"^({split_pattern})-\\d+-of-\\d+\\.parquet$"},
            },
        )
    )
    return fields


def _manifest_fields() -> list[dict]:
    columns = {
        "image_id": ("sc:Text", "Stable id of the crop, as in the Parquet files."),
        "identity": ("sc:Integer", "Vehicle identity."),
        "view": ("sc:Text", "aerial or ground."),
        "split": ("sc:Text", "train or test (identities are disjoint between them)."),
    }
    return [
        _field(
            SPLITS,
            name,
            data_type,
            doc,
            {"fileObject": {"@id": SPLIT_MANIFEST_FILE}, "extract": {"column": name}},
        )
        for name, (data_type, doc) in columns.items()
    ]


def _file_object(release: Path, relative: str, identifier: str, encoding: str) -> dict:
    path = release / relative
    return {
        "@type": "cr:FileObject",
        "@id": identifier,
        "name": relative,
        "contentUrl": relative,
        "contentSize": f"{path.stat().st_size} B",
        "encodingFormat": encoding,
        "sha256": sha256_of_file(path),
    }


def croissant_metadata(release: Path) -> dict:
    """The Croissant JSON-LD of `release`: every Parquet shard and the split manifest with their SHA-256,
    the `crops` record set (one record per row) and the `splits` record set (splits.csv)."""
    release = Path(release)
    facts = about()
    shards = sorted(p.relative_to(release).as_posix() for p in release.glob(f"{layout.DATA_DIR}/*.parquet"))
    distribution = [_file_object(release, shard, shard, "application/x-parquet") for shard in shards]
    distribution.append(_file_object(release, layout.SPLIT_MANIFEST, SPLIT_MANIFEST_FILE, "text/csv"))
    distribution.append(
        {
            "@type": "cr:FileSet",
            "@id": PARQUET_FILES,
            "name": PARQUET_FILES,
            "description": "Every Parquet shard of the release (listed one by one above, with checksums).",
            "encodingFormat": "application/x-parquet",
            "includes": f"{layout.DATA_DIR}/*.parquet",
        }
    )
    return {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": "CVPair",
        "alternateName": facts.pretty_name,
        "description": facts.description,
        "license": facts.license_url,
        "version": facts.version,
        "citeAs": facts.bibtex,
        "creator": [{"@type": "sc:Organization", "name": name} for name in facts.creators],
        "keywords": list(facts.tags),
        "isLiveDataset": False,
        "distribution": distribution,
        "recordSet": [
            {
                "@type": "cr:RecordSet",
                "@id": CROPS,
                "name": CROPS,
                "description": "One record per vehicle crop (all file groups); `file_split` says which.",
                "key": {"@id": f"{CROPS}/image_id"},
                "field": _crop_fields(),
            },
            {
                "@type": "cr:RecordSet",
                "@id": SPLITS,
                "name": SPLITS,
                "description": "The split manifest: every image_id with its identity, view and split.",
                "key": {"@id": f"{SPLITS}/image_id"},
                "field": _manifest_fields(),
            },
        ],
    }


def write_croissant(release: Path) -> Path:
    """(Re)write `release/croissant.json` atomically and return its path."""
    path = Path(release) / CROISSANT
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(croissant_metadata(release), indent=2) + "\n")
    temporary.replace(path)
    return path
