"""Lossless removal of embedded metadata (EXIF with its GPS block, XMP, IPTC, text chunks).

Only whole metadata segments (JPEG) or chunks (PNG) are dropped; the compressed pixel data is copied
untouched, so the decoded image is identical. For `cvpair import --strip-metadata`: a derived release
whose images carry no location; by default an import keeps every byte.
"""

from __future__ import annotations

import struct

_JPEG_METADATA = {0xE1, 0xED}  # APP1 (EXIF, XMP), APP13 (Photoshop/IPTC)
_PNG_METADATA = {b"eXIf", b"tEXt", b"iTXt", b"zTXt", b"tIME"}
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # markers without a length field (TEM, RSTn)


def _strip_jpeg(data: bytes) -> bytes:
    kept, at = [data[:2]], 2  # SOI
    while at + 4 <= len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte before a marker
            at += 1
            continue
        if marker in _STANDALONE:
            kept.append(data[at : at + 2])
            at += 2
            continue
        if marker == 0xDA:  # start of scan: the rest is pixel data, copied as is
            break
        length = struct.unpack(">H", data[at + 2 : at + 4])[0]
        if marker not in _JPEG_METADATA:
            kept.append(data[at : at + 2 + length])
        at += 2 + length
    kept.append(data[at:])
    return b"".join(kept)


def _strip_png(data: bytes) -> bytes:
    kept, at = [_PNG_SIGNATURE], len(_PNG_SIGNATURE)
    while at + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[at : at + 8])
        end = at + 12 + length  # length, type, data, CRC
        if kind not in _PNG_METADATA:
            kept.append(data[at:end])
        at = end
    kept.append(data[at:])
    return b"".join(kept)


def strip_metadata(data: bytes, fmt: str) -> bytes:
    """`data` (a whole JPEG or PNG) without its metadata segments; the pixels decode the same."""
    return _strip_jpeg(data) if fmt == "JPEG" else _strip_png(data)
