"""Shared test set-up: isolate every outside store (FiftyOne's database, the Hugging Face caches) in a
temporary folder, forbid network access, and build the demo campaign and release once per session."""

from __future__ import annotations

import os
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
