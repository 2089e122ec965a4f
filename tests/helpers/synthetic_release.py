"""Releases with uneven, chosen contents (images per identity and view, split, telemetry), written with the
real writer from `release_factory`'s rows, for the card, Croissant, publish and diff tests: they need exact,
known contents and must not wait for a full build."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cvpair import protocol
from cvpair.release.provenance import Provenance
from cvpair.release.writer import write_release
from cvpair.schema import ABOVE_TAKEOFF
from tests.helpers.release_factory import crop_row, file_group_tables


@dataclass(frozen=True)
class Identity:
    """One vehicle of a synthetic release: its split, images per view, and the drone's altitude."""

    identity: int
    split: str  # protocol.TRAIN or protocol.TEST
    aerial: int
    ground: int
    altitude_m: float | None = 50.0  # of its first aerial image, +1 m per next one; None: no telemetry


def _rows(spec: Identity, view: str) -> list[dict]:
    rows = []
    for index in range(spec.aerial if view == "aerial" else spec.ground):
        row = crop_row(spec.identity, view, index)
        if view == "aerial":
            row["altitude_m"] = None if spec.altitude_m is None else spec.altitude_m + index
            row["altitude_reference"] = None if spec.altitude_m is None else ABOVE_TAKEOFF
        rows.append(row)
    return rows


def write_identities(out: Path, identities: list[Identity], provenance: Provenance | None = None) -> Path:
    """Write a release of `identities` at `out` through `write_release` (card and Croissant included)."""
    rows = [row for spec in identities for view in protocol.VIEWS for row in _rows(spec, view)]
    tables = file_group_tables(rows, {s.identity for s in identities if s.split == protocol.TEST})
    record = provenance or Provenance("test", {"profile": "demo", "seed": 0}, campaign="synthetic")
    return write_release(out, tables, provenance=record, report={})


UNEVEN = [
    Identity(1, protocol.TRAIN, aerial=1, ground=1, altitude_m=30.0),
    Identity(2, protocol.TRAIN, aerial=2, ground=3, altitude_m=None),
    Identity(3, protocol.TRAIN, aerial=4, ground=1, altitude_m=80.0),
    Identity(4, protocol.TEST, aerial=2, ground=2, altitude_m=45.5),
    Identity(5, protocol.TEST, aerial=3, ground=0, altitude_m=60.0),
    Identity(6, protocol.TEST, aerial=1, ground=5, altitude_m=100.0),
]
"""Six identities, 2 to 6 images each, one seen from the air only, one without telemetry."""
