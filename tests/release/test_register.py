"""`load_dataset("cvpair")` works offline after a build: from any folder, and from the repository root."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cvpair import protocol
from cvpair.release import layout
from cvpair.release.register import register_release
from tests.helpers.paths import ROOT
from tests.helpers.release_factory import make_release

LOAD_BY_NAME = (
    "from datasets import load_dataset; d = load_dataset('cvpair'); "
    "print(d['train'].num_rows, d['query'].num_rows, d['gallery'].num_rows)"
)


def _load_by_name_in(cwd: Path, hf_home: Path) -> str:
    env = {**os.environ, "HF_HOME": str(hf_home), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    env.pop("HF_DATASETS_CACHE", None)
    result = subprocess.run(
        [sys.executable, "-c", LOAD_BY_NAME], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.split()


@pytest.fixture
def small_release(tmp_path):
    return make_release(tmp_path / "my-release", train_ids=[1, 2, 3], test_ids=[4, 5], images_per_view=2)


def test_registered_release_loads_by_bare_name_from_an_unrelated_folder(small_release, tmp_path):
    hf_home = tmp_path / "hf"
    register_release(small_release, cache_dir=hf_home / "datasets")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert _load_by_name_in(elsewhere, hf_home) == ["12", "2", "2"]


def test_the_package_pointer_card_follows_the_protocol():
    import yaml

    text = (ROOT / "cvpair" / "README.md").read_text()
    configs = yaml.safe_load(text.split("---")[1])["configs"]
    assert {c["config_name"]: {f["split"]: f["path"] for f in c["data_files"]} for c in configs} == {
        name: {split: f"../cvpair-release/{layout.data_pattern(group)}" for split, group in p.splits.items()}
        for name, p in protocol.PROTOCOLS.items()
    }


def test_bare_name_in_the_repository_root_loads_the_default_release_folder(small_release, tmp_path):
    # A copy of the repository root's relevant shape: the package folder with its pointer card, and
    # the default release folder beside it.
    root = tmp_path / "checkout"
    (root / "cvpair").mkdir(parents=True)
    shutil.copy(ROOT / "cvpair" / "README.md", root / "cvpair" / "README.md")
    shutil.copy(ROOT / "cvpair" / "__init__.py", root / "cvpair" / "__init__.py")
    shutil.copytree(small_release, root / "cvpair-release")
    assert _load_by_name_in(root, tmp_path / "hf-empty") == ["12", "2", "2"]
