"""The CVAT tasks an export describes in its <meta>, and how its frame numbers map to video frames.

CVAT numbers a task's frames by the video frame they come from: a task made with `start_frame` S and
`frame_filter` `step=K` holds video frames S, S+K, S+2K, ... (`size` of them, up to `stop_frame`), and
task and job exports write those numbers. A *project* export adds one more offset per task: the tasks of
a subset, sorted by (subset, task id), are laid end to end, each shifted by the sum of
`start_frame + step * size` of the tasks before it (CVAT's `ProjectData.abs_frame_id`). Fields FiftyOne's
writer leaves out take CVAT's defaults: start 0, step 1, stop at the last of `size` frames.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cvpair.campaign.fields import to_int

_STEP = re.compile(r"step\s*=\s*(\d+)")

IMAGE_MODE = "annotation"
"""CVAT's `mode` of a task made from image files (a video task has `interpolation`)."""


@dataclass(frozen=True)
class CvatTask:
    """One task (or job) of an export's <meta>, with CVAT's defaults filled in for absent fields."""

    task_id: str
    line: int
    size: int | None = None
    mode: str = "interpolation"
    subset: str = ""
    start_frame: int = 0
    stop_frame: int | None = None
    step: int = 1
    width: int | None = None
    height: int | None = None
    source: str = ""

    @property
    def last_frame(self) -> int | None:
        """The last video frame the task holds: its `stop_frame`, else the last of its `size` frames."""
        if self.stop_frame is not None:
            return self.stop_frame
        return None if self.size is None else self.start_frame + (self.size - 1) * self.step

    def holds(self, frame: int) -> bool:
        """Whether video frame `frame` is one of the task's frames (on its start/step grid)."""
        last = self.last_frame
        on_grid = frame >= self.start_frame and (frame - self.start_frame) % self.step == 0
        return on_grid and (last is None or frame <= last)

    def grid(self) -> str:
        """The task's frames in words, for messages."""
        first = ", ".join(str(self.start_frame + k * self.step) for k in range(3))
        last = "" if self.last_frame is None else f" {self.last_frame}"
        return f"{first}, ...{last} (start_frame {self.start_frame}, frame_filter step={self.step})"


def parse_task(fields: dict[str, tuple[str, int]], line: int) -> tuple[CvatTask, list[tuple[str, int]]]:
    """A task from its <meta> fields (tag -> (text, line)); and (message, line) for every field that is
    present but cannot be read. Absent fields take CVAT's defaults."""
    bad: list[tuple[str, int]] = []

    def number(tag: str, minimum: int) -> int | None:
        if tag not in fields or not fields[tag][0].strip():
            return None
        text, at = fields[tag]
        value = to_int(text)
        if value is None or value < minimum:
            bad.append((f"<{tag}> must be an integer >= {minimum}, got {text.strip()!r}", at))
        return value

    step = 1
    if fields.get("frame_filter", ("", 0))[0].strip():
        text, at = fields["frame_filter"]
        match = _STEP.fullmatch(text.strip())
        if match is None or int(match.group(1)) < 1:
            bad.append((f"<frame_filter> must be empty or step=K (K >= 1), got {text.strip()!r}", at))
        else:
            step = int(match.group(1))
    task = CvatTask(
        task_id=fields.get("id", ("", line))[0].strip(),
        line=line,
        size=number("size", 0),
        mode=fields.get("mode", ("interpolation", line))[0].strip() or "interpolation",
        subset=fields.get("subset", ("", line))[0].strip(),
        start_frame=number("start_frame", 0) or 0,
        stop_frame=number("stop_frame", 0),
        step=step,
        width=number("width", 1),
        height=number("height", 1),
        source=fields.get("source", ("", line))[0].strip(),
    )
    return task, bad


def project_offsets(tasks: list[CvatTask]) -> dict[str, int]:
    """The frame offset CVAT adds to each task's frames in a project export (see the module's docstring)."""
    offsets: dict[str, int] = {}
    running, subset = 0, None
    for task in sorted(tasks, key=lambda t: (t.subset, to_int(t.task_id) or 0)):
        if task.subset != subset:
            running, subset = 0, task.subset
        offsets[task.task_id] = running
        running += task.start_frame + task.step * (task.size or 0)
    return offsets
