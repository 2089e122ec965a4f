"""Every real CVAT and MOT file in ../shared/real-inputs/ is read right or refused with a message that says
what it is and what to do. Expected values were worked out by hand from the files (grep/awk, noted beside
each), not by running the readers. Third-party data: read in place, skipped where absent."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cvpair.campaign.formats import read_annotation
from cvpair.campaign.model import AnnotationSource, VideoInfo
from cvpair.campaign.track_checks import check_tracks
from cvpair.errors import InputError
from tests.helpers.paths import REAL_INPUTS

REAL = REAL_INPUTS
pytestmark = pytest.mark.skipif(
    not REAL.is_dir(), reason=f"{REAL} is absent (third-party files, not shipped)"
)


def _cvat(name: str) -> Path:
    return REAL / "cvat" / name


def _mot(name: str) -> Path:
    return REAL / "mot" / name


def _refused(source) -> list:
    with pytest.raises(InputError) as caught:
        read_annotation(source)
    return caught.value.problems


def _boxes(track):
    return [(b.frame, b.x, b.y, b.w, b.h, b.outside, b.occluded) for b in track.boxes]


# --- CVAT XML -------------------------------------------------------------------------------------------


def test_datumaro_video_task_with_start_10_and_step_3():
    annotation = read_annotation(_cvat("datumaro-assets_cvat-video_start10-step3.xml"))

    # <size>4, start 10, stop 19, step=3, original size 25x20; track 0 (label II) boxes at 10, 13, 16;
    # track 1 is points, track 2 a polyline: left out and counted.
    assert (annotation.frame_count, annotation.last_frame) == (4, 19)
    assert (annotation.frame_width, annotation.frame_height) == (25, 20)
    [track] = annotation.tracks
    assert (track.track_id, track.label, track.identity) == (0, "II", None)
    # xtl 3 ytl 4 xbr 10 ybr 5 occluded; then outside at 13 (7,6,14,8) and 16 (8,7,14.0,17)
    assert _boxes(track) == [
        (10, 3, 4, 7, 1, False, True),
        (13, 7, 6, 7, 2, True, False),
        (16, 8, 7, 6, 10, True, False),
    ]
    assert annotation.ignored == (("points track(s)", 1), ("polyline track(s)", 1))


def test_datumaro_video_task_has_no_vehicle_so_its_clip_is_refused():
    annotation = read_annotation(_cvat("datumaro-assets_cvat-video_start10-step3.xml"))
    video = VideoInfo(Path("t.mp4"), 20, 25.0, 25, 20, "h264")

    [error] = check_tracks(annotation, video, {}).errors

    assert "no track with a vehicle label" in error.message and "'II'" in error.message


def test_cvat_job_export_of_a_traffic_video():
    annotation = read_annotation(_cvat("cvat-video_job-export_traffic_tracks1-3-removed.xml"))

    # <job> size 221, stop 220, <original_size> 1280x720 directly in <meta>; 17 tracks (ids 0, 4..19):
    # 16 `person`, 1 `car` (id 6: 15 boxes at frames 5..19, the last outside).
    assert (annotation.frame_count, annotation.last_frame) == (221, 220)
    assert (annotation.frame_width, annotation.frame_height) == (1280, 720)
    assert [t.track_id for t in annotation.tracks] == [0, *range(4, 20)]
    assert sum(len(t.boxes) for t in annotation.tracks) == 1088
    [car] = [t for t in annotation.tracks if t.label == "car"]
    assert car.track_id == 6 and [b.frame for b in car.boxes] == list(range(5, 20))
    # 939.88 397.41 1244.08 519.81 snapped: 940, 397, 1244, 520
    assert _boxes(car)[0] == (5, 940, 397, 304, 123, False, False)
    assert _boxes(car)[-1][0] == 19 and _boxes(car)[-1][5]


def test_cvat_job_export_keeps_the_car_and_counts_the_people():
    annotation = read_annotation(_cvat("cvat-video_job-export_traffic_tracks1-3-removed.xml"))
    video = VideoInfo(Path("traffic.mp4"), 221, 30.0, 1280, 720, "h264")

    checked = check_tracks(annotation, video, {6: 1})

    assert checked.errors == []
    assert [t.track_id for t in checked.annotation.tracks] == [6]
    [people] = checked.warnings
    assert "labelled 'person', not a vehicle label" in people.message and "(16 times" in people.message


def test_cvat_project_export_with_a_skeleton_and_two_box_tracks():
    annotation = read_annotation(_cvat("cvat-video_project-export_skeleton-and-box-tracks_trimmed.xml"))

    # one task (1431872, subset Test: offset 0), size 2434, stop 2433, 1280x720; track 0 is a skeleton.
    assert (annotation.frame_count, annotation.last_frame) == (2434, 2433)
    assert (annotation.frame_width, annotation.frame_height) == (1280, 720)
    assert annotation.ignored == (("skeleton track(s)", 1),)
    biker_1, biker_2 = annotation.tracks
    assert [(t.track_id, t.label, len(t.boxes)) for t in annotation.tracks] == [
        (1, "biker_1", 266),
        (2, "biker_2", 63),
    ]
    # biker_1 frame 0: 176.37 316.00 436.23 567.20; biker_2 frame 0: 28.73 331.06 173.19 524.67
    assert _boxes(biker_1)[0] == (0, 176, 316, 260, 251, False, False)
    assert _boxes(biker_2)[0] == (0, 29, 331, 144, 194, False, False)
    assert _boxes(biker_2)[-1][0] == 62 and _boxes(biker_2)[-1][5]  # `outside` at frame 62


def test_cvat_images_project_export_of_27_video_tasks_needs_the_clips_task():
    [problem] = _refused(_cvat("cvat-images_project-export_video-tasks-start-step_first40images.xml"))

    assert "holds 27 tasks" in problem.message and "`task`" in problem.message


def test_cvat_images_project_export_task_is_split_out_and_its_offset_removed():
    path = _cvat("cvat-images_project-export_video-tasks-start-step_first40images.xml")

    annotation = read_annotation(AnnotationSource(path, task="1249510"))

    # Train tasks by id: 1249509 (start 0, step 5, size 137) comes first, so 1249510 is shifted by
    # 0 + 5 x 137 = 685: its 16 images 685..890 are video frames 0..205, all on its step-5 grid (no error).
    # It has only `points` shapes (60 of them, counted by awk over its images) and no box.
    assert annotation.tracks == ()
    assert annotation.ignored == (("points shape(s)", 60),)
    assert (annotation.frame_count, annotation.last_frame) == (52, 255)
    assert (annotation.frame_width, annotation.frame_height) == (1920, 1080)


def test_datumaro_images_project_of_image_tasks_is_refused():
    path = _cvat("datumaro-assets_cvat-images_project-export.xml")

    [several] = _refused(path)
    [image_task] = _refused(AnnotationSource(path, task="39"))

    assert "holds 3 tasks (39, 37, 38)" in several.message
    assert "made from image files (mode annotation)" in image_task.message


def test_cvat_images_job_export_of_photos_is_refused():
    [problem] = _refused(_cvat("cvat-images_job-export_MaxKuklaVod.xml"))

    assert problem.line == 5  # the <job> whose <mode> is `annotation`
    assert (
        "made from image files" in problem.message
        and "create the CVAT task from the video" in problem.message
    )


def test_ua_detrac_xml_is_refused_as_not_cvat():
    [problem] = _refused(_cvat("ua-detrac_sequence_motmetrics-iotest.xml"))

    assert "root element <sequence>: not a CVAT XML export" in problem.message


# --- MOT ------------------------------------------------------------------------------------------------


def test_mot17_ground_truth_with_ignore_regions_and_classes():
    annotation = read_annotation(_mot("MOT17-02-DPM_gt_frames1-20.txt"))

    # awk: 450 rows with conf 1 (all class 1, pedestrian) in 23 tracks; 321 rows with conf 0.
    assert len(annotation.tracks) == 23
    assert sum(len(t.boxes) for t in annotation.tracks) == 450
    assert {t.label for t in annotation.tracks} == {"pedestrian"}
    assert annotation.ignored == (("row(s) with conf 0 (ignore regions)", 321),)
    first = annotation.tracks[0]  # line 1: 1,2,1338,418,167,379,1,1,1
    assert (first.track_id, first.line, _boxes(first)[0]) == (2, 1, (0, 1338, 418, 167, 379, False, False))


def test_mot17_sequence_folder_reads_its_seqinfo(tmp_path):
    sequence = tmp_path / "MOT17-02-DPM"
    (sequence / "gt").mkdir(parents=True)
    shutil.copy(_mot("MOT17-02-DPM_gt_frames1-20.txt"), sequence / "gt" / "gt.txt")
    shutil.copy(_mot("MOT17-02-DPM_seqinfo.ini"), sequence / "seqinfo.ini")

    annotation = read_annotation(sequence)

    # seqinfo.ini: seqLength 600, 1920x1080, frameRate 30
    assert (annotation.frame_count, annotation.frame_width, annotation.frame_height) == (600, 1920, 1080)
    assert (annotation.fps, annotation.last_frame) == (30, 599)


@pytest.mark.parametrize(
    ("name", "tracks", "rows", "ignored"),
    [
        ("MOT16-05_gt_frames1-20.txt", 10, 166, 80),  # awk: conf 1 rows / their ids / conf 0 rows
        ("MOT20-01_gt_frames1-10.txt", 36, 360, 160),
    ],
)
def test_mot16_and_mot20_ground_truth(name, tracks, rows, ignored):
    annotation = read_annotation(_mot(name))

    assert (len(annotation.tracks), sum(len(t.boxes) for t in annotation.tracks)) == (tracks, rows)
    assert annotation.ignored == (("row(s) with conf 0 (ignore regions)", ignored),)
    assert {t.label for t in annotation.tracks} == {"pedestrian"}


@pytest.mark.parametrize(
    ("name", "tracks", "rows", "last_frame"),
    [
        ("MOT15-ADL-Rundle-6_gt_head300.txt", 7, 300, 54),  # 10 columns; frames up to 55
        ("TUD-Campus_gt.txt", 8, 359, 70),  # 10 columns, CRLF
        ("TUD-Campus_tracker-result.txt", 13, 222, 70),  # tracker result: float boxes, conf -1
    ],
)
def test_ten_column_ground_truth_and_tracker_results(name, tracks, rows, last_frame):
    annotation = read_annotation(_mot(name))

    assert (len(annotation.tracks), sum(len(t.boxes) for t in annotation.tracks)) == (tracks, rows)
    assert {t.label for t in annotation.tracks} == {"vehicle"}
    assert max(b.frame for t in annotation.tracks for b in t.boxes) == last_frame


def test_tracker_result_boxes_are_snapped():
    annotation = read_annotation(_mot("TUD-Campus_tracker-result.txt"))

    # line 1: 1,3,113.84,274.5,57.307,130.05: corners 113.84 -> 114, 171.147 -> 171, 274.5 -> 274,
    # 404.55 -> 405
    assert _boxes(annotation.tracks[0])[0] == (0, 114, 274, 57, 131, False, False)


def test_datumaro_mot_row_outside_any_track_is_counted(tmp_path):
    (tmp_path / "gt").mkdir()
    shutil.copy(_mot("datumaro-mot_seq_gt.txt"), tmp_path / "gt" / "gt.txt")
    shutil.copy(_mot("datumaro-mot_seq_labels.txt"), tmp_path / "gt" / "labels.txt")

    annotation = read_annotation(AnnotationSource(tmp_path, start_frame=0, frame_step=1))

    # the one row, 1,-1,0,4,4,8,1,3,1.0, has track id -1 (class 3 = labels.txt line 3, label_2)
    assert annotation.tracks == ()
    assert annotation.ignored == (("row(s) with id -1 (not in a track)", 1),)


@pytest.mark.parametrize(
    ("name", "repeats"),
    [
        ("MOTS20-05_gt_head50.txt", "50 times, next on lines 2, 3, 4, 5, 6, ..."),
        ("vatic.txt", "4 times, next on lines 2, 3, 4)"),
    ],
)
def test_space_separated_formats_are_refused_once(name, repeats):
    [problem] = _refused(_mot(name))

    assert problem.line == 1
    assert "expected 9 (ground truth) or 10 (tracker results, MOT15)" in problem.message
    assert "MOTS masks and VATIC are not read" in problem.message
    assert repeats in problem.message
