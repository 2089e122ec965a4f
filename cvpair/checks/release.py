"""A read-only view of a release folder: the card, the Parquet footers and every row's non-image columns.

Everything here is cheap (no image is decoded); the image pass lives in `scan.py`. Nothing is ever
written: files are only opened for reading.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from cvpair import protocol
from cvpair.errors import InputError, Problem
from cvpair.profiles import Profile
from cvpair.release import layout
from cvpair.schema import FIELD_NAMES, VIEWS, arrow_schema

ROW_COLUMNS: tuple[str, ...] = tuple(n for n in FIELD_NAMES if n != "image")
"""Every column but the image bytes: small enough to hold for the whole release."""

GROUP_SPLITS = {g.name: g.split for g in protocol.FILE_GROUPS}


@dataclass(frozen=True)
class DataFile:
    """One Parquet file under data/, as far as its footer could be read."""

    path: Path
    name: str  # relative to the release, e.g. data/train-00000-of-00001.parquet
    file_split: str | None  # None: the name matches no file group
    schema: pa.Schema | None = None
    num_rows: int = 0
    num_row_groups: int = 0
    error: str | None = None  # why the footer could not be read
    metadata: pq.FileMetaData | None = None  # the footer, parsed once (~2 ms a file)

    @property
    def conforms(self) -> bool:
        """Readable, in a known file group and with exactly the declared schema (metadata aside)."""
        return (
            self.error is None
            and self.file_split is not None
            and self.schema is not None
            and self.schema.equals(arrow_schema(), check_metadata=False)
        )


@dataclass
class Release:
    root: Path
    card_text: str
    card_yaml: dict | None
    card_body: str
    card_problem: str | None
    files: list[DataFile]
    provenance: dict | None
    rows: pd.DataFrame | None = None  # ROW_COLUMNS + file, file_split; None when not all readable
    rows_problem: str | None = None
    images: pd.DataFrame | None = None  # the image pass, aligned with `rows` (see scan.py)
    images_problem: str | None = None
    profile: Profile | None = None  # the sizes the release must have
    profile_problem: str | None = None
    look_alike_candidates: list | None = None  # cross-split pHash neighbours (row positions), once found
    look_alikes: list | None = None  # the same pairs by image_id, with their pixel correlation

    def files_of(self, file_split: str) -> list[DataFile]:
        return [f for f in self.files if f.file_split == file_split]

    @cached_property
    def manifest(self) -> pd.DataFrame:
        """The split manifest the rows imply (split: train | test), sorted by image_id, all as text."""
        assert self.rows is not None
        rows = self.rows
        view = rows["view"].map(dict(enumerate(VIEWS)))  # a dict maps vectorised, a function row by row
        manifest = pd.DataFrame(
            {
                "image_id": rows.image_id,
                "identity": rows.identity.astype(str),
                "view": view.where(view.notna(), "label " + rows["view"].astype(str)),
                "split": rows.file_split.map(GROUP_SPLITS),
            }
        )
        return manifest.sort_values("image_id", kind="stable").reset_index(drop=True)

    @cached_property
    def counts(self) -> dict[tuple[str, ...], tuple[int, int]]:
        """(identities, images) of the manifest in total (key ()), per split and per split and view."""
        manifest = self.manifest
        counts = {(): (manifest.identity.nunique(), len(manifest))}
        for keys, group in manifest.groupby(["split", "view"]):
            counts[tuple(keys)] = (group.identity.nunique(), len(group))
        for split, group in manifest.groupby("split"):
            counts[(split,)] = (group.identity.nunique(), len(group))
        return counts


def split_card(text: str) -> tuple[dict | None, str, str | None]:
    """(YAML header, body, problem) of a dataset card."""
    if not text.startswith("---"):
        return None, text, "README.md has no YAML header"
    end = text.find("\n---", 3)
    if end < 0:
        return None, text, "README.md's YAML header is not closed by '---'"
    body = text[end + 4 :]
    try:
        header = yaml.load(text[3:end], Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # C: ~3x faster
    except yaml.YAMLError as error:
        return None, body, f"README.md's YAML header does not parse: {error}"
    if not isinstance(header, dict):
        return None, body, "README.md's YAML header is not a mapping"
    return header, body, None


def _file_split(name: str) -> str | None:
    stem = Path(name).name
    return next((s for s in protocol.FILE_GROUP_NAMES if stem.startswith(f"{s}-")), None)


def _data_file(root: Path, path: Path) -> DataFile:
    name = path.relative_to(root).as_posix()
    try:
        footer = pq.ParquetFile(path)
        metadata = footer.metadata
        return DataFile(
            path,
            name,
            _file_split(name),
            footer.schema_arrow,
            metadata.num_rows,
            metadata.num_row_groups,
            metadata=metadata,
        )
    except (OSError, pa.ArrowException) as error:
        return DataFile(path, name, _file_split(name), error=f"{type(error).__name__}: {error}")


def _read_json(path: Path) -> dict | None:
    try:
        content = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return content if isinstance(content, dict) else None


def _read_rows(files: list[DataFile]) -> pd.DataFrame:
    frames = []
    for data_file in files:
        # one file, one thread: a third of the CPU of `pq.read_table` (whose dataset layer costs more than
        # the reading on small row groups), and the image workers have the cores
        parquet = pq.ParquetFile(data_file.path, metadata=data_file.metadata)
        table = parquet.read(columns=list(ROW_COLUMNS), use_threads=False)
        frame = table.to_pandas()
        frame["file"] = data_file.name
        frame["file_split"] = data_file.file_split
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def open_release(root: Path) -> Release:
    """The card, the Parquet footers and provenance (rows: `load_rows`); not a release is an InputError."""
    root = Path(root)
    card = root / layout.CARD
    parquet = sorted((root / layout.DATA_DIR).glob("*.parquet"))
    missing = [
        name
        for name, ok in ((layout.CARD, card.is_file()), (f"{layout.DATA_DIR}/*.parquet", parquet))
        if not ok
    ]
    if not root.is_dir() or missing:
        what = "no such folder" if not root.is_dir() else f"missing {' and '.join(missing)}"
        raise InputError(Problem(root, f"not a release: {what}"), headline="cannot validate")
    text = card.read_text(encoding="utf-8", errors="replace")
    header, body, problem = split_card(text)
    release = Release(
        root=root,
        card_text=text,
        card_yaml=header,
        card_body=body,
        card_problem=problem,
        files=[_data_file(root, path) for path in parquet],
        provenance=_read_json(root / layout.PROVENANCE),
    )
    return release


def load_rows(release: Release) -> None:
    """Read every row's non-image columns into `release.rows`, or say in `rows_problem` why not."""
    broken = [f.name for f in release.files if not f.conforms]
    if broken:
        release.rows_problem = f"needs readable Parquet files with the declared schema ({', '.join(broken)})"
        return
    try:
        release.rows = _read_rows(release.files)
    except (OSError, pa.ArrowException) as error:
        release.rows_problem = f"the rows could not be read: {error}"
