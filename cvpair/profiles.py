"""Release profiles: the counts a release must have, kept as data in `splits/<name>/profile.json`.

Every profile uses the one protocol of `cvpair.protocol`; a profile only fixes counts. Its optional `table`
is the published table: identities per split, and images per file group and view, e.g.

    "table": {
      "identities": {"train": 391, "test": 503},
      "images": {"train": {"ground": 1569, "aerial": 5879}, "a2g": {"query": 503, "gallery": 1513},
                 "g2a": {"query": 503, "gallery": 5002}},
      "totals": {"identities": 894, "images": 14969}
    }

(query and gallery views follow from the protocol; `totals` must equal the sums). Without a table the
counts are whatever the campaign gives and `test_fraction` of the identities go to test.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from cvpair import protocol
from cvpair.errors import CvpairError, InputError, Problem


@dataclass(frozen=True)
class Table:
    """Exact counts: identities per split, images per (file group, view)."""

    identities: dict[str, int]  # split -> identities
    images: dict[tuple[str, str], int]  # (file group name, view) -> images

    @property
    def total_identities(self) -> int:
        return sum(self.identities.values())

    @property
    def total_images(self) -> int:
        return sum(self.images.values())

    def view_images(self, split: str, view: str) -> int:
        """Images of one split in one view."""
        return sum(
            n
            for (group, v), n in self.images.items()
            if v == view and protocol.GROUPS_BY_NAME[group].split == split
        )


@dataclass(frozen=True)
class Profile:
    name: str
    table: Table | None  # exact counts; None: whatever the campaign gives
    test_fraction: float = 0.5  # share of identities that go to test when there is no table
    note: str = ""

    @property
    def identities(self) -> int | None:
        return self.table.total_identities if self.table else None

    @property
    def images(self) -> int | None:
        return self.table.total_images if self.table else None

    @property
    def test_identities(self) -> int | None:
        return self.table.identities[protocol.TEST] if self.table else None


def available_profiles() -> list[str]:
    """Names of the profiles shipped in `splits/`."""
    return sorted(p.name for p in files("cvpair.splits").iterdir() if (p / "profile.json").is_file())


def read_table(raw: dict, where: str) -> Table:
    """The `table` of a profile.json; a table whose totals disagree with its parts is an error."""
    try:
        identities = {split: int(raw["identities"][split]) for split in protocol.SPLITS}
        images = {
            (protocol.TRAIN_GROUP.name, view): int(raw["images"][protocol.TRAIN][view])
            for view in protocol.VIEWS
        }
        for name, proto in protocol.PROTOCOLS.items():
            for role, group in ((protocol.QUERY, proto.query), (protocol.GALLERY, proto.gallery)):
                images[(group.name, group.view)] = int(raw["images"][name][role])
        totals = raw.get("totals", {})
    except (KeyError, TypeError, ValueError) as error:
        raise InputError(Problem(where, f"profile table is incomplete or not numbers: {error!r}")) from None
    table = Table(identities, images)
    for key, value in (("identities", table.total_identities), ("images", table.total_images)):
        if key in totals and totals[key] != value:
            raise InputError(
                Problem(where, f"table totals: {key} {totals[key]}, but the parts add up to {value}")
            )
    return table


@cache
def load_profile(name: str) -> Profile:
    """The profile called `name`; a clear error lists the known ones. Read once per process: a build, its
    card and a validation all ask for it."""
    path = files("cvpair.splits") / name / "profile.json"
    if not path.is_file():
        raise CvpairError(f"unknown profile {name!r}; known: {', '.join(available_profiles())}")
    raw = json.loads(path.read_text())
    table = raw.get("table")
    return Profile(
        name=raw["name"],
        table=read_table(table, str(path)) if table is not None else None,
        test_fraction=raw.get("test_fraction", 0.5),
        note=raw.get("note", ""),
    )
