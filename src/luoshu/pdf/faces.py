"""The font faces of the PDFs WeasyPrint writes, recorded so that pages drawn in different
processes can be joined with each face embedded once (luoshu.pdf.join).

WeasyPrint embeds a subset of each face holding the glyphs its pages use, keeping the face's
glyph ids (HarfBuzz's retain-gids): a glyph has the same id in every subset of a face. So the
subsets of two documents can be replaced by one subset of the whole face with the glyphs of
both, and their pages' text stays right. For that, ``recording_faces`` keeps, for every font a
PDF written inside it embeds, the face it comes from (its bytes, stored once by content in a
*store* folder, and its index in a collection) and the glyphs used with their widths and text;
``subset_face`` makes the subset the same way WeasyPrint 70 does.

This hooks WeasyPrint's ``build_fonts_dictionary`` (verified on WeasyPrint 70.0, like
luoshu.layout.cjk): it is called once per PDF written, with the fonts, before they are subset.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..files.output import write_bytes_atomically

LOGGER = logging.getLogger("luoshu.pdf.faces")


@dataclass(frozen=True)
class FontUse:
    """A font a PDF embeds (its ``BaseFont``), as luoshu.pdf.join needs to merge it."""

    face: str  # the face's store name: "<sha256 of its bytes>-<index in a collection>"
    glyphs: dict[int, tuple[float, str]]  # glyph id → (width in 1/1000 em, text it stands for)

    def as_json(self) -> dict:
        return {"face": self.face, "glyphs": {str(gid): [width, text] for gid, (width, text)
                                              in sorted(self.glyphs.items())}}

    @classmethod
    def from_json(cls, data: dict) -> FontUse:
        return cls(str(data["face"]), {int(gid): (float(value[0]), str(value[1]))
                                       for gid, value in data["glyphs"].items()})


_recorder: contextvars.ContextVar[tuple[Path, dict[str, FontUse]] | None] = \
    contextvars.ContextVar("luoshu_font_recorder", default=None)
_install_lock = threading.Lock()
_installed = False
# A face's bytes are hashed once per process: the same fonts are embedded PDF after PDF.
_face_names: dict[tuple, str] = {}


@contextlib.contextmanager
def recording_faces(store: Path) -> Iterator[dict[str, FontUse]]:
    """Record the fonts of the PDFs written inside the block: yields a dict filled as they are
    written, ``BaseFont`` name (without its slash) → FontUse; each face's bytes are stored in
    *store* as ``<face>.face`` (once, whatever the number of PDFs)."""
    _install()
    found: dict[str, FontUse] = {}
    token = _recorder.set((store, found))
    try:
        yield found
    finally:
        _recorder.reset(token)


def face_path(store: Path, face: str) -> Path:
    return store / f"{face}.face"


def _install() -> None:
    global _installed
    with _install_lock:
        if _installed:
            return
        import weasyprint.pdf

        original = weasyprint.pdf.build_fonts_dictionary

        def build_fonts_dictionary(pdf, fonts, compress, subset, options):
            recording = _recorder.get()
            if recording is not None:
                _record(recording[0], recording[1], fonts)
            return original(pdf, fonts, compress, subset, options)

        weasyprint.pdf.build_fonts_dictionary = build_fonts_dictionary
        _installed = True


def _record(store: Path, found: dict[str, FontUse], fonts) -> None:
    for font in fonts.values():
        if font.bitmap:
            continue  # bitmap (Type 3) fonts are drawn, not embedded as a face
        identity = (font.family, font.weight, font.style, font.index, len(font.file_content),
                    font.file_content[:64], font.file_content[-64:])
        face = _face_names.get(identity)
        if face is None:
            face = f"{hashlib.sha256(font.file_content).hexdigest()}-{font.index}"
            _face_names[identity] = face
        path = face_path(store, face)
        if not path.exists():
            store.mkdir(parents=True, exist_ok=True)
            write_bytes_atomically(path, font.file_content)
        name = font.name.decode("latin-1").lstrip("/")
        glyphs = {gid: (width, font.to_unicode.get(gid, "")) for gid, width in font.widths.items()}
        earlier = found.get(name)
        if earlier is not None:
            glyphs = {**earlier.glyphs, **glyphs}
        found[name] = FontUse(face, glyphs)


def subset_face(data: bytes, index: int, glyphs: set[int], hinting: bool = False) -> bytes:
    """The subset of the face (*data*, *index* in a collection) holding *glyphs*, with the
    face's glyph ids — as WeasyPrint 70 subsets it, with the HarfBuzz it uses: the glyphs used,
    their ids retained, layout tables dropped; then the empty glyphs after the last one."""
    from weasyprint.text.ffi import ffi, harfbuzz, harfbuzz_subset

    _declare_blobs(ffi)
    blob = ffi.gc(harfbuzz.hb_blob_create(data, len(data), 1, ffi.NULL, ffi.NULL),
                  harfbuzz.hb_blob_destroy)  # 1: read-only, *data* outlives the blob
    face = ffi.gc(harfbuzz.hb_face_create(blob, index), harfbuzz.hb_face_destroy)
    passes = ((sorted(glyphs), harfbuzz_subset.HB_SUBSET_FLAGS_RETAIN_GIDS, _DROPPED_TABLES),
              (range(max(glyphs, default=0) + 1),
               0 if hinting else harfbuzz_subset.HB_SUBSET_FLAGS_NO_HINTING, ()))
    for keep, flags, dropped in passes:
        plan = ffi.gc(harfbuzz_subset.hb_subset_input_create_or_fail(),
                      harfbuzz_subset.hb_subset_input_destroy)
        _add_all(ffi, harfbuzz, harfbuzz_subset.hb_subset_input_glyph_set(plan), tuple(keep))
        harfbuzz_subset.hb_subset_input_set_flags(
            plan, flags | harfbuzz_subset.HB_SUBSET_FLAGS_PASSTHROUGH_UNRECOGNIZED
            | harfbuzz_subset.HB_SUBSET_FLAGS_DESUBROUTINIZE)
        if dropped:
            _add_all(ffi, harfbuzz, harfbuzz_subset.hb_subset_input_set(
                plan, harfbuzz_subset.HB_SUBSET_SETS_DROP_TABLE_TAG),
                tuple(sorted(harfbuzz.hb_tag_from_string(tag, -1) for tag in dropped)))
        subset = harfbuzz_subset.hb_subset_or_fail(face, plan)
        if subset == ffi.NULL:
            raise ValueError("HarfBuzz could not subset the font face")
        face = ffi.gc(subset, harfbuzz.hb_face_destroy)
    result = ffi.gc(harfbuzz.hb_face_reference_blob(face), harfbuzz.hb_blob_destroy)
    length = ffi.new("unsigned int *")
    pointer = harfbuzz.hb_blob_get_data(result, length)
    return bytes(ffi.buffer(pointer, length[0]))


def _add_all(ffi, harfbuzz, hb_set, values: tuple[int, ...]) -> None:
    harfbuzz.hb_set_add_sorted_array(hb_set, ffi.new(f"hb_codepoint_t[{len(values)}]", values),
                                     len(values))


_declared = False


def _declare_blobs(ffi) -> None:
    """Declare the two HarfBuzz functions WeasyPrint's bindings leave out (a face from bytes)."""
    global _declared
    with _install_lock:
        if not _declared:
            try:
                ffi.cdef("hb_blob_t * hb_blob_create (const char *data, unsigned int length, "
                         "int mode, void *user_data, void *destroy);\n"
                         "hb_face_t * hb_face_create (hb_blob_t *blob, unsigned int index);")
            except Exception:  # noqa: BLE001 - declared already (cffi has its own errors)
                LOGGER.debug("HarfBuzz blob functions already declared")
            _declared = True


# The tables WeasyPrint 70 drops from the faces it embeds (a PDF draws glyphs by id: no
# shaping or layout tables are needed).
_DROPPED_TABLES = (b"BASE", b"DSIG", b"EBDT", b"EBLC", b"EBSC", b"GPOS", b"GSUB", b"JSTF",
                   b"LTSH", b"PCLT", b"SVG ")
