"""The card's picture of example pairs: the aerial and the ground image of a few test identities side by
side, read from the release itself (their queries: one image per identity and view)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from PIL import Image

from cvpair import protocol
from cvpair.release import layout
from cvpair.release.plots import PNG_OPTIONS

EXAMPLE_PAIRS = "example_pairs.png"
SHOWN = 4  # identities in the picture


def _query_table(
    release: Path, view: str, columns: list[str], identities: list[int] | None = None
) -> pa.Table:
    """`columns` of the query group of `view`, of the rows of `identities` only if given (whose images
    alone are then read: row groups without them are skipped by their identity statistics)."""
    group = protocol.group_for(protocol.QUERY, view).name
    paths = sorted(release.glob(layout.data_pattern(group)))
    rows = None if identities is None else [("identity", "in", identities)]
    return pa.concat_tables(pq.read_table(p, columns=columns, filters=rows) for p in paths)


def example_pairs(release: Path, shown: int = SHOWN) -> list[tuple[int, bytes, bytes]]:
    """(identity, aerial bytes, ground bytes) of up to `shown` test identities, spread over their ids."""
    views = (protocol.AERIAL, protocol.GROUND)
    aerial, ground = (set(_query_table(release, v, ["identity"])["identity"].to_pylist()) for v in views)
    both = sorted(aerial & ground)
    picks = [both[i] for i in np.linspace(0, len(both) - 1, min(shown, len(both))).round().astype(int)]
    if not picks:
        return []
    images = []
    for view in views:
        table = _query_table(release, view, ["identity", "image"], picks)
        data = pc.struct_field(table["image"], "bytes").to_pylist()
        images.append(dict(zip(table["identity"].to_pylist(), data, strict=True)))
    return [(identity, images[0][identity], images[1][identity]) for identity in picks]


def write_example_pairs(release: Path, folder: Path) -> Path:
    """Draw the example pairs into `folder/example_pairs.png` (written atomically, no date stamp)."""
    from matplotlib.figure import Figure  # imported here: the card's text needs `EXAMPLE_PAIRS` only

    pairs = example_pairs(release)
    figure = Figure(figsize=(4.5, 2.2 * max(1, len(pairs))), dpi=100, layout="tight")
    if not pairs:
        axes = figure.add_subplot()
        axes.text(0.5, 0.5, "no test identity seen from both views", ha="center", va="center")
        axes.set_axis_off()
    for row, (identity, *images) in enumerate(pairs):
        for column, (view, data) in enumerate(zip((protocol.AERIAL, protocol.GROUND), images, strict=True)):
            axes = figure.add_subplot(len(pairs), 2, 2 * row + column + 1)
            with Image.open(io.BytesIO(data)) as image:
                axes.imshow(np.asarray(image.convert("RGB")))
            axes.set_title(f"identity {identity}, {view}", fontsize=9)
            axes.set_axis_off()
    path = folder / EXAMPLE_PAIRS
    temporary = folder / f".{EXAMPLE_PAIRS}.tmp"
    figure.savefig(temporary, format="png", metadata={"Software": None}, pil_kwargs=PNG_OPTIONS)
    temporary.replace(path)
    return path
