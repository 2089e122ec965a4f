"""Reads CVAT XML exports into an Annotation: "CVAT for video 1.1" and "CVAT for images 1.1", exported from
a task, a job or a project, as CVAT writes them and as FiftyOne's CVAT writer re-saves them.

Parsed with expat directly (not ElementTree) so that every track and box keeps its line in the file: the
checks that run later point a user at the exact line to fix. Nothing is guessed: a value that is present
but cannot be read is an error naming its line; an absent optional field takes the value CVAT gives it.

- A project export holds several tasks: the clip names its task (manifest column `task`); the task's
  frame offset is removed (see `cvat_tasks`), and every box frame must lie on the task's frame grid.
- Box corners are snapped to whole pixels (Python's `round`, as FiftyOne's writer rounds them) before
  anything else looks at them, so a FiftyOne re-save builds the same crops.
- `rotation` (degrees, clockwise about the box centre, CVAT's convention) is kept as the box's angle.
- A "for images" export has no track ids: its boxes become one track per `identity` attribute.
- Non-box shapes (points, polygons, skeletons, ...) are counted and left out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path, PurePosixPath
from xml.parsers import expat

from cvpair.campaign.cvat_tasks import IMAGE_MODE, CvatTask, parse_task, project_offsets
from cvpair.campaign.fields import FLAG_SPELLINGS, to_flag, to_float, to_int
from cvpair.campaign.model import Annotation, Box, Track, snapped_box
from cvpair.campaign.problems import ProblemLog
from cvpair.errors import InputError

_SHAPES = ("box", "polygon", "polyline", "points", "ellipse", "cuboid", "mask", "skeleton", "tag")
_TASK_FIELDS = ("id", "size", "mode", "subset", "start_frame", "stop_frame", "frame_filter", "source")
_FLAGS = ("outside", "occluded")
_CORNERS = ("xtl", "ytl", "xbr", "ybr")
IDENTITY = "identity"


@dataclass
class _RawTrack:
    """A track as written: its boxes' frames still in the export's numbering."""

    track_id: int
    label: str
    task_id: str | None
    line: int
    boxes: list[Box] = field(default_factory=list)
    shape: str = "box"


@dataclass
class _Container:
    """The <task> or <job> of <meta> being read: its fields as (text, line)."""

    line: int
    fields: dict[str, tuple[str, int]] = field(default_factory=dict)


class _CvatParser:
    """Expat callbacks that collect the meta's tasks, tracks and boxes; problems go to the log."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.log = ProblemLog(path)
        self.parser = expat.ParserCreate()
        self.parser.buffer_text = True
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.stack: list[str] = []
        self.text: list[str] | None = None
        self.refused = False
        self.kind = ""  # "task", "job" or "project": what was exported
        self.containers: list[_Container] = []
        self.container: _Container | None = None
        self.meta_fields: dict[str, tuple[str, int]] = {}  # job exports: <original_size>, <source> in <meta>
        self.tracks: list[_RawTrack] = []
        self.track: _RawTrack | None = None
        self.image: tuple[int, str | None] | None = None  # (frame, task id) of the open <image>
        self.image_boxes: list[tuple[str | None, str, Box]] = []  # (task id, label, box) of "for images"
        self.image_sizes: dict[str | None, set[tuple[int, int]]] = {}
        self.box: tuple[dict[str, str], int, str] | None = None  # (attributes, line, label) of the open <box>
        self.box_identity: int | None = None
        self.attribute: tuple[str, int] | None = None
        self.ignored: Counter[tuple[str | None, str]] = Counter()  # (task id, what) -> how many
        self.image_frames: list[tuple[str | None, Box]] = []  # every <image>, as an empty box at its frame
        self.image_names: dict[tuple[str | None, int], str] = {}  # (task id, frame) -> the image's name

    def parse(self) -> None:
        try:
            with open(self.path, "rb") as stream:
                self.parser.ParseFile(stream)
        except expat.ExpatError as error:
            self.log.add("xml", f"malformed XML: {expat.ErrorString(error.code)}", error.lineno)

    def _line(self) -> int:
        return self.parser.CurrentLineNumber

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        parent = self.stack[-1] if self.stack else None
        self.stack.append(name)
        if self.refused:
            return
        # A track's boxes and their attributes are nearly every element of a file: tested first.
        if name == "box" and parent == "track" and self.track is not None:
            self._start_box(attrs, self.track.label)
        elif name == "attribute" and parent == "box":
            self._start_attribute(attrs)
        elif parent is None:
            if name != "annotations":
                self.refused = True
                self.log.add(
                    "root",
                    f"root element <{name}>: not a CVAT XML export (CVAT writes <annotations>); "
                    "export the task from CVAT as 'CVAT for video 1.1'",
                    self._line(),
                )
        elif name in ("task", "job") and parent in ("meta", "tasks"):
            self.kind = self.kind or ("project" if parent == "tasks" else name)
            self.container = _Container(self._line())
            self.containers.append(self.container)
        elif self._is_meta_field(parent, name):
            self._capture_text()
        elif name == "track" and parent == "annotations":
            self._start_track(attrs)
        elif name == "image" and parent == "annotations":
            self._start_image(attrs)
        elif name in _SHAPES and parent == "track" and self.track is not None:
            self.track.shape = name  # not a box (tested first)
        elif name in _SHAPES and parent == "image":
            if name == "box":
                self._start_box(attrs, attrs.get("label", ""))
            elif self.image is not None:
                self.ignored[self.image[1], f"{name} shape(s)"] += 1

    def _start_attribute(self, attrs: dict[str, str]) -> None:
        self.attribute = (attrs.get("name", ""), self._line())
        self._capture_text()

    def _is_meta_field(self, parent: str, name: str) -> bool:
        """A field of the task (or job) being read, or of <meta> itself (a job export's frame size)."""
        in_task = parent in ("task", "job") and self.container is not None and name in _TASK_FIELDS
        frame_size = parent == "original_size" and name in ("width", "height")
        return in_task or frame_size or (parent == "meta" and name == "source")

    def _capture_text(self) -> None:
        """Collect character data until `_take_text`; off otherwise, as most of it is indentation."""
        self.text = []
        self.parser.CharacterDataHandler = self.text.append

    def _take_text(self) -> str:
        assert self.text is not None
        text, self.text = "".join(self.text), None
        self.parser.CharacterDataHandler = None
        return text

    def _start_track(self, attrs: dict[str, str]) -> None:
        track_id = to_int(attrs.get("id"))
        if track_id is None:
            self.log.add("track id", f"<track> needs an integer id, got {attrs.get('id')!r}", self._line())
            track_id = -1
        self.track = _RawTrack(track_id, attrs.get("label", ""), attrs.get("task_id"), self._line())

    def _start_image(self, attrs: dict[str, str]) -> None:
        frame, line = to_int(attrs.get("id")), self._line()
        width, height = to_int(attrs.get("width")), to_int(attrs.get("height"))
        if frame is None or frame < 0:
            self.log.add(
                "image id", f"<image> needs an integer id >= 0 (its frame), got {attrs.get('id')!r}", line
            )
            return
        task_id = attrs.get("task_id")
        self.image = (frame, task_id)
        self.image_frames.append((task_id, Box(frame, 0, 0, 0, 0, line=line)))
        self.image_names[task_id, frame] = attrs.get("name", "")
        if width is not None and height is not None:
            self.image_sizes.setdefault(task_id, set()).add((width, height))

    def _start_box(self, attrs: dict[str, str], label: str) -> None:
        self.box, self.box_identity = (attrs, self._line(), label), None

    def _end(self, name: str) -> None:
        self.stack.pop()
        parent = self.stack[-1] if self.stack else None
        if self.refused:
            return
        if name == "attribute" and self.attribute is not None:
            self._end_attribute()
        elif name == "box" and self.box is not None:
            self._end_box()
        elif name == "track" and self.track is not None:
            self._end_track()
        elif name == "image":
            self.image = None
        elif name in ("task", "job") and parent in ("meta", "tasks"):
            self.container = None
        elif self.text is not None:
            where = self.container.fields if self.container is not None else self.meta_fields
            where[name] = (self._take_text(), self._line())

    def _end_attribute(self) -> None:
        assert self.attribute is not None
        name, line = self.attribute
        value = self._take_text().strip()
        self.attribute = None
        if name == IDENTITY and value:
            self.box_identity = to_int(value)
            if self.box_identity is None:
                self.log.add("identity", f"identity must be an integer, got {value!r}", line)

    def _end_box(self) -> None:
        assert self.box is not None
        attrs, line, label = self.box
        self.box = None
        box = self._read_box(attrs, line)
        if box is None:
            return
        if self.track is not None:
            self.track.boxes.append(box)
        elif self.image is not None:
            frame, task_id = self.image
            if self.box_identity is None:
                self.ignored[
                    task_id, "image box(es) without an identity (CVAT for images has no track ids)"
                ] += 1
            else:
                self.image_boxes.append((task_id, label, box._replace(frame=frame)))

    def _read_box(self, attrs: dict[str, str], line: int) -> Box | None:
        """The box with whole-pixel corners, or None with its problems logged. (The hot path of a build's
        checks: hundreds of thousands of boxes, so the common spellings are tried first.)"""
        frame = to_int(attrs.get("frame")) if self.track is not None else 0
        corners = [to_float(attrs.get(key)) for key in _CORNERS]
        if frame is None or None in corners:
            self.log.add("box numbers", "<box> needs an integer frame and numeric xtl, ytl, xbr, ybr", line)
            return None
        flags = [False, False]
        for index, name in enumerate(_FLAGS):
            text = attrs.get(name)
            if text is not None:
                flag = FLAG_SPELLINGS.get(text)
                flags[index] = flag if flag is not None else to_flag(text)
                if flags[index] is None:
                    message = f'{name}="{text}": a flag must be 0, 1, true or false (any case)'
                    self.log.add(f"flag {name}", message, line)
                    return None
        angle = 0.0
        if "rotation" in attrs:
            angle = to_float(attrs["rotation"])
            if angle is None:
                self.log.add(
                    "rotation", f"rotation must be a number of degrees, got {attrs['rotation']!r}", line
                )
                return None
        return snapped_box(frame, *corners, flags[0], flags[1], line, self.box_identity, angle % 360.0)

    def _end_track(self) -> None:
        assert self.track is not None
        track, self.track = self.track, None
        if track.shape != "box":
            self.ignored[track.task_id, f"{track.shape} track(s)"] += 1
        else:
            self.tracks.append(track)


