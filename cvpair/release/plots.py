"""The card's figures as PNG files inside the release (`card/*.png`), drawn with Pillow.

Three simple charts (bars, a histogram, a scatter) need axes, ticks and labels, not a plotting library:
drawn here they cost a few hundredths of a second, where matplotlib took ~0.4 s to load and ~0.3 s to
draw them, a sixth of a full-size `cvpair import` beyond its decoding. The same statistics give the same
bytes (the PNG carries no software or date stamp).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from cvpair.protocol import AERIAL, GROUND, VIEWS
from cvpair.release.statistics import ReleaseStatistics, aerial_altitudes

CARD_DIR = "card"
PNG_OPTIONS = {"compress_level": 3}  # zlib level 3, not 6: a quarter of the CPU for ~10 % more bytes
VIEW_COLOURS = {AERIAL: (31, 119, 180), GROUND: (255, 127, 14)}  # blue and orange, as the card says
GREY = (127, 127, 127)
SIZE = (600, 400)
MARGIN = {"left": 64, "right": 16, "top": 36, "bottom": 64}
FONT_PX = 13


@dataclass(frozen=True)
class _Axes:
    """A chart's plotting area and data ranges, mapping data to pixels."""

    draw: ImageDraw.ImageDraw
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont
    x_range: tuple[float, float]
    y_range: tuple[float, float]

    @property
    def box(self) -> tuple[int, int, int, int]:
        return (MARGIN["left"], MARGIN["top"], SIZE[0] - MARGIN["right"], SIZE[1] - MARGIN["bottom"])

    def x(self, value: float) -> float:
        left, _, right, _ = self.box
        low, high = self.x_range
        return left + (value - low) / ((high - low) or 1) * (right - left)

    def y(self, value: float) -> float:
        _, top, _, bottom = self.box
        low, high = self.y_range
        return bottom - (value - low) / ((high - low) or 1) * (bottom - top)


