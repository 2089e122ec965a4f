"""Reads CVAT "for video 1.1" XML into an Annotation.

Parsed with expat directly (not ElementTree) so that every track and box keeps its line in the file:
the checks that run later point a user at the exact line to fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

from cvpair.campaign.fields import to_float, to_int
from cvpair.campaign.model import Annotation, Box, Track
from cvpair.errors import InputError, Problem

_META_NUMBERS = {("task", "size"), ("job", "size"), ("original_size", "width"), ("original_size", "height")}


@dataclass
class _OpenTrack:
    track_id: int
    label: str
    line: int
    boxes: list[Box] = field(default_factory=list)


class _CvatReader:
    """Expat callbacks that collect tracks, boxes and the task's size; problems are collected, not raised."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.parser = expat.ParserCreate()
        self.parser.buffer_text = True
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.stack: list[str] = []
        self.text: list[str] | None = None
        self.meta: dict[str, int] = {}
        self.tracks: list[Track] = []
        self.problems: list[Problem] = []
        self.track: _OpenTrack | None = None
        self.box: dict[str, str] | None = None
        self.box_line = 0
        self.box_identity: int | None = None
        self.attribute: tuple[str, int] | None = None  # (name, line) of the <attribute> being read

    def read(self) -> Annotation:
        try:
            with open(self.path, "rb") as stream:
                self.parser.ParseFile(stream)
        except expat.ExpatError as error:
            self.problems.append(
                Problem(self.path, f"malformed XML: {expat.ErrorString(error.code)}", line=error.lineno)
            )
        if self.problems:
            raise InputError(self.problems, headline=f"cannot read {self.path}")
        return Annotation(
            path=self.path,
            tracks=tuple(self.tracks),
            frame_count=self.meta.get("size"),
            frame_width=self.meta.get("width"),
            frame_height=self.meta.get("height"),
        )

    def _line(self) -> int:
        return self.parser.CurrentLineNumber

    def _problem(self, message: str, line: int | None = None) -> None:
        self.problems.append(Problem(self.path, message, line=line or self._line()))

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        parent = self.stack[-1] if self.stack else None
        self.stack.append(name)
        if parent is None and name != "annotations":
            self._problem(f"root element is <{name}>, expected <annotations> (CVAT for video 1.1)")
        elif name == "track":
            self._start_track(attrs)
        elif name == "box" and parent == "track":
            self.box, self.box_line, self.box_identity = attrs, self._line(), None
        elif name == "attribute" and parent == "box":
            self.attribute = (attrs.get("name", ""), self._line())
            self._capture_text()
        elif (parent, name) in _META_NUMBERS:
            self._capture_text()
        elif name == "image" and parent == "annotations":
            self._problem("<image> element: this is a CVAT *images* export; export as 'CVAT for video 1.1'")

    def _start_track(self, attrs: dict[str, str]) -> None:
        track_id = to_int(attrs.get("id"))
        if track_id is None:
            self._problem(f"<track> needs an integer id, got {attrs.get('id')!r}")
            track_id = -1
        self.track = _OpenTrack(track_id, attrs.get("label", ""), self._line())

    def _capture_text(self) -> None:
        """Collect character data until `_take_text`; off otherwise, as most of it is indentation."""
        self.text = []
        self.parser.CharacterDataHandler = self.text.append

    def _take_text(self) -> str:
        assert self.text is not None
        text, self.text = "".join(self.text), None
        self.parser.CharacterDataHandler = None
        return text

    def _end(self, name: str) -> None:
        self.stack.pop()
        parent = self.stack[-1] if self.stack else None
        if name == "attribute" and self.attribute is not None:
            self._end_attribute()
        elif name == "box" and self.box is not None:
            self._end_box()
        elif name == "track" and self.track is not None:
            self._end_track()
        elif (parent, name) in _META_NUMBERS and self.text is not None:
            text = self._take_text()
            value = to_int(text)
            if value is None:
                self._problem(f"<{name}> must be an integer, got {text.strip()!r}")
            else:
                self.meta[name] = value

    def _end_attribute(self) -> None:
        assert self.attribute is not None
        name, line = self.attribute
        value = self._take_text().strip()
        if name == "identity" and value:
            self.box_identity = to_int(value)
            if self.box_identity is None:
                self._problem(f"identity must be an integer, got {value!r}", line)
        self.attribute = None

    def _end_box(self) -> None:
        assert self.box is not None and self.track is not None
        attrs, line = self.box, self.box_line
        self.box = None
        frame = to_int(attrs.get("frame"))
        corners = [to_float(attrs.get(key)) for key in ("xtl", "ytl", "xbr", "ybr")]
        if frame is None or None in corners:
            self._problem("<box> needs an integer frame and numeric xtl, ytl, xbr, ybr", line)
            return
        xtl, ytl, xbr, ybr = corners
        self.track.boxes.append(
            Box(
                frame=frame,
                x=xtl,
                y=ytl,
                w=xbr - xtl,
                h=ybr - ytl,
                outside=attrs.get("outside", "0") == "1",
                occluded=attrs.get("occluded", "0") == "1",
                line=line,
                identity=self.box_identity,
            )
        )

    def _end_track(self) -> None:
        assert self.track is not None
        open_track, self.track = self.track, None
        identities = {box.identity for box in open_track.boxes if box.identity is not None}
        self.tracks.append(
            Track(
                track_id=open_track.track_id,
                identity=identities.pop() if len(identities) == 1 else None,
                boxes=tuple(open_track.boxes),
                label=open_track.label,
                line=open_track.line,
            )
        )


def read_cvat(path: Path) -> Annotation:
    """The tracks of a CVAT for video 1.1 file; raises InputError naming every bad line."""
    return _CvatReader(Path(path)).read()
