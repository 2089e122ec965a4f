"""Errors a user can cause. The CLI turns them into a message and an exit code, never a traceback."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as we can: file, then line or frame."""

    path: Path | str
    message: str
    line: int | None = None
    frame: int | None = None

    def __str__(self) -> str:
        where = str(self.path)
        if self.line is not None:
            where += f":{self.line}"
        if self.frame is not None:
            where += f" (frame {self.frame})"
        return f"{where}: {self.message}"


class CvpairError(Exception):
    """Base of every error caused by the user's input or environment; exit code 2."""

    exit_code = 2


class InputError(CvpairError):
    """One or more problems in the inputs, all reported together."""

    def __init__(self, problems: list[Problem] | Problem, headline: str = "invalid input") -> None:
        self.problems = problems if isinstance(problems, list) else [problems]
        lines = [f"{headline}: {len(self.problems)} problem(s)"] + [f"  {p}" for p in self.problems]
        super().__init__("\n".join(lines))


def grouped(problems: list[Problem], shown: int = 3) -> list[Problem]:
    """One problem per (file, message), counting its repeats and naming its first `shown` lines: a
    reader that finds the same fault on every line of a file says so once, not ten thousand times."""
    groups: dict[tuple[str, str], list[Problem]] = {}
    for problem in problems:
        groups.setdefault((str(problem.path), problem.message), []).append(problem)
    merged = []
    for repeats in groups.values():
        first = repeats[0]
        if len(repeats) == 1:
            merged.append(first)
            continue
        where = [str(p.line) for p in repeats[:shown] if p.line is not None]
        more = ", ..." if len(repeats) > shown else ""
        lines = f"; lines {', '.join(where)}{more}" if where else ""
        merged.append(Problem(first.path, f"{first.message} ({len(repeats)} times{lines})", line=first.line))
    return merged
