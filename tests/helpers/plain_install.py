"""Run the `cvpair` command line in a subprocess that cannot import the test extras, as after a plain
`pip install cvpair`: a `sitecustomize` on PYTHONPATH puts an import blocker first on the meta path.
Cheaper than a second virtual environment, and it fails the same way a user's install would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import tomllib

from tests.helpers.paths import ROOT

ALWAYS_BLOCKED = ("fvcore",)
"""Once a test extra for counting FLOPs: a plain install never has it."""

_SITECUSTOMIZE = """
import importlib.abc
import sys

BLOCKED = {blocked!r}


class _Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}} (blocked: not part of a plain install)")
        return None


sys.meta_path.insert(0, _Blocker())
"""


def extra_modules() -> set[str]:
    """Import names of the `test` extra's distributions (pytest-timeout -> pytest_timeout), plus _pytest."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = set()
    for requirement in project["optional-dependencies"]["test"]:
        distribution = requirement.split(";")[0].split("[")[0]
        for operator in "<>=!~ ":
            distribution = distribution.split(operator)[0]
        names.add(distribution.strip().lower().replace("-", "_"))
    return names | {"_pytest"} | set(ALWAYS_BLOCKED)


def blocked_environment(folder: Path) -> dict[str, str]:
    """Environment variables for a subprocess that cannot import the test extras."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(_SITECUSTOMIZE.format(blocked=sorted(extra_modules())))
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join([str(folder), str(ROOT)])
    environment["OMP_NUM_THREADS"] = "1"
    environment.pop("PYTEST_CURRENT_TEST", None)
    return environment


def run_cli(args: list[str], folder: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    """`cvpair ARGS` in a plain-install subprocess; returns the finished process (output captured)."""
    command = [sys.executable, "-c", "from cvpair.cli import main; main()", *args]
    return subprocess.run(
        command, env=blocked_environment(folder), capture_output=True, text=True, timeout=timeout
    )
