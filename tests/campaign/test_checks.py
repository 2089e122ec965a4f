"""check_campaign: every problem of a campaign reported at once, each with its file and line or frame."""

from __future__ import annotations

import os

import pytest

from cvpair.campaign import check_campaign, load_campaign
from cvpair.errors import InputError
from tests.helpers.campaign_files import (
    FRAMES,
    HEIGHT,
    WIDTH,
    TrackSpec,
    cvat_xml,
    line_of,
    srt_entry,
    still_track,
    write_campaign,
)


def _problems(root):
    with pytest.raises(InputError) as caught:
        check_campaign(load_campaign(root))
    return caught.value.problems


def _annotate(root, clip, tracks):
    path = root / "annotations" / f"{clip}.xml"
    path.write_text(cvat_xml(tracks))
    return path


def _set_manifest_cell(root, line, column, value):
    path = root / "manifest.csv"
    rows = [row.split(",") for row in path.read_text().splitlines()]
    rows[line - 1][rows[0].index(column)] = value
    path.write_text("\n".join(",".join(row) for row in rows) + "\n")
    return path


def test_valid_campaign_passes_with_video_info_telemetry_and_identities(tmp_path):
    checked = check_campaign(load_campaign(write_campaign(tmp_path, aerial=1, ground=1)))

    assert checked.warnings == []
    aerial, ground = checked.clips
    assert (aerial.frame_count, aerial.fps, aerial.width, aerial.height) == (FRAMES, 25.0, WIDTH, HEIGHT)
    assert [s.start_s for s in aerial.telemetry.samples] == pytest.approx([f / 25 for f in range(FRAMES)])
    assert ground.telemetry is None
    assert [t.identity for t in aerial.annotation.tracks + ground.annotation.tracks] == [0, 1]


def test_unknown_view_is_named_with_its_manifest_line(tmp_path):
    root = write_campaign(tmp_path, aerial=1, ground=1)
    manifest = _set_manifest_cell(root, 3, "view", "street")

    [problem] = _problems(root)

    assert (problem.path, problem.line) == (manifest, 3)
    assert "street" in problem.message


def test_duplicate_clip_id_is_named_with_its_manifest_line(tmp_path):
    root = write_campaign(tmp_path, aerial=2, ground=0)
    manifest = _set_manifest_cell(root, 3, "clip", "A0000")

    [problem] = _problems(root)

    assert (problem.path, problem.line) == (manifest, 3)
    assert "also on line 2" in problem.message


def test_clip_id_that_cannot_be_part_of_an_image_id_is_named(tmp_path):
    root = write_campaign(tmp_path, aerial=1, ground=0)
    manifest = _set_manifest_cell(root, 2, "clip", "day 1/A0")

    [problem] = _problems(root)

    assert (problem.path, problem.line) == (manifest, 2)
    assert "'day 1/A0'" in problem.message


@pytest.mark.parametrize("relative", ["annotations/A0000.xml", "videos/A0000.mp4", "telemetry/A0000.SRT"])
def test_missing_file_is_named_with_its_manifest_line(tmp_path, relative):
    root = write_campaign(tmp_path, aerial=1, ground=0)
    missing = root / relative
    missing.unlink()

    [problem] = _problems(root)

    assert problem.path == missing
    assert "not found" in problem.message and "line 2" in problem.message


def test_empty_campaign_is_an_error(tmp_path):
    (tmp_path / "manifest.csv").write_text("clip,video,annotation,view,device,telemetry\n")

    [problem] = _problems(tmp_path)

    assert "no clips" in problem.message


def test_box_past_the_last_frame_is_named_with_frame_and_line(tmp_path):
    root = write_campaign(tmp_path, aerial=0, ground=1)
    path = _annotate(root, "G0000", [TrackSpec(0, 1, [(0, 10, 8, 30, 24), (FRAMES, 10, 8, 30, 24)])])

    [problem] = _problems(root)

    assert (problem.path, problem.frame, problem.line) == (
        path,
        FRAMES,
        line_of(path, f'<box frame="{FRAMES}"'),
    )


def test_box_slightly_outside_is_clipped_with_a_warning(tmp_path):
    root = write_campaign(tmp_path, aerial=0, ground=1)
    # 20 x 16 box with its left 4 px (20 % of its area) left of the frame
    path = _annotate(root, "G0000", [TrackSpec(0, 1, [(0, 10, 8, 30, 24), (1, -4, 8, 16, 24)])])

    checked = check_campaign(load_campaign(root))

    box = checked.clips[0].annotation.tracks[0].boxes[1]
    assert (box.x, box.y, box.w, box.h) == (0, 8, 16, 16)
    [warning] = checked.warnings
    assert (warning.path, warning.frame, warning.line) == (path, 1, line_of(path, '<box frame="1"'))
    assert "clipped" in warning.message


