"""`cvpair import`: a Market-1501-style tree (the published CVPair v1.0) into a release.

The release is identical in form to a footage build (Parquet in five file groups, card, Croissant,
provenance), written by the same `cvpair.release.writer`. Images are stored byte for byte, a PNG named
`.jpg` as the PNG it is; the columns only footage can fill stay null. Every problem of the tree (and of
the output folder) is reported at once, each naming its file; with any problem nothing is written.
"""

from __future__ import annotations

import gc
import hashlib
import importlib
import threading
import time
from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from cvpair import protocol
from cvpair.errors import InputError, Problem
from cvpair.market.images import start_worker
from cvpair.market.reading import ListedTree, ReadTree, TreeReading, list_tree, name_problems
from cvpair.market.tree import FOLDER_GROUPS
from cvpair.profiles import Profile, load_profile
from cvpair.release.lock import OutputLock
from cvpair.release.provenance import campaign_provenance
from cvpair.release.register import load_libraries, register_release
from cvpair.release.writer import finish_release, staged_release, write_groups
from cvpair.workers import worker_pool

CARD_MODULE = "cvpair.release.card"
SHOWN_PER_KIND = 5  # problems of one kind listed before the rest are counted


@dataclass(frozen=True)
class ImportReport:
    """What an import read: the command prints it, the release keeps it as `build_report.json`."""

    source: str
    images: int  # unique images
    folders: dict[str, dict[str, int]]  # folder -> images, identities, and images per view
    formats: dict[str, int]  # JPEG / PNG, read from the bytes
    ignored_files: dict[str, int]  # kind of leftover -> files
    metadata_stripped: bool
    profile: str | None  # the profile whose table the tree matched, if one was named

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "kind": "market1501 import",
            "images": self.images,
            "folders": self.folders,
            "formats": self.formats,
            "ignored_files": self.ignored_files,
            "train_copies": "byte-identical",
            "metadata_stripped": self.metadata_stripped,
            "profile": self.profile,
        }


@dataclass(frozen=True)
class ImportResult:
    release: Path
    report: ImportReport
    seconds: float


def folder_counts(tree: ListedTree) -> dict[str, dict[str, int]]:
    """Images per view and identities of every unique image folder."""
    counts = {}
    for folder, images in tree.images.items():
        views = Counter(i.parsed.view for i in images)
        counts[folder] = {
            "images": len(images),
            "identities": len({i.parsed.identity for i in images}),
            **{view: views[view] for view in protocol.VIEWS},
        }
    return counts


def _identities(tree: ListedTree, split: str) -> set[int]:
    return {i.parsed.identity for f, images in tree.images.items() if FOLDER_GROUPS[f].split == split
            for i in images}  # fmt: skip


def profile_problems(tree: ListedTree, profile: Profile) -> list[Problem]:
    """The tree against the profile's table: images per folder and view, identities per split, and one
    query per test identity in each protocol."""
    if profile.table is None:
        return []
    problems = []
    for split in protocol.SPLITS:
        have, want = len(_identities(tree, split)), profile.table.identities[split]
        if have != want:
            problems.append(
                Problem(tree.root, f"{split}: {have} identities, profile {profile.name} has {want}")
            )
    for folder, images in tree.images.items():
        group = FOLDER_GROUPS[folder]
        for view in (group.view,) if group.view else protocol.VIEWS:
            have = sum(i.parsed.view == view for i in images)
            want = profile.table.images[(group.name, view)]
            if have != want:
                message = f"{have} {view} images, profile {profile.name} has {want}"
                problems.append(Problem(tree.root / folder, message))
        if group.role == protocol.QUERY:
            repeated = Counter(i.parsed.identity for i in images)
            problems += [
                Problem(
                    tree.root / image.relative, f"identity {image.parsed.identity} has more than one query"
                )
                for image in images
                if repeated.pop(image.parsed.identity, 1) > 1
            ]
    return problems


def summarised(problems: dict[str, list[Problem]]) -> list[Problem]:
    """Up to `SHOWN_PER_KIND` problems of each kind, then a count of the rest, so a folder of thousands of
    bad files stays readable."""
    shown = []
    for kind, same in problems.items():
        shown += same[:SHOWN_PER_KIND]
        if len(same) > SHOWN_PER_KIND:
            shown.append(Problem("...", f"{len(same) - SHOWN_PER_KIND} more {kind}"))
    return shown


def _tree_digest(tree: ReadTree) -> str:
    """One checksum of the tree's images: their paths and bytes (sha256), in path order."""
    digest = hashlib.sha256()
    for path in sorted(tree.facts):
        digest.update(f"{path}\t{tree.facts[path].sha256}\n".encode())
    return digest.hexdigest()


