"""What training sees of a dataset: typed image records, protocols, and the torch dataset over them.

Every source (a CVPair release, VeRi-776, VehicleID) becomes a `ReidData`: training images plus one or more
evaluation `Protocol`s. The engine knows nothing of file formats (torchreid's split of data and loop).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from cvpair.errors import InputError, Problem
from cvpair.protocol import GALLERY, PROTOCOLS, QUERY, ROLES, TRAIN


@dataclass(frozen=True)
class ReidImage:
    """One image: `source` is encoded bytes or a file path; `camera` is a device index, `view` 0 aerial /
    1 ground (schema order); `track` names the continuous sighting it comes from (None where unknown)."""

    key: str
    source: bytes | Path
    identity: int
    camera: int
    view: int
    track: str | None = None


@dataclass(frozen=True)
class Protocol:
    """An evaluation: each trial is (query indices, gallery indices) into `images`; metrics are averaged
    over trials. `use_cameras` turns on the same-identity-same-camera exclusion."""

    name: str
    images: tuple[ReidImage, ...]
    trials: tuple[tuple[np.ndarray, np.ndarray], ...]
    use_cameras: bool

    @classmethod
    def query_gallery(
        cls, name: str, query: Sequence[ReidImage], gallery: Sequence[ReidImage], use_cameras: bool
    ) -> Protocol:
        images = (*query, *gallery)
        trial = (np.arange(len(query)), np.arange(len(query), len(images)))
        return cls(name, images, (trial,), use_cameras)


@dataclass(frozen=True)
class ReidData:
    name: str
    train: tuple[ReidImage, ...]
    protocols: tuple[Protocol, ...]

    def train_labels(self) -> list[int]:
        """Training identities relabelled 0..N-1 (classifier targets), in identity order."""
        index = {identity: i for i, identity in enumerate(sorted({im.identity for im in self.train}))}
        return [index[im.identity] for im in self.train]

    @property
    def num_classes(self) -> int:
        return len({im.identity for im in self.train})


def decode(source: bytes | Path) -> Tensor:
    """RGB float tensor (3, H, W) in [0, 1] from encoded bytes or an image file."""
    with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as image:
        array = np.asarray(image.convert("RGB"))
    return torch.from_numpy(array.copy()).permute(2, 0, 1).float().div_(255.0)


class ImageDataset(torch.utils.data.Dataset):
    """(transformed image, label) pairs; `labels` are classifier targets, or identities at evaluation."""

    def __init__(
        self, images: Sequence[ReidImage], labels: Sequence[int], transform: Callable[[Tensor], Tensor]
    ):
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[Tensor, int]:
        return self.transform(decode(self.images[index].source)), self.labels[index]


def read_list(path: Path, parse: Callable[[str], tuple]) -> list[tuple]:
    """Parse every non-empty line of a list file; raises one InputError naming every bad line."""
    if not path.is_file():
        raise InputError(Problem(path, "list file not found"))
    rows, problems = [], []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(parse(line.strip()))
        except ValueError as error:
            problems.append(Problem(path, f"cannot parse {line.strip()!r}: {error}", line=number))
    if problems:
        raise InputError(problems, headline=f"bad lines in {path.name}")
    return rows


def check_files_exist(paths: Sequence[Path], listed_in: Path) -> None:
    """Raise one InputError naming every image a list refers to that is not on disk."""
    missing = [Problem(listed_in, f"image not found: {path}") for path in paths if not path.is_file()]
    if missing:
        raise InputError(missing, headline="missing images")


_COLUMNS = ("image", "image_id", "identity", "view", "device", "clip", "track", "sequence")


def _track(clip: str | None, track: int | None, device: str, sequence: int | None) -> str | None:
    """The sighting a crop belongs to: its clip's track, or for an imported image its camera's sequence."""
    if clip is not None and track is not None:
        return f"{clip}/{track}"
    return f"{device}/s{sequence}" if sequence is not None else None


def load_cvpair(release: str | Path, configs: Sequence[str] = tuple(PROTOCOLS)) -> ReidData:
    """A CVPair release (folder or Hub id) through `datasets.load_dataset`, one protocol per config.

    For cross-view protocols camera = view, so the same-camera exclusion never applies; device ids are still
    passed as cameras (a query and a gallery image never share a device across views).
    """
    import datasets

    local = Path(release)
    # A bare relative name like "cvpair" would resolve to the package folder: pass local paths absolute.
    path = str(local.resolve()) if local.exists() else str(release)
    splits = {}
    for config in configs:
        try:
            loaded = datasets.load_dataset(path, config)
        except (FileNotFoundError, ValueError, datasets.exceptions.DatasetNotFoundError) as error:
            raise InputError(Problem(release, f"cannot load config {config!r}: {error}")) from error
        for split in ROLES:
            table = loaded[split].cast_column("image", datasets.Image(decode=False))
            splits[config, split] = table.select_columns(list(_COLUMNS))
    devices = sorted({d for table in splits.values() for d in table.unique("device")})

    def records(table) -> tuple[ReidImage, ...]:
        rows = table.to_dict()
        return tuple(
            ReidImage(
                key, image["bytes"] or Path(image["path"]), identity, devices.index(device), view,
                _track(clip, track, device, sequence),
            )
            for image, key, identity, view, device, clip, track, sequence in zip(
                *(rows[name] for name in _COLUMNS), strict=True
            )
        )  # fmt: skip

    protocols = tuple(
        Protocol.query_gallery(config, records(splits[config, QUERY]), records(splits[config, GALLERY]), True)
        for config in configs
    )
    return ReidData(f"cvpair:{release}", records(splits[configs[0], TRAIN]), protocols)
