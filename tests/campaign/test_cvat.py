"""Reading CVAT for video 1.1 XML: tracks, boxes, flags, identities, and bad files named by line."""

from __future__ import annotations

import pytest

from cvpair.campaign import read_annotation
from cvpair.campaign.cvat import read_cvat
from cvpair.errors import InputError
from tests.helpers.campaign_files import TrackSpec, cvat_xml, line_of

BOX = 'xtl="10.4" ytl="8" xbr="30.6" ybr="24" z_order="0"'


def _task(
    task_id=5,
    size=4,
    start=None,
    stop=None,
    step=None,
    subset=None,
    mode="interpolation",
    width=64,
    height=48,
):
    """A <task> of <meta>; None leaves a field out, as FiftyOne's writer does."""
    fields = [f"<id>{task_id}</id>", f"<size>{size}</size>", f"<mode>{mode}</mode>"]
    fields += [] if subset is None else [f"<subset>{subset}</subset>"]
    fields += [] if start is None else [f"<start_frame>{start}</start_frame>"]
    fields += [] if stop is None else [f"<stop_frame>{stop}</stop_frame>"]
    fields += [] if step is None else [f"<frame_filter>step={step}</frame_filter>"]
    if width is not None:
        fields.append(f"<original_size><width>{width}</width><height>{height}</height></original_size>")
    return "<task>\n" + "\n".join(fields) + "\n</task>"


def _document(meta, body):
    head = '<?xml version="1.0"?>\n<annotations>\n<version>1.1</version>\n'
    return f"{head}<meta>\n{meta}\n</meta>\n{body}</annotations>\n"


def _track(track_id, frames, label="car", identity=7, task_id=None, extra=""):
    task = "" if task_id is None else f' task_id="{task_id}"'
    boxes = "".join(
        f'<box frame="{frame}" outside="0" occluded="0" keyframe="1" {BOX}{extra}>'
        f'<attribute name="identity">{identity}</attribute></box>\n'
        for frame in frames
    )
    return f'<track id="{track_id}" label="{label}"{task}>\n{boxes}</track>\n'


def _write(tmp_path, text):
    path = tmp_path / "clip.xml"
    path.write_text(text)
    return path


def _read(tmp_path, text, task=None):
    return read_cvat(_write(tmp_path, text), task)


def _refused(tmp_path, text, task=None):
    with pytest.raises(InputError) as caught:
        _read(tmp_path, text, task)
    return caught.value.problems


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
    # corners snapped to whole pixels, halves to even: 12.5 -> 12, 32.5 -> 32
    assert (second.frame, second.x, second.y, second.w, second.h, second.outside) == (1, 12, 8, 20, 18, True)


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


def test_unknown_annotation_extension_is_refused(tmp_path):
    path = tmp_path / "clip.json"
    path.write_text("{}")

    with pytest.raises(InputError, match="unknown annotation format"):
        read_annotation(path)


@pytest.mark.parametrize(
    ("outside", "occluded", "expected"),
    [("0", "1", (False, True)), ("true", "false", (True, False)), ("True", "False", (True, False)),
     ("FALSE", "TRUE", (False, True))],
)  # fmt: skip
def test_flags_are_read_in_every_spelling_cvat_and_fiftyone_write(tmp_path, outside, occluded, expected):
    body = _track(0, [0]).replace('outside="0" occluded="0"', f'outside="{outside}" occluded="{occluded}"')

    [box] = _read(tmp_path, _document(_task(), body)).tracks[0].boxes

    assert (box.outside, box.occluded) == expected


def test_a_flag_that_is_not_a_flag_is_refused_once_with_a_count(tmp_path):
    body = _track(0, [0, 1, 2]).replace('occluded="0"', 'occluded="yes"')

    [problem] = _refused(tmp_path, _document(_task(), body))

    assert problem.line == line_of(tmp_path / "clip.xml", '<box frame="0"')
    assert 'occluded="yes"' in problem.message and "(3 times, next on lines" in problem.message


