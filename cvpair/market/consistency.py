"""The checks of a tree's own consistency, as pure functions of its listed and read images.

Each returns the problems it finds, each naming a file; `cvpair import` runs them all and reports every
problem at once, so one run tells a user everything to fix.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

from cvpair import protocol
from cvpair.errors import Problem
from cvpair.market.names import MarketName
from cvpair.market.tree import FOLDER_GROUPS, GALLERY_FOLDER, QUERY_FOLDER, TRAIN_FOLDER, folder_name


class TreeImage(NamedTuple):
    """One image file of the tree and what its name says."""

    folder: str  # relative image folder, e.g. "a2g/query"
    name: str  # the file name as found
    parsed: MarketName

    @property
    def relative(self) -> str:
        return f"{self.folder}/{self.name}"

    @property
    def image_id(self) -> str:
        """The row's image_id: the file name without its suffix."""
        return self.name.rsplit(".", 1)[0]


def wrong_views(root: Path, images: Iterable[TreeImage]) -> list[Problem]:
    """Images whose camera contradicts their folder (an aerial query of a2g, a ground gallery, ...)."""
    problems = []
    for image in images:
        wanted = FOLDER_GROUPS[image.folder].view  # None: training folders hold both views
        if wanted is not None and image.parsed.view != wanted:
            message = f"c{image.parsed.camera} is the {image.parsed.view} view; {image.folder} holds {wanted}"
            problems.append(Problem(root / image.relative, message))
    return problems


def same_image_twice(root: Path, images: Iterable[TreeImage]) -> list[Problem]:
    """Two names that mean the same image (`0181_...` and `181_...`), in any of the unique folders."""
    seen: dict[str, TreeImage] = {}
    problems = []
    for image in images:
        first = seen.setdefault(image.parsed.key, image)
        if first is not image:
            problems.append(Problem(root / image.relative, f"names the same image as {first.relative}"))
    return problems


def differing_copies(
    root: Path, first: Mapping[str, str | None], second: Mapping[str, str | None]
) -> list[Problem]:
    """The training copies under a2g/ and g2a/ must hold the same names with the same bytes
    (`first`, `second`: file name -> SHA-256; None for a file that cannot be read, reported as such)."""
    a, b = folder_name("a2g", TRAIN_FOLDER), folder_name("g2a", TRAIN_FOLDER)
    problems = [
        Problem(root / a / n, f"not in {b}: the two training copies differ") for n in first.keys() - second
    ]
    problems += [
        Problem(root / b / n, f"not in {a}: the two training copies differ") for n in second.keys() - first
    ]
    problems += [
        Problem(root / b / name, f"bytes differ from {a}/{name}: the two training copies differ")
        for name in sorted(first.keys() & second.keys())
        if None not in (first[name], second[name]) and first[name] != second[name]
    ]
    return sorted(problems, key=str)


def _by_identity(images: Iterable[TreeImage]) -> dict[int, list[TreeImage]]:
    groups: dict[int, list[TreeImage]] = defaultdict(list)
    for image in images:
        groups[image.parsed.identity].append(image)
    return groups


def _tested(folders: Mapping[str, list[TreeImage]], name: str) -> dict[int, list[TreeImage]]:
    """The test images of protocol `name` (query and gallery) by identity."""
    return _by_identity([*folders.get(folder_name(name, QUERY_FOLDER), []),
                         *folders.get(folder_name(name, GALLERY_FOLDER), [])])  # fmt: skip


def queries_without_match(root: Path, folders: Mapping[str, list[TreeImage]]) -> list[Problem]:
    """Every query identity must have an image in its protocol's gallery."""
    problems = []
    for name in protocol.PROTOCOLS:
        queries = _by_identity(folders.get(folder_name(name, QUERY_FOLDER), []))
        gallery = _by_identity(folders.get(folder_name(name, GALLERY_FOLDER), []))
        for identity in sorted(queries.keys() - gallery.keys()):
            message = f"identity {identity} has no image in {folder_name(name, GALLERY_FOLDER)}"
            problems.append(Problem(root / queries[identity][0].relative, message))
    return problems


def train_test_overlap(root: Path, folders: Mapping[str, list[TreeImage]]) -> list[Problem]:
    """Train and test identities must be disjoint."""
    train = _by_identity(folders.get(folder_name("a2g", TRAIN_FOLDER), []))
    a2g, g2a = _tested(folders, "a2g"), _tested(folders, "g2a")
    problems = []
    for identity in sorted((a2g.keys() | g2a.keys()) & train.keys()):
        image, seen = (a2g.get(identity) or g2a[identity])[0], train[identity][0]
        message = f"identity {identity} is in test and in train ({seen.relative})"
        problems.append(Problem(root / image.relative, message))
    return problems


def untested_identities(root: Path, folders: Mapping[str, list[TreeImage]]) -> list[Problem]:
    """Both protocols must test the same identities."""
    a2g, g2a = _tested(folders, "a2g"), _tested(folders, "g2a")
    problems = []
    for identity in sorted(a2g.keys() ^ g2a.keys()):
        image, missing = (a2g[identity][0], "g2a") if identity in a2g else (g2a[identity][0], "a2g")
        problems.append(Problem(root / image.relative, f"identity {identity} is not tested in {missing}"))
    return problems


def queries_in_other_gallery(root: Path, folders: Mapping[str, list[TreeImage]]) -> list[Problem]:
    """A query of one protocol must not be in the other protocol's gallery (it would be stored twice)."""
    problems = []
    for name, other in (("a2g", "g2a"), ("g2a", "a2g")):
        gallery = {i.parsed.key: i for i in folders.get(folder_name(other, GALLERY_FOLDER), [])}
        for query in folders.get(folder_name(name, QUERY_FOLDER), []):
            if query.parsed.key in gallery:
                message = (
                    f"a {name} query, also in the {other} gallery ({gallery[query.parsed.key].relative})"
                )
                problems.append(Problem(root / query.relative, message))
    return problems
