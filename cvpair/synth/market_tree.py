"""Write a Market-1501-style tree shaped like the published CVPair v1.0 download, quirks included.

For tests of `cvpair import` / `cvpair export` (a few identities) and for the import benchmark (the
published counts: 14,969 unique images of 894 identities). Each identity has its own coarse colour
pattern; crops range from small aerial ones to several hundred pixels on the ground. Planted quirks, as
in the published copy: PNG files named `.jpg`, a macOS AppleDouble `._<name>` beside nearly every image,
a `.DS_Store`, and an upload-tool leftover at the root; some identities are not zero-padded in names.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from cvpair import protocol
from cvpair.market.names import MarketName, format_name
from cvpair.market.tree import GALLERY_FOLDER, QUERY_FOLDER, TRAIN_FOLDER, folder_name

APPLE_DOUBLE = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        ".ljust(4096, b"\0")
UPLOAD_LEFTOVER = ".baiduyun.uploading.cfg"


@dataclass(frozen=True)
class TreeSpec:
    """Counts of a tree (per folder, as the published table gives them) and its quirks."""

    train_identities: int
    test_identities: int
    train_ground: int
    train_aerial: int
    ground_gallery: int  # a2g/bounding_box_test
    aerial_gallery: int  # g2a/bounding_box_test
    pngs: int = 0  # images stored as PNG under a .jpg name
    aerial_px: tuple[int, int] = (50, 160)  # range of a side of an aerial crop
    ground_px: tuple[int, int] = (120, 480)
    apple_double_share: float = 0.98

    @property
    def images(self) -> int:
        """Unique images: train once, plus both protocols' queries and galleries."""
        test = 2 * self.test_identities + self.ground_gallery + self.aerial_gallery
        return self.train_ground + self.train_aerial + test


PUBLISHED = TreeSpec(391, 503, 1569, 5879, 1513, 5002, pngs=88)
"""CVPair v1.0 as published: 7,448 train, 503 + 1,513 (a2g), 503 + 5,002 (g2a); 14,969 images."""
SMALL = TreeSpec(4, 3, 8, 12, 6, 9, pngs=2, aerial_px=(24, 48), ground_px=(40, 72), apple_double_share=1.0)


def _allocate(total: int, identities: int, rng: np.random.Generator) -> list[int]:
    """`total` images over `identities`, at least one each, unevenly (log-normal shares)."""
    if total < identities:
        raise ValueError(f"{total} images cannot give each of {identities} identities one")
    shares = rng.lognormal(0.0, 0.5, identities)
    return (1 + rng.multinomial(total - identities, shares / shares.sum())).tolist()


def _identities(spec: TreeSpec, rng: np.random.Generator) -> tuple[list[int], list[int]]:
    """Train ids drawn from 1-500 (low ones first), test ids from the rest of 101-911: disjoint."""
    low = min(spec.train_identities, 100)
    train = set(rng.choice(np.arange(1, 101), low, replace=False).tolist())
    train |= set(rng.choice(np.arange(101, 501), spec.train_identities - low, replace=False).tolist())
    free = np.array(sorted(set(range(101, 912)) - train))
    test = rng.choice(free, spec.test_identities, replace=False).tolist()
    return sorted(train), sorted(test)


def _name(identity: int, view: str, index: int) -> str:
    """The `index`-th sampled frame (every 10th) of the identity's sequence in `view`; identities whose
    number is even above 100 are written unpadded, as some published ones are."""
    name = format_name(
        MarketName(identity, protocol.MARKET_CAMERAS[view], 1 + identity % 3, 10 * (index + 1), 0)
    )
    return name.lstrip("0") if identity > 100 and identity % 2 == 0 else name


