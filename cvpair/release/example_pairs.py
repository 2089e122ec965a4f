"""The card's picture of example pairs: the aerial and the ground image of a few test identities side by
side, read from the release itself (their queries: one image per identity and view)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from PIL import Image, ImageDraw, ImageFont

from cvpair import protocol
from cvpair.release import layout
from cvpair.release.plots import PNG_OPTIONS

EXAMPLE_PAIRS = "example_pairs.png"
SHOWN = 4  # identities in the picture
CELL = (200, 160)  # pixels each image is scaled to fit
CAPTION_PX = 13
PAD = 8


def _queries(release: Path, view: str) -> tuple[list[int], pa.ChunkedArray]:
    """The identities of the query group of `view` (one image per test identity) and their image bytes.
    Read file by file, and filtered in Python, not through `pq.read_table` or `pa.array`: they load
    pyarrow.dataset and pandas (~0.4 s of CPU in a figure worker)."""
    group = protocol.group_for(protocol.QUERY, view).name
    paths = sorted(release.glob(layout.data_pattern(group)))
    table = pa.concat_tables(pq.ParquetFile(p).read(columns=["identity", "image"]) for p in paths)
    return table["identity"].to_pylist(), pc.struct_field(table["image"], "bytes")


def example_pairs(release: Path, shown: int = SHOWN) -> list[tuple[int, bytes, bytes]]:
    """(identity, aerial bytes, ground bytes) of up to `shown` test identities, spread over their ids."""
    queries = [_queries(release, view) for view in (protocol.AERIAL, protocol.GROUND)]
    both = sorted(set(queries[0][0]) & set(queries[1][0]))
    picks = [both[i] for i in np.linspace(0, len(both) - 1, min(shown, len(both))).round().astype(int)]
    chosen = set(picks)
    aerial, ground = (
        {i: data[row].as_py() for row, i in enumerate(ids) if i in chosen} for ids, data in queries
    )
    return [(identity, aerial[identity], ground[identity]) for identity in picks]


def write_example_pairs(release: Path, folder: Path) -> Path:
    """Draw the example pairs into `folder/example_pairs.png` (written atomically, no date stamp): a row
    per identity, its aerial and ground query side by side, each scaled to fit a cell, captioned.

    Drawn with Pillow alone: tiling images needs no plotting library (matplotlib would cost ~0.4 s of CPU
    to load, a tenth of a full-size import's decoding)."""
    pairs = example_pairs(release)
    font = ImageFont.load_default(size=CAPTION_PX)
    rows = max(1, len(pairs))
    row_height = CELL[1] + CAPTION_PX + 2 * PAD
    picture = Image.new("RGB", (2 * CELL[0] + 3 * PAD, rows * row_height + PAD), "white")
    draw = ImageDraw.Draw(picture)
    if not pairs:
        draw.text((PAD, PAD), "no test identity seen from both views", fill="black", font=font)
    for row, (identity, *images) in enumerate(pairs):
        top = PAD + row * row_height
        for column, (view, data) in enumerate(zip((protocol.AERIAL, protocol.GROUND), images, strict=True)):
            left = PAD + column * (CELL[0] + PAD)
            draw.text((left, top), f"identity {identity}, {view}", fill="black", font=font)
            with Image.open(io.BytesIO(data)) as image:
                shown = image.convert("RGB")
            scale = min(CELL[0] / shown.width, CELL[1] / shown.height)  # small aerial crops grow to the cell
            size = (max(1, round(shown.width * scale)), max(1, round(shown.height * scale)))
            shown = shown.resize(size, Image.Resampling.LANCZOS)
            offset = ((CELL[0] - shown.width) // 2, (CELL[1] - shown.height) // 2)
            picture.paste(shown, (left + offset[0], top + CAPTION_PX + PAD + offset[1]))
    path = folder / EXAMPLE_PAIRS
    temporary = folder / f".{EXAMPLE_PAIRS}.tmp"
    picture.save(temporary, format="PNG", **PNG_OPTIONS)
    temporary.replace(path)
    return path
