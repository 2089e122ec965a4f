"""Read a whole tree: list it, parse every name, read every image in parallel worker processes, and
gather every problem. Nothing is written; `cvpair import` writes a release only from a tree without
problems."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

from cvpair.errors import Problem
from cvpair.imagebytes import PNG
from cvpair.market import consistency
from cvpair.market.consistency import TreeImage
from cvpair.market.images import ImageFacts, hash_files, inspect_files
from cvpair.market.names import parse_name
from cvpair.market.tree import TRAIN_FOLDER, TreeListing, folder_name, scan_tree

BATCH = 64  # files per worker task: small enough to balance the workers, large enough to be cheap
FIRST_TRAIN_COPY, SECOND_TRAIN_COPY = folder_name("a2g", TRAIN_FOLDER), folder_name("g2a", TRAIN_FOLDER)
TREE_CHECKS = {
    "queries without a gallery match": consistency.queries_without_match,
    "identities in train and test": consistency.train_test_overlap,
    "identities tested in one protocol only": consistency.untested_identities,
    "queries also in the other gallery": consistency.queries_in_other_gallery,
}


@dataclass(frozen=True)
class ReadTree:
    """A tree as read: its unique images per folder (training once), their facts, what was ignored, and
    every problem found."""

    root: Path
    images: dict[str, list[TreeImage]]  # folder -> images, in name order; the second train copy left out
    facts: dict[str, ImageFacts]  # relative path -> facts of the image there
    ignored: Counter[str]
    problems: dict[str, list[Problem]]  # kind of problem -> the problems, each naming its file

    @property
    def formats(self) -> Counter[str]:
        return Counter(f.format for f in self.facts.values())

    @property
    def pngs(self) -> int:
        return self.formats[PNG]


def _batches(paths: Sequence[str]) -> list[tuple[str, ...]]:
    return [tuple(paths[i : i + BATCH]) for i in range(0, len(paths), BATCH)]


def _parse(listing: TreeListing) -> tuple[dict[str, list[TreeImage]], list[Problem]]:
    """The images of every folder but the second training copy (compared by bytes, not parsed)."""
    images: dict[str, list[TreeImage]] = {}
    problems = []
    for folder, names in listing.folders.items():
        if folder == SECOND_TRAIN_COPY:
            continue
        images[folder] = []
        for name in names:
            try:
                images[folder].append(TreeImage(folder, name, parse_name(name)))
            except ValueError as error:
                problems.append(Problem(listing.path(folder, name), f"unparseable name: {error}"))
    return images, problems


def read_tree(root: Path, pool: Executor | None = None) -> ReadTree:
    """List, parse and read every image of the tree at `root`, in `pool`'s processes (`worker_pool` with
    `start_worker`), or in this process without one."""
    mapper = pool.map if pool is not None else map
    listing = scan_tree(root)
    images, bad_names = _parse(listing)
    unique = [f"{folder}/{name}" for folder, names in listing.folders.items()
              if folder != SECOND_TRAIN_COPY for name in names]  # fmt: skip
    copy = [f"{SECOND_TRAIN_COPY}/{name}" for name in listing.folders.get(SECOND_TRAIN_COPY, [])]
    absolute = str(listing.root) + "/"
    facts_batches = mapper(inspect_files, _batches([absolute + p for p in unique]))
    digest_batches = mapper(hash_files, _batches([absolute + p for p in copy]))
    facts = dict(zip(unique, (f for batch in facts_batches for f in batch), strict=True))
    copy_digests = dict(zip(copy, (d for batch in digest_batches for d in batch), strict=True))
    problems: dict[str, list[Problem]] = {"layout": listing.problems, "unparseable names": bad_names}
    problems["unreadable images"] = [Problem(listing.root / p, f.error) for p, f in facts.items() if f.error]
    if SECOND_TRAIN_COPY in listing.folders and FIRST_TRAIN_COPY in listing.folders:
        first = {p.rsplit("/", 1)[1]: facts[p].sha256 for p in unique if p.startswith(FIRST_TRAIN_COPY + "/")}
        second = {p.rsplit("/", 1)[1]: digest for p, digest in copy_digests.items()}
        problems["training copies differ"] = consistency.differing_copies(listing.root, first, second)
    every = [image for folder in images.values() for image in folder]
    problems["wrong views"] = consistency.wrong_views(listing.root, every)
    problems["one image named twice"] = consistency.same_image_twice(listing.root, every)
    for kind, check in TREE_CHECKS.items():
        problems[kind] = check(listing.root, images)
    return ReadTree(listing.root, images, facts, listing.ignored, {k: v for k, v in problems.items() if v})
