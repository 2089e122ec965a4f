"""The code base stays `ruff` clean (lint and format), checked in CI like any other behaviour."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.paths import ROOT


def _ruff() -> list[str]:
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent))
    if ruff is None:
        pytest.fail("ruff is not installed: install the test extra (scripts/install.sh --test)")
    return [ruff]


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]])
def test_ruff_is_clean(command):
    result = subprocess.run(_ruff() + command + ["."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


SKIPPED_AS_BUILD_OUTPUT = {"build", "dist"}
"""Folder names that Python's .gitignore template, pytest's norecursedirs and packaging tools skip."""


def test_no_source_or_test_folder_is_named_like_a_build_output():
    folders = [
        path.relative_to(ROOT).as_posix()
        for top in ("cvpair", "training", "splits", "cards", "annotation", "tests", "benchmarks")
        for path in (ROOT / top).rglob("*")
        if path.is_dir() and path.name in SKIPPED_AS_BUILD_OUTPUT
    ]
    assert folders == []
