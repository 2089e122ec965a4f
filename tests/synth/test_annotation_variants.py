"""`cvpair synth --annotations STYLE`: the same campaign written the way other tools write annotations.
Each style describes the same boxes, so each builds the same crops as the CVAT original: the readers
understand FiftyOne's re-save (True/False flags, whole-pixel corners, no framing), project exports,
vehicle labels other than `vehicle` beside non-vehicle tracks, and CVAT's MOT export. Rotated boxes give
the original crops turned upright from half a turn."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from cvpair.campaign import check_campaign, load_campaign
from cvpair.pipeline.cache import ShardStore
from cvpair.pipeline.shard import ShardParams, ShardTask, run_shard
from cvpair.synth.variants import STYLES, rewrite_annotations

COLUMNS = ["clip", "identity", "frame", "sha256", "image", "bbox_angle",
           "bbox_x", "bbox_y", "bbox_w", "bbox_h", "frame_width", "frame_height"]  # fmt: skip
MARGIN = ShardParams().quality.margin


def _two_clips(campaign: Path, dest: Path) -> Path:
    """The first aerial and the first ground clip of `campaign`, copied to `dest`."""
    header, *rows = (campaign / "manifest.csv").read_text().splitlines()
    chosen = [next(row for row in rows if f",{view}," in row) for view in ("aerial", "ground")]
    dest.mkdir(parents=True)
    (dest / "manifest.csv").write_text("\n".join([header, *chosen]) + "\n")
    for row in chosen:
        for name in row.split(",")[1:3] + row.split(",")[5:6]:
            if name:
                (dest / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(campaign / name, dest / name)
    return dest


def _crops(root: Path, cache: Path) -> dict[tuple[str, int, int], dict]:
    """(clip, identity, frame) -> the crop row, for every clip of the campaign at `root`."""
    crops = {}
    for clip in check_campaign(load_campaign(root)).clips:
        result = run_shard(ShardTask(clip, ShardParams(), cache))
        for row in ShardStore(cache).columns(result.summary.key, COLUMNS).to_pylist():
            crops[row["clip"], row["identity"], row["frame"]] = row
    return crops


def _margin_inside(row: dict) -> bool:
    dx, dy = row["bbox_w"] * MARGIN, row["bbox_h"] * MARGIN
    left, top = row["bbox_x"] - dx, row["bbox_y"] - dy
    right, bottom = row["bbox_x"] + row["bbox_w"] + dx, row["bbox_y"] + row["bbox_h"] + dy
    return left >= 0 and top >= 0 and right <= row["frame_width"] and bottom <= row["frame_height"]


@pytest.fixture(scope="module")
def original(demo_campaign, tmp_path_factory):
    root = _two_clips(demo_campaign, tmp_path_factory.mktemp("variants") / "cvat")
    return root, _crops(root, root.parent / "cache-cvat")


def _variant(original, style: str) -> dict:
    root = original[0].parent / style
    shutil.copytree(original[0], root)
    rewrite_annotations(root, style)
    return _crops(root, root.parent / f"cache-{style}")


def test_the_styles_are_the_ones_the_cli_offers():
    from cvpair.cli import synth

    [option] = [p for p in synth.params if p.name == "annotations"]
    assert tuple(option.type.choices) == STYLES


@pytest.mark.slow
@pytest.mark.parametrize("style", ["fiftyone", "cvat-project", "labels", "mot"])
def test_every_style_builds_the_same_crops(original, style):
    crops = _variant(original, style)

    assert len(original[1]) > 10
    assert {key: row["sha256"] for key, row in crops.items()} == {
        key: row["sha256"] for key, row in original[1].items()
    }


@pytest.mark.slow
def test_ten_column_mot_without_occluded_boxes_builds_crops_of_the_original(original):
    crops = _variant(original, "mot10")

    common = crops.keys() & original[1].keys()
    assert len(common) >= 0.5 * len(original[1])
    assert all(crops[key]["sha256"] == original[1][key]["sha256"] for key in common)


@pytest.mark.slow
def test_rotated_boxes_give_the_crops_turned_upright(original):
    crops = _variant(original, "rotated")

    common = crops.keys() & original[1].keys()
    assert len(common) >= 0.8 * len(original[1]) > 10
    assert {row["bbox_angle"] for row in crops.values()} == {180.0}
    assert {row["bbox_angle"] for row in original[1].values()} == {0.0}
    # where the margin reaches past the frame, the upright crop is cut short and the turned one black there
    inside = [key for key in sorted(common) if _margin_inside(original[1][key])]
    assert len(inside) >= 0.5 * len(common)
    for key in inside:
        upright, turned = (
            cv2.imdecode(np.frombuffer(c[key]["image"]["bytes"], np.uint8), 1) for c in (original[1], crops)
        )
        turned = cv2.resize(np.rot90(turned, 2), upright.shape[1::-1], interpolation=cv2.INTER_AREA)
        assert np.abs(upright.astype(int) - turned).mean() < 12, key
