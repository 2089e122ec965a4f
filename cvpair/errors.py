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
