"""A plain `pip install cvpair` has none of the test extras: no module of the installed package imports
one, and the subprocess blocker the CLI tests run under really stops them."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys

from tests.helpers.plain_install import ROOT, blocked_environment, extra_modules, run_cli

INSTALLED = ("cvpair", "training", "splits", "cards", "annotation")
"""The folders pyproject.toml installs as the cvpair package."""


def test_no_installed_module_imports_a_test_extra():
    extras = extra_modules()
    found = []
    for folder in INSTALLED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                found += [f"{path.relative_to(ROOT)}:{node.lineno} {name}" for name in names
                          if name.split(".")[0] in extras]  # fmt: skip
    assert found == []


def test_the_blocker_stops_the_test_extras(tmp_path):
    assert {"pytest", "ruff", "fvcore"} <= extra_modules()
    result = run_cli(["--version"], tmp_path / "site")
    assert result.returncode == 0, result.stderr
    probe = subprocess.run(
        [sys.executable, "-c", "import fvcore"], env=blocked_environment(tmp_path / "site"),
        capture_output=True, text=True,
    )  # fmt: skip
    assert probe.returncode != 0 and "blocked" in probe.stderr


def test_a_checkout_that_was_never_installed_says_how_to_install_it(tmp_path):
    """training/ is cvpair.training only once installed: without that the error says so."""
    shutil.copytree(ROOT / "cvpair", tmp_path / "cvpair")
    result = subprocess.run(
        [sys.executable, "-S", "-c", "import cvpair.training"], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "cvpair.training is the repository's training/ folder" in result.stderr
    assert "pip install -e ." in result.stderr
