"""Figures that describe a release (counts, images per identity, altitudes, crop sizes), computed from the
metadata columns of its Parquet files only: the image column is never read, so a 15k-image release is
summarised in well under a second."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from cvpair import protocol
from cvpair.counts import HistogramBin, count_by, identity_histogram, images_per_identity, split_view_counts
from cvpair.errors import InputError, Problem
from cvpair.protocol import VIEWS
from cvpair.release import layout
from cvpair.schema import ABOVE_TAKEOFF

COLUMNS = (
    "identity", "view", "device", "clip", "crop_width", "crop_height", "altitude_m", "altitude_reference",
)  # fmt: skip
HISTOGRAM_BINS = 10


@dataclass(frozen=True)
class Distribution:
    count: int
    min: float
    median: float
    max: float

    @classmethod
    def of(cls, values: np.ndarray) -> Distribution | None:
        """The summary of `values`, or None when there are none (e.g. no telemetry)."""
        if len(values) == 0:
            return None
        return cls(len(values), float(values.min()), float(np.median(values)), float(values.max()))


@dataclass(frozen=True)
class GroupCount:
    """Rows of one (split, view) group; split is `train` or `test` as in splits.csv."""

    split: str
    view: str
    identities: int
    images: int
    devices: int
    clips: int


@dataclass(frozen=True)
class ProtocolRow:
    """One row of the published table: a file group in one view, and which protocols use it as what."""

    protocol: str  # "both" for train, else the protocol whose query or gallery it is
    role: str  # train | query | gallery
    file_group: str
    view: str
    images: int
    identities: int


@dataclass(frozen=True)
class ViewCropSizes:
    view: str
    width: Distribution
    height: Distribution


@dataclass(frozen=True)
class ReleaseStatistics:
    images: int
    identities: int
    cross_view_identities: int  # identities seen from both views
    counts: tuple[GroupCount, ...]
    protocol_table: tuple[ProtocolRow, ...]  # the published table's rows, from this release
    file_split_rows: dict[str, int]  # rows per file group (`protocol.FILE_GROUP_NAMES`)
    images_per_identity: Distribution | None
    images_per_identity_histogram: tuple[HistogramBin, ...]
    altitude_m: Distribution | None  # aerial rows with telemetry
    crop_sizes: tuple[ViewCropSizes, ...]
    columns: dict[str, np.ndarray]  # the metadata columns of all rows, for the card's plots


def read_metadata(release: Path) -> dict[str, pa.Table]:
    """The metadata columns (`COLUMNS`) of each file group, no image bytes."""
    tables = {}
    for file_split in protocol.FILE_GROUP_NAMES:
        paths = sorted(release.glob(layout.data_pattern(file_split)))
        if not paths:
            raise InputError(
                Problem(release / layout.data_pattern(file_split), "no Parquet file in the release")
            )
        tables[file_split] = pa.concat_tables(pq.read_table(path, columns=list(COLUMNS)) for path in paths)
    return tables


def aerial_altitudes(columns: dict[str, np.ndarray]) -> np.ndarray:
    """Drone altitudes above take-off of the aerial rows (others are not comparable: above sea level,
    or of a telemetry format that does not say)."""
    chosen = (columns["view"] == protocol.AERIAL) & (columns["altitude_reference"] == ABOVE_TAKEOFF)
    return columns["altitude_m"][chosen].astype(np.float64)


def _protocol_table(group_of: np.ndarray, columns: dict[str, np.ndarray]) -> tuple[ProtocolRow, ...]:
    """Images and identities per file group and view, in the published table's order."""
    uses = {protocol.TRAIN_GROUP.name: ("both", protocol.TRAIN)}
    for name, chosen in protocol.PROTOCOLS.items():
        uses |= {chosen.query.name: (name, protocol.QUERY), chosen.gallery.name: (name, protocol.GALLERY)}
    counts = count_by(columns["identity"], group_of, columns["view"])
    rows = []
    for group in protocol.FILE_GROUPS:
        for view in (protocol.GROUND, protocol.AERIAL) if group.view is None else (group.view,):
            identities, images = counts.get((group.name, view), (0, 0))
            rows.append(ProtocolRow(*uses[group.name], group.name, view, images, identities))
    return tuple(rows)


def release_statistics(release: Path) -> ReleaseStatistics:
    """All the figures the card shows, from `release`'s Parquet metadata columns."""
    tables = read_metadata(Path(release))
    split_of = np.concatenate(
        [
            np.full(tables[fs].num_rows, protocol.GROUPS_BY_NAME[fs].split, dtype=object)
            for fs in protocol.FILE_GROUP_NAMES
        ]
    )
    merged = pa.concat_tables(tables.values())
    columns = {name: merged.column(name).to_numpy(zero_copy_only=False) for name in COLUMNS}
    columns["view"] = np.array([VIEWS[v] for v in columns["view"]], dtype=object)

    per_split_view = split_view_counts(columns["identity"], split_of, columns["view"])
    counts = []
    for split in protocol.SPLITS:
        for view in VIEWS:
            mask = (split_of == split) & (columns["view"] == view)
            if mask.any():
                counts.append(
                    GroupCount(
                        split,
                        view,
                        *per_split_view[(split, view)],
                        devices=len(set(columns["device"][mask])),
                        clips=len(set(columns["clip"][mask]) - {None}),
                    )
                )
    group_of = np.concatenate(
        [np.full(tables[fs].num_rows, fs, dtype=object) for fs in protocol.FILE_GROUP_NAMES]
    )
    per_identity = images_per_identity(columns["identity"])
    aerial = columns["view"] == protocol.AERIAL
    both = set(columns["identity"][aerial]) & set(columns["identity"][~aerial])
    return ReleaseStatistics(
        images=merged.num_rows,
        identities=per_split_view[()].identities,
        cross_view_identities=len(both),
        counts=tuple(counts),
        protocol_table=_protocol_table(group_of, columns),
        file_split_rows={fs: tables[fs].num_rows for fs in protocol.FILE_GROUP_NAMES},
        images_per_identity=Distribution.of(per_identity),
        images_per_identity_histogram=identity_histogram(per_identity, HISTOGRAM_BINS),
        altitude_m=Distribution.of(aerial_altitudes(columns)),
        crop_sizes=tuple(
            ViewCropSizes(
                view,
                Distribution.of(columns["crop_width"][columns["view"] == view]),
                Distribution.of(columns["crop_height"][columns["view"] == view]),
            )
            for view in VIEWS
            if (columns["view"] == view).any()
        ),
        columns=columns,
    )