def _nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]: steps of 1, 2 or 5 times a power of ten."""
    span = max(high - low, 1e-9)
    power = 10 ** math.floor(math.log10(span / count))
    step = next(m * power for m in (1, 2, 5, 10) if span / (m * power) <= count)
    return [float(v) for v in np.arange(math.floor(low / step) * step, high + step / 2, step)]


def _label(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:g}"


def _frame(
    picture: Image.Image,
    font,
    title: str,
    x_label: str,
    y_label: str,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    x_ticks: bool = True,
) -> _Axes:
    """The axes of a chart: title, frame, y ticks (and x ticks unless the caller labels categories)."""
    draw = ImageDraw.Draw(picture)
    y_ticks = _nice_ticks(*y_range)
    axes = _Axes(draw, font, x_range, (y_range[0], max(y_range[1], y_ticks[-1])))
    left, top, right, bottom = axes.box
    draw.text((SIZE[0] / 2, 6), title, fill="black", font=font, anchor="ma")
    draw.rectangle(axes.box, outline="black")
    for tick in y_ticks:
        draw.line([(left - 4, axes.y(tick)), (left, axes.y(tick))], fill="black")
        draw.text((left - 6, axes.y(tick)), _label(tick), fill="black", font=font, anchor="rm")
    if x_ticks:
        for tick in (t for t in _nice_ticks(*x_range) if x_range[0] <= t <= x_range[1]):
            draw.line([(axes.x(tick), bottom), (axes.x(tick), bottom + 4)], fill="black")
            draw.text((axes.x(tick), bottom + 6), _label(tick), fill="black", font=font, anchor="ma")
    draw.text(((left + right) / 2, SIZE[1] - 6), x_label, fill="black", font=font, anchor="md")
    label = Image.new("L", (bottom - top, FONT_PX + 4), 0)  # the y label, written sideways: a mask
    ImageDraw.Draw(label).text(((bottom - top) / 2, 0), y_label, fill=255, font=font, anchor="ma")
    picture.paste("black", (4, top), label.rotate(90, expand=True))
    return axes


def _bars(axes: _Axes, heights: list[float], colour: tuple[int, int, int], labels: list[str]) -> None:
    """One bar per value at x = 0, 1, ...; `labels` under them (every few when they would crowd)."""
    every = max(1, math.ceil(len(heights) / 15))
    for i, height in enumerate(heights):
        axes.draw.rectangle(
            [axes.x(i - 0.4), axes.y(height), axes.x(i + 0.4), axes.y(axes.y_range[0])], fill=colour
        )
        if i % every == 0:
            axes.draw.text((axes.x(i), axes.box[3] + 6), labels[i], fill="black", font=axes.font, anchor="ma")


def _images_per_identity(picture: Image.Image, font, title: str, stats: ReleaseStatistics) -> None:
    bins = stats.images_per_identity_histogram
    labels = [str(b.low) if b.low == b.high else f"{b.low}-{b.high}" for b in bins]
    counts = [b.identities for b in bins]
    axes = _frame(
        picture, font, title, "images per identity", "identities", (-0.6, len(bins) - 0.4),
        (0, max(counts, default=1)), x_ticks=False,
    )  # fmt: skip
    _bars(axes, counts, GREY, labels)


def _altitude(picture: Image.Image, font, title: str, stats: ReleaseStatistics) -> None:
    altitude = aerial_altitudes(stats.columns)
    if not len(altitude):
        axes = _frame(
            picture, font, title, "drone altitude above take-off (m)", "aerial images", (0, 1), (0, 1)
        )
        axes.draw.text(
            (SIZE[0] / 2, SIZE[1] / 2),
            "no drone telemetry in this release",
            fill="black",
            font=font,
            anchor="mm",
        )
        return
    counts, edges = np.histogram(altitude, bins=20)
    axes = _frame(
        picture, font, title, "drone altitude above take-off (m)", "aerial images",
        (float(edges[0]), float(edges[-1])), (0, int(counts.max())),
    )  # fmt: skip
    for count, low, high in zip(counts, edges[:-1], edges[1:], strict=True):
        axes.draw.rectangle(
            [axes.x(low), axes.y(count), axes.x(high), axes.y(0)], fill=VIEW_COLOURS[AERIAL], outline="white"
        )


def _crop_size(picture: Image.Image, font, title: str, stats: ReleaseStatistics) -> None:
    columns = stats.columns
    width, height = columns["crop_width"].astype(float), columns["crop_height"].astype(float)
    axes = _frame(
        picture, font, title, "crop width (px)", "crop height (px)",
        (0, float(width.max(initial=1))), (0, float(height.max(initial=1))),
    )  # fmt: skip
    for row, view in enumerate(VIEWS):
        mask = columns["view"] == view
        colour = VIEW_COLOURS[view]
        points = zip((axes.x(v) for v in width[mask]), (axes.y(v) for v in height[mask]), strict=True)
        for x, y in points:
            axes.draw.rectangle([x - 1, y - 1, x + 1, y + 1], fill=colour)
        key = (axes.box[2] - 130, axes.box[1] + 8 + row * (FONT_PX + 6))
        axes.draw.rectangle([key[0], key[1] + 3, key[0] + 8, key[1] + 11], fill=colour)
        axes.draw.text((key[0] + 14, key[1]), f"{view} ({int(mask.sum()):,})", fill="black", font=font)


PLOTS: dict[str, tuple[str, Callable[..., None]]] = {
    "images_per_identity.png": ("Images per identity", _images_per_identity),
    "altitude.png": ("Drone altitude of aerial images", _altitude),
    "crop_size.png": ("Crop size by view", _crop_size),
}
"""File name -> (title, drawing function); the card embeds them in this order."""


def write_plots(release: Path, stats: ReleaseStatistics) -> None:
    """Draw every plot of `PLOTS` into `release/card/`, each written atomically."""
    folder = release / CARD_DIR
    folder.mkdir(exist_ok=True)
    font = ImageFont.load_default(size=FONT_PX)
    for name, (title, draw) in PLOTS.items():
        picture = Image.new("RGB", SIZE, "white")
        draw(picture, font, title, stats)
        temporary = folder / f".{name}.tmp"
        picture.save(temporary, format="PNG", **PNG_OPTIONS)
        temporary.replace(folder / name)