def read_cvat(path: Path, task: str | None = None, frame_names: tuple[str, ...] | None = None) -> Annotation:
    """The boxes of the clip's task in a CVAT XML export, with video frame numbers; raises InputError naming
    every bad line. `task`: the task id of the clip in an export that holds several tasks (a project);
    `frame_names`: the clip's frame images in order, when its video is a frame folder (a task made from
    those images is then read, each image placed by its name)."""
    path = Path(path)
    parser = _CvatParser(path)
    parser.parse()
    if not parser.log:
        tasks = _tasks(parser)
        chosen = _choose(tasks, task, frame_names is not None, parser.log)
        if chosen is not None:
            annotation = _annotation(parser, tasks, chosen, frame_names or ())
            if not parser.log:
                return annotation
    raise InputError(parser.log.problems(), headline=f"cannot read {path}")


def _tasks(parser: _CvatParser) -> list[CvatTask]:
    tasks = []
    for container in parser.containers:
        fields = dict(container.fields)
        if len(parser.containers) == 1:  # a job export writes these in <meta>, beside the <job>
            for tag, value in parser.meta_fields.items():
                fields.setdefault(tag, value)
        found, bad = parse_task(fields, container.line)
        for message, line in bad:
            parser.log.add(message, message, line)
        tasks.append(found)
    return tasks


