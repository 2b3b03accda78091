"""JPEG and PNG files read piece by piece: are they complete, and their metadata cut out.

No pixel is decoded here. A JPEG is walked segment by segment, a PNG chunk by chunk (CRCs
checked), up to its end marker: data that stops before it, or a damaged chunk, raises _Malformed.
luoshu.images.screen uses the walk to refuse cut-off files that Pillow would accept, and, when an
image's pixels need no change, to drop its metadata without re-encoding it.
"""

from __future__ import annotations

import struct
import zlib


class _Malformed(Exception):
    pass


def _jpeg_segments(data: bytes):
    """(marker, bytes) for each piece of a JPEG up to and including EOI; entropy-coded data
    after a SOS comes as marker None. Raises _Malformed when the data ends before EOI."""
    if not data.startswith(b"\xff\xd8"):
        raise _Malformed("no SOI")
    yield 0xD8, data[:2]
    pos, size = 2, len(data)
    try:
        while True:
            if pos >= size or data[pos] != 0xFF:
                raise _Malformed("expected a marker")
            marker = data[pos + 1]
            if marker == 0xFF:  # fill byte
                pos += 1
                continue
            if marker == 0xD9:
                yield marker, data[pos:pos + 2]
                return
            if 0xD0 <= marker <= 0xD7 or marker == 0x01:
                yield marker, data[pos:pos + 2]
                pos += 2
                continue
            (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
            end = pos + 2 + length
            if length < 2 or end > size:
                raise _Malformed("segment runs past the end")
            yield marker, data[pos:end]
            pos = end
            if marker == 0xDA:  # start of scan: entropy-coded data up to the next real marker
                scan = pos
                while True:
                    scan = data.index(b"\xff", scan)
                    following = data[scan + 1]
                    if following == 0x00 or 0xD0 <= following <= 0xD7:
                        scan += 2
                    elif following == 0xFF:
                        scan += 1
                    else:
                        break
                yield None, data[pos:scan]
                pos = scan
    except (ValueError, IndexError, struct.error) as error:
        raise _Malformed(str(error)) from error


def _png_chunks(data: bytes):
    """(type, bytes) for each chunk of a PNG up to and including IEND, CRCs checked. Raises
    _Malformed when the data ends early or a chunk is damaged."""
    if not data.startswith(_PNG_SIGNATURE):
        raise _Malformed("no PNG signature")
    pos = len(_PNG_SIGNATURE)
    while True:
        if pos + 12 > len(data):
            raise _Malformed("ends before IEND")
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        end = pos + 12 + length
        if end > len(data):
            raise _Malformed("chunk runs past the end")
        chunk = data[pos:end]
        if zlib.crc32(chunk[4:-4]) != struct.unpack(">I", chunk[-4:])[0]:
            raise _Malformed("bad CRC")
        yield chunk[4:8], chunk
        if chunk[4:8] == b"IEND":
            return
        pos = end


# APPn segments kept: JFIF (APP0) and Adobe (APP14, says how the colour channels are coded).
_JPEG_KEEP_APP = {0xE0: b"JFIF\x00", 0xEE: b"Adobe"}


def _stripped_jpeg(data: bytes) -> bytes | None:
    """*data* without APP1–APP15 (EXIF, XMP, ICC, IPTC…), COM segments and anything after EOI
    (pictures appended by phones and cameras); None when it is not a well-formed JPEG."""
    out = []
    try:
        for marker, piece in _jpeg_segments(data):
            if marker is not None and (0xE0 <= marker <= 0xEF or marker == 0xFE):
                wanted = _JPEG_KEEP_APP.get(marker)
                if wanted is None or not piece[4:].startswith(wanted):
                    continue
            out.append(piece)
    except _Malformed:
        return None
    return b"".join(out)


# Chunks a static PNG needs to be drawn; everything else (text, time, EXIF, ICC, gamma,
# physical size, animation control) is left out.
_PNG_KEEP = {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"}
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _stripped_png(data: bytes) -> bytes | None:
    """*data* with only the chunks in _PNG_KEEP; None for APNG or a malformed PNG."""
    out = [_PNG_SIGNATURE]
    try:
        for kind, chunk in _png_chunks(data):
            if kind == b"acTL":
                return None  # animated: re-encoded as its first frame instead
            if kind in _PNG_KEEP:
                out.append(chunk)
    except _Malformed:
        return None
    return b"".join(out)
