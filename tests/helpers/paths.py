"""Where the tests find the repository, and the real inputs beside it (tests skip where they are absent)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
"""The repository's root."""

REAL_INPUTS = ROOT.parent / "shared" / "real-inputs"
"""Real annotation exports, videos and telemetry files, never copied into the repository."""
