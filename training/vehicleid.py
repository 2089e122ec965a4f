"""VehicleID (Liu et al. 2016) as `ReidData`.

Layout: image/<name>.jpg and train_test_split/{train_list, test_list_800, test_list_1600, test_list_2400}.txt
with "<image name> <identity>" lines (names given with or without .jpg). Protocol per test list: one random
image per identity forms the gallery, the others are queries; metrics are averaged over 10 such trials.
VehicleID has no camera labels, so nothing is excluded.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from cvpair.training.data import Protocol, ReidData, ReidImage, check_files_exist, read_list

TEST_SIZES: tuple[int, ...] = (800, 1600, 2400)
TRIALS = 10
GROUND = 1


def _parse(line: str) -> tuple[str, int]:
    name, identity = line.split()
    return (name if name.endswith(".jpg") else f"{name}.jpg"), int(identity)


def _read(root: Path, list_name: str) -> tuple[ReidImage, ...]:
    listed = root / "train_test_split" / list_name
    rows = read_list(listed, _parse)
    check_files_exist([root / "image" / name for name, _ in rows], listed)
    return tuple(
        ReidImage(f"image/{name}", root / "image" / name, identity, 0, GROUND) for name, identity in rows
    )


def gallery_trials(
    identities: np.ndarray, trials: int, seed: int
) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """`trials` random (query, gallery) index splits with exactly one gallery image per identity."""
    by_identity: dict[int, list[int]] = defaultdict(list)
    for index, identity in enumerate(identities.tolist()):
        by_identity[identity].append(index)
    rng = np.random.default_rng(seed)
    splits = []
    for _ in range(trials):
        gallery = np.array(sorted(int(rng.choice(indices)) for indices in by_identity.values()))
        splits.append((np.setdiff1d(np.arange(len(identities)), gallery), gallery))
    return tuple(splits)


def load_vehicleid(root: Path, sizes: tuple[int, ...] = TEST_SIZES, seed: int = 0) -> ReidData:
    root = Path(root)
    protocols = []
    for size in sizes:
        images = _read(root, f"test_list_{size}.txt")
        trials = gallery_trials(np.array([im.identity for im in images]), TRIALS, seed)
        protocols.append(Protocol(f"vehicleid-{size}", images, trials, use_cameras=False))
    return ReidData("vehicleid", _read(root, "train_list.txt"), tuple(protocols))
