"""Make `datasets.load_dataset("cvpair")` find a freshly built release offline, from any folder.

Offline, `datasets` resolves a bare name to the cache of an earlier load under that name, and the cache
name of a local folder is the folder's base name. Loading the release once through a link named `cvpair`
therefore registers it. Only the default protocol is registered: with two configs cached under one name, a
bare `load_dataset("cvpair")` would have to name a config. (In the repository root the package folder
`cvpair/` carries a pointer card to ./cvpair-release instead; see cvpair/README.md.)
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

from cvpair.protocol import DEFAULT_PROTOCOL

DATASET_NAME = "cvpair"


def load_libraries() -> None:
    """Import what a registration loads (~1 s of CPU), e.g. while images decode rather than after: `datasets`,
    and scipy.io, which `load_dataset` imports on its first call (its streaming support patches
    `scipy.io.loadmat`), with what that imports (~0.15 s)."""
    import datasets  # noqa: F401

    with contextlib.suppress(ImportError):  # scipy is not a dependency of `datasets`; then not imported
        import scipy.io  # noqa: F401


def register_release(release: Path, name: str = DATASET_NAME, cache_dir: Path | None = None) -> None:
    """Load the default protocol of `release` once under `name`, filling the `datasets` cache
    (`cache_dir`, or the user's usual one)."""
    from datasets import load_dataset

    with tempfile.TemporaryDirectory(prefix="cvpair-register-") as folder:
        link = Path(folder) / name
        link.symlink_to(Path(release).resolve(), target_is_directory=True)
        load_dataset(str(link), DEFAULT_PROTOCOL, cache_dir=str(cache_dir) if cache_dir else None)
