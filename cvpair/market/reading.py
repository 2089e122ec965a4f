"""Read a whole tree: list it and parse its names (`list_tree`, nothing decoded), read every image in
parallel worker processes (`TreeReading`), handing each file group's release rows to the writer as they
come, and check what the names say (`name_problems`) while the workers read. Every problem is gathered;
`cvpair import` keeps the release only from a tree without problems."""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from functools import partial
from itertools import chain
from pathlib import Path
from typing import TypeVar

import pyarrow as pa

from cvpair import protocol
from cvpair.errors import Problem
from cvpair.imagebytes import PNG
from cvpair.market import consistency
from cvpair.market.consistency import TreeImage
from cvpair.market.images import FileDigest, ImageFacts, hash_files, inspect_files
from cvpair.market.names import parse_name
from cvpair.market.rows import ReadBatch, read_batch, release_rows
from cvpair.market.tree import FOLDER_GROUPS, TRAIN_FOLDER, TreeListing, folder_name, scan_tree

BATCH = 200  # images per worker task: enough tasks to balance the workers, few enough to send cheaply
AHEAD = 8  # batches handed to the workers beyond the one being written: a few each, ~2 MB apiece
FIRST_TRAIN_COPY, SECOND_TRAIN_COPY = folder_name("a2g", TRAIN_FOLDER), folder_name("g2a", TRAIN_FOLDER)
TREE_CHECKS = {
    "wrong views": consistency.wrong_views,
    "one image named twice": consistency.same_image_twice,
}
FOLDER_CHECKS = {
    "queries without a gallery match": consistency.queries_without_match,
    "identities in train and test": consistency.train_test_overlap,
    "identities tested in one protocol only": consistency.untested_identities,
    "queries also in the other gallery": consistency.queries_in_other_gallery,
}
T = TypeVar("T")


@dataclass(frozen=True)
class ListedTree:
    """A tree as listed, its names parsed: its unique images per folder (training once), the files whose
    names do not parse, the second training copy, what was ignored, and the problems of its layout and
    names."""

    root: Path
    images: dict[str, list[TreeImage]]  # folder -> images, in name order; the second train copy left out
    unparsed: list[str]  # relative paths
    second_copy: list[str] | None  # relative paths; None where the tree has no second copy
    ignored: Counter[str]
    problems: dict[str, list[Problem]]  # kind of problem -> the problems, each naming its file

    def file_groups(self) -> dict[str, list[TreeImage]]:
        """The images of each file group of the release, sorted by image_id, in `protocol` order."""
        return {
            group.name: sorted(
                (i for f, images in self.images.items() if FOLDER_GROUPS[f] == group for i in images),
                key=lambda i: i.image_id,
            )
            for group in protocol.FILE_GROUPS
        }


@dataclass(frozen=True)
class ReadTree:
    """A tree as read: its listing, the facts of every unique image, and every problem found."""

    listed: ListedTree
    facts: dict[str, ImageFacts]  # relative path -> facts of the image there
    problems: dict[str, list[Problem]]

    @property
    def formats(self) -> Counter[str]:
        return Counter(f.format for f in self.facts.values())

    @property
    def pngs(self) -> int:
        return self.formats[PNG]


def _parse(listing: TreeListing) -> tuple[dict[str, list[TreeImage]], list[str], list[Problem]]:
    """The images of every folder but the second training copy (compared by bytes, not parsed)."""
    images: dict[str, list[TreeImage]] = {}
    unparsed, problems = [], []
    for folder, names in listing.folders.items():
        if folder == SECOND_TRAIN_COPY:
            continue
        images[folder] = []
        for name in names:
            try:
                images[folder].append(TreeImage(folder, name, parse_name(name)))
            except ValueError as error:
                unparsed.append(f"{folder}/{name}")
                problems.append(Problem(listing.path(folder, name), f"unparseable name: {error}"))
    return images, unparsed, problems


def list_tree(root: Path) -> ListedTree:
    """List the tree at `root` and parse its names (the problems of its layout and names alone)."""
    listing = scan_tree(root)
    images, unparsed, bad_names = _parse(listing)
    problems = {"layout": listing.problems, "unparseable names": bad_names}
    second = listing.folders.get(SECOND_TRAIN_COPY)
    second = None if second is None else [f"{SECOND_TRAIN_COPY}/{name}" for name in second]
    return ListedTree(listing.root, images, unparsed, second, listing.ignored, problems)


def name_problems(tree: ListedTree) -> dict[str, list[Problem]]:
    """What the names say against each other: views, identities, queries and galleries."""
    every = [image for folder in tree.images.values() for image in folder]
    problems = {kind: check(tree.root, every) for kind, check in TREE_CHECKS.items()}
    return problems | {kind: check(tree.root, tree.images) for kind, check in FOLDER_CHECKS.items()}


