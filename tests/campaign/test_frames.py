"""A MOTChallenge sequence folder as a clip: its img1/ frames are the video, gt/gt.txt the annotation and
seqinfo.ini the frame rate; crops are cut from the frame images."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from cvpair.campaign import check_campaign, load_campaign
from cvpair.campaign.frames import probe_frames
from cvpair.errors import InputError
from cvpair.pipeline.cache import ShardStore
from cvpair.pipeline.shard import ShardParams, ShardTask, run_shard

WIDTH, HEIGHT, FRAMES, FPS = 160, 120, 10, 25
SEQINFO = (
    f"[Sequence]\nname=SEQ\nimDir=img1\nframeRate={FPS}\n"
    f"seqLength={FRAMES}\nimWidth={WIDTH}\nimHeight={HEIGHT}\n"
)


def _frames(folder, count=FRAMES):
    """`count` PNG frames of coloured blocks (sharp edges, kind to JPEG), numbered from 1."""
    rng = np.random.default_rng(1)
    folder.mkdir(parents=True)
    images = []
    for number in range(1, count + 1):
        image = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
        for _ in range(40):
            x, y = int(rng.integers(0, WIDTH - 8)), int(rng.integers(0, HEIGHT - 8))
            image[y : y + 8, x : x + 8] = rng.integers(0, 256, 3)
        cv2.imwrite(str(folder / f"{number:06d}.png"), image)
        images.append(image)
    return images


def _sequence_campaign(root):
    """A campaign of one ground clip that is a MOTChallenge sequence folder."""
    sequence = root / "sequences" / "SEQ"
    images = _frames(sequence / "img1")
    (sequence / "seqinfo.ini").write_text(SEQINFO)
    (sequence / "gt").mkdir()
    (sequence / "gt" / "gt.txt").write_text(
        "".join(f"{n},4,40,30,60,60,1,3,1\n" for n in range(1, FRAMES + 1))
    )
    (root / "manifest.csv").write_text(
        "clip,video,annotation,view,device\nG0000,sequences/SEQ/img1,sequences/SEQ,ground,cam-1\n"
    )
    (root / "identities.csv").write_text("clip,track,identity\nG0000,4,17\n")
    return images


def test_a_frame_folder_is_probed_like_a_video(tmp_path):
    _frames(tmp_path / "SEQ" / "img1")
    (tmp_path / "SEQ" / "seqinfo.ini").write_text(SEQINFO)

    info = probe_frames(tmp_path / "SEQ" / "img1")

    assert (info.frame_count, info.fps, info.width, info.height) == (FRAMES, FPS, WIDTH, HEIGHT)


def test_a_sequence_folder_clip_is_checked_and_cropped_from_its_frames(tmp_path):
    images = _sequence_campaign(tmp_path)

    [clip] = check_campaign(load_campaign(tmp_path)).clips
    result = run_shard(ShardTask(clip, ShardParams(), tmp_path / "cache"))
    rows = ShardStore(tmp_path / "cache").columns(
        result.summary.key, ["frame", "identity", "image", "timestamp_s"]
    )

    assert [t.identity for t in clip.annotation.tracks] == [17]
    [row] = rows.to_pylist()  # 10 frames at 25 fps: one sample, the first (0.5 s apart)
    assert (row["frame"], row["identity"], row["timestamp_s"]) == (0, 17, 0.0)
    crop = cv2.imdecode(np.frombuffer(row["image"]["bytes"], np.uint8), cv2.IMREAD_COLOR)
    # box 40,30 60x60 grown by 10 % a side: x 34..106, y 24..96 of frame 000001.png
    assert np.abs(crop.astype(int) - images[0][24:96, 34:106]).mean() < 4
    assert set(result.summary.inputs) == {f"video/{n:06d}.png" for n in range(1, FRAMES + 1)} | {"annotation"}


def test_a_frame_folder_with_a_gap_is_refused(tmp_path):
    _frames(tmp_path / "SEQ" / "img1")
    (tmp_path / "SEQ" / "img1" / "000004.png").unlink()
    (tmp_path / "SEQ" / "seqinfo.ini").write_text(SEQINFO)

    with pytest.raises(InputError, match="number 4 is missing"):
        probe_frames(tmp_path / "SEQ" / "img1")


def test_a_frame_folder_without_a_frame_rate_is_refused(tmp_path):
    _frames(tmp_path / "SEQ" / "img1")

    with pytest.raises(InputError, match=r"needs its frame rate: seqinfo.ini \(frameRate\)"):
        probe_frames(tmp_path / "SEQ" / "img1")


def test_a_cvat_task_made_from_the_folders_images_annotates_the_clip(tmp_path):
    _sequence_campaign(tmp_path)
    images = "".join(
        f'<image id="{n - 1}" name="{n:06d}.png" width="{WIDTH}" height="{HEIGHT}">'
        '<box label="car" occluded="0" xtl="40" ytl="30" xbr="100" ybr="90">'
        '<attribute name="identity">17</attribute></box></image>\n'
        for n in range(1, FRAMES + 1)
    )
    (tmp_path / "task.xml").write_text(
        f"<annotations><version>1.1</version><meta><task><id>3</id><size>{FRAMES}</size>"
        f"<mode>annotation</mode></task></meta>\n{images}</annotations>\n"
    )
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(manifest.read_text().replace(",sequences/SEQ,", ",task.xml,"))
    (tmp_path / "identities.csv").unlink()

    [clip] = check_campaign(load_campaign(tmp_path)).clips

    [track] = clip.annotation.tracks
    assert (track.identity, [box.frame for box in track.boxes]) == (17, list(range(FRAMES)))
