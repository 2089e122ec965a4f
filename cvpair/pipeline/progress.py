"""The progress bars of a build: its stages, and the videos (shards) done."""

from __future__ import annotations

from tqdm import tqdm

STAGES = ("check inputs", "crops per video", "curate", "write release")


class Progress:
    """Two bars: the build's stages, and the videos (shards) done; silent when disabled."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.build = tqdm(total=len(STAGES), desc="build", unit="step", disable=not enabled, position=0)
        self.videos: tqdm | None = None

    def stage(self, name: str) -> None:
        """Mark the stages before `name` as done and show `name` as running."""
        self.build.update(STAGES.index(name) - self.build.n)
        self.build.set_postfix_str(name)

    def start_videos(self, total: int) -> tqdm:
        self.videos = tqdm(total=total, desc="videos", unit="video", disable=not self.enabled, position=1)
        return self.videos

    def close(self) -> None:
        self.build.update(len(STAGES) - self.build.n)
        for bar in (self.videos, self.build):
            if bar is not None:
                bar.close()
