"""Checked clips wait for their shard in the work folder, not in the memory of the build's main process.

Boxes are most of what checking a campaign produces (half a million for `cvpair-v1.0`, ~170 MB as
Python objects) and they grow with the campaign's length. So the worker that checks a clip writes the
checked clip to a temporary file of the shard store and hands back a summary without boxes or telemetry
(enough for the checks across clips, the report and provenance); the worker that builds the clip's shard
reads the file. The files are named after the build's process, removed when it ends, and by the next
build if it was killed.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NamedTuple

from cvpair.campaign.checks import CheckedClip, ClipCheck, ClipChecked, ClipFindings, MapClips
from cvpair.pipeline.cache import ShardStore


def load_checked(path: Path) -> CheckedClip:
    """The checked clip a worker stashed at `path`."""
    return pickle.loads(path.read_bytes())


def summary(checked: CheckedClip) -> CheckedClip:
    """The clip with its tracks but without their boxes, and without telemetry samples."""
    tracks = tuple(replace(track, boxes=()) for track in checked.annotation.tracks)
    return replace(checked, annotation=replace(checked.annotation, tracks=tracks), telemetry=None)


class Stashed(NamedTuple):
    """What a worker hands back for one clip: its summary (None when the clip failed its checks), the
    findings, and where the checked clip waits (None when it failed)."""

    summary: CheckedClip | None
    findings: ClipFindings
    path: Path | None


@dataclass(frozen=True)
class _CheckAndStash:
    """Runs in a worker: check one clip, write the checked clip to the stash, return its summary."""

    check: Callable[[ClipCheck], ClipChecked]
    store: ShardStore
    owner: int

    def __call__(self, task: ClipCheck) -> Stashed:
        checked, findings = self.check(task)
        if checked is None:
            return Stashed(None, findings, None)
        self.store.folder.mkdir(parents=True, exist_ok=True)
        path = self.store.temporary(f"{checked.clip.clip_id}.checked", self.owner)
        staging = self.store.temporary(f"{checked.clip.clip_id}.checked-partial", self.owner)
        staging.write_bytes(pickle.dumps(checked, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(staging, path)
        return Stashed(summary(checked), findings, path)


@dataclass
class Stash:
    """The stashed checked clips of one build, by clip id."""

    store: ShardStore
    owner: int = field(default_factory=os.getpid)
    paths: dict[str, Path] = field(default_factory=dict)

    def checking(self, map_tasks: Callable[[Callable, Sequence[ClipCheck]], Iterable[Stashed]]) -> MapClips:
        """A `map_clips` for `check_campaign`: each check runs through `map_tasks` and stashes its clip."""

        def map_clips(check: Callable[[ClipCheck], ClipChecked], tasks: Sequence[ClipCheck]):
            for stashed in map_tasks(_CheckAndStash(check, self.store, self.owner), tasks):
                if stashed.path is not None:
                    self.paths[stashed.summary.clip.clip_id] = stashed.path
                yield ClipChecked(stashed.summary, stashed.findings)

        return map_clips

    def remove(self) -> None:
        """Delete this build's stashed clips (the shards hold what they were for)."""
        for path in self.paths.values():
            path.unlink(missing_ok=True)
        self.paths.clear()
