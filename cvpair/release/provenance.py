"""What a release was built from: toolkit version, build parameters and a checksum of every campaign input.

The build calls `campaign_provenance` and hands the record to `write_release(..., provenance=...)`, which
stores it as `provenance.json`. `cvpair diff` compares two of them, so two releases can be told apart by
their inputs and parameters, not only by their rows.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cvpair.errors import InputError, Problem
from cvpair.release import layout
from cvpair.versions import installed_version, toolkit_version

CHUNK_BYTES = 1 << 20
LIBRARIES = ("pyarrow", "datasets", "numpy", "pillow", "opencv-python-headless", "av")
"""Libraries whose version can change the bytes of a release (decoding, JPEG encoding, Parquet)."""
TOP_LEVEL_PARAMETERS = ("profile", "seed")


def sha256_of_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks so multi-GB videos do not fill memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _library_versions() -> dict[str, str]:
    return {name: installed_version(name) or "not installed" for name in LIBRARIES}


def campaign_provenance(
    campaign_root: Path,
    files: Iterable[Path],
    params: Mapping[str, object],
    known_sha256: Mapping[Path, str] | None = None,
) -> Provenance:
    """The provenance of a build of the campaign at `campaign_root`, for `write_release(provenance=)`.

    `files`: every input the build read (manifest, identities, videos, annotations, telemetry, corrections),
    absolute or relative to `campaign_root`; they are stored by their path relative to the campaign, so the
    record does not depend on where the campaign sits on disk (a file outside it is stored as `../...`).
    `params`: the build parameters (profile, seed, thresholds, ...), JSON-serialisable, stored as given.
    `known_sha256`: checksums the caller already computed (absolute path -> hex), so large videos are not
    read twice.
    """
    root = _absolute(campaign_root)
    known = {_absolute(path): digest for path, digest in (known_sha256 or {}).items()}
    inputs = {}
    for file in files:
        path = _absolute(root / file)
        inputs[Path(os.path.relpath(path, root)).as_posix()] = InputFile(
            known.get(path) or sha256_of_file(path), path.stat().st_size
        )
    return Provenance(
        toolkit_version=toolkit_version(),
        parameters=dict(params),
        campaign=root.name,
        files=dict(sorted(inputs.items())),
        environment={"python": platform.python_version(), "libraries": _library_versions()},
    )


def _absolute(path: Path | str) -> Path:
    """`path` made absolute by its spelling, symbolic links kept: a campaign whose `videos/` links to
    another disk records its videos as `videos/...`, where the manifest names them."""
    return Path(os.path.abspath(path))


@dataclass(frozen=True)
class InputFile:
    sha256: str
    bytes: int | None  # None: a hand-written record that does not say


@dataclass(frozen=True)
class Provenance:
    """What a release was built from: the record of `provenance.json`, written by the build and the import,
    read by the card and `cvpair diff`."""

    toolkit_version: str = "unknown"
    parameters: dict[str, object] = field(default_factory=dict)  # all of them, profile and seed included
    campaign: str = "unknown"  # the campaign folder's name
    files: dict[str, InputFile] = field(default_factory=dict)  # path in the campaign -> its checksum
    environment: dict[str, object] = field(default_factory=dict)  # python and library versions

    @property
    def inputs(self) -> dict[str, str]:
        """Path in the campaign -> sha256."""
        return {name: entry.sha256 for name, entry in self.files.items()}

    def to_dict(self) -> dict:
        """The record as `provenance.json` holds it: profile and seed at the top, where `cvpair validate` and
        the team contract look for them, the other parameters under `parameters`."""
        return {
            "toolkit_version": self.toolkit_version,
            **{key: self.parameters.get(key) for key in TOP_LEVEL_PARAMETERS},
            "parameters": {k: v for k, v in self.parameters.items() if k not in TOP_LEVEL_PARAMETERS},
            "campaign": {
                "name": self.campaign,
                "files": {
                    name: {"sha256": entry.sha256, "bytes": entry.bytes} for name, entry in self.files.items()
                },
            },
            "environment": self.environment,
        }


_RECORD_KEYS = {"toolkit_version", "environment", "campaign", "parameters"}


def read_provenance(release: Path) -> Provenance:
    """The provenance of `release`. Top-level keys other than the record's own (profile, seed, or anything
    a hand-written record holds) count as parameters. A missing file reads as unknown and empty."""
    path = Path(release) / layout.PROVENANCE
    try:
        raw = json.loads(path.read_text()) if path.is_file() else {}
    except json.JSONDecodeError as error:
        raise InputError(Problem(path, f"not JSON: {error.msg}", line=error.lineno)) from None
    campaign = raw.get("campaign") or {}
    if not isinstance(campaign, dict):  # a hand-written record may give just the campaign's name
        campaign = {"name": campaign}
    return Provenance(
        toolkit_version=str(raw.get("toolkit_version", "unknown")),
        parameters={**{k: v for k, v in raw.items() if k not in _RECORD_KEYS}, **raw.get("parameters", {})},
        campaign=str(campaign.get("name", "unknown")),
        files={
            name: InputFile(entry["sha256"], entry.get("bytes"))
            for name, entry in campaign.get("files", {}).items()
        },
        environment=raw.get("environment", {}),
    )
