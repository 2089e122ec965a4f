"""An image file's format and completeness, read from its bytes alone.

Shared by `cvpair import` (which keeps a published PNG named .jpg as the PNG it is) and `cvpair validate`
(which checks every stored image ends with its format's end marker), so both judge a file the same way.
"""

from __future__ import annotations

JPEG, PNG = "JPEG", "PNG"
_SIGNATURES = {JPEG: b"\xff\xd8\xff", PNG: b"\x89PNG\r\n\x1a\n"}
_ENDINGS = {JPEG: b"\xff\xd9", PNG: b"IEND\xaeB`\x82"}  # end-of-image marker; the IEND chunk with its CRC


def image_format(data: bytes) -> str | None:
    """JPEG or PNG from the first bytes, else None."""
    return next((name for name, magic in _SIGNATURES.items() if data.startswith(magic)), None)


def is_cut_off(data: bytes, fmt: str) -> bool:
    """Whether a JPEG or PNG stops before its end marker (some encoders pad JPEGs with zeros)."""
    return not data.rstrip(b"\0").endswith(_ENDINGS[fmt])