def _choose(
    tasks: list[CvatTask], wanted: str | None, frame_folder: bool, log: ProblemLog
) -> CvatTask | None:
    """The clip's task: the one named by the manifest, or the only one; made from a video, or from the
    images of the clip's frame folder."""
    if not tasks:
        log.add("no meta", "no <task> or <job> in <meta>: cannot tell which video frames the boxes are on", 1)
        return None
    ids = ", ".join(t.task_id for t in tasks)
    if wanted is None:
        if len(tasks) == 1:
            chosen = tasks[0]
        else:
            message = (
                f"the export holds {len(tasks)} tasks ({ids}): name the clip's one in manifest.csv's `task`"
            )
            log.add("which task", message, tasks[0].line)
            return None
    else:
        chosen = next((t for t in tasks if t.task_id == wanted), None)
        if chosen is None:
            log.add("no such task", f"no task {wanted} in this export (it holds {ids})", tasks[0].line)
            return None
    if chosen.mode == IMAGE_MODE and not frame_folder:
        log.add(
            "image task",
            f"task {chosen.task_id} was made from image files (mode {IMAGE_MODE}), not from a video: cvpair "
            "crops from the clip's video, so create the CVAT task from the video file (or make the clip's "
            "video the folder of those frames)",
            chosen.line,
        )
        return None
    return chosen


