"""Fixtures of the training tests: one torch thread for every module, and tiny VeRi-776 and VehicleID trees
laid out exactly like the real datasets."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PIL import Image


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """One intra-op thread: on a shared 2-core machine two spinning OpenMP threads ran 6x slower per step."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _image(path: Path, shade: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (12, 10), (shade, 0, 0)).save(path)


@pytest.fixture
def veri(tmp_path: Path) -> Path:
    layout = {
        "image_train": ["0002_c002_00030600_0.jpg", "0002_c003_00030700_0.jpg", "0010_c001_00001000_1.jpg"],
        "image_query": ["0005_c004_00077200_0.jpg"],
        "image_test": ["0005_c004_00077300_0.jpg", "0005_c011_00080000_0.jpg", "0007_c004_00010000_0.jpg"],
    }
    lists = {"image_train": "name_train.txt", "image_query": "name_query.txt", "image_test": "name_test.txt"}
    for folder, names in layout.items():
        for shade, name in enumerate(names):
            _image(tmp_path / folder / name, 40 * shade)
        (tmp_path / lists[folder]).write_text("\n".join(names) + "\n")
    return tmp_path


@pytest.fixture
def vehicleid(tmp_path: Path) -> Path:
    split = tmp_path / "train_test_split"
    split.mkdir()
    train = [("0000001", 0), ("0000002", 0), ("0000003", 4)]
    # Three identities with 3, 2 and 1 images in the smallest test list.
    test = [("0000010", 21), ("0000011", 21), ("0000012", 21)] + [("0000020", 33), ("0000021", 33)]
    test += [("0000030", 40)]
    for shade, (name, _) in enumerate(train + test):
        _image(tmp_path / "image" / f"{name}.jpg", shade)
    (split / "train_list.txt").write_text("".join(f"{n} {i}\n" for n, i in train))
    for size in (800, 1600, 2400):
        (split / f"test_list_{size}.txt").write_text("".join(f"{n} {i}\n" for n, i in test))
    return tmp_path