def _batches(items: Sequence[T]) -> list[tuple[T, ...]]:
    return [tuple(items[i : i + BATCH]) for i in range(0, len(items), BATCH)]


class TreeReading:
    """Every image of a listed tree being read, by `pool`'s processes (a `worker_pool` with
    `start_worker`), or, without a pool, here when its result is asked for.

    The file groups' batches go to the workers in order, `AHEAD` at a time beyond the one being written,
    so memory stays flat whatever the tree's size; a training image's second copy is read with it and
    compared byte for byte. The leftovers (the facts of the files whose names do not parse, the hashes of
    second copies without a twin read) go all at once first, so that no worker is still busy with them once
    the last rows are written. Ask for each file group's rows in `protocol.FILE_GROUPS` order, then
    `finish()`; a group never asked for is read by `finish()` for its facts alone.
    """

    def __init__(self, tree: ListedTree, pool: Executor | None = None, strip: bool = False) -> None:
        self.tree, self._pool, self._strip = tree, pool, strip
        self._root = root = str(tree.root)
        self._unparsed = [
            (batch, self._task(inspect_files, tuple(f"{root}/{p}" for p in batch)))
            for batch in _batches(tree.unparsed)
        ]
        first = {i.name for i in tree.images.get(FIRST_TRAIN_COPY, ())}
        second = tree.second_copy or []
        self._twins = {p for p in second if p.rsplit("/", 1)[1] in first}
        self._lone_copies = [  # second copies without a twin read: hashed
            (batch, self._task(hash_files, tuple(f"{root}/{p}" for p in batch)))
            for batch in _batches([p for p in second if p not in self._twins])
        ]
        self._copies: dict[str, FileDigest] = {}  # second copy -> its digest
        self._waiting = deque(
            (name, batch) for name, images in tree.file_groups().items() for batch in _batches(images)
        )
        self._started: deque[tuple[str, tuple[TreeImage, ...], Callable[[], ReadBatch]]] = deque()
        self._start_more()
        self._facts: dict[str, ImageFacts] = {}

    def _task(self, function: Callable[..., T], *args: object) -> Callable[[], T]:
        """`function(*args)` handed to the pool now; called, its result (here, without a pool)."""
        if self._pool is None:
            return partial(function, *args)
        return self._pool.submit(function, *args).result

    def _start_more(self) -> None:
        while self._waiting and len(self._started) < AHEAD:
            name, images = self._waiting.popleft()
            paths, twins = tuple(i.relative for i in images), tuple(map(self._twin, images))
            task = self._task(read_batch, self._root, paths, self._strip, twins)
            self._started.append((name, images, task))

    def _twin(self, image: TreeImage) -> str | None:
        """The path of `image`'s second training copy, if it is a training image that has one."""
        twin = f"{SECOND_TRAIN_COPY}/{image.name}"
        return twin if image.folder == FIRST_TRAIN_COPY and twin in self._twins else None

    def rows(self, group: str) -> Iterator[pa.Table]:
        """The release rows of file group `group`, sorted by image_id, a batch at a time as read (an image
        that does not read is left out, and reported by `finish()`)."""
        later = {name for name, *_ in chain(self._started, self._waiting)}
        if self._started and self._started[0][0] != group and group in later:
            raise ValueError(f"the rows of {group} asked for before those of {self._started[0][0]}")
        while self._started and self._started[0][0] == group:
            _, images, result = self._started.popleft()
            self._start_more()
            batch = result()
            self._facts.update(zip((i.relative for i in images), batch.facts, strict=True))
            self._copies.update(batch.twins)
            yield release_rows(images, batch)

    def finish(self) -> ReadTree:
        """The facts of every unique image and every problem of the tree, once all is read."""
        while self._started:
            for _ in self.rows(self._started[0][0]):
                pass
        for paths, result in self._unparsed:
            self._facts.update(zip(paths, result(), strict=True))
        copy = dict(self._copies)
        for paths, result in self._lone_copies:
            copy.update(zip(paths, result(), strict=True))
        root, facts = self.tree.root, self._facts
        problems = dict(self.tree.problems)
        unreadable = [Problem(root / p, f.error) for p, f in facts.items() if f.error]
        unreadable += [Problem(root / p, digest.error) for p, digest in copy.items() if digest.error]
        problems["unreadable images"] = sorted(unreadable, key=str)
        if self.tree.second_copy is not None and FIRST_TRAIN_COPY in self.tree.images:
            first = {
                p.rsplit("/", 1)[1]: f.sha256 or None  # an unreadable file has no SHA-256
                for p, f in facts.items()
                if p.startswith(FIRST_TRAIN_COPY + "/")
            }
            second = {p.rsplit("/", 1)[1]: d.sha256 or None for p, d in copy.items()}
            problems["training copies differ"] = consistency.differing_copies(root, first, second)
        return ReadTree(self.tree, facts, {kind: found for kind, found in problems.items() if found})
