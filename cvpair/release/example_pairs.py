"""The card's picture of example pairs: the aerial and the ground image of a few test identities side by
side, read from the release itself (their queries: one image per identity and view)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image

from cvpair import protocol
from cvpair.release import layout

EXAMPLE_PAIRS = "example_pairs.png"
SHOWN = 4  # identities in the picture


def _queries(release: Path, view: str) -> dict[int, bytes]:
    """identity -> image bytes of the query group of `view`."""
    group = protocol.group_for(protocol.QUERY, view).name
    paths = sorted(release.glob(layout.data_pattern(group)))
    table = pa.concat_tables(pq.read_table(p, columns=["identity", "image"]) for p in paths)
    return dict(
        zip(table["identity"].to_pylist(), (i["bytes"] for i in table["image"].to_pylist()), strict=True)
    )


def example_pairs(release: Path, shown: int = SHOWN) -> list[tuple[int, bytes, bytes]]:
    """(identity, aerial bytes, ground bytes) of up to `shown` test identities, spread over their ids."""
    aerial, ground = _queries(release, protocol.AERIAL), _queries(release, protocol.GROUND)
    both = sorted(set(aerial) & set(ground))
    picks = [both[i] for i in np.linspace(0, len(both) - 1, min(shown, len(both))).round().astype(int)]
    return [(identity, aerial[identity], ground[identity]) for identity in picks]


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
    figure.savefig(temporary, format="png", metadata={"Software": None})
    temporary.replace(path)
    return path