def test_absent_flags_and_framing_take_cvats_defaults(tmp_path):
    body = _track(0, [0, 3]).replace(' outside="0" occluded="0"', "")

    annotation = _read(tmp_path, _document(_task(size=4), body))

    assert [(b.frame, b.outside, b.occluded) for b in annotation.tracks[0].boxes] == [
        (0, False, False),
        (3, False, False),
    ]
    assert annotation.last_frame == 3  # start 0, step 1, 4 frames


def test_corners_are_snapped_to_whole_pixels(tmp_path):
    [box] = _read(tmp_path, _document(_task(), _track(0, [0]))).tracks[0].boxes

    assert (box.x, box.y, box.w, box.h) == (10, 8, 21, 16)  # 10.4 -> 10, 30.6 -> 31


def test_box_frames_on_the_tasks_grid_are_read(tmp_path):
    annotation = _read(tmp_path, _document(_task(size=4, start=10, stop=19, step=3), _track(0, [10, 13, 19])))

    assert [box.frame for box in annotation.tracks[0].boxes] == [10, 13, 19]
    assert annotation.last_frame == 19


def test_task_relative_frames_falling_off_the_grid_are_refused_once(tmp_path):
    text = _document(_task(size=4, start=10, stop=19, step=3), _track(0, [0, 1, 2, 3]))

    [problem] = _refused(tmp_path, text)

    assert problem.line == line_of(tmp_path / "clip.xml", '<box frame="0"')
    assert "frame 0 is not one of task 5's frames 10, 13, 16, ... 19" in problem.message
    assert "task-relative" in problem.message and "(4 times" in problem.message


def test_a_frame_filter_that_is_not_a_step_is_refused(tmp_path):
    text = _document(_task(), _track(0, [0])).replace(
        "</mode>", "</mode><frame_filter>every 3</frame_filter>"
    )

    [problem] = _refused(tmp_path, text)

    assert "frame_filter" in problem.message and "'every 3'" in problem.message


def test_rotation_is_kept_as_the_boxes_angle(tmp_path):
    annotation = _read(tmp_path, _document(_task(), _track(0, [0, 1], extra=' rotation="30.50"')))

    assert [box.angle for box in annotation.tracks[0].boxes] == [30.5, 30.5]


def test_non_box_tracks_are_counted_and_left_out(tmp_path):
    points = '<track id="1" label="x"><points frame="0" keyframe="1" points="1,2"/></track>\n'
    skeleton = (
        '<track id="2" label="s"><skeleton frame="0"><points label="1" points="1,2"/></skeleton></track>\n'
    )

    annotation = _read(
        tmp_path, _document(_task(), _track(0, [0]) + points + skeleton + points.replace('"1"', '"3"', 1))
    )

    assert [t.track_id for t in annotation.tracks] == [0]
    assert annotation.ignored == (("points track(s)", 2), ("skeleton track(s)", 1))


def _project(body):
    """Two video tasks in subset Train (ids 20, 10) and one in Test (id 30): CVAT lays a subset's tasks end
    to end by id, so task 10 is shifted by 0, task 20 by 10's start + step x size = 5 + 2 x 4 = 13."""
    tasks = _task(20, size=3, subset="Train") + _task(10, size=4, start=5, step=2, subset="Train")
    tasks += _task(30, size=2, subset="Test")
    return _document(f"<project><id>1</id><tasks>{tasks}</tasks></project>", body)


def test_a_project_export_is_split_into_its_tasks_and_offsets_removed(tmp_path):
    body = _track(0, [5, 7, 11], task_id=10) + _track(1, [13, 15], task_id=20, identity=8)
    body += _track(2, [0, 1], task_id=30, identity=9)

    task10, task20, task30 = (_read(tmp_path, _project(body), task) for task in ("10", "20", "30"))

    assert [(t.track_id, [b.frame for b in t.boxes]) for t in task10.tracks] == [(0, [5, 7, 11])]
    assert [(t.track_id, [b.frame for b in t.boxes]) for t in task20.tracks] == [(1, [0, 2])]
    assert [(t.track_id, [b.frame for b in t.boxes]) for t in task30.tracks] == [(2, [0, 1])]


