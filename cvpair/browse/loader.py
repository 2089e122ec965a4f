"""A release as a persistent FiftyOne grouped dataset: one group per cross-view pair, with an `aerial` and
a `ground` slice, and saved views per split and per protocol role.

The dataset is rebuilt only when the release's fingerprint changes, so reopening a release is instant and
keeps the curators' tags; a rebuilt release gets a new dataset, and the tags of the crops it still holds
are carried over.
"""

from __future__ import annotations

import mimetypes
import shutil
from pathlib import Path

import fiftyone as fo
import pyarrow as pa
from fiftyone import ViewField as F

from cvpair.browse.fingerprint import release_fingerprint
from cvpair.browse.marks import CORRECTED_IDENTITY, Marks, crop_marks
from cvpair.browse.media import extract_crops
from cvpair.browse.pairing import Pair, pair_crops
from cvpair.errors import CvpairError, InputError, Problem
from cvpair.protocol import DEFAULT_PROTOCOL, GALLERY, GROUPS_BY_NAME, PROTOCOLS, QUERY, SPLITS, VIEWS
from cvpair.release import layout

MEDIA_FOLDER = "cvpair-media"
FINGERPRINT = "cvpair_fingerprint"  # in dataset.info; also marks the datasets cvpair may replace
SIDEBAR = {
    "pair": ["identity", "view", "split", "role", "image_id", "repeated", "unpaired",
             CORRECTED_IDENTITY],
    "quality": ["sharpness", "crop_width", "crop_height", "crop_area"],
    "capture": ["device", "clip", "track", "frame", "timestamp_s", "altitude_m", "altitude_reference",
                "bbox", "frame_width", "frame_height", "file_split", "source_name", "sequence", "instance"],
}  # fmt: skip
"""The App's sidebar: what a curator checks first (the pair) above where a crop came from."""
ON_TILES = ["identity", "view", "role", "tags"]
NULLABLE_FIELDS = {
    "clip": fo.StringField, "track": fo.IntField, "timestamp_s": fo.FloatField, "altitude_m": fo.FloatField,
    "altitude_reference": fo.StringField, "frame_width": fo.IntField, "frame_height": fo.IntField,
    "sequence": fo.IntField, "instance": fo.IntField, "role": fo.StringField,
}  # fmt: skip
"""Fields a release may leave null everywhere (footage columns of an imported release, import columns of a
footage build; `role` on the other protocol's queries): declared, since FiftyOne cannot type a field from
nulls alone."""


def default_name(release: Path) -> str:
    """The dataset name used for a release when none is given: its folder name, marked as cvpair's."""
    folder = Path(release).resolve().name
    return folder if folder.startswith("cvpair") else f"cvpair-{folder}"


def media_folder(fingerprint: str) -> Path:
    """Where the crops of the release with this fingerprint are extracted, beside FiftyOne's datasets."""
    return Path(fo.config.default_dataset_dir) / MEDIA_FOLDER / fingerprint


def load_release(release: Path, *, name: str | None = None, protocol: str = DEFAULT_PROTOCOL) -> fo.Dataset:
    """The grouped dataset of `release`, reused when it already shows this very release."""
    release = Path(release).resolve()
    _check_release(release)
    name = name or default_name(release)
    fingerprint = release_fingerprint(release)
    if fo.dataset_exists(name):
        dataset = fo.load_dataset(name)
        if FINGERPRINT not in dataset.info:
            raise CvpairError(
                f"FiftyOne dataset {name!r} was not made by cvpair browse: choose another --name"
            )
        previous = dataset.info[FINGERPRINT]
        if previous == fingerprint and media_folder(fingerprint).is_dir():
            set_protocol(dataset, protocol)
            return dataset
        marks = crop_marks(dataset)
        dataset.delete()
        _drop_unused_media(previous)
    else:
        marks = {}
    crops = extract_crops(release, media_folder(fingerprint))
    dataset = fo.Dataset(name, persistent=True)
    dataset.add_group_field("group", default=VIEWS[0])
    dataset.add_sample_field(CORRECTED_IDENTITY, fo.IntField)
    for field, kind in NULLABLE_FIELDS.items():
        dataset.add_sample_field(field, kind)
    dataset.add_sample_field("bbox", fo.ListField, subfield=fo.FloatField)
    dataset.add_samples(_samples(crops, marks))
    dataset.info = {FINGERPRINT: fingerprint, "release": str(release), "protocol": None}
    set_protocol(dataset, protocol)
    _save_views(dataset)
    _arrange_app(dataset)
    return dataset


def _drop_unused_media(fingerprint: str) -> None:
    """Delete the extracted crops of a release that no cvpair dataset shows any more."""
    shown = {fo.load_dataset(name).info.get(FINGERPRINT) for name in fo.list_datasets()}
    if fingerprint not in shown:
        shutil.rmtree(media_folder(fingerprint), ignore_errors=True)


