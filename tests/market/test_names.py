"""Market-1501-style names, the tree scan, image reading and metadata stripping: the pieces of `cvpair
import` that need no release."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from cvpair.market.images import inspect_bytes
from cvpair.market.metadata import strip_metadata
from cvpair.market.names import MarketName, format_name, parse_name
from cvpair.market.tree import scan_tree


def test_padded_name_parses_to_its_fields():
    name = parse_name("0004_c0s2_00030_00.jpg")
    assert name == MarketName(identity=4, camera=0, sequence=2, frame=30, instance=0)
    assert name.view == "ground"


def test_unpadded_identity_parses_and_is_aerial_on_camera_1():
    name = parse_name("181_c1s2_00010_00.jpg")
    assert (name.identity, name.view, name.frame) == (181, "aerial", 10)


def test_padded_and_unpadded_spellings_mean_the_same_image():
    assert parse_name("0181_c1s2_00010_00.jpg").key == parse_name("181_c1s2_00010_00.jpg").key


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("car_0001.jpg", "not <id>_c<cam>s<seq>_<frame>_<inst>.jpg"),
        ("0004_c2s1_00010_00.jpg", "camera c2 is neither c0 (ground) nor c1 (aerial)"),
        ("0004_c0s1_00010_00.gif", "suffix '.gif'"),
        ("-1_c0s1_00010_00.jpg", "not <id>"),
    ],
)
def test_names_that_say_something_else_are_refused_with_the_reason(name, reason):
    with pytest.raises(ValueError, match=reason.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        parse_name(name)


def test_written_names_pad_identity_to_4_frame_to_5_instance_to_2():
    assert format_name(MarketName(7, 1, 3, 40, 1)) == "0007_c1s3_00040_01.jpg"
    assert format_name(MarketName(12345, 0, 1, 1234567, 0)) == "12345_c0s1_1234567_00.jpg"


def _jpeg(size=(40, 30), **save) -> bytes:
    pixels = np.random.default_rng(0).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=90, **save)
    return buffer.getvalue()


def _png(size=(40, 30), **save) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(buffer, "PNG", **save)
    return buffer.getvalue()


def test_a_png_is_recognised_from_its_bytes_whatever_its_name():
    facts = inspect_bytes(_png())
    assert (facts.error, facts.format, facts.width, facts.height) == ("", "PNG", 40, 30)


def test_a_jpeg_cut_short_is_truncated():
    data = _jpeg()
    assert inspect_bytes(data).error == ""
    assert "truncated JPEG" in inspect_bytes(data[: len(data) // 2]).error


def test_a_png_cut_short_is_truncated():
    assert "truncated PNG" in inspect_bytes(_png()[:-20]).error


def test_bytes_of_no_image_format_are_an_error_not_a_guess():
    assert "not a JPEG or PNG" in inspect_bytes(b"GIF89a....").error


def test_a_whole_jpeg_with_a_broken_header_is_undecodable():
    data = bytearray(_jpeg(size=(64, 64)))
    frame = data.index(b"\xff\xc0")  # start of frame: length (2), precision (1), then the height
    data[frame + 5 : frame + 7] = b"\0\0"
    assert inspect_bytes(bytes(data)).error.startswith("undecodable JPEG")


def _gps_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "DJI"  # Make
    exif.get_ifd(0x8825)[2] = (48.0, 51.0, 29.0)  # GPSLatitude
    return exif


def test_stripping_removes_exif_and_gps_and_keeps_the_pixels_of_a_jpeg():
    data = _jpeg(exif=_gps_exif().tobytes())
    stripped = strip_metadata(data, "JPEG")
    with Image.open(io.BytesIO(data)) as original, Image.open(io.BytesIO(stripped)) as clean:
        assert "exif" in original.info and "exif" not in clean.info
        assert np.array_equal(np.asarray(original), np.asarray(clean))
    assert len(stripped) < len(data)


def test_stripping_removes_the_exif_and_text_chunks_of_a_png_and_keeps_its_pixels():
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "shot over Linz")
    data = _png(exif=_gps_exif().tobytes(), pnginfo=info)
    stripped = strip_metadata(data, "PNG")
    with Image.open(io.BytesIO(data)) as original, Image.open(io.BytesIO(stripped)) as clean:
        clean.load()
        assert "exif" in original.info and "Comment" in original.info
        assert "exif" not in clean.info and "Comment" not in clean.info
        assert np.array_equal(np.asarray(original), np.asarray(clean))


def test_the_scan_ignores_and_counts_leftovers_and_lists_only_images(tmp_path):
    for folder in ("a2g/bounding_box_train", "a2g/query", "a2g/bounding_box_test", "g2a/bounding_box_train",
                   "g2a/query", "g2a/bounding_box_test"):  # fmt: skip
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "0001_c0s1_00010_00.jpg").write_bytes(b"x")
        (tmp_path / folder / "._0001_c0s1_00010_00.jpg").write_bytes(b"x")
    (tmp_path / "a2g" / ".DS_Store").write_bytes(b"x")
    (tmp_path / "a2g/query/Thumbs.db").write_bytes(b"x")
    (tmp_path / ".baiduyun.uploading.cfg").write_bytes(b"x")
    (tmp_path / "__MACOSX" / "a2g").mkdir(parents=True)
    (tmp_path / "__MACOSX/a2g/._query").write_bytes(b"x")
    listing = scan_tree(tmp_path)
    assert listing.problems == []
    assert all(names == ["0001_c0s1_00010_00.jpg"] for names in listing.folders.values())
    assert len(listing.folders) == 6
    assert listing.ignored == {"AppleDouble (._*)": 7, ".DS_Store": 1, "Windows folder cache": 1,
                               "upload leftover": 1}  # fmt: skip


def test_the_scan_reports_missing_empty_and_unexpected_entries(tmp_path):
    for folder in ("a2g/bounding_box_train", "a2g/query", "a2g/bounding_box_test"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "a2g/bounding_box_train/0001_c0s1_00010_00.jpg").write_bytes(b"x")
    (tmp_path / "a2g/query/0002_c1s1_00010_00.jpg").write_bytes(b"x")
    (tmp_path / "readme.txt").write_text("hi")
    problems = {str(p) for p in scan_tree(tmp_path).problems}
    assert problems == {
        f"{tmp_path}/readme.txt: unexpected file; expected only a2g, g2a",
        f"{tmp_path}/g2a: missing folder",
        f"{tmp_path}/a2g/bounding_box_test: empty folder: no images",
    }