def test_box_mostly_outside_is_an_error(tmp_path):
    root = write_campaign(tmp_path, aerial=0, ground=1)
    # 20 x 16 box with 15 of its 20 px columns right of the 64 px frame
    path = _annotate(root, "G0000", [TrackSpec(0, 1, [(0, 10, 8, 30, 24), (1, 59, 8, 79, 24)])])

    [problem] = _problems(root)

    assert (problem.path, problem.frame, problem.line) == (path, 1, line_of(path, '<box frame="1"'))
    assert "75%" in problem.message


def test_box_mostly_outside_but_flagged_outside_is_accepted(tmp_path):
    root = write_campaign(tmp_path, aerial=0, ground=1)
    _annotate(root, "G0000", [TrackSpec(0, 1, [(0, 10, 8, 30, 24), (1, 59, 8, 79, 24)], outside={1})])

    checked = check_campaign(load_campaign(root))

    assert checked.clips[0].annotation.tracks[0].boxes[1].outside


def test_box_with_non_positive_size_is_an_error(tmp_path):
    root = write_campaign(tmp_path, aerial=0, ground=1)
    path = _annotate(root, "G0000", [TrackSpec(0, 1, [(0, 10, 8, 30, 24), (1, 30, 8, 10, 24)])])

    [problem] = _problems(root)

    assert (problem.path, problem.frame, problem.line) == (path, 1, line_of(path, '<box frame="1"'))
    assert "non-positive size" in problem.message


def test_track_without_identity_is_named_with_its_line(tmp_path):
    root = write_campaign(tmp_path, aerial=0, ground=1)
    path = _annotate(root, "G0000", [still_track(0, 5), still_track(1, None)])

    [problem] = _problems(root)

    assert (problem.path, problem.line) == (path, line_of(path, '<track id="1"'))
    assert "no identity" in problem.message


def test_identities_csv_gives_a_track_its_identity(tmp_path):
    root = write_campaign(tmp_path, aerial=0, ground=1)
    _annotate(root, "G0000", [still_track(0, 5), still_track(1, None)])
    (root / "identities.csv").write_text("clip,track,identity\nG0000,1,7\nG0000,0,9\n")

    checked = check_campaign(load_campaign(root))

    assert [t.identity for t in checked.clips[0].annotation.tracks] == [9, 7]


def test_mot_annotation_takes_identities_from_identities_csv(tmp_path):
    root = write_campaign(tmp_path, aerial=0, ground=1)
    gt = root / "annotations" / "G0000" / "gt" / "gt.txt"
    gt.parent.mkdir(parents=True)
    gt.write_text("1,4,10,8,20,16,1,3,1\n2,4,10,8,20,16,1,3,1\n")
    _set_manifest_cell(root, 2, "annotation", "annotations/G0000/gt/gt.txt")
    (root / "identities.csv").write_text("clip,track,identity\nG0000,4,31\n")

    checked = check_campaign(load_campaign(root))

    [track] = checked.clips[0].annotation.tracks
    assert (track.track_id, track.identity, [b.frame for b in track.boxes]) == (4, 31, [0, 1])


def test_conflicting_identities_in_a_track_are_named_with_the_box_line(tmp_path):
    root = write_campaign(tmp_path, aerial=0, ground=1)
    path = _annotate(root, "G0000", [still_track(0, 5)])
    text = path.read_text().splitlines()
    conflicting = line_of(path, '<box frame="3"')
    text[conflicting - 1] = text[conflicting - 1].replace(">5<", ">6<")
    path.write_text("\n".join(text) + "\n")

    [problem] = _problems(root)

    assert (problem.path, problem.line, problem.frame) == (path, conflicting, 3)
    assert "identity 6" in problem.message


def test_duplicate_track_id_is_named_with_its_line(tmp_path):
    root = write_campaign(tmp_path, aerial=0, ground=1)
    path = _annotate(root, "G0000", [still_track(2, 5), still_track(2, 6)])

    [problem] = _problems(root)

    assert problem.line == line_of(path, '<track id="2"', after=line_of(path, '<track id="2"'))
    assert "duplicate track id 2" in problem.message


def test_annotation_drawn_on_another_frame_size_is_an_error(tmp_path):
    root = write_campaign(tmp_path, aerial=0, ground=1)
    path = root / "annotations" / "G0000.xml"
    path.write_text(cvat_xml([still_track(0, 1)], width=1280, height=720))

    [problem] = _problems(root)

    assert problem.path == path
    assert "1280x720" in problem.message


