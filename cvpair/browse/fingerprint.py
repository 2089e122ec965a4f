"""A release's fingerprint: changes whenever its rows or build change, without reading a single image."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cvpair.release import layout

_PARQUET_TAIL = 8  # 4-byte little-endian footer length, then the magic bytes "PAR1"


def release_fingerprint(release: Path) -> str:
    """sha256 over splits.csv, provenance.json and every Parquet file's name, size and footer.

    The footer holds the row count and per-column statistics of every row group, so new, dropped or
    relabelled rows change it; hashing footers instead of whole files keeps this instant for a large release.
    """
    digest = hashlib.sha256()
    for name in (layout.SPLIT_MANIFEST, layout.PROVENANCE):
        digest.update(name.encode() + b"\0" + (release / name).read_bytes())
    for path in sorted((release / layout.DATA_DIR).glob("*.parquet")):
        size = path.stat().st_size
        digest.update(f"{path.name}\0{size}\0".encode() + _footer(path, size))
    return digest.hexdigest()


def _footer(path: Path, size: int) -> bytes:
    with open(path, "rb") as handle:
        handle.seek(max(size - _PARQUET_TAIL, 0))
        tail = handle.read()
        length = int.from_bytes(tail[:4], "little") + _PARQUET_TAIL
        handle.seek(max(size - length, 0), os.SEEK_SET)
        return handle.read()
