"""Parsing of the numbers that campaign files (XML attributes, CSV cells, SRT text) write as text.

They return None instead of raising so that a reader can collect every bad value with its line.
"""

from __future__ import annotations

import math


def to_float(text: str | None) -> float | None:
    """A finite number, or None."""
    try:
        value = float(text) if text is not None else math.nan
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def to_int(text: str | None) -> int | None:
    """An integer written as `17` or `17.0` (CVAT and MOT files write integers either way), or None."""
    value = to_float(text)
    return int(value) if value is not None and value.is_integer() else None


FLAG_SPELLINGS = {"0": False, "1": True, "false": False, "true": True, "False": False, "True": True}
"""How CVAT (`0`/`1`) and FiftyOne's CVAT writer (`False`/`True`) write a flag."""


def to_flag(text: str) -> bool | None:
    """A flag in any of its spellings, in any case and with spaces around, or None."""
    return FLAG_SPELLINGS.get(text.strip().lower())
