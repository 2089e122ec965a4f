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


_FLAGS = {"0": False, "1": True, "false": False, "true": True}


def to_flag(text: str) -> bool | None:
    """A CVAT flag as CVAT (`0`/`1`) and FiftyOne's CVAT writer (`False`/`True`) spell it, or None."""
    return _FLAGS.get(text.strip().lower())
