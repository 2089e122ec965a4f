"""The bundled campaign: `cvpair build` with no campaign builds the synthetic demo campaign, generated once
into the user's cache and reused. (Not to be confused with `sampling`, which picks a track's boxes.)"""

from __future__ import annotations

import os
from pathlib import Path

BUNDLED_NAME = "sample-demo-seed0"


def cache_root() -> Path:
    """CVPAIR_CACHE_DIR, else ~/.cache/cvpair."""
    configured = os.environ.get("CVPAIR_CACHE_DIR")
    return Path(configured) if configured else Path.home() / ".cache" / "cvpair"


def bundled_campaign() -> Path:
    """The demo campaign's folder, generated on first use (seed 0; the generator renames it into place
    only when complete, so an interrupted first run is simply redone)."""
    folder = cache_root() / BUNDLED_NAME
    if not (folder / "manifest.csv").is_file():
        from cvpair.synth import generate_campaign

        generate_campaign(folder, profile="demo", seed=0)
    return folder
