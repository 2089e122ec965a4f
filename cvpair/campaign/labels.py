"""Which annotation labels are vehicles: the label map.

Capture teams label what they see (`car`, `truck`, `bus`, ...; MOTChallenge numbers classes), so the
label of a track decides whether it becomes crops. The map is a list of labels, one a line:
`annotation/vehicle_labels.txt` by default, replaced by a campaign's own `vehicle_labels.txt`.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

LABEL_MAP = "vehicle_labels.txt"


def parse_labels(text: str) -> frozenset[str]:
    """The labels of a label map's text: one a line, lower-cased; blank lines and `#` comments skipped."""
    lines = (line.split("#", 1)[0].strip().lower() for line in text.splitlines())
    return frozenset(line for line in lines if line)


def default_vehicle_labels() -> frozenset[str]:
    return parse_labels(resources.files("cvpair.annotation").joinpath(LABEL_MAP).read_text(encoding="utf-8"))


def vehicle_labels(root: Path) -> frozenset[str]:
    """The campaign's label map: its own `vehicle_labels.txt` if it has one, else the default."""
    own = Path(root) / LABEL_MAP
    return parse_labels(own.read_text(encoding="utf-8-sig")) if own.is_file() else default_vehicle_labels()