def test_a_project_export_needs_the_clips_task(tmp_path):
    [problem] = _refused(tmp_path, _project(_track(0, [5], task_id=10)))

    assert "holds 3 tasks (20, 10, 30)" in problem.message and "`task`" in problem.message


def test_a_project_track_on_another_tasks_frames_is_refused(tmp_path):
    [problem] = _refused(tmp_path, _project(_track(0, [6], task_id=10)), "10")

    assert "frame 6" in problem.message


def test_images_export_boxes_become_one_track_per_identity(tmp_path):
    image = '<image id="{frame}" name="frame_{frame:06d}" width="64" height="48">\n{boxes}</image>\n'
    box = '<box label="car" occluded="{occ}" {BOX}><attribute name="identity">{identity}</attribute></box>\n'
    body = image.format(
        frame=10, boxes=box.format(occ=0, BOX=BOX, identity=4) + box.format(occ=1, BOX=BOX, identity=6)
    )
    body += image.format(
        frame=13,
        boxes=box.format(occ="0", BOX=BOX, identity=4) + '<box label="car" occluded="0" ' + BOX + "/>\n",
    )

    annotation = _read(tmp_path, _document(_task(size=4, start=10, step=3, width=None), body))

    assert [(t.track_id, t.identity, [b.frame for b in t.boxes]) for t in annotation.tracks] == [
        (4, 4, [10, 13]),
        (6, 6, [10]),
    ]
    assert (annotation.frame_width, annotation.frame_height) == (64, 48)
    assert annotation.ignored == (
        ("image box(es) without an identity (CVAT for images has no track ids)", 1),
    )


def test_a_task_made_from_images_is_refused(tmp_path):
    [problem] = _refused(tmp_path, _document(_task(mode="annotation"), ""))

    assert "made from image files" in problem.message


def test_a_file_that_is_not_cvat_xml_is_refused_at_its_root(tmp_path):
    [problem] = _refused(tmp_path, '<sequence name="MVI_1">\n<frame num="1"/>\n</sequence>\n')

    assert (problem.line, "root element <sequence>") == (1, problem.message[:23])


def _image_task_export(names):
    """A "CVAT for images" export of a task made from image files: boxes at each image, identity 4."""
    images = "".join(
        f'<image id="{frame}" name="{name}" width="64" height="48">\n'
        f'<box label="car" occluded="0" {BOX}><attribute name="identity">4</attribute></box>\n</image>\n'
        for frame, name in enumerate(names)
    )
    return _document(_task(size=len(names), mode="annotation", width=None), images)


def test_a_task_made_from_the_clips_frame_images_places_each_image_by_its_name(tmp_path):
    folder = tuple(f"{n:06d}.jpg" for n in range(1, 6))
    # CVAT numbered the task's images in its own order; the names say which frame each one is
    names = ["img1/000003.jpg", "img1/000001.jpg", "img1/000005.jpg"]
    text = _image_task_export(names).replace("<size>3</size>", "<size>5</size>")

    annotation = read_cvat(_write(tmp_path, text), frame_names=folder)

    [track] = annotation.tracks
    assert sorted(box.frame for box in track.boxes) == [0, 2, 4]


def test_an_image_that_is_not_a_frame_of_the_clips_folder_is_refused(tmp_path):
    folder = ("000001.jpg", "000002.jpg")
    path = _write(tmp_path, _image_task_export(["000001.jpg", "holiday.jpg"]))

    with pytest.raises(InputError) as caught:
        read_cvat(path, frame_names=folder)

    [problem] = caught.value.problems
    assert (
        "image 'holiday.jpg' is not a frame of the clip's frame folder (000001.jpg ... 000002.jpg)"
        in problem.message
    )
