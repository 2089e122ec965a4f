"""The card's figures (its plots and the example pairs), drawn here or by worker processes.

Drawing them takes about a second of CPU, holding the GIL, and loading matplotlib half a second more. A
writer that has work of its own meanwhile (the card's text, the Croissant file, the registration for
`load_dataset`) hands them to a painter process (`cvpair.workers.worker_pool` warmed up with
`load_drawing`). The drawing modules are imported where they draw, so that a command handing them to a
painter does not load them itself.
"""

from __future__ import annotations

from concurrent.futures import Executor, Future
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cvpair.release.statistics import ReleaseStatistics


def load_drawing() -> None:
    """Import what drawing needs (~0.6 s of CPU: matplotlib, pandas), a pool's warm-up."""
    from matplotlib.backends import backend_agg  # noqa: F401 - the canvas `savefig` uses for PNG

    from cvpair.release import example_pairs, plots  # noqa: F401


def write_figures(release: Path, stats: ReleaseStatistics) -> None:
    """Draw the plots of `stats` and the example pairs of `release` into `release/card/`."""
    from cvpair.release.example_pairs import write_example_pairs
    from cvpair.release.plots import CARD_DIR, write_plots

    write_plots(release, stats)
    write_example_pairs(release, release / CARD_DIR)


def draw_figures(release: Path, stats: ReleaseStatistics, painter: Executor | None) -> Future | None:
    """`write_figures` now, or in `painter`'s process: then they are drawn when the future is done."""
    if painter is None:
        write_figures(release, stats)
        return None
    return painter.submit(write_figures, release, stats)
