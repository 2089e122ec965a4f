"""Shared test set-up: isolate every outside store (FiftyOne's database, the Hugging Face caches) in a
temporary folder, forbid network access, and build the demo campaign and release once per session."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

_ISOLATED_HOME = Path(tempfile.mkdtemp(prefix="cvpair-tests-"))

# Set before any test module imports fiftyone / datasets / huggingface_hub: they read these at import time.
os.environ.update(
    {
        "FIFTYONE_DATABASE_DIR": str(_ISOLATED_HOME / "fiftyone-db"),
        "FIFTYONE_DEFAULT_DATASET_DIR": str(_ISOLATED_HOME / "fiftyone"),
        "FIFTYONE_DO_NOT_TRACK": "true",
        "FIFTYONE_DATABASE_VALIDATION": "false",
        "HF_HOME": str(_ISOLATED_HOME / "hf"),
        "HF_DATASETS_CACHE": str(_ISOLATED_HOME / "hf" / "datasets"),
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "CVPAIR_CACHE_DIR": str(_ISOLATED_HOME / "cvpair-cache"),
        "MPLBACKEND": "Agg",
    }
)


@pytest.fixture(scope="session")
def isolated_home() -> Path:
    """The temporary folder that stands in for the user's home stores during the tests."""
    return _ISOLATED_HOME


def pytest_sessionfinish(session, exitstatus) -> None:
    """Remove the isolated stores (session fixtures, such as the private mongod, are finished by now)."""
    shutil.rmtree(_ISOLATED_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def fiftyone_database(isolated_home: Path):
    """FiftyOne on a mongod of this session's own (tests/helpers/mongod.py), stopped when the session ends."""
    from tests.helpers.mongod import private_mongod

    with private_mongod(isolated_home / "fiftyone-db") as uri:
        yield uri


@pytest.fixture(scope="session")
def demo_release(demo_campaign, tmp_path_factory) -> Path:
    """The demo campaign built once per session (profile demo, seed 0); returns the release folder."""
    from cvpair.pipeline.build import build_release

    return build_release(demo_campaign, tmp_path_factory.mktemp("demo-release") / "release").release


@pytest.fixture(scope="session")
def demo_campaign(tmp_path_factory) -> Path:
    """The demo synthetic campaign (profile demo, seed 0), generated once per session."""
    from cvpair.synth import generate_campaign

    return generate_campaign(tmp_path_factory.mktemp("demo-campaign") / "campaign", profile="demo", seed=0)
