"""Release profiles: the sizes a release must have, kept as data in `splits/<name>/profile.json`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.resources import files

from cvpair.errors import CvpairError


@dataclass(frozen=True)
class Profile:
    name: str
    identities: int | None  # exact number of identities in a release; None: whatever the campaign gives
    images: int | None  # exact number of images; None: whatever the campaign gives
    test_fraction: float  # share of identities that go to test
    provisional: bool
    note: str = ""


def available_profiles() -> list[str]:
    """Names of the profiles shipped in `splits/`."""
    return sorted(p.name for p in files("cvpair.splits").iterdir() if (p / "profile.json").is_file())


def load_profile(name: str) -> Profile:
    """The profile called `name`; a clear error lists the known ones."""
    path = files("cvpair.splits") / name / "profile.json"
    if not path.is_file():
        raise CvpairError(f"unknown profile {name!r}; known: {', '.join(available_profiles())}")
    raw = json.loads(path.read_text())
    return Profile(
        name=raw["name"],
        identities=raw.get("identities"),
        images=raw.get("images"),
        test_fraction=raw.get("test_fraction", 0.5),
        provisional=raw.get("provisional", False),
        note=raw.get("note", ""),
    )
