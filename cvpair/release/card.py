"""The dataset card (README.md) of a release, rendered from the release's own files.

The YAML header carries what `datasets` and the Hub read: the `a2g` / `g2a` configs pointing at the same
Parquet files, and a `dataset_info` block per config so split sizes are verified at load time.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
from datasets import DatasetInfo, SplitDict, SplitInfo
from datasets.info import DatasetInfosDict
from huggingface_hub import DatasetCardData

from cvpair.release import layout
from cvpair.schema import features

LICENSE = "cc-by-nc-4.0"
PRETTY_NAME = "CVPair: cross-view (drone / ground) vehicle re-identification"


def file_split_stats(release: Path) -> dict[str, tuple[int, int]]:
    """(rows, in-memory bytes) of each file group, from the Parquet footers (no image is read)."""
    stats = {}
    for file_split in layout.FILE_SPLITS:
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
    for name, mapping in layout.PROTOCOLS.items():
        split_dict = SplitDict()
        for split, file_split in mapping.items():
            rows, nbytes = stats[file_split]
            split_dict.add(SplitInfo(name=split, num_bytes=nbytes, num_examples=rows))
        infos[name] = DatasetInfo(features=features(), splits=split_dict, config_name=name)
        configs.append(
            {
                "config_name": name,
                "default": name == layout.DEFAULT_PROTOCOL,
                "data_files": [
                    {"split": split, "path": layout.data_pattern(file_split)}
                    for split, file_split in mapping.items()
                ],
            }
        )
    data = DatasetCardData(
        license=LICENSE,
        pretty_name=PRETTY_NAME,
        task_categories=["image-feature-extraction"],
        tags=["vehicle-re-identification", "cross-view", "drone", "aerial", "reid"],
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


def _counts_table(release: Path) -> str:
    """Images and identities per split and view, from the split manifest."""
    images: Counter[tuple[str, str]] = Counter()
    identities: dict[tuple[str, str], set[str]] = {}
    with open(release / layout.SPLIT_MANIFEST, newline="") as handle:
        for row in csv.DictReader(handle):
            key = (row["split"], row["view"])
            images[key] += 1
            identities.setdefault(key, set()).add(row["identity"])
    lines = ["| split | view | identities | images |", "|---|---|---:|---:|"]
    for split, view in sorted(images):
        lines.append(f"| {split} | {view} | {len(identities[split, view])} | {images[split, view]} |")
    return "\n".join(lines)


def render_card(release: Path) -> str:
    """The full README.md text of a release."""
    body = f"""
# {PRETTY_NAME}

Vehicle crops filmed by drones (aerial view) and street cameras (ground view), paired by vehicle identity.
Identities are disjoint between train and test; the test identities serve two protocols:
`a2g` (aerial queries, ground gallery; the default config) and `g2a` (the reverse).

```python
from datasets import load_dataset
a2g = load_dataset("path/to/this/folder")          # train / query / gallery
g2a = load_dataset("path/to/this/folder", "g2a")
```

## Counts

{_counts_table(release)}
"""
    return f"---\n{card_data(release).to_yaml()}\n---\n{body}"


def write_card(release: Path) -> Path:
    """(Re)write the card of `release` atomically and return its path."""
    path = release / layout.CARD
    temporary = path.with_suffix(".md.tmp")
    temporary.write_text(render_card(release))
    temporary.replace(path)
    return path
