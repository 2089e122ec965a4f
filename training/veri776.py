"""VeRi-776 (Liu et al. 2016) as `ReidData`.

Layout: image_train/, image_query/, image_test/ and name_train.txt, name_query.txt, name_test.txt (one file
name per line). A name such as 0002_c002_00030600_0.jpg holds the identity (0002) and camera (c002). The
protocol is query vs. test with the standard same-identity-same-camera exclusion. A vehicle's images by one
camera are one track (VeRi-776 was sampled from per-camera trajectories).
"""

from __future__ import annotations

import re
from pathlib import Path

from cvpair.training.data import Protocol, ReidData, ReidImage, check_files_exist, read_list

_NAME = re.compile(r"^(\d+)_c(\d+)_.*\.jpg$")
GROUND = 1  # every VeRi-776 camera is a street camera


def _parse(name: str) -> tuple[str, int, int]:
    match = _NAME.match(name)
    if not match:
        raise ValueError("expected <identity>_c<camera>_<frame>_<n>.jpg")
    return name, int(match.group(1)), int(match.group(2))


def _read(root: Path, folder: str, list_name: str) -> tuple[ReidImage, ...]:
    listed = root / list_name
    rows = read_list(listed, _parse)
    check_files_exist([root / folder / name for name, _, _ in rows], listed)
    return tuple(
        ReidImage(f"{folder}/{name}", root / folder / name, identity, camera, GROUND, f"c{camera:03d}")
        for name, identity, camera in rows
    )


def load_veri776(root: Path) -> ReidData:
    root = Path(root)
    query = _read(root, "image_query", "name_query.txt")
    gallery = _read(root, "image_test", "name_test.txt")
    protocol = Protocol.query_gallery("veri776", query, gallery, use_cameras=True)
    return ReidData("veri776", _read(root, "image_train", "name_train.txt"), (protocol,))
