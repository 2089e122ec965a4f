"""Reading CVAT for video 1.1 XML: tracks, boxes, flags, identities, and bad files named by line."""

from __future__ import annotations

import pytest

from cvpair.campaign import read_annotation
from cvpair.errors import InputError
from tests.campaign_files import TrackSpec, cvat_xml, line_of


def test_reads_tracks_boxes_and_task_size(tmp_path):
    path = tmp_path / "clip.xml"
    tracks = [
        TrackSpec(3, 17, [(0, 10, 8, 30, 24), (1, 12.5, 8, 32.5, 26)], outside={1}),
        TrackSpec(4, 5, [(2, 0, 0, 4, 4)]),
    ]
    path.write_text(cvat_xml(tracks, size=12, width=64, height=48))

    annotation = read_annotation(path)

    assert (annotation.frame_count, annotation.frame_width, annotation.frame_height) == (12, 64, 48)
    assert [(t.track_id, t.identity, t.label) for t in annotation.tracks] == [
        (3, 17, "vehicle"),
        (4, 5, "vehicle"),
    ]
    first, second = annotation.tracks[0].boxes
    assert (first.frame, first.x, first.y, first.w, first.h, first.outside) == (0, 10, 8, 20, 16, False)
    assert (second.frame, second.x, second.y, second.w, second.h, second.outside) == (
        1,
        12.5,
        8,
        20,
        18,
        True,
    )


def test_tracks_and_boxes_keep_their_line(tmp_path):
    path = tmp_path / "clip.xml"
    path.write_text(cvat_xml([TrackSpec(3, 17, [(0, 10, 8, 30, 24), (1, 10, 8, 30, 24)])]))

    track = read_annotation(path).tracks[0]

    assert track.line == line_of(path, '<track id="3"')
    assert [box.line for box in track.boxes] == [
        line_of(path, '<box frame="0"'),
        line_of(path, '<box frame="1"'),
    ]


def test_occluded_flag_is_read(tmp_path):
    path = tmp_path / "clip.xml"
    path.write_text(cvat_xml([TrackSpec(0, 1, [(0, 10, 8, 30, 24)])]).replace('occluded="0"', 'occluded="1"'))

    assert read_annotation(path).tracks[0].boxes[0].occluded


def test_conflicting_box_identities_leave_the_track_without_one(tmp_path):
    path = tmp_path / "clip.xml"
    text = cvat_xml([TrackSpec(0, 17, [(0, 10, 8, 30, 24), (1, 10, 8, 30, 24)])])
    head, tail = text.rsplit(">17<", 1)
    path.write_text(head + ">18<" + tail)

    track = read_annotation(path).tracks[0]

    assert track.identity is None
    assert [box.identity for box in track.boxes] == [17, 18]


def test_malformed_xml_names_the_line(tmp_path):
    path = tmp_path / "clip.xml"
    path.write_text(cvat_xml([TrackSpec(0, 1, [(0, 10, 8, 30, 24)])]).replace("</track>", "</trak>"))

    with pytest.raises(InputError) as caught:
        read_annotation(path)

    [problem] = caught.value.problems
    assert (problem.path, problem.line) == (path, line_of(path, "</trak>"))
    assert "malformed XML" in problem.message


def test_non_numeric_coordinates_and_identities_are_named_by_line(tmp_path):
    path = tmp_path / "clip.xml"
    text = cvat_xml([TrackSpec(0, 1, [(0, 10, 8, 30, 24)]), TrackSpec(1, 2, [(0, 10, 8, 30, 24)])])
    path.write_text(text.replace('xtl="10"', 'xtl="ten"', 1).replace(">2</attribute>", ">two</attribute>"))

    with pytest.raises(InputError) as caught:
        read_annotation(path)

    assert [p.line for p in caught.value.problems] == [line_of(path, 'xtl="ten"'), line_of(path, ">two<")]


def test_cvat_images_export_is_refused(tmp_path):
    path = tmp_path / "clip.xml"
    path.write_text(
        '<annotations>\n<version>1.1</version>\n<image id="0" name="a.jpg"></image>\n</annotations>\n'
    )

    with pytest.raises(InputError, match="images") as caught:
        read_annotation(path)

    assert caught.value.problems[0].line == 3


def test_unknown_annotation_extension_is_refused(tmp_path):
    path = tmp_path / "clip.json"
    path.write_text("{}")

    with pytest.raises(InputError, match="unknown annotation format"):
        read_annotation(path)
