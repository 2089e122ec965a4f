"""The card's figures (its plots and the example pairs), drawn here or by a painter process.

Drawing them takes about a second of CPU, and loading matplotlib half a second more, all holding the GIL.
A writer that has work of its own at the same time (the card's text, the Croissant file, the registration
for `load_dataset`) hands them to a painter: a process started early, which loads matplotlib while the
images are still being read, and draws on the other core.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing import get_context
from pathlib import Path

from cvpair.release.example_pairs import write_example_pairs
from cvpair.release.plots import CARD_DIR, write_plots
from cvpair.release.statistics import ReleaseStatistics


def write_figures(release: Path, stats: ReleaseStatistics) -> None:
    """Draw the plots of `stats` and the example pairs of `release` into `release/card/`."""
    write_plots(release, stats)
    write_example_pairs(release, release / CARD_DIR)


def draw_figures(release: Path, stats: ReleaseStatistics, painter: Executor | None) -> Future | None:
    """Draw the figures now, or have `painter` draw them: then the returned future is done when they are."""
    if painter is None:
        write_figures(release, stats)
        return None
    return painter.submit(write_figures, release, stats)


def _load_matplotlib() -> None:
    from matplotlib.figure import Figure

    Figure().savefig(io.BytesIO(), format="png")  # loads the Agg canvas, the PNG writer and the font


@contextmanager
def figure_painter() -> Iterator[Executor]:
    """A process that draws figures, started (and loading matplotlib) at once; spawned, so it shares no
    thread or lock of this process."""
    with ProcessPoolExecutor(1, mp_context=get_context("spawn"), initializer=_load_matplotlib) as pool:
        pool.submit(int)  # start it now, not at the first drawing
        yield pool