def _annotation(
    parser: _CvatParser, tasks: list[CvatTask], task: CvatTask, frame_names: tuple[str, ...]
) -> Annotation:
    """The chosen task's tracks, with video frame numbers checked against the task's frames."""
    offset = project_offsets(tasks)[task.task_id] if parser.kind == "project" else 0
    if task.mode == IMAGE_MODE:
        place = _by_name(parser, task, offset, frame_names)
    else:
        place = partial(_on_grid, task=task, offset=offset, log=parser.log)
    several = len(tasks) > 1
    known = {t.task_id for t in tasks}
    for task_id, image in parser.image_frames:
        if task_id in (None, task.task_id):
            place(image)
    tracks = []
    for raw in parser.tracks + _image_tracks(parser.image_boxes):
        if raw.task_id is not None and raw.task_id not in known:
            parser.log.add(
                "unknown task", f"task_id {raw.task_id} is not a task of the export's <meta>", raw.line
            )
        elif raw.task_id is None and several:
            parser.log.add("no task id", "the export holds several tasks but this has no task_id", raw.line)
        elif raw.task_id in (None, task.task_id):
            boxes = [place(box) for box in raw.boxes]
            tracks.append(_track(raw, [box for box in boxes if box is not None]))
    width, height = _frame_size(parser, task)
    return Annotation(
        path=parser.path,
        tracks=tuple(tracks),
        frame_count=task.size,
        frame_width=width,
        frame_height=height,
        last_frame=task.last_frame,
        ignored=tuple(
            sorted(
                (what, count)
                for (task_id, what), count in parser.ignored.items()
                if task_id in (None, task.task_id)
            )
        ),
    )


def _image_tracks(image_boxes: list[tuple[str | None, str, Box]]) -> list[_RawTrack]:
    """The boxes of a "for images" export as one track per (task, identity), numbered by the identity."""
    tracks: dict[tuple[str | None, int | None], _RawTrack] = {}
    for task_id, label, box in image_boxes:
        key = (task_id, box.identity)
        if key not in tracks:
            tracks[key] = _RawTrack(box.identity or 0, label, task_id, box.line or 0)
        tracks[key].boxes.append(box)
    return list(tracks.values())


def _by_name(
    parser: _CvatParser, task: CvatTask, offset: int, frame_names: tuple[str, ...]
) -> Callable[[Box], Box | None]:
    """Where the boxes of a task made from the clip's frame images go: an <image> to the frame of its
    name, a track's frame k (a task's k-th image, the folder's k-th in name order) to frame k."""
    index = {name: frame for frame, name in enumerate(frame_names)}
    images_of = task.task_id if parser.kind == "project" else None
    if task.size is not None and task.size != len(frame_names):
        message = f"task {task.task_id} has {task.size} images, the clip's frame folder {len(frame_names)}"
        parser.log.add("image count", message, task.line)

    def place(box: Box) -> Box | None:
        name = parser.image_names.get((images_of, box.frame))
        frame = index.get(PurePosixPath(name).name) if name is not None else box.frame - offset
        if frame is None or not 0 <= frame < len(frame_names):
            what = f"image {name!r}" if name is not None else f"frame {box.frame}"
            where = f"{frame_names[0]} ... {frame_names[-1]}" if frame_names else "none"
            parser.log.add(
                "not a frame", f"{what} is not a frame of the clip's frame folder ({where})", box.line
            )
            return None
        return box._replace(frame=frame)

    return place


def _on_grid(box: Box, task: CvatTask, offset: int, log: ProblemLog) -> Box | None:
    """The box on its video frame, or None (logged) if that frame is not one of the task's."""
    frame = box.frame - offset
    if task.holds(frame):
        return box._replace(frame=frame) if offset else box
    shifted = f" (video frame {frame} once the project's offset {offset} is removed)" if offset else ""
    log.add(
        "off grid",
        f"frame {box.frame}{shifted} is not one of task {task.task_id or '(no id)'}'s frames "
        f"{task.grid()}: CVAT writes video frame numbers on the task's grid; was this file written with "
        "task-relative frames, or for another task?",
        box.line,
        frame,
    )
    return None


def _track(raw: _RawTrack, boxes: list[Box]) -> Track:
    """The track, its identity the one its boxes agree on (None if they disagree or have none)."""
    identities = {box.identity for box in boxes if box.identity is not None}
    return Track(
        track_id=raw.track_id,
        identity=identities.pop() if len(identities) == 1 else None,
        boxes=tuple(sorted(boxes, key=lambda box: box.frame)),
        label=raw.label,
        line=raw.line,
    )


def _frame_size(parser: _CvatParser, task: CvatTask) -> tuple[int | None, int | None]:
    """The task's frame size: its <original_size>, or the size its <image> elements give."""
    sizes = parser.image_sizes.get(task.task_id if parser.kind == "project" else None, set())
    if task.width is not None and task.height is not None:
        sizes = sizes | {(task.width, task.height)}
    if len(sizes) > 1:
        listed = ", ".join(f"{w}x{h}" for w, h in sorted(sizes))
        parser.log.add("sizes", f"task {task.task_id}'s frames have several sizes ({listed})", task.line)
    return next(iter(sizes)) if len(sizes) == 1 else (None, None)