def _check_release(release: Path) -> None:
    missing = [name for name in (layout.SPLIT_MANIFEST, layout.PROVENANCE) if not (release / name).is_file()]
    if missing or not any(release.glob(f"{layout.DATA_DIR}/*.parquet")):
        raise InputError(
            Problem(release, "not a release folder (needs data/*.parquet, splits.csv, provenance.json)")
        )


def _samples(crops: pa.Table, marks: dict[str, Marks]) -> list[fo.Sample]:
    """One sample per crop per pair: a crop repeated to fill a pair is a second sample of the same file."""
    rows = {row["image_id"]: row for row in crops.to_pylist()}
    views = [VIEWS[row["view"]] for row in rows.values()]
    pairs = pair_crops(list(rows), [row["identity"] for row in rows.values()], views)
    samples = []
    for pair in pairs:
        group = fo.Group()
        for view in VIEWS:
            crop = getattr(pair, view)
            if crop is not None:
                samples.append(_sample(rows[crop], view, group.element(view), pair, marks.get(crop, Marks())))
    return samples


def _sample(row: dict, view: str, group: fo.Group, pair: Pair, marks: Marks) -> fo.Sample:
    width, height = row["crop_width"], row["crop_height"]
    mime_type, _ = mimetypes.guess_type(row["filepath"])  # an imported PNG is stored as .png
    return fo.Sample(
        filepath=row["filepath"],
        group=group,
        tags=list(marks.tags),
        **{CORRECTED_IDENTITY: marks.corrected_identity},
        metadata=fo.ImageMetadata(width=width, height=height, mime_type=mime_type),
        image_id=row["image_id"],
        identity=row["identity"],
        view=view,
        split=GROUPS_BY_NAME[row["file_split"]].split,
        file_split=row["file_split"],
        device=row["device"],
        clip=row["clip"],
        track=row["track"],
        frame=row["frame"],
        timestamp_s=row["timestamp_s"],
        altitude_m=row["altitude_m"],
        altitude_reference=row["altitude_reference"],
        bbox=None if row["bbox_x"] is None else [row[c] for c in ("bbox_x", "bbox_y", "bbox_w", "bbox_h")],
        frame_width=row["frame_width"],
        frame_height=row["frame_height"],
        sharpness=row["sharpness"],
        source_name=row["source_name"],
        sequence=row["sequence"],
        instance=row["instance"],
        crop_width=width,
        crop_height=height,
        crop_area=width * height,
        repeated=view in pair.repeated,
        unpaired=pair.aerial is None or pair.ground is None,
    )


def set_protocol(dataset: fo.Dataset, name: str) -> None:
    """Fill the `role` field (train / query / gallery) of every sample for protocol `name` (a2g or g2a);
    test crops in neither its query nor its gallery (the other protocol's queries) get no role."""
    if name not in PROTOCOLS:
        raise InputError(Problem("--protocol", f"unknown protocol {name!r}; one of {list(PROTOCOLS)}"))
    if dataset.info.get("protocol") == name:
        return
    every_slice = dataset.select_group_slices()
    splits = PROTOCOLS[name].splits
    every_slice.set_values("role", [None] * len(every_slice))
    for role, file_split in splits.items():
        crops = every_slice.match(F("file_split") == file_split)
        crops.set_values("role", [role] * len(crops))
    dataset.info["protocol"] = name
    dataset.save()


def _save_views(dataset: fo.Dataset) -> None:
    """Saved views `train`, `test` (pairs), `<protocol>_query` / `<protocol>_gallery` and `unpaired` (crops,
    each once).

    `unpaired` lists the identities seen from one view only: no pair can show them beside the other view
    (nor can the grid, which shows one slice), and they are often an identity labelled in one clip only.
    """
    for split in SPLITS:
        dataset.save_view(split, dataset.match(F("split") == split), overwrite=True)
    once = dataset.select_group_slices().match(~F("repeated"))
    dataset.save_view("unpaired", once.match(F("unpaired")), overwrite=True)
    for name, chosen in PROTOCOLS.items():
        for role, group in ((QUERY, chosen.query), (GALLERY, chosen.gallery)):
            view = once.match(F("file_split") == group.name)
            dataset.save_view(f"{name}_{role}", view, overwrite=True)


def _arrange_app(dataset: fo.Dataset) -> None:
    """Sidebar groups in a curator's order, and identity / view / role printed on every tile."""
    ours = {path for paths in SIDEBAR.values() for path in paths}
    groups = fo.DatasetAppConfig.default_sidebar_groups(dataset)
    for group in groups:
        group.paths = [path for path in group.paths if path not in ours]
    custom = [
        fo.SidebarGroupDocument(name=name, paths=paths, expanded=True) for name, paths in SIDEBAR.items()
    ]
    dataset.app_config.sidebar_groups = groups[:1] + custom + groups[1:]
    dataset.app_config.active_fields = fo.ActiveFields(paths=ON_TILES)
    dataset.save()
