"""The facts `cvpair validate` checks, gathered once from a release folder, read-only: the card, the Parquet
footers, provenance, the profile, every row's non-image columns and what follows from them (the implied
split manifest, the counts, the look-alike candidates), then the image pass's results (`scan.py`).

Nothing is ever written: files are only opened for reading.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from cvpair import protocol
from cvpair.checks.lookalikes import Candidate, LookAlike, candidates, look_alikes
from cvpair.counts import Count, Key, count_by, split_view_counts
from cvpair.errors import CvpairError, InputError, Problem
from cvpair.profiles import Profile, load_profile
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


@dataclass(frozen=True)
class ReleaseFacts:
    """Everything the checks read about one release, gathered once and never changed: checks are pure
    functions of it. A fact that could not be gathered is None, with the reason in its `*_problem`."""

    root: Path
    card_text: str
    card_yaml: dict | None
    card_body: str
    card_problem: str | None
    files: tuple[DataFile, ...]
    provenance: dict | None
    profile: Profile | None = None  # the sizes the release must have
    profile_problem: str | None = None
    rows: pd.DataFrame | None = None  # ROW_COLUMNS + file, file_split; None when not all readable
    rows_problem: str | None = None
    manifest: pd.DataFrame | None = None  # the split manifest the rows imply (see `implied_manifest`)
    counts: dict[Key, Count] | None = None  # of the manifest: total, per split, per split and view
    group_counts: dict[Key, Count] | None = None  # of the rows: per (file group, view)
    look_alike_candidates: tuple[Candidate, ...] | None = None  # cross-split pHash neighbours
    images: pd.DataFrame | None = None  # the image pass, aligned with `rows` (see scan.py)
    images_problem: str | None = None
    look_alike_pairs: tuple[LookAlike, ...] | None = None  # the candidates with their colour correlation
    look_alike_problem: str | None = None  # why the candidates or their correlations could not be had

    def files_of(self, file_split: str) -> list[DataFile]:
        return [f for f in self.files if f.file_split == file_split]

    def look_alikes(self) -> tuple[LookAlike, ...]:
        """The look-alike pairs; raises when they could not be had (the checks that need them fail)."""
        if self.look_alike_pairs is None:
            raise RuntimeError(f"the look-alike search failed: {self.look_alike_problem}")
        return self.look_alike_pairs

    @property
    def thumbnail_rows(self) -> set[int]:
        """The rows whose colour thumbnail the image pass must keep: both sides of every candidate."""
        return {row for i, j, _ in self.look_alike_candidates or () for row in (i, j)}


def implied_manifest(rows: pd.DataFrame) -> pd.DataFrame:
    """The split manifest the rows imply (split: train | test), sorted by image_id, all as text."""
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


def open_release(root: Path) -> ReleaseFacts:
    """The facts that need no row read: the card, the Parquet footers, provenance; not a release is an
    InputError."""
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
    return ReleaseFacts(
        root=root,
        card_text=text,
        card_yaml=header,
        card_body=body,
        card_problem=problem,
        files=tuple(_data_file(root, path) for path in parquet),
        provenance=_read_json(root / layout.PROVENANCE),
    )


def _profile(facts: ReleaseFacts, name: str | None) -> ReleaseFacts:
    """The profile asked for (unknown: an error), else the one provenance.json names."""
    explicit = name is not None
    name = name or (facts.provenance or {}).get("profile")
    if not name:
        return replace(
            facts, profile_problem="no profile: pass --profile or record 'profile' in provenance.json"
        )
    try:
        return replace(facts, profile=load_profile(name))
    except CvpairError as error:
        if explicit:
            raise
        return replace(facts, profile_problem=f"provenance.json names {error}")


def _rows(facts: ReleaseFacts) -> ReleaseFacts:
    """Every row's non-image columns and what follows from them alone, or why they could not be read."""
    broken = [f.name for f in facts.files if not f.conforms]
    if broken:
        return replace(
            facts, rows_problem=f"needs readable Parquet files with the declared schema ({', '.join(broken)})"
        )
    try:
        rows = _read_rows(facts.files)
    except (OSError, pa.ArrowException) as error:
        return replace(facts, rows_problem=f"the rows could not be read: {error}")
    manifest = implied_manifest(rows)
    view = rows["view"].map(dict(enumerate(VIEWS)))
    try:
        pairs, problem = candidates(rows), None
    except Exception as error:  # noqa: BLE001 - reported by the checks that need the pairs
        pairs, problem = None, f"{type(error).__name__}: {error}"
    return replace(
        facts,
        rows=rows,
        manifest=manifest,
        counts=split_view_counts(manifest.identity, manifest.split, manifest.view),
        group_counts=count_by(rows.identity, rows.file_split, view),
        look_alike_candidates=pairs,
        look_alike_problem=problem,
    )


def gather_facts(root: Path, profile: str | None = None) -> ReleaseFacts:
    """The facts of the release at `root` that need no image decoded: card, footers, provenance, profile
    (`profile`, else provenance.json's), rows and what follows from them."""
    return _rows(_profile(open_release(Path(root)), profile))


def with_images(facts: ReleaseFacts, read_images: Callable[[], pd.DataFrame]) -> ReleaseFacts:
    """`facts` with the image pass's results (`read_images()`, one row of facts per image), or why there
    are none."""
    try:
        facts = replace(facts, images=read_images())
    except (OSError, pa.ArrowException) as error:
        return replace(facts, images_problem=f"the images could not be read: {error}")
    if facts.look_alike_candidates is None:  # the search failed: its problem is already said
        return facts
    try:
        return replace(
            facts, look_alike_pairs=look_alikes(facts.look_alike_candidates, facts.rows, facts.images)
        )
    except Exception as error:  # noqa: BLE001 - reported by the checks that need the pairs
        return replace(facts, look_alike_problem=f"{type(error).__name__}: {error}")
