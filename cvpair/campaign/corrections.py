"""Reads corrections.csv, the reviewers' decisions about single crops (see annotation/corrections.md)."""

from __future__ import annotations

import csv
from pathlib import Path

from cvpair.campaign.fields import to_int
from cvpair.campaign.model import Correction
from cvpair.errors import InputError, Problem

COLUMNS = ("image_id", "action", "identity", "note")
ACTIONS = ("drop", "relabel")


def read_corrections(path: Path) -> list[Correction]:
    """The corrections in file order; raises InputError naming every bad line."""
    path = Path(path)
    if not path.is_file():
        raise InputError(Problem(path, "not found"))
    problems: list[Problem] = []
    corrections: dict[str, Correction] = {}
    with open(path, newline="", encoding="utf-8-sig") as stream:
        reader = csv.DictReader(stream)
        missing = [name for name in COLUMNS[:3] if name not in (reader.fieldnames or [])]
        if missing:
            raise InputError(Problem(path, f"header lacks column(s) {', '.join(missing)}", line=1))
        for row in reader:
            line = reader.line_num
            correction, problem = _parse(row, line)
            if problem:
                problems.append(Problem(path, problem, line=line))
                continue
            earlier = corrections.setdefault(correction.image_id, correction)
            if (earlier.action, earlier.identity) != (correction.action, correction.identity):
                problems.append(
                    Problem(
                        path,
                        f"{earlier.image_id} has a different correction on line {earlier.line}",
                        line=line,
                    )
                )
    if problems:
        raise InputError(problems, headline=f"cannot read {path}")
    return list(corrections.values())


def _parse(row: dict[str, str | None], line: int) -> tuple[Correction | None, str | None]:
    """(correction, None) or (None, what is wrong with the row)."""
    image_id, action = (row.get("image_id") or "").strip(), (row.get("action") or "").strip()
    identity_text = (row.get("identity") or "").strip()
    identity = to_int(identity_text) if identity_text else None
    if not image_id:
        return None, "empty image_id"
    if action not in ACTIONS:
        return None, f"action {action!r} is not one of {', '.join(ACTIONS)}"
    if identity_text and (identity is None or identity < 0):
        return None, f"identity {identity_text!r} is not a non-negative integer"
    if action == "relabel" and identity is None:
        return None, "relabel needs the new identity"
    note = (row.get("note") or "").strip()
    return Correction(image_id, action, identity, note, line), None
