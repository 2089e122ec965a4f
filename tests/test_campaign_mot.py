"""Reading MOT Challenge gt.txt: 1-based frames become 0-based, ids become tracks, bad lines are named."""

from __future__ import annotations

import pytest

from cvpair.campaign import read_annotation
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

    assert [(p.path, p.line) for p in caught.value.problems] == [(path, 2), (path, 4)]
    assert "6 columns, expected 9" in caught.value.problems[0].message


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