def _pixels(identity: int, view: str, spec: TreeSpec, rng: np.random.Generator) -> np.ndarray:
    low, high = spec.aerial_px if view == "aerial" else spec.ground_px
    width, height = (int(v) for v in rng.integers(low, high + 1, size=2))
    pattern = np.random.default_rng([identity, protocol.MARKET_CAMERAS[view]]).integers(
        0, 256, (6, 6, 3), np.uint8
    )
    image = np.asarray(Image.fromarray(pattern).resize((width, height), Image.BICUBIC), np.float32)
    image += 6 * rng.standard_normal(image.shape, dtype=np.float32)
    return np.clip(image, 0, 255).astype(np.uint8)


def _jpeg(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def _plan(spec: TreeSpec, rng: np.random.Generator) -> dict[str, list[tuple[int, str, str]]]:
    """(identity, view, file name) of every image, per folder; train listed once (under a2g)."""
    train, test = _identities(spec, rng)
    folders: dict[str, list[tuple[int, str, str]]] = {}
    rows = folders.setdefault(folder_name("a2g", TRAIN_FOLDER), [])
    for view, total in (("ground", spec.train_ground), ("aerial", spec.train_aerial)):
        for identity, count in zip(train, _allocate(total, len(train), rng), strict=True):
            rows += [(identity, view, _name(identity, view, k)) for k in range(count)]
    galleries = {"aerial": spec.ground_gallery, "ground": spec.aerial_gallery}  # by query view
    for name, chosen in protocol.PROTOCOLS.items():
        query_view, gallery_view = chosen.query_view, chosen.gallery_view
        counts = _allocate(galleries[query_view], len(test), rng)
        folders[folder_name(name, QUERY_FOLDER)] = [(i, query_view, _name(i, query_view, 0)) for i in test]
        folders[folder_name(name, GALLERY_FOLDER)] = [
            (i, gallery_view, _name(i, gallery_view, k)) for i, n in zip(test, counts, strict=True)
            for k in range(1, n + 1)
        ]  # fmt: skip
    return folders


def write_market_tree(out: Path, spec: TreeSpec = SMALL, seed: int = 0) -> Path:
    """Write the tree of `spec` at `out` (which must not exist), quirks included; the same seed gives the
    same bytes."""
    out = Path(out)
    out.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    for folder, images in _plan(spec, rng).items():
        copies = [out / folder]
        if folder.endswith(TRAIN_FOLDER):
            copies.append(out / folder_name("g2a", TRAIN_FOLDER))
        for path in copies:
            path.mkdir(parents=True)
        for identity, view, name in images:
            data = _jpeg(_pixels(identity, view, spec, rng))
            for path in copies:
                (path / name).write_bytes(data)
    return plant_quirks(out, spec.pngs, seed, spec.apple_double_share)


def plant_quirks(tree: Path, pngs: int, seed: int = 0, apple_double_share: float = 0.98) -> Path:
    """Give a tree of JPEGs the published copy's quirks: `pngs` images turned into PNGs (same pixels, same
    .jpg name, both training copies alike), an AppleDouble file beside nearly every image, a `.DS_Store`
    in each image folder and an upload-tool leftover at the root."""
    tree, rng = Path(tree), np.random.default_rng([seed, 1])
    folders = sorted(p for p in tree.glob("*/*") if p.is_dir())
    second_copy = tree / folder_name("g2a", TRAIN_FOLDER)
    unique = [p for f in folders if f != second_copy for p in sorted(f.iterdir())]
    for index in sorted(rng.choice(len(unique), pngs, replace=False).tolist()):
        image, buffer = unique[index], io.BytesIO()
        with Image.open(image) as pixels:
            pixels.save(buffer, "PNG")
        for copy in (image, second_copy / image.name) if image.parent.name == TRAIN_FOLDER else (image,):
            copy.write_bytes(buffer.getvalue())
    for folder in folders:
        for image in sorted(folder.iterdir()):
            if rng.random() < apple_double_share:
                (folder / f"._{image.name}").write_bytes(APPLE_DOUBLE)
        (folder / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (tree / UPLOAD_LEFTOVER).write_text("[upload]\nstate=interrupted\n")
    return tree
