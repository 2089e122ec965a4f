"""The validation report: one result per named check, rendered as a table or as JSON.

A result names what is wrong (rows by image_id, files by path) but caps long lists, so a release with
thousands of bad rows still gives a report a person can read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import Enum

SHOWN_IN_MESSAGE = 10  # items named in a message before "... and N more"
KEPT_IN_JSON = 100  # items listed per finding in the JSON report


class Severity(str, Enum):
    ERROR = "error"  # the release is wrong: validation fails
    WARNING = "warning"  # worth a look; validation still passes


class Status(str, Enum):
    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"  # could not run: what it needs is missing or broken (another check says why)


@dataclass(frozen=True)
class Finding:
    """One kind of fault a check found, and every row or file that has it."""

    message: str
    items: tuple[str, ...] = ()
    total: int | None = None  # how many there are, when `items` lists only the first of very many

    @property
    def count(self) -> int:
        return len(self.items) if self.total is None else self.total

    def render(self) -> str:
        if not self.items:
            return self.message
        shown = ", ".join(self.items[:SHOWN_IN_MESSAGE])
        more = self.count - min(len(self.items), SHOWN_IN_MESSAGE)
        return f"{self.message} ({self.count}): {shown}" + (f", ... and {more} more" if more > 0 else "")


@dataclass(frozen=True)
class CheckResult:
    name: str
    severity: Severity
    status: Status
    findings: tuple[Finding, ...] = ()
    note: str = ""  # why a check was skipped, or what a passing check verified

    @property
    def message(self) -> str:
        return "; ".join(f.render() for f in self.findings) or self.note

    @property
    def failed_error(self) -> bool:
        return self.status is Status.FAIL and self.severity is Severity.ERROR

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "severity": self.severity.value,
            "status": self.status.value,
            "message": self.message,
            "findings": [
                {"message": f.message, "count": f.count, "items": list(f.items[:KEPT_IN_JSON])}
                for f in self.findings
            ],
        }


@dataclass
class Report:
    release: str
    profile: str | None
    results: list[CheckResult] = field(default_factory=list)
    seconds: float = 0.0
    sections: dict[str, dict] = field(default_factory=dict)  # `protocols`, `image_formats` (sections.py)

    @property
    def valid(self) -> bool:
        """True when no error-severity check failed (warnings and skips of warnings do not count)."""
        return not any(r.failed_error for r in self.results)

    @property
    def exit_code(self) -> int:
        return 0 if self.valid else 1

    def result(self, name: str) -> CheckResult:
        return next(r for r in self.results if r.name == name)

    def failed(self) -> list[str]:
        """Names of the checks that failed, errors and warnings alike."""
        return [r.name for r in self.results if r.status is Status.FAIL]

    def to_dict(self) -> dict:
        counts = {s.value: sum(r.status is s for r in self.results) for s in Status}
        return {
            "release": self.release,
            "profile": self.profile,
            "valid": self.valid,
            "seconds": round(self.seconds, 3),
            "summary": counts,
            "checks": [r.to_dict() for r in self.results],
            **self.sections,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def render_table(self) -> str:
        """A plain-text table: check, severity, status, message (one line per finding)."""
        name_width = max([len("check")] + [len(r.name) for r in self.results])
        lines = [f"{'check':<{name_width}}  severity  status  message"]
        lines.append("-" * len(lines[0]))
        for r in self.results:
            messages = [f.render() for f in r.findings] or [r.note]
            prefix = f"{r.name:<{name_width}}  {r.severity.value:<8}  {r.status.value.upper():<6}  "
            lines.append(prefix + messages[0])
            lines.extend(" " * len(prefix) + m for m in messages[1:])
        from cvpair.checks.sections import render_sections

        lines += ["", *render_sections(self.sections)] if self.sections else []
        counts = self.to_dict()["summary"]
        verdict = "VALID" if self.valid else "INVALID"
        lines.append(
            f"\n{verdict}: {self.release} (profile: {self.profile or 'none'}) - "
            f"{counts['pass']} passed, {counts['fail']} failed, {counts['skip']} skipped "
            f"in {self.seconds:.1f} s"
        )
        return "\n".join(lines)
