"""`cvpair build` end to end on the demo campaign: the release it writes, determinism, resume after
`kill -9`, bad input reported before decoding, and faults (corrupt video bytes, a failing disk)."""

from __future__ import annotations

import errno
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import av
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from PIL import Image

from cvpair import protocol
from cvpair.campaign import check_campaign, load_campaign, read_annotation
from cvpair.cli import main
from cvpair.errors import CvpairError, InputError
from cvpair.pipeline import cache as shard_cache
from cvpair.pipeline.build import build_release
from cvpair.pipeline.shard import ShardParams, ShardTask, run_shard
from cvpair.pipeline.stash import Stash, load_checked
from cvpair.release import layout
from cvpair.release.lock import lock_path
from cvpair.schema import VIEWS, arrow_schema
from tests.helpers.campaign_files import line_of
from tests.helpers.paths import ROOT


def _copy(campaign: Path, dest: Path, clips: list[str] | None = None) -> Path:
    """A copy of `campaign` that may be changed, with only the files of `clips` (all clips by default)."""
    lines = (campaign / "manifest.csv").read_text().splitlines()
    rows = [line for line in lines[1:] if clips is None or line.split(",")[0] in clips]
    dest.mkdir(parents=True)
    (dest / "manifest.csv").write_text("\n".join([lines[0], *rows]) + "\n")
    for row in rows:
        for name in row.split(",")[1:3] + row.split(",")[5:6]:  # video, annotation, telemetry
            if name:
                (dest / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(campaign / name, dest / name)
    return dest


@pytest.fixture(scope="session")
def mini_campaign(demo_campaign, tmp_path_factory) -> Path:
    """Two clips of the demo campaign, one per view, that share the most identities: a two-shard build."""
    campaign = load_campaign(demo_campaign)
    identities = {
        clip.clip_id: {track.identity for track in read_annotation(clip.annotation).tracks}
        for clip in campaign.clips
    }
    views = {clip.clip_id: clip.view for clip in campaign.clips}
    pair = max(
        ((a, g) for a in identities for g in identities if views[a] == "aerial" and views[g] == "ground"),
        key=lambda p: (len(identities[p[0]] & identities[p[1]]), p),
    )
    return _copy(demo_campaign, tmp_path_factory.mktemp("mini") / "campaign", list(pair))


def _data_files(release: Path) -> dict[str, bytes]:
    files = sorted(release.glob("data/*.parquet")) + [release / layout.SPLIT_MANIFEST]
    return {str(path.relative_to(release)): path.read_bytes() for path in files}


def _rows(release: Path, columns=None):
    tables = {
        path.name.split("-")[0]: pq.read_table(path, columns=columns) for path in release.glob("data/*")
    }
    return {name: table.to_pandas() for name, table in tables.items()}


# The release -----------------------------------------------------------------------------------------


def test_release_files_follow_the_schema_and_are_sorted_by_image_id(demo_release):
    for path in demo_release.glob("data/*.parquet"):
        table = pq.read_table(path)
        assert table.schema.equals(arrow_schema(), check_metadata=False), path
        ids = table["image_id"].to_pylist()
        assert ids == sorted(ids) and len(ids) == len(set(ids)) > 0, path


def _test_rows(demo_release) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """The rows of every file group, and the test groups' rows together."""
    rows = _rows(demo_release, ["identity", "view", "frame", "image_id"])
    test = pd.concat(rows[g.name] for g in protocol.FILE_GROUPS if g.split == protocol.TEST)
    return rows, test


def test_no_identity_is_in_both_train_and_test(demo_release):
    rows, test = _test_rows(demo_release)
    train = set(rows["train"].identity)
    assert train and not train & set(test.identity)


def test_each_test_file_group_holds_its_one_view_and_every_test_identity(demo_release):
    rows, test = _test_rows(demo_release)
    for group in (g for g in protocol.FILE_GROUPS if g.split == protocol.TEST):
        assert (rows[group.name].view == VIEWS.index(group.view)).all(), group.name
        assert set(rows[group.name].identity) == set(test.identity), group.name


def test_each_query_is_the_earliest_frame_of_its_identity_in_its_view(demo_release):
    rows, test = _test_rows(demo_release)
    for view in VIEWS:
        query = rows[protocol.group_for(protocol.QUERY, view).name]
        assert query.identity.is_unique
        in_view = test[test.view == VIEWS.index(view)]
        earliest = in_view.sort_values(["frame", "image_id"]).groupby("identity").image_id.first()
        assert sorted(query.image_id) == sorted(earliest)


def test_train_identities_are_seen_from_both_views(demo_release):
    rows, _ = _test_rows(demo_release)
    for identity, views in rows["train"].groupby("identity").view.nunique().items():
        assert views == 2, identity


def test_build_report_counts_what_the_release_holds(demo_release):
    report = json.loads((demo_release / layout.BUILD_REPORT).read_text())
    rows = _rows(demo_release, ["identity", "view"])
    table = pd.concat(
        frame.assign(split="train" if name == "train" else "test") for name, frame in rows.items()
    )
    assert report["images"] == len(table)
    assert report["identities"] == table.identity.nunique()
    for split, group in table.groupby("split"):
        for view, counts in report["splits"][split]["views"].items():
            in_view = group[group.view == VIEWS.index(view)]
            assert counts == {"identities": in_view.identity.nunique(), "images": len(in_view)}
    assert report["file_groups"] == {
        name: {"identities": frame.identity.nunique(), "images": len(frame)} for name, frame in rows.items()
    }
    per_identity = Counter(table.identity.value_counts().tolist())
    assert report["images_per_identity"]["histogram"] == {str(k): v for k, v in sorted(per_identity.items())}
    assert report["rejected_crops"]["time_gap"] > 0


def test_crops_are_plain_jpeg_matching_their_columns(demo_release):
    import hashlib

    from cvpair.pipeline.phash import hamming, phash

    table = pq.read_table(demo_release / "data" / "gallery_aerial-00000-of-00001.parquet").to_pandas()
    for row in table.head(20).itertuples():
        data = row.image["bytes"]
        image = Image.open(io.BytesIO(data))
        assert image.format == "JPEG" and not image.getexif() and "exif" not in image.info
        assert image.size == (row.crop_width, row.crop_height)
        assert hashlib.sha256(data).hexdigest() == row.sha256
        # The stored hash is of the crop before JPEG encoding; quality 95 moves it by a few bits at most.
        assert hamming(int(row.phash, 16), phash(np.asarray(image.convert("L")))) <= 4
        assert row.altitude_m > 0
    ground = pq.read_table(demo_release / "data" / "gallery_ground-00000-of-00001.parquet").to_pandas()
    assert ground.altitude_m.isna().all()


def test_the_printed_line_loads_the_release(demo_release):
    from datasets import load_dataset

    rows = _rows(demo_release, ["image_id"])
    for name, config in (("a2g", ()), ("a2g", ("a2g",)), ("g2a", ("g2a",))):  # a2g is the default
        splits = load_dataset(str(demo_release), *config)
        expected = {split: len(rows[group]) for split, group in protocol.PROTOCOLS[name].splits.items()}
        assert {split: len(data) for split, data in splits.items()} == expected


# Determinism and resume ------------------------------------------------------------------------------


def test_two_builds_from_the_same_inputs_and_seed_are_byte_identical(mini_campaign, tmp_path):
    first = build_release(mini_campaign, tmp_path / "a", work_dir=tmp_path / "work-a").release
    second = build_release(mini_campaign, tmp_path / "b", work_dir=tmp_path / "work-b").release
    assert _data_files(first) == _data_files(second)


def test_the_main_process_keeps_checked_clips_without_boxes_and_their_shards_are_the_same(
    mini_campaign, tmp_path
):
    campaign = load_campaign(mini_campaign)
    full = check_campaign(campaign)
    stash = Stash(shard_cache.ShardStore(tmp_path / "work"))
    summaries = check_campaign(campaign, map_clips=stash.checking(map))
    assert all(not track.boxes for clip in summaries.clips for track in clip.annotation.tracks)
    assert [[t.track_id for t in c.annotation.tracks] for c in summaries.clips] == [
        [t.track_id for t in c.annotation.tracks] for c in full.clips
    ]
    for whole, small in zip(full.clips, summaries.clips, strict=True):
        assert load_checked(stash.paths[small.clip.clip_id]) == whole
        from_stash = run_shard(
            ShardTask(small, ShardParams(), tmp_path / "a", stash.paths[small.clip.clip_id])
        )
        direct = run_shard(ShardTask(whole, ShardParams(), tmp_path / "b"))
        assert from_stash.summary == direct.summary and from_stash.summary.rows > 0
    stash.remove()
    assert not any((tmp_path / "work" / "shards").iterdir())


def test_a_build_leaves_no_stashed_clips_and_removes_those_of_a_killed_build(mini_campaign, tmp_path):
    work = tmp_path / "work"
    (work / "shards").mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    leftover = work / "shards" / f"clip.checked.tmp-{dead.pid}"
    leftover.write_bytes(b"from a killed build")
    build_release(mini_campaign, tmp_path / "release", work_dir=work, workers=2)
    assert sorted(p.suffix for p in (work / "shards").iterdir()) == [".json"] * 2 + [".parquet"] * 2


def test_a_shard_is_reused_until_an_input_file_changes_even_with_the_same_size_and_mtime(
    mini_campaign, tmp_path
):
    campaign = _copy(mini_campaign, tmp_path / "campaign")
    clip = check_campaign(load_campaign(campaign)).clips[0]
    task = ShardTask(clip, ShardParams(), tmp_path / "work")
    first = run_shard(task)
    assert not first.reused and run_shard(task).reused
    annotation = clip.annotation.path
    times = annotation.stat()
    annotation.write_text(annotation.read_text().replace('z_order="0"', 'z_order="1"', 1))
    os.utime(annotation, ns=(times.st_atime_ns, times.st_mtime_ns))
    clip = check_campaign(load_campaign(campaign)).clips[0]
    changed = run_shard(ShardTask(clip, ShardParams(), task.cache))
    assert not changed.reused and changed.summary.key != first.summary.key


@pytest.mark.slow
def test_kill_9_mid_build_then_rerun_gives_the_uninterrupted_release(demo_campaign, demo_release, tmp_path):
    work, out = tmp_path / "work", tmp_path / "release"
    command = [Path(sys.executable).with_name("cvpair"), "build", demo_campaign, "-o", out]
    command += ["--work-dir", work, "--workers", "1"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    build = subprocess.Popen(command, env=env, start_new_session=True, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not list(work.glob("shards/*.parquet")):
        assert build.poll() is None, "the build ended before its first shard was seen"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    os.killpg(build.pid, signal.SIGKILL)
    build.wait()
    done = len(list(work.glob("shards/*.parquet")))
    assert not out.exists()
    assert done < len(load_campaign(demo_campaign).clips)
    assert json.loads(lock_path(out.resolve()).read_text())["pid"] == build.pid  # left by the killed build

    resumed = build_release(demo_campaign, out, work_dir=work)
    assert resumed.took_over and f"process {build.pid}, which is gone" in resumed.took_over
    assert not lock_path(out.resolve()).exists()
    assert resumed.shards_reused == done
    assert not list(work.glob("shards/*.tmp-*"))
    assert _data_files(resumed.release) == _data_files(demo_release)
    report = layout.BUILD_REPORT
    assert (resumed.release / report).read_text() == (demo_release / report).read_text()


@pytest.mark.slow
def test_a_second_build_into_the_same_output_refuses_at_once_and_the_first_finishes(
    demo_campaign, demo_release, tmp_path
):
    """As a new user would: `cvpair build -o X` in two terminals."""
    out = tmp_path / "release"
    command = [Path(sys.executable).with_name("cvpair"), "build", demo_campaign, "-o", out, "--no-register"]
    command += ["--work-dir", tmp_path / "work", "--workers", "1"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not lock_path(out.resolve()).exists():
        assert first.poll() is None and time.monotonic() < deadline, "the first build never took its lock"
        time.sleep(0.01)
    started = time.monotonic()
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    refused_in = time.monotonic() - started
    assert first.poll() is None, "the first build ended before the second was tried"
    assert second.returncode == 2 and "Traceback" not in second.stderr, second.stderr
    message = f"output {out.resolve()} is being written by another cvpair process: pid {first.pid}"
    assert message in second.stderr
    assert refused_in < 20  # the command's start-up; no shard work
    stdout, stderr = first.communicate(timeout=600)
    assert first.returncode == 0, stderr[-3000:]
    assert _data_files(out) == _data_files(demo_release)
    assert not lock_path(out.resolve()).exists()


# Bad input -------------------------------------------------------------------------------------------


def _first_box(text: str) -> re.Match:
    return re.search(r'<box frame="\d+"[^>]*>', text)


def _truncate_video(campaign: Path) -> tuple[Path, int | None]:
    video = next(campaign.glob("videos/G*.mp4"))
    os.truncate(video, video.stat().st_size * 6 // 10)
    return video, None


def _box_past_the_last_frame(campaign: Path) -> tuple[Path, int | None]:
    annotation = next(campaign.glob("annotations/A*.xml"))
    text = annotation.read_text()
    box = _first_box(text)
    annotation.write_text(
        text[: box.start()] + re.sub(r'frame="\d+"', 'frame="100000"', box[0]) + text[box.end() :]
    )
    return annotation, line_of(annotation, 'frame="100000"')


def _box_outside_the_frame(campaign: Path) -> tuple[Path, int | None]:
    annotation = next(campaign.glob("annotations/A*.xml"))
    text = annotation.read_text()
    box = _first_box(text)
    far = re.sub(r'xtl="[^"]*" ytl="[^"]*"', 'xtl="50000" ytl="50000"', box[0])
    far = re.sub(r'xbr="[^"]*" ybr="[^"]*"', 'xbr="50100" ybr="50100"', far)
    annotation.write_text(text[: box.start()] + far + text[box.end() :])
    return annotation, line_of(annotation, 'xtl="50000"')


def _track_without_identity(campaign: Path) -> tuple[Path, int | None]:
    annotation = next(campaign.glob("annotations/A*.xml"))
    text = annotation.read_text()
    start = text.index("<track ")
    end = text.index("</track>", start)
    bare = re.sub(r'\s*<attribute name="identity">[^<]*</attribute>', "", text[start:end])
    annotation.write_text(text[:start] + bare + text[end:])
    return annotation, line_of(annotation, "<track ")


def _unknown_view(campaign: Path) -> tuple[Path, int | None]:
    manifest = campaign / "manifest.csv"
    lines = manifest.read_text().splitlines()
    lines[2] = lines[2].replace(",ground,", ",satellite,").replace(",aerial,", ",satellite,")
    manifest.write_text("\n".join(lines) + "\n")
    return manifest, 3


def _no_clips(campaign: Path) -> tuple[Path, int | None]:
    manifest = campaign / "manifest.csv"
    manifest.write_text(manifest.read_text().splitlines()[0] + "\n")
    return manifest, None


DEFECTS = [
    _truncate_video,
    _box_past_the_last_frame,
    _box_outside_the_frame,
    _track_without_identity,
    _unknown_view,
    _no_clips,
]


@pytest.mark.parametrize("defect", DEFECTS, ids=lambda d: d.__name__.strip("_"))
def test_bad_input_is_reported_with_file_and_line_before_any_decoding(defect, mini_campaign, tmp_path):
    campaign = _copy(mini_campaign, tmp_path / "campaign")
    path, line = defect(campaign)
    with pytest.raises(InputError) as error:
        build_release(campaign, tmp_path / "release", work_dir=tmp_path / "work")
    assert (path, line) in {(Path(p.path), p.line) for p in error.value.problems}, error.value
    assert not list(tmp_path.glob("work/shards/*")) and not (tmp_path / "release").exists()


def test_cli_prints_every_problem_and_exits_2_without_a_traceback(mini_campaign, tmp_path):
    campaign = _copy(mini_campaign, tmp_path / "campaign")
    manifest, line = _unknown_view(campaign)
    annotation, box_line = _box_past_the_last_frame(campaign)
    result = CliRunner().invoke(main, ["build", str(campaign), "-o", str(tmp_path / "out"), "--workers", "1"])
    assert result.exit_code == 2
    assert f"{manifest}:{line}" in result.output and f"{annotation}:{box_line}" in result.output
    assert "Traceback" not in result.output


def test_a_non_empty_output_folder_is_refused_unless_overwrite(mini_campaign, tmp_path):
    out = tmp_path / "release"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(CvpairError, match="not empty"):
        build_release(mini_campaign, out)
    assert (out / "notes.txt").exists()
    build_release(mini_campaign, out, overwrite=True)
    assert not (out / "notes.txt").exists() and list(out.glob("data/train-*.parquet"))


# Faults ----------------------------------------------------------------------------------------------


def test_corrupt_video_bytes_leave_out_the_damaged_frames_with_a_warning(mini_campaign, tmp_path):
    campaign = _copy(mini_campaign, tmp_path / "campaign")
    [clip] = [c for c in check_campaign(load_campaign(campaign)).clips if c.clip.view == "aerial"]
    clean = run_shard(ShardTask(clip, ShardParams(), tmp_path / "clean"))
    with av.open(str(clip.clip.video)) as container:
        packets = [(p.size, p.pos, p.pts, p.is_keyframe) for p in container.demux(video=0) if p.size]
    order = sorted(pts for _, _, pts, _ in packets)
    size, position, pts, _ = max(p for p in packets if not p[3])  # the biggest predicted frame
    frame = order.index(pts)
    with open(clip.clip.video, "r+b") as video:  # zeros over its data, past the NAL headers
        video.seek(position + 16)
        video.write(bytes(size - 16))
    [clip] = [c for c in check_campaign(load_campaign(campaign)).clips if c.clip.view == "aerial"]
    damaged = run_shard(ShardTask(clip, ShardParams(), tmp_path / "damaged"))

    [warning] = [w for w in damaged.summary.warnings if "corrupt" in w]
    assert str(clip.clip.video) in warning
    spans = [tuple(map(int, span.split("-"))) for span in re.findall(r"(\d+-\d+)", warning)]
    assert any(a <= frame <= b for a, b in spans) and damaged.summary.rejected["corrupt_frame"] > 0
    before, after = _hashes(tmp_path / "clean", clean), _hashes(tmp_path / "damaged", damaged)
    frame_of = {image_id: int(image_id.rsplit("/", 1)[1]) for image_id in before | after}
    assert not [i for i in after if any(a <= frame_of[i] <= b for a, b in spans)]
    assert [i for i in before if any(a <= frame_of[i] <= b for a, b in spans)]
    assert all(before[i] == after[i] for i in after.keys() & before.keys())


def _hashes(cache: Path, result) -> dict[str, str]:
    """image_id -> sha256 of the crops of a shard."""
    table = pq.read_table(cache / "shards" / f"{result.summary.key}.parquet", columns=["image_id", "sha256"])
    return dict(zip(table["image_id"].to_pylist(), table["sha256"].to_pylist(), strict=True))


class _FullDisk(pq.ParquetWriter):
    """The real Parquet writer on a disk that fills up after a few rows (fault injection)."""

    room = 5

    def write_table(self, table, *args, **kwargs):
        if table.num_rows > self.room:
            raise OSError(errno.ENOSPC, "No space left on device")
        super().write_table(table, *args, **kwargs)


def test_a_write_failure_mid_shard_leaves_nothing_partial_and_a_rerun_completes(
    mini_campaign, tmp_path, monkeypatch
):
    work, out = tmp_path / "work", tmp_path / "release"
    monkeypatch.setattr(shard_cache.pq, "ParquetWriter", _FullDisk)
    with pytest.raises(CvpairError, match="No space left on device") as error:
        build_release(mini_campaign, out, work_dir=work)
    assert "rerun to resume" in str(error.value)
    assert not list(work.glob("shards/*")) and not out.exists()
    monkeypatch.undo()
    result = build_release(mini_campaign, out, work_dir=work)
    assert result.shards_built == 2 and result.report.images > 0


def test_cli_without_a_campaign_builds_the_bundled_sample(demo_campaign, demo_release, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "sample-demo-seed0").symlink_to(demo_campaign)
    shared_shards = Path(os.environ["CVPAIR_CACHE_DIR"]) / "build"  # where demo_release's shards are
    monkeypatch.setenv("CVPAIR_CACHE_DIR", str(cache))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["build", "--workers", "1", "--work-dir", str(shared_shards)])
    assert result.exit_code == 0, result.output
    release = tmp_path / "cvpair-release"
    assert f'from datasets import load_dataset; ds = load_dataset("{release}")' in result.output
    assert _data_files(release) == _data_files(demo_release)


def test_a_campaign_with_folders_linked_to_another_disk_builds(mini_campaign, tmp_path):
    """Footage often lives on another disk and the campaign folder links to it."""
    campaign, footage = _copy(mini_campaign, tmp_path / "campaign"), tmp_path / "disk2" / "footage"
    footage.mkdir(parents=True)
    for folder in ("videos", "annotations"):
        shutil.move(campaign / folder, footage / folder)
        (campaign / folder).symlink_to(footage / folder, target_is_directory=True)

    result = build_release(campaign, tmp_path / "release", workers=1)

    recorded = json.loads((result.release / "provenance.json").read_text())["campaign"]["files"]
    inputs = sorted(p.relative_to(campaign).as_posix() for p in campaign.glob("*/*"))
    assert sorted(recorded) == sorted(["manifest.csv", *inputs])
    assert any(name.startswith("videos/") for name in recorded)
