"""Reading MOT Challenge gt.txt: 1-based frames become 0-based, ids become tracks, bad lines are named."""

from __future__ import annotations

import pytest

from cvpair.campaign import read_annotation
from cvpair.campaign.model import AnnotationSource
from cvpair.errors import InputError


def _write(tmp_path, text):
    path = tmp_path / "A0001" / "gt" / "gt.txt"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    return path


def test_rows_become_tracks_with_zero_based_frames(tmp_path):
    path = _write(tmp_path, "1,7,10,8,20,16,1,3,1.0\n2,7,11,8,20,16,1,3,0.3\n1,9,40,20,10,10,1,3,1\n")

    annotation = read_annotation(path)

    assert [(t.track_id, t.identity, t.line) for t in annotation.tracks] == [(7, None, 1), (9, None, 3)]
    boxes = annotation.tracks[0].boxes
    assert [(b.frame, b.x, b.y, b.w, b.h, b.line) for b in boxes] == [
        (0, 10, 8, 20, 16, 1),
        (1, 11, 8, 20, 16, 2),
    ]
    assert [b.occluded for b in boxes] == [False, True]  # visibility 1.0 and 0.3
    assert annotation.frame_count is None


def test_boxes_are_sorted_by_frame(tmp_path):
    path = _write(tmp_path, "3,1,10,8,20,16,1,3,1\n1,1,10,8,20,16,1,3,1\n")

    assert [b.frame for b in read_annotation(path).tracks[0].boxes] == [0, 2]


def test_ignore_rows_are_skipped(tmp_path):
    path = _write(tmp_path, "1,1,10,8,20,16,0,3,1\n1,2,10,8,20,16,1,3,1\n")

    assert [t.track_id for t in read_annotation(path).tracks] == [2]


def test_wrong_column_counts_are_named_by_line(tmp_path):
    path = _write(tmp_path, "1,1,10,8,20,16,1,3,1\n1,2,10,8,20,16\n\n2,1,10,8,20,16,1,3,1,0\n")

    with pytest.raises(InputError) as caught:
        read_annotation(path)

    # one problem, repeated: reported once at its first line, with the count and the next lines
    [problem] = caught.value.problems
    assert (problem.path, problem.line) == (path, 2)
    assert "6 comma-separated columns, expected 9" in problem.message
    assert "(2 times, next on lines 4)" in problem.message


def test_zero_frame_is_refused_because_frames_are_one_based(tmp_path):
    path = _write(tmp_path, "0,1,10,8,20,16,1,3,1\n")

    with pytest.raises(InputError, match="1-based") as caught:
        read_annotation(path)

    assert caught.value.problems[0].line == 1


def test_non_numeric_cells_are_named_by_line(tmp_path):
    path = _write(tmp_path, "1,1,10,8,20,16,1,3,1\n2,car,10,8,20,16,1,3,1\n")

    with pytest.raises(InputError) as caught:
        read_annotation(path)

    assert [p.line for p in caught.value.problems] == [2]


def test_ten_column_files_are_read_with_every_track_a_vehicle(tmp_path):
    path = _write(tmp_path, "1,3,113.84,274.5,57.307,130.05,-1,-1,-1,-1\n2,3,115,274,57,130,0.8,-1,-1,-1\n")

    [track] = read_annotation(path).tracks

    assert (track.track_id, track.label) == (3, "vehicle")
    # corners snapped: 113.84 -> 114, 113.84 + 57.307 = 171.147 -> 171; 274.5 -> 274 (half to even),
    # 274.5 + 130.05 = 404.55 -> 405
    assert [(b.frame, b.x, b.y, b.w, b.h) for b in track.boxes] == [
        (0, 114, 274, 57, 131),
        (1, 115, 274, 57, 130),
    ]


def test_rows_with_id_minus_one_are_not_tracks_and_are_counted(tmp_path):
    path = _write(tmp_path, "1,-1,0,4,4,8,1,3,1.0\n1,2,10,8,20,16,1,3,1\n2,-1,0,4,4,8,1,3,1.0\n")

    annotation = read_annotation(path)

    assert [t.track_id for t in annotation.tracks] == [2]
    assert annotation.ignored == (("row(s) with id -1 (not in a track)", 2),)


def test_classes_are_named_by_labels_txt_or_motchallenges_list(tmp_path):
    path = _write(tmp_path, "1,1,10,8,20,16,1,3,1\n1,2,40,8,20,16,1,1,1\n")

    assert [t.label for t in read_annotation(path).tracks] == ["car", "pedestrian"]
    (path.parent / "labels.txt").write_text("bus\nperson\ntruck\n")
    assert [t.label for t in read_annotation(AnnotationSource(path, None, 0, 1)).tracks] == ["truck", "bus"]


def test_cvats_mot_export_needs_the_tasks_start_frame_and_step(tmp_path):
    path = _write(tmp_path, "1,1,10,8,20,16,1,3,1\n")
    (path.parent / "labels.txt").write_text("car\n")

    with pytest.raises(InputError, match="give them in manifest.csv's start_frame and frame_step") as caught:
        read_annotation(path)

    assert caught.value.problems[0].line == 1


def test_a_class_beyond_labels_txt_is_refused(tmp_path):
    path = _write(tmp_path, "1,1,10,8,20,16,1,4,1\n")
    (path.parent / "labels.txt").write_text("bus\nperson\ntruck\n")

    with pytest.raises(InputError, match=r"class '4' is not -1 or 1..3 \(the lines of labels.txt\)"):
        read_annotation(AnnotationSource(path, None, 0, 1))


def test_a_conf_that_is_not_a_consider_flag_is_refused(tmp_path):
    path = _write(tmp_path, "1,1,10,8,20,16,0.7,3,1\n")

    with pytest.raises(InputError, match="'consider' flag, 0 or 1"):
        read_annotation(path)


def test_start_frame_and_step_map_dense_mot_frames_to_video_frames(tmp_path):
    path = _write(tmp_path, "1,1,10,8,20,16,1,3,1\n2,1,10,8,20,16,1,3,1\n4,1,10,8,20,16,1,3,1\n")

    annotation = read_annotation(AnnotationSource(path, start_frame=30, frame_step=5))

    assert [b.frame for b in annotation.tracks[0].boxes] == [30, 35, 45]


def test_a_sequence_folder_is_read_with_its_seqinfo(tmp_path):
    path = _write(tmp_path, "1,1,10,8,20,16,1,3,1\n")
    (tmp_path / "A0001" / "seqinfo.ini").write_text(
        "[Sequence]\nname=A0001\nimDir=img1\nframeRate=25\nseqLength=10\nimWidth=64\nimHeight=48\nimExt=.jpg\n"
    )

    annotation = read_annotation(AnnotationSource(tmp_path / "A0001", start_frame=2, frame_step=2))

    assert annotation.path == path
    assert (annotation.frame_count, annotation.frame_width, annotation.frame_height, annotation.fps) == (
        10,
        64,
        48,
        25,
    )
    assert annotation.last_frame == 2 + 9 * 2


def test_a_cvat_xml_clip_with_mot_framing_is_refused(tmp_path):
    path = tmp_path / "clip.xml"
    path.write_text("<annotations/>")

    with pytest.raises(InputError, match="for MOT files"):
        read_annotation(AnnotationSource(path, start_frame=3))
