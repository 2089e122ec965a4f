"""The card's figures as PNG files inside the release (`card/*.png`), drawn with matplotlib's Agg canvas.

Figures are built with the object API (no pyplot): no global state, no display needed, and the same
statistics give the same bytes (the PNG carries no software or date stamp).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from cvpair.protocol import AERIAL, GROUND, VIEWS
from cvpair.release.statistics import ReleaseStatistics, aerial_altitudes

if TYPE_CHECKING:
    from matplotlib.axes import Axes

CARD_DIR = "card"
PNG_OPTIONS = {"compress_level": 3}  # zlib level 3, not 6: a quarter of the CPU for ~10 % more bytes
VIEW_COLOURS = {AERIAL: "tab:blue", GROUND: "tab:orange"}


def _images_per_identity(axes: Axes, stats: ReleaseStatistics) -> None:
    bins = stats.images_per_identity_histogram
    labels = [str(b.low) if b.low == b.high else f"{b.low}-{b.high}" for b in bins]
    axes.bar(labels, [b.identities for b in bins], color="tab:gray")
    axes.set_xlabel("images per identity")
    axes.set_ylabel("identities")
    axes.tick_params(axis="x", labelrotation=45)


def _altitude(axes: Axes, stats: ReleaseStatistics) -> None:
    altitude = aerial_altitudes(stats.columns)
    if len(altitude):
        axes.hist(altitude, bins=20, color=VIEW_COLOURS[AERIAL])
    else:
        axes.text(0.5, 0.5, "no drone telemetry in this release", ha="center", va="center")
    axes.set_xlabel("drone altitude above take-off (m)")
    axes.set_ylabel("aerial images")


def _crop_size(axes: Axes, stats: ReleaseStatistics) -> None:
    columns = stats.columns
    for view in VIEWS:
        mask = columns["view"] == view
        if mask.any():
            axes.scatter(
                columns["crop_width"][mask], columns["crop_height"][mask], s=4, alpha=0.4,
                color=VIEW_COLOURS[view], label=f"{view} ({int(mask.sum())})",
            )  # fmt: skip
    axes.set_xlabel("crop width (px)")
    axes.set_ylabel("crop height (px)")
    axes.legend()


PLOTS: dict[str, tuple[str, Callable[[Axes, ReleaseStatistics], None]]] = {
    "images_per_identity.png": ("Images per identity", _images_per_identity),
    "altitude.png": ("Drone altitude of aerial images", _altitude),
    "crop_size.png": ("Crop size by view", _crop_size),
}
"""File name -> (title, drawing function); the card embeds them in this order."""


def write_plots(release: Path, stats: ReleaseStatistics) -> None:
    """Draw every plot of `PLOTS` into `release/card/`, each written atomically."""
    from matplotlib.figure import Figure  # imported here: the card's text needs `PLOTS`, not matplotlib

    folder = release / CARD_DIR
    folder.mkdir(exist_ok=True)
    for name, (title, draw) in PLOTS.items():
        figure = Figure(figsize=(6, 4), dpi=100, layout="tight")
        axes = figure.add_subplot()
        draw(axes, stats)
        axes.set_title(title)
        temporary = folder / f".{name}.tmp"
        figure.savefig(temporary, format="png", metadata={"Software": None}, pil_kwargs=PNG_OPTIONS)
        temporary.replace(folder / name)
