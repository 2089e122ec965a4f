"""Collecting a reader's problems so that a mistake repeated on many lines is reported once.

A file exported with one wrong setting (every frame off the task's grid, every row with a bad column count)
would otherwise bury the user under thousands of identical lines. Problems are grouped by kind: each kind
becomes one Problem at its first line, with how many lines have it and which ones came next.
"""

from __future__ import annotations

from pathlib import Path

from cvpair.errors import Problem

FIRST_LINES_SHOWN = 5
"""How many further lines of a repeated problem its message lists."""


class ProblemLog:
    """The problems of one file, grouped by kind (a short fixed text, e.g. "frame off the task's grid")."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._first: dict[str, Problem] = {}
        self._more: dict[str, list[int | None]] = {}

    def add(
        self,
        kind: str,
        message: str,
        line: int | None = None,
        frame: int | None = None,
        path: Path | None = None,
    ) -> None:
        """Record one problem; `message` says what is wrong and what to do, for the first of its kind.
        `path`: the file it is in, when not the log's own (a sidecar the reader opened)."""
        if kind in self._first:
            self._more[kind].append(line)
        else:
            self._first[kind] = Problem(path or self.path, message, line=line, frame=frame)
            self._more[kind] = []

    def __bool__(self) -> bool:
        return bool(self._first)

    def problems(self) -> list[Problem]:
        """One Problem per kind, in the order kinds were first met."""
        found = []
        for kind, first in self._first.items():
            more = self._more[kind]
            if more:
                shown = ", ".join(str(line) for line in more[:FIRST_LINES_SHOWN] if line is not None)
                ellipsis = ", ..." if len(more) > FIRST_LINES_SHOWN else ""
                next_lines = f", next on lines {shown}{ellipsis}" if shown else ""
                first = Problem(
                    first.path,
                    f"{first.message} ({len(more) + 1} times{next_lines})",
                    line=first.line,
                    frame=first.frame,
                )
            found.append(first)
        return found