def _report(tree: ReadTree, profile: Profile | None, strip: bool) -> ImportReport:
    return ImportReport(
        source=str(tree.listed.root),
        images=len(tree.facts),
        folders=folder_counts(tree.listed),
        formats=dict(sorted(tree.formats.items())),
        ignored_files=dict(sorted(tree.listed.ignored.items())),
        metadata_stripped=strip,
        profile=profile.name if profile else None,
    )


def _load_libraries(register: bool) -> None:
    """Import the card's and the registration's libraries with the garbage collector paused, then move
    every object made so far out of its sight (`gc.freeze`): its full collections would walk all those
    modules, during the imports and after (~0.1 s of CPU each)."""
    gc.disable()
    try:
        importlib.import_module(CARD_MODULE)
        if register:
            load_libraries()
    finally:
        gc.freeze()
        gc.enable()


def import_tree(
    source: Path,
    out: Path,
    *,
    profile: str | None = None,
    workers: int = 1,
    strip: bool = False,
    register: bool = False,
) -> ImportResult:
    """Read the tree at `source`, check it (and against `profile`'s table, if named), and write its release
    at `out`, which must not exist; `register`: also make `load_dataset("cvpair")` find it offline. Raises
    InputError listing every problem; then nothing is written."""
    started = time.perf_counter()
    source, out = Path(source).resolve(), Path(out).resolve()
    chosen = load_profile(profile) if profile else None
    # The workers start first (forked before any thread), then the tree is listed and its images handed
    # to them a few batches ahead; they read and inspect each file once, and this process writes the rows
    # of each batch as it comes. Then the workers draw the card's figures while this process writes the
    # card's text, with the registration in a thread beside it. On two cores all of it is CPU-bound, so
    # what counts is doing little: the libraries of the card and the registration (datasets, pandas,
    # scipy.io: ~0.8 s of CPU) load once, in a thread started once the listing has fed the workers.
    processes = worker_pool(workers, start_worker) if workers > 1 else nullcontext()
    with processes as pool, OutputLock(out):
        listed = list_tree(source)
        reading = TreeReading(listed, pool, strip)
        threading.Thread(target=_load_libraries, args=(register,), daemon=True).start()
        found = name_problems(listed)
        if out.exists():
            found["output"] = [Problem(out, "output folder exists; choose another -o or remove it")]
        if chosen is not None:
            found["profile " + chosen.name] = profile_problems(listed, chosen)
        with staged_release(out) as staging:
            if any(listed.problems.values()) or any(found.values()):
                manifest = []  # nothing worth writing: the images are read for their problems alone
            else:
                rows = {name: reading.rows(name) for name in protocol.FILE_GROUP_NAMES}
                manifest = write_groups(staging, rows, group_threads=1)  # threads: GIL handed back and forth
            tree = reading.finish()
            problems = {**tree.problems, **found}
            if any(problems.values()):
                raise InputError(summarised(problems), headline=f"cannot import {source}; nothing written")
            params = {"profile": profile, "seed": None, "source_format": "market1501",
                      "tree_sha256": _tree_digest(tree), "strip_metadata": strip}  # fmt: skip
            report = _report(tree, chosen, strip)
            finish_release(
                staging,
                manifest,
                campaign_provenance(source, [], params),
                report.to_dict(),
                painter=pool,
                on_staged=register_release if register else None,
            )
    return ImportResult(out, report, time.perf_counter() - started)


def render(report: ImportReport) -> str:
    """The import report as text: counts per folder, formats, ignored files."""
    lines = [f"imported {report.images:,} unique images from {report.source}",
             f"  {'folder':<26}{'images':>8}{'ids':>6}{'aerial':>8}{'ground':>8}"]  # fmt: skip
    for folder, counts in report.folders.items():
        lines.append(
            f"  {folder:<26}{counts['images']:>8,}{counts['identities']:>6,}"
            f"{counts['aerial']:>8,}{counts['ground']:>8,}"
        )
    lines.append("  training copies under a2g/ and g2a/: byte-identical, stored once")
    formats = ", ".join(f"{name} {count:,}" for name, count in report.formats.items())
    lines.append(f"  formats (read from the bytes, kept as they are): {formats}")
    ignored = ", ".join(f"{kind} {count:,}" for kind, count in report.ignored_files.items()) or "none"
    lines.append(f"  ignored files: {ignored}")
    if report.metadata_stripped:
        lines.append("  embedded metadata (EXIF, GPS, XMP) stripped losslessly: a derived release")
    if report.profile:
        lines.append(f"  counts match profile {report.profile}")
    return "\n".join(lines)