def test_telemetry_not_covering_the_video_is_a_warning(tmp_path):
    root = write_campaign(tmp_path, aerial=1, ground=0)
    srt = root / "telemetry" / "A0000.SRT"
    srt.write_text("".join(srt_entry(frame) for frame in range(FRAMES - 3)))

    checked = check_campaign(load_campaign(root))

    [warning] = checked.warnings
    assert (warning.path, warning.frame) == (srt, FRAMES - 3)
    assert len(checked.clips[0].telemetry.samples) == FRAMES - 3


def test_truncated_video_is_named(tmp_path):
    root = write_campaign(tmp_path, aerial=0, ground=1)
    video = root / "videos" / "G0000.mp4"
    video.write_bytes(video.read_bytes()[: video.stat().st_size // 2])

    [problem] = _problems(root)

    assert problem.path == video


def test_several_problems_are_reported_together(tmp_path):
    root = write_campaign(tmp_path, aerial=2, ground=2)
    manifest = _set_manifest_cell(root, 2, "view", "satellite")  # A0000
    (root / "videos" / "A0001.mp4").write_bytes(os.urandom(2048))
    xml = _annotate(root, "G0000", [still_track(0, None)])
    (root / "annotations" / "G0001.xml").unlink()
    srt = root / "telemetry" / "A0000.SRT"
    srt.write_text("1\nnot a time\n")

    problems = _problems(root)

    assert sorted((p.path.name, p.line) for p in problems) == sorted(
        [
            (manifest.name, 2),
            ("A0001.mp4", None),
            (xml.name, line_of(xml, "<track")),
            ("G0001.xml", None),
            (srt.name, 1),
        ]
    )


def test_two_tracks_with_one_identity_on_the_same_frame_are_an_error(tmp_path):
    root = write_campaign(tmp_path, aerial=0, ground=1)
    path = _annotate(
        root,
        "G0000",
        [TrackSpec(0, 5, [(0, 1, 1, 9, 9), (1, 1, 1, 9, 9)]), TrackSpec(1, 5, [(1, 20, 20, 30, 30)])],
    )

    [problem] = _problems(root)

    assert (problem.path, problem.frame, problem.line) == (
        path,
        1,
        line_of(path, '<box frame="1"', after=line_of(path, '<track id="1"')),
    )
    assert "tracks 0 and 1 both show identity 5" in problem.message


def test_tracks_of_another_label_are_ignored_with_a_warning(tmp_path):
    root = write_campaign(tmp_path, aerial=0, ground=1)
    person = still_track(1, None)
    person.label = "person"
    path = _annotate(root, "G0000", [still_track(0, 5), person])

    checked = check_campaign(load_campaign(root))

    assert [t.track_id for t in checked.clips[0].annotation.tracks] == [0]
    [warning] = checked.warnings
    assert (warning.path, warning.line) == (path, line_of(path, '<track id="1"'))


def test_video_missing_from_the_manifest_is_a_warning(tmp_path):
    root = write_campaign(tmp_path, aerial=0, ground=1)
    stray = root / "videos" / "G0099.mp4"
    stray.write_bytes(b"")

    [warning] = check_campaign(load_campaign(root)).warnings

    assert warning.path == stray


def test_two_boxes_of_a_track_on_one_frame_are_named_with_the_second_line(tmp_path):
    root = write_campaign(tmp_path, aerial=0, ground=1)
    gt = root / "annotations" / "G0000" / "gt" / "gt.txt"
    gt.parent.mkdir(parents=True)
    gt.write_text("1,4,10,8,20,16,1,3,1\n2,4,10,8,20,16,1,3,1\n2,4,12,8,20,16,1,3,1\n")
    _set_manifest_cell(root, 2, "annotation", "annotations/G0000/gt/gt.txt")
    (root / "identities.csv").write_text("clip,track,identity\nG0000,4,31\n")

    [problem] = _problems(root)

    assert (problem.path, problem.line, problem.frame) == (gt, 3, 1)
    assert "also on line 2" in problem.message


def test_identity_link_to_an_unknown_clip_is_a_warning(tmp_path):
    root = write_campaign(tmp_path, aerial=0, ground=1)
    (root / "identities.csv").write_text("clip,track,identity\nG0999,0,3\n")

    [warning] = check_campaign(load_campaign(root)).warnings

    assert warning.path == root / "identities.csv"
    assert "G0999" in warning.message


def test_a_clip_with_only_non_vehicle_labels_is_an_error(tmp_path):
    root = write_campaign(tmp_path, aerial=0, ground=1)
    person, sign = still_track(0, 3), still_track(1, 4)
    person.label, sign.label = "person", "traffic sign"
    path = _annotate(root, "G0000", [person, sign])

    [problem] = _problems(root)

    assert problem.path == path
    assert "no track with a vehicle label" in problem.message
    assert (
        "labels found: 'person', 'traffic sign'" in problem.message
        and "vehicle_labels.txt" in problem.message
    )


def test_car_truck_and_bus_labels_are_vehicles_by_default(tmp_path):
    root = write_campaign(tmp_path, aerial=0, ground=1)
    tracks = [still_track(0, 3), still_track(1, 4), still_track(2, 5)]
    for track, label in zip(tracks, ("Car", "truck", "bus"), strict=True):
        track.label = label
        track.boxes = [
            (frame, 2 + 12 * track.track_id, 8, 12 + 12 * track.track_id, 24) for frame in range(FRAMES)
        ]
    _annotate(root, "G0000", tracks)

    checked = check_campaign(load_campaign(root))

    assert [t.track_id for t in checked.clips[0].annotation.tracks] == [0, 1, 2]


def test_a_campaign_label_map_replaces_the_default(tmp_path):
    root = write_campaign(tmp_path, aerial=0, ground=1)
    tractor, car = still_track(0, 3), still_track(1, 4, frames=0)
    tractor.label, car.label = "tractor", "car"
    _annotate(root, "G0000", [tractor, car])
    (root / "vehicle_labels.txt").write_text("# farm campaign\ntractor\n")

    checked = check_campaign(load_campaign(root))

    assert [t.track_id for t in checked.clips[0].annotation.tracks] == [0]
    assert any("labelled 'car', not a vehicle label" in w.message for w in checked.warnings)


def test_an_annotation_covering_more_frames_than_the_video_is_an_error(tmp_path):
    root = write_campaign(tmp_path, aerial=0, ground=1)
    path = root / "annotations" / "G0000.xml"
    path.write_text(cvat_xml([still_track(0, 3)], size=FRAMES + 5))

    [problem] = _problems(root)

    assert problem.path == path
    assert f"up to {FRAMES + 4}" in problem.message and f"the video has {FRAMES} frames" in problem.message


def test_a_clip_of_a_project_export_is_found_by_its_task(tmp_path):
    root = write_campaign(tmp_path, aerial=0, ground=2)
    first, second = (cvat_xml([still_track(0, n)]) for n in (3, 4))

    def tasks_and_tracks(text, task_id, frame_offset):
        meta = text[text.index("<task>") : text.index("</task>") + 7].replace(
            "<size>", f"<id>{task_id}</id><size>"
        )
        tracks = text[text.index("<track") : text.index("</annotations>")].replace(
            'source="manual"', f'source="manual" task_id="{task_id}"'
        )
        for frame in reversed(range(FRAMES)):
            tracks = tracks.replace(f'frame="{frame}"', f'frame="{frame + frame_offset}"')
        return meta, tracks

    (meta1, tracks1), (meta2, tracks2) = tasks_and_tracks(first, 11, 0), tasks_and_tracks(second, 12, FRAMES)
    project = (
        f"<annotations>\n<version>1.1</version>\n<meta><project><tasks>{meta1}{meta2}</tasks></project></meta>\n"
        f"{tracks1}{tracks2}</annotations>\n"
    )
    (root / "annotations" / "project.xml").write_text(project)
    manifest = root / "manifest.csv"
    rows = manifest.read_text().splitlines()
    rows = [rows[0] + ",task"] + [
        row.replace(f"annotations/{clip}.xml", "annotations/project.xml") + f",{task}"
        for row, clip, task in zip(rows[1:], ("G0000", "G0001"), (11, 12), strict=True)
    ]
    manifest.write_text("\n".join(rows) + "\n")

    checked = check_campaign(load_campaign(root))

    identities = [[t.identity for t in clip.annotation.tracks] for clip in checked.clips]
    frames = [[b.frame for b in clip.annotation.tracks[0].boxes] for clip in checked.clips]
    assert identities == [[3], [4]]
    assert frames == [list(range(FRAMES))] * 2


def test_telemetry_starting_one_second_in_warns_from_frame_0(tmp_path):
    """Old 1 Hz firmwares write their first entry at 00:00:01: the first second has no altitude."""
    root = write_campaign(tmp_path, aerial=1, ground=0)
    srt = root / "telemetry" / "A0000.SRT"
    srt.write_text("1\n00:00:01,000 --> 00:00:02,000\nGPS(113.9,22.5,16) BAROMETER:20.1\n")

    [warning] = check_campaign(load_campaign(root)).warnings

    assert (warning.path, warning.frame) == (srt, 0)
    assert "covers 1.00-2.00 s of the video's 0-0.40 s" in warning.message
