"""The folders of a Market-1501-style CVPair tree, and the scan that lists their images.

`{a2g,g2a}/{bounding_box_train,query,bounding_box_test}/`: both protocols hold the same training images;
each has its own query and gallery folders. Files that operating systems and upload tools leave behind
(macOS AppleDouble `._*` files, `.DS_Store`, `Thumbs.db`, upload-tool state) are ignored and counted; any
other unexpected entry is a problem, since an import must hold everything the tree holds.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from cvpair import protocol
from cvpair.errors import Problem

PROTOCOL_FOLDERS: tuple[str, ...] = tuple(protocol.PROTOCOLS)
TRAIN_FOLDER, QUERY_FOLDER, GALLERY_FOLDER = "bounding_box_train", "query", "bounding_box_test"
IMAGE_FOLDERS: tuple[str, ...] = (TRAIN_FOLDER, QUERY_FOLDER, GALLERY_FOLDER)
MACOS_ARCHIVE_FOLDER = "__MACOSX"  # macOS's zip tool puts the AppleDouble files of an archive here


def leftover_kind(name: str) -> str | None:
    """What left a file that is not data (the report counts them by kind), or None for anything else."""
    lower = name.lower()
    if name.startswith("._"):
        return "AppleDouble (._*)"
    if name == ".DS_Store":
        return ".DS_Store"
    if lower in ("thumbs.db", "desktop.ini"):
        return "Windows folder cache"
    if ".uploading" in lower or ".downloading" in lower or lower.startswith(".baiduyun"):
        return "upload leftover"
    return None


def folder_name(protocol_name: str, folder: str) -> str:
    """The relative path of one image folder, e.g. `a2g/query`."""
    return f"{protocol_name}/{folder}"


FOLDER_GROUPS: dict[str, protocol.FileGroup] = {
    folder_name(name, folder): group
    for name, chosen in protocol.PROTOCOLS.items()
    for folder, group in ((TRAIN_FOLDER, protocol.TRAIN_GROUP), (QUERY_FOLDER, chosen.query),
                          (GALLERY_FOLDER, chosen.gallery))
}  # fmt: skip
"""The release file group each image folder fills; both training folders hold the one `train` group."""


@dataclass
class TreeListing:
    """Every entry of a tree: the file names of each image folder, the ignored leftovers, and the problems
    found by the scan alone (missing, empty or unexpected entries)."""

    root: Path
    folders: dict[str, list[str]] = field(default_factory=dict)  # "a2g/query" -> sorted file names
    ignored: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)

    def path(self, folder: str, name: str) -> Path:
        return self.root / folder / name


def _entries(folder: Path, listing: TreeListing) -> tuple[list[str], list[str]]:
    """(sub-folder names, file names) of `folder`, leftovers counted and left out."""
    folders, files = [], []
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir() and entry.name == MACOS_ARCHIVE_FOLDER:
                listing.ignored["AppleDouble (._*)"] += sum(len(f) for _, _, f in os.walk(entry.path))
            elif entry.is_dir():
                folders.append(entry.name)
            elif (kind := leftover_kind(entry.name)) is not None:
                listing.ignored[kind] += 1
            else:
                files.append(entry.name)
    return sorted(folders), sorted(files)


def _expect(folder: Path, wanted: tuple[str, ...], listing: TreeListing) -> list[str]:
    """The wanted sub-folders present in `folder`; a problem for each missing one and each stray entry."""
    folders, files = _entries(folder, listing)
    for name in folders:
        if name not in wanted:
            listing.problems.append(
                Problem(folder / name, f"unexpected folder; expected {', '.join(wanted)}")
            )
    for name in files:
        listing.problems.append(Problem(folder / name, f"unexpected file; expected only {', '.join(wanted)}"))
    for name in wanted:
        if name not in folders:
            listing.problems.append(Problem(folder / name, "missing folder"))
    return [name for name in wanted if name in folders]


def scan_tree(root: Path) -> TreeListing:
    """List a Market-1501-style tree without reading any image."""
    listing = TreeListing(Path(root))
    for name in _expect(listing.root, PROTOCOL_FOLDERS, listing):
        for folder in _expect(listing.root / name, IMAGE_FOLDERS, listing):
            relative = folder_name(name, folder)
            subfolders, files = _entries(listing.root / relative, listing)
            for name in subfolders:
                listing.problems.append(Problem(listing.root / relative / name, "unexpected folder"))
            if not files:
                listing.problems.append(Problem(listing.root / relative, "empty folder: no images"))
            listing.folders[relative] = files
    return listing
