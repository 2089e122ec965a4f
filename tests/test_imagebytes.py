"""An image's format and completeness from its bytes: what import and validate both judge files by."""

import io

from PIL import Image

from cvpair.imagebytes import JPEG, PNG, image_format, is_cut_off


def _encoded(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


def test_the_format_comes_from_the_first_bytes_not_the_name():
    assert image_format(_encoded("PNG")) == PNG
    assert image_format(_encoded("JPEG")) == JPEG
    assert image_format(b"GIF89a" + bytes(20)) is None


def test_whole_files_are_not_cut_off_and_zero_padding_after_a_jpeg_end_is_allowed():
    assert not is_cut_off(_encoded("PNG"), PNG)
    assert not is_cut_off(_encoded("JPEG") + bytes(16), JPEG)


def test_a_file_missing_its_last_bytes_is_cut_off():
    assert is_cut_off(_encoded("PNG")[:-4], PNG)
    assert is_cut_off(_encoded("JPEG")[:-2], JPEG)
