"""The registry of named checks: each is a pure function of a release's facts that returns its findings.

A check says what it needs (the files, the rows' columns, the image pass, a profile); when that is
missing the runner skips it and says why, instead of letting it fail for someone else's reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from cvpair.checks.report import Finding, Severity


class Needs(str, Enum):
    FILES = "files"  # the folder, card and Parquet footers
    ROWS = "rows"  # every row's non-image columns
    IMAGES = "images"  # the image pass
    PROFILE = "profile"  # rows and a resolved profile


@dataclass(frozen=True)
class Check:
    name: str
    severity: Severity
    needs: Needs
    run: Callable[..., list[Finding]]
    doc: str


CHECKS: dict[str, Check] = {}


def check(name: str, severity: Severity = Severity.ERROR, needs: Needs = Needs.ROWS):
    """Register the decorated function as the check `name`; its docstring says what it proves."""

    def register(function: Callable[..., list[Finding]]) -> Callable[..., list[Finding]]:
        if name in CHECKS:
            raise ValueError(f"check {name!r} registered twice")
        CHECKS[name] = Check(name, severity, needs, function, (function.__doc__ or "").strip())
        return function

    return register


def all_checks() -> list[Check]:
    """Every check, in report order (the order of the modules below, then of definition)."""
    from cvpair.checks import (  # noqa: F401 - importing registers the checks
        card,
        integrity,
        layout,
        metadata,
        profile,
        protocol,
    )

    order = ("layout", "profile", "integrity", "protocol", "metadata", "card")  # the modules, by name
    return sorted(CHECKS.values(), key=lambda c: order.index(c.name.split(".")[0]))
