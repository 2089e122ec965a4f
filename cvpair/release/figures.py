"""The card's figures (its plots and the example pairs), drawn here or by worker processes.

Drawing them with Pillow takes about a tenth of a second of CPU, holding the GIL, mostly decoding and
scaling the example images. A writer that has work of its own meanwhile (the card's
text, the Croissant file, the registration for `load_dataset`) hands them to a pool of processes
(`cvpair.workers.worker_pool`): the plots and the example pairs are drawn by two workers at once. The
drawing modules are imported where they draw, so that a command handing them to a pool does not load
them itself.
"""

from __future__ import annotations

from concurrent.futures import Executor, Future
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cvpair.release.statistics import ReleaseStatistics


def draw_figures(release: Path, stats: ReleaseStatistics, painter: Executor | None) -> list[Future]:
    """Draw the plots of `stats` and the example pairs of `release` into `release/card/`, here, or in
    `painter`'s processes: then they are drawn when the returned futures are done."""
    from cvpair.release.example_pairs import write_example_pairs
    from cvpair.release.plots import CARD_DIR, write_plots

    if painter is None:
        write_plots(release, stats)
        write_example_pairs(release, release / CARD_DIR)
        return []
    (release / CARD_DIR).mkdir(exist_ok=True)
    return [
        painter.submit(write_plots, release, stats),
        painter.submit(write_example_pairs, release, release / CARD_DIR),
    ]
