"""`cvpair synth --annotations STYLE`: a campaign's CVAT files rewritten the way other tools and settings
write the same annotation, so the suite covers every variant the readers accept without real footage.

Every style but `mot10` and `rotated` describes the same boxes as the CVAT original and must build the same
crops:
- `fiftyone`: as FiftyOne's CVAT writer re-saves a task: flags `True`/`False`, corners rounded to whole
  pixels, no `start_frame` / `stop_frame` / `frame_filter`.
- `cvat-project`: one CVAT project export of all clips (`annotations/project.xml`): tasks in two subsets,
  tracks numbered across the project and tagged with `task_id`, frames shifted by CVAT's per-task offset;
  the manifest's `task` column maps each clip to its task.
- `labels`: vehicles labelled `car`, `van`, `truck` or `bus` instead of `vehicle`, plus tracks CVAT users
  add that are not vehicles (a `person` box track, a `points` track).
- `mot`: CVAT's "MOT 1.1" export: `annotations/<clip>/gt/gt.txt` (9 columns, class ids into `labels.txt`,
  frames 1..N), identities in identities.csv, `start_frame` / `frame_step` in the manifest.
- `mot10`: 10-column MOTChallenge text, as trackers write it: no class, no visibility, so the occluded
  boxes are left out (a tracker does not report them); the crops it builds are crops of the original.
- `rotated`: every box given `rotation="180.00"`: its crop is the original's turned half a turn.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from xml.etree import ElementTree as ET

from cvpair.campaign.manifest import IDENTITIES, MANIFEST
from cvpair.campaign.mot import LABELS_FILE

STYLES = ("cvat", "fiftyone", "cvat-project", "labels", "mot", "mot10", "rotated")
VEHICLE_LABELS = ("car", "van", "truck", "bus")
PROJECT_FILE = "annotations/project.xml"
_TASK_FRAMING = ("start_frame", "stop_frame", "frame_filter")


def rewrite_annotations(root: Path, style: str) -> None:
    """Rewrite the annotations of the synthetic campaign at `root` (CVAT files, as `synth` writes them)."""
    if style not in STYLES:
        raise ValueError(f"unknown annotation style {style!r}: one of {', '.join(STYLES)}")
    if style == "cvat":
        return
    root = Path(root)
    manifest = _read_manifest(root)
    documents = {row["clip"]: ET.parse(root / row["annotation"]) for row in manifest}
    if style == "cvat-project":
        _write_project(root, manifest, documents)
    elif style in ("mot", "mot10"):
        _write_mot(root, manifest, documents, ten_columns=style == "mot10")
    else:
        change = {"fiftyone": _fiftyone, "labels": _other_labels, "rotated": _rotated}[style]
        for row in manifest:
            change(documents[row["clip"]].getroot())
            _write_xml(root / row["annotation"], documents[row["clip"]].getroot())


def _read_manifest(root: Path) -> list[dict[str, str]]:
    with open(root / MANIFEST, newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def _write_manifest(root: Path, rows: list[dict[str, str]]) -> None:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    (root / MANIFEST).write_text(out.getvalue(), encoding="utf-8")


def _write_xml(path: Path, root: ET.Element) -> None:
    ET.indent(root, space="  ")
    path.write_bytes(
        b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"
    )


def _fiftyone(document: ET.Element) -> None:
    task = document.find("meta/task")
    for tag in _TASK_FRAMING:
        for element in task.findall(tag):
            task.remove(element)
    for box in document.iter("box"):
        for flag in ("outside", "occluded", "keyframe"):
            box.set(flag, "True" if box.get(flag) == "1" else "False")
        for corner in ("xtl", "ytl", "xbr", "ybr"):
            box.set(corner, str(int(round(float(box.get(corner))))))


def _rotated(document: ET.Element) -> None:
    for box in document.iter("box"):
        box.set("rotation", "180.00")


def _other_labels(document: ET.Element) -> None:
    labels = document.find("meta/task/labels")
    template = labels.find("label")
    for name in (*VEHICLE_LABELS, "person", "landmark"):
        label = ET.fromstring(ET.tostring(template))
        label.find("name").text = name
        labels.append(label)
    tracks = document.findall("track")
    for track in tracks:
        track.set("label", VEHICLE_LABELS[int(track.get("id")) % len(VEHICLE_LABELS)])
    next_id = max((int(track.get("id")) for track in tracks), default=-1) + 1
    if tracks:  # a pedestrian walking where the first vehicle drove, and a landmark marked with points
        person = ET.fromstring(ET.tostring(tracks[0]))
        person.set("id", str(next_id))
        person.set("label", "person")
        document.append(person)
    landmark = ET.SubElement(document, "track", id=str(next_id + 1), label="landmark", source="manual")
    ET.SubElement(landmark, "points", frame="0", keyframe="1", outside="0", occluded="0",
                  points="10.00,10.00", z_order="0")  # fmt: skip


def _write_project(root: Path, manifest: list[dict[str, str]], documents: dict[str, ET.ElementTree]) -> None:
    """One project export: task ids by clip, aerial clips in subset Train, ground clips in Test."""
    project = ET.Element("annotations")
    ET.SubElement(project, "version").text = "1.1"
    meta = ET.SubElement(project, "meta")
    node = ET.SubElement(meta, "project")
    ET.SubElement(node, "id").text = "1"
    tasks_node = ET.SubElement(node, "tasks")
    tasks = []
    for number, row in enumerate(manifest, start=1):
        task = documents[row["clip"]].getroot().find("meta/task")
        task.find("id").text = str(number)
        subset = task.find("subset")
        subset.text = "Train" if row["view"] == "aerial" else "Test"
        tasks_node.append(task)
        size, start = int(task.findtext("size")), int(task.findtext("start_frame"))
        step = int(task.findtext("frame_filter").partition("=")[2] or 1)
        tasks.append((subset.text, number, start + step * size, row))
    node.append(documents[manifest[0]["clip"]].getroot().find("meta/task/labels"))
    track_id = 0
    offsets: dict[str, int] = {}
    for subset, number, span, row in sorted(tasks):  # CVAT lays a subset's tasks end to end by id
        offset = offsets.get(subset, 0)
        offsets[subset] = offset + span
        for track in documents[row["clip"]].getroot().findall("track"):
            track.set("id", str(track_id))
            track.set("task_id", str(number))
            track.set("subset", subset)
            track_id += 1
            for box in track.iter("box"):
                box.set("frame", str(int(box.get("frame")) + offset))
            project.append(track)
        row["annotation"] = PROJECT_FILE
        row["task"] = str(number)
    for row in manifest:
        (root / "annotations" / f"{row['clip']}.xml").unlink()
    _write_xml(root / PROJECT_FILE, project)
    _write_manifest(root, manifest)


def _write_mot(
    root: Path, manifest: list[dict[str, str]], documents: dict[str, ET.ElementTree], ten_columns: bool
) -> None:
    """CVAT's MOT 1.1 export of each task (or a tracker's 10-column result, which has no occluded boxes),
    with identities moved to identities.csv."""
    links = []
    for row in manifest:
        clip = row["clip"]
        lines = []
        for track in documents[clip].getroot().findall("track"):
            identity = track.findtext("box/attribute[@name='identity']")
            links.append(f"{clip},{track.get('id')},{identity}")
            for box in track.iter("box"):
                if box.get("outside") == "1":
                    continue
                x, y = float(box.get("xtl")), float(box.get("ytl"))
                w, h = float(box.get("xbr")) - x, float(box.get("ybr")) - y
                occluded = box.get("occluded") == "1"
                if ten_columns and occluded:
                    continue
                rest = "1,-1,-1,-1" if ten_columns else f"1,1,{0.0 if occluded else 1.0}"
                lines.append(f"{int(box.get('frame')) + 1},{track.get('id')},{x:g},{y:g},{w:g},{h:g},{rest}")
        folder = root / "annotations" / clip / "gt"
        folder.mkdir(parents=True)
        (folder / "gt.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        if not ten_columns:
            (folder / LABELS_FILE).write_text("vehicle\n", encoding="utf-8")
        (root / row["annotation"]).unlink()
        row["annotation"] = f"annotations/{clip}/gt/gt.txt"
        row["start_frame"], row["frame_step"] = "0", "1"
    (root / IDENTITIES).write_text("clip,track,identity\n" + "\n".join(links) + "\n", encoding="utf-8")
    _write_manifest(root, manifest)
