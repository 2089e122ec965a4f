"""The dataset card (README.md) of a release, rendered from the release's own files.

The YAML header carries what `datasets` and the Hub read: the `a2g` / `g2a` configs pointing at the same
Parquet files, and a `dataset_info` block per config so split sizes are verified at load time. The text is
the Jinja2 template `cards/dataset_card.md` (Hugging Face card sections plus the datasheet in
`cards/datasheet.md`), filled with figures computed from the release's metadata columns.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from functools import cache
from importlib.resources import files
from pathlib import Path

import jinja2
import pyarrow.parquet as pq
from datasets import ClassLabel, DatasetInfo, Image, SplitDict, SplitInfo
from datasets.info import DatasetInfosDict
from huggingface_hub import DatasetCardData

from cvpair import protocol
from cvpair.errors import CvpairError
from cvpair.profiles import load_profile
from cvpair.release import layout
from cvpair.release.about import about
from cvpair.release.croissant import write_croissant
from cvpair.release.example_pairs import EXAMPLE_PAIRS
from cvpair.release.figures import draw_figures
from cvpair.release.plots import CARD_DIR, PLOTS
from cvpair.release.provenance import read_provenance
from cvpair.release.statistics import ReleaseStatistics, release_statistics
from cvpair.schema import FIELDS, features
from cvpair.versions import toolkit_version

TEMPLATE = "dataset_card.md"


def file_split_stats(release: Path) -> dict[str, tuple[int, int]]:
    """(rows, in-memory bytes) of each file group, from the Parquet footers (no image is read)."""
    stats = {}
    for file_split in protocol.FILE_GROUP_NAMES:
        rows = nbytes = 0
        for path in sorted(release.glob(layout.data_pattern(file_split))):
            metadata = pq.ParquetFile(path).metadata
            rows += metadata.num_rows
            nbytes += sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
        stats[file_split] = (rows, nbytes)
    return stats


def card_data(release: Path) -> DatasetCardData:
    """The card's YAML metadata: licence, task, size, configs and per-config `dataset_info`."""
    stats = file_split_stats(release)
    total = sum(rows for rows, _ in stats.values())
    infos = {}
    configs = []
    for name, chosen in protocol.PROTOCOLS.items():
        split_dict = SplitDict()
        for split, file_split in chosen.splits.items():
            rows, nbytes = stats[file_split]
            split_dict.add(SplitInfo(name=split, num_bytes=nbytes, num_examples=rows))
        infos[name] = DatasetInfo(features=features(), splits=split_dict, config_name=name)
        configs.append(
            {
                "config_name": name,
                "default": name == protocol.DEFAULT_PROTOCOL,
                "data_files": [
                    {"split": split, "path": layout.data_pattern(file_split)}
                    for split, file_split in chosen.splits.items()
                ],
            }
        )
    facts = about()
    data = DatasetCardData(
        license=facts.license,
        pretty_name=facts.pretty_name,
        task_categories=list(facts.task_categories),
        tags=list(facts.tags),
        size_categories=[_size_category(total)],
        configs=configs,
    )
    DatasetInfosDict(infos).to_dataset_card_data(data)
    return data


def _size_category(rows: int) -> str:
    for bound, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K")):
        if rows < bound:
            return label
    return "100K<n<1M"


def _dtype(feature: object) -> str:
    if isinstance(feature, Image):
        return "image (JPEG bytes)"
    if isinstance(feature, ClassLabel):
        return "class label: " + ", ".join(f"{i} = {name}" for i, name in enumerate(feature.names))
    return str(feature.dtype)


def _profile_context(parameters: dict) -> dict:
    """The release's profile, whose table of counts (if any) the card shows beside the release's own."""
    try:
        profile = load_profile(str(parameters.get("profile")))
    except CvpairError:
        return {"profile": None}
    return {"profile": profile}


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


@cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(files("cvpair.cards"))),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # Markdown, not HTML
    )
    environment.filters["num"] = _number
    return environment


def render_card(release: Path, stats: ReleaseStatistics | None = None, yaml: str | None = None) -> str:
    """The full README.md text of a release (figures embedded by their `card/*.png` paths); `yaml`, the
    header from `card_data`, where the caller has it already."""
    release = Path(release)
    stats = stats or release_statistics(release)
    provenance = read_provenance(release)
    return (
        _environment()
        .get_template(TEMPLATE)
        .render(
            yaml=yaml or card_data(release).to_yaml(),
            about=about(),
            stats=stats,
            plots=[(title, f"{CARD_DIR}/{name}") for name, (title, _) in PLOTS.items()],
            example_pairs=f"{CARD_DIR}/{EXAMPLE_PAIRS}",
            fields=[
                {"name": f.name, "dtype": _dtype(f.feature), "nullable": f.nullable, "doc": f.doc}
                for f in FIELDS
            ],
            protocols={name: chosen.splits for name, chosen in protocol.PROTOCOLS.items()},
            default_protocol=protocol.DEFAULT_PROTOCOL,
            provenance=provenance,
            toolkit_version=toolkit_version(),
            **_profile_context(provenance.parameters),
        )
    )


def write_card(
    release: Path, painter: Executor | None = None, then: Callable[[Path], object] | None = None
) -> Path:
    """(Re)write the card of `release` with its figures and its Croissant file; return the card's path.

    Every build calls this on its staging folder, so every release carries all three. With a `painter`
    (a pool of processes: `cvpair.workers.worker_pool`) the figures are drawn there while this process
    writes the text and the Croissant file. With `then`, the card's YAML header (the configs) is written
    first and `then(release)` runs in a thread meanwhile: it may read the header and the data, as the
    registration for `load_dataset` does (its Arrow work leaves the GIL to the card).
    """
    release = Path(release)
    path = release / layout.CARD
    yaml = card_data(release).to_yaml()
    with ThreadPoolExecutor(1) as alongside:
        if then is not None:
            _write_text(path, f"---\n{yaml}\n---\n")
            done = alongside.submit(then, release)
        stats = release_statistics(release)
        drawing = draw_figures(release, stats, painter)
        _write_text(path, render_card(release, stats, yaml))
        write_croissant(release)
        if then is not None:
            done.result()
    for figure in drawing:
        figure.result()
    return path


def _write_text(path: Path, text: str) -> None:
    """Write `path` atomically: a reader sees the old text or the new, never half of it."""
    temporary = path.with_suffix(".md.tmp")
    temporary.write_text(text)
    temporary.replace(path)
