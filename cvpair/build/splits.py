"""Identity-disjoint train/test splits, and the file groups (train, test_aerial, test_ground) rows go to.

The split is drawn with a fixed seed, unless the profile commits one as `splits/<profile>/manifest.csv`
(columns `identity,split`, or a release's `image_id,identity,view,split`): then that one is used, and it
also decides which identities the release holds. Both protocols (A2G, G2A) query the same test identities;
`cvpair.release.layout.PROTOCOLS` points their query / gallery at the two test file groups.
"""

from __future__ import annotations

import csv
from importlib.resources import files
from pathlib import Path

import numpy as np

from cvpair.errors import InputError, Problem
from cvpair.release import layout
from cvpair.schema import VIEWS

TRAIN, TEST = "train", "test"
MANIFEST = "manifest.csv"


def draw_splits(identities: list[int], test_fraction: float, seed: int) -> dict[int, str]:
    """identity -> train | test: a seeded shuffle, `test_fraction` of identities to test (both splits
    non-empty when there are two or more identities)."""
    ordered = sorted(identities)
    count = round(len(ordered) * test_fraction)
    if len(ordered) >= 2:
        count = min(max(count, 1), len(ordered) - 1)
    shuffled = np.random.default_rng([seed, 2]).permutation(np.array(ordered, dtype=np.int64))
    test = set(shuffled[:count].tolist())
    return {identity: TEST if identity in test else TRAIN for identity in ordered}


def committed_manifest(profile: str) -> Path | None:
    """The profile's committed split manifest, if there is one."""
    path = files("cvpair.splits") / profile / MANIFEST
    return Path(str(path)) if path.is_file() else None


def read_manifest(path: Path) -> dict[int, str]:
    """identity -> train | test from a split manifest; raises InputError naming every bad line."""
    problems: list[Problem] = []
    assignment: dict[int, str] = {}
    with open(path, newline="", encoding="utf-8-sig") as stream:
        reader = csv.DictReader(stream)
        if not {"identity", "split"} <= set(reader.fieldnames or []):
            raise InputError(Problem(path, "header needs the columns identity and split", line=1))
        for row in reader:
            identity, split = (row.get("identity") or "").strip(), (row.get("split") or "").strip()
            if not identity.isdigit() or split not in (TRAIN, TEST):
                problems.append(Problem(path, f"bad row {identity!r}, {split!r}", line=reader.line_num))
            elif assignment.setdefault(int(identity), split) != split:
                problems.append(Problem(path, f"identity {identity} is in both splits", line=reader.line_num))
    if problems:
        raise InputError(problems, headline=f"cannot read {path}")
    return assignment


def file_split(split: str, view: int) -> str:
    """The file group of a row: train holds both views; test rows go by view."""
    if split == TRAIN:
        return layout.TRAIN
    return layout.TEST_AERIAL if VIEWS[view] == "aerial" else layout.TEST_GROUND
