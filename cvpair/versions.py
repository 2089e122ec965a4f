"""Installed versions, read from the package metadata, which every kind of install has.

`importlib.metadata` takes ~25 ms to import: it is imported on the first question, not at start-up.
"""

from __future__ import annotations

from functools import cache


def installed_version(package: str) -> str | None:
    """`package`'s installed version, or None when it is not installed."""
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


@cache
def toolkit_version() -> str:
    """cvpair's version (once per process: the lookup scans the installed packages, and every shard's cache
    key holds it); "0+unknown" in a source tree that was never installed."""
    return installed_version("cvpair") or "0+unknown"
