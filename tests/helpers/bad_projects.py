"""Bad book projects: a catalogue of broken inputs (``CATALOGUE``), each a small valid project
(``BASE``) with a few files written over it, and where its problem must be reported.

``luoshu build`` must end each in a clear message (tests/build/test_bad_input.py), ``luoshu
check`` must find the same problems (tests/check/test_agrees_with_build.py) and print them as
JSON when asked (tests/build/test_hostile.py). ``HOSTILE`` holds issue 16's cases — huge
values, damaged fonts, what stylesheets and data: URIs name, deep nesting — and is part of the
catalogue. ``tiny_font`` and ``damaged_font`` make font files for them.
"""

from __future__ import annotations

import base64
import io
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont
from PIL import Image

from .projects import write_project

RARE = "\U00020000"  # 𠀀: no configured font covers it
CAPTIONS = "manuscript/captions.toml"

BASE = {
    "book.toml": '[book]\ntitle = "测试之书"\nlanguage = "zh-Hans"\n',
    "manuscript/01-a.md": "# 甲\n\n正文。\n",
}



# --- images made for the cases ---------------------------------------------------------------


def noise(fmt: str, size: tuple[int, int] = (64, 48)) -> bytes:
    """A small photo-like image (noise compresses badly, so half the file is half the pixels)."""
    buffer = io.BytesIO()
    Image.effect_noise(size, 64).convert("RGB").save(buffer, fmt)
    return buffer.getvalue()


def cut_in_half(data: bytes) -> bytes:
    return data[: len(data) // 2]


def bomb_png(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of width × height white pixels: tens of kilobytes for 400 megapixels.
    Written row by row with zlib, so the pixels never exist in memory here either."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))

    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\xff" * ((width + 7) // 8)  # filter byte "none", then the row
    pixels = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels)
            + chunk(b"IEND", b""))


def tiny_font(characters: str, family: str = "House Serif") -> bytes:
    """A TrueType font with a square glyph for each of *characters*."""
    names = [".notdef"] + [f"uni{ord(c):04X}" for c in characters]
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder(names)
    builder.setupCharacterMap({ord(c): f"uni{ord(c):04X}" for c in characters})
    pen = TTGlyphPen(None)
    for x, y in ((100, 0), (100, 700), (800, 700), (800, 0)):
        (pen.moveTo if x == 100 and y == 0 else pen.lineTo)((x, y))
    pen.closePath()
    square, empty = pen.glyph(), TTGlyphPen(None).glyph()
    builder.setupGlyf({name: (empty if name == ".notdef" else square) for name in names})
    builder.setupHorizontalMetrics({name: (1000, 0) for name in names})
    builder.setupHorizontalHeader(ascent=880, descent=-120)
    builder.setupNameTable({"familyName": family, "styleName": "Regular"})
    builder.setupOS2(usWeightClass=400)
    builder.setupPost()
    buffer = io.BytesIO()
    builder.save(buffer)
    return buffer.getvalue()


def damaged_font(table: str, at: int, garbage: bytes, characters: str = "甲正文") -> bytes:
    """tiny_font(*characters*) with *garbage* written over its *table* from byte *at* of the
    table (the table directory, and so the file's structure, left as it was)."""
    data = bytearray(tiny_font(characters))
    offset = TTFont(io.BytesIO(bytes(data))).reader.tables[table].offset + at
    data[offset:offset + len(garbage)] = garbage
    return bytes(data)


def photo_entry(file: str, *extra: str) -> str:
    return "\n".join(['[[photo]]', f'file = "{file}"', 'caption = "码头"', 'alt = "码头"',
                      *extra]) + "\n"


# --- the catalogue ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    files: dict[str, str | bytes | None]  # written over BASE; None deletes the file
    where: str  # "path", "path:line" or "path:line:column" of the problem
    words: tuple[str, ...]  # all of them in that problem's line


# Hostile and huge input (issue 16): each refused in one line that names the file and line —
# of bounded length — before anything is rendered, by the build and by luoshu check alike.
HOSTILE = [
    # Every book.toml text option has a limit (luoshu.model.option): a 100 KB title once never
    # finished typesetting.
    Case("title of 100,000 characters",
         {"book.toml": f'[book]\ntitle = "{"书" * 100_000}"\nlanguage = "zh-Hans"\n'},
         "book.toml:2", ("[book] title is 100,000 characters long", "more than the 1,000",
                         "shorten it")),
    Case("a list too long in all",
         {"book.toml": BASE["book.toml"] + f'authors = ["{"甲" * 600}", "{"乙" * 600}"]\n'},
         "book.toml:4", ("[book] authors is 1,200 characters long", "more than the 1,000")),
    Case("a huge value of the wrong type",
         {"book.toml": f'[book]\ntitle = ["{"x" * 100_000}"]\nlanguage = "zh-Hans"\n'},
         "book.toml:2", ("[book] title must be a string, not ['xxx", "characters): The book")),
    Case("a key of 100,000 characters",
         {"book.toml": BASE["book.toml"] + f'{"k" * 100_000} = 1\n'},
         "book.toml:4", ("unknown key 'kkk", "… (100,002 characters) in [book]")),
    Case("book.toml of 5 MB", {"book.toml": BASE["book.toml"] + "#" * 5_000_000 + "\n"},
         "book.toml", ("the file is 5.0 MB, more than a TOML file", "is it the right file?")),
    # Fonts are read whole when loaded: a damaged cmap once crashed the coverage check.
    Case("font with a damaged cmap",
         {"fonts/fonts.toml": '[caption]\nfamily = "House Kai"\nfiles = ["kai.ttf"]\n',
          "fonts/kai.ttf": damaged_font("cmap", 8, b"\x7f\xff\xff\xff")},
         "fonts/fonts.toml:1", ("fonts/kai.ttf (role caption) is not a usable font file",
                                "cmap: Bad subtable offset", "get a fresh copy")),
    Case("family name with a line break",
         {"fonts/fonts.toml": '[body]\nfamily = "Noto Serif CJK SC\\n} body { color: red"\n'},
         "fonts/fonts.toml:1", ("[body] family", "holds U+000A, a control character")),
    # What a stylesheet names is checked before anything is rendered, at its line and column.
    Case("stylesheet url() to a file that is not an image",
         {"styles/x.css": "body {\n  color: black;\n  background: url(../book.toml);\n}\n"},
         "styles/x.css:3:15", ("url(../book.toml) is not an image",)),
    Case("stylesheet url() to a missing file",
         {"styles/x.css": "h1 { background: url(gone.png) }\n"},
         "styles/x.css:1:18", ("file not found: 'gone.png'", "styles/gone.png")),
    Case("stylesheet url() to an image bomb",
         {"styles/x.css": "\np { background: url(bomb.png) }\n",
          "styles/bomb.png": bomb_png(20000, 20000)},
         "styles/x.css:2:17", ("url(bomb.png) has 400 megapixels", "downscale it")),
    # [epub] cover is read by the EPUB writer after the print layout: checked when read.
    Case("cover that is not an image",
         {"book.toml": BASE["book.toml"] + '[epub]\ncover = "../book.toml"\n'},
         "book.toml:5", ("[epub] cover ../book.toml is not an image",)),
    Case("cover outside the project",
         {"book.toml": BASE["book.toml"] + '[epub]\ncover = "../../etc/passwd"\n'},
         "book.toml:5", ("refused '../../etc/passwd'", "outside the project folder")),
    # A data: URI is held to the limits of photo files, and named in a few characters.
    Case("data: URI of 900 megapixels",
         {"manuscript/01-a.md": "# 甲\n\n正文。\n\n<img alt=\"图\" src=\"data:image/png;base64,"
          + base64.b64encode(bomb_png(30000, 30000)).decode() + '">\n'},
         "manuscript/01-a.md:5", ("data:image/png;base64,iVBOR… (0.2 MB) has 900 megapixels",
                                  "more than luoshu accepts (80)")),
    Case("data: URI of a GIF", {"manuscript/01-a.md": "# 甲\n\n![图](data:image/gif;base64,"
                                + base64.b64encode(noise("GIF")).decode() + ")\n"},
         "manuscript/01-a.md:3", ("data:image/gif;base64,R0lGO…", "is a GIF image")),
    # Each problem of a section at its own line.
    Case("the same hostile SVG twice",
         {"manuscript/01-a.md": "# 甲\n\n" + "".join(
             f"正文{n}。\n\n![图](data:image/svg+xml,%3Csvg%3E%3Cscript%3E%3C/script%3E%3C/svg%3E)"
             "\n\n" for n in range(2))},
         "manuscript/01-a.md:9", ("refused SVG image", "<script>")),
    Case("a list nested 500 deep",
         {"manuscript/01-a.md": "---\ntitle: 甲\n---\n" + "正文。\n\n" * 5
          + "".join("    " * level + "- 项\n" for level in range(500))},
         "manuscript/01-a.md:47", ("nested more than 64 levels deep", "flatten them")),
]

CATALOGUE = [
    # 1. TOML syntax, with line and column.
    Case("book.toml syntax", {"book.toml": '[book]\ntitle = "书"\nlanguage = zh-Hans\n'},
         "book.toml:3:12", ("not valid TOML", "Invalid value", "write text in quotes")),
    Case("book.toml duplicate key", {"book.toml": BASE["book.toml"] + 'title = "又一个"\n'},
         "book.toml:4:14", ("not valid TOML", "a key is set twice", "keep one")),
    Case("captions.toml syntax", {CAPTIONS: '[[photo]]\nfile = "a.jpg"\ncaption = 未加引号\n'},
         f"{CAPTIONS}:3:11", ("not valid TOML", "Invalid value", "write text in quotes")),
    # 2. Unknown or mistyped keys, with the closest valid key.
    Case("book.toml unknown key",
         {"book.toml": '[book]\ntitel = "书"\ntitle = "书"\nlanguage = "zh-Hans"\n'},
         "book.toml:2", ("unknown key 'titel' in [book]", "did you mean 'title'?")),
    Case("book.toml unknown table", {"book.toml": BASE["book.toml"] + '[outptu]\nbasename = "x"\n'},
         "book.toml:4", ("unknown table 'outptu'", "did you mean 'output'?")),
    Case("book.toml key of the wrong type", {"book.toml": BASE["book.toml"] + 'authors = "张三"\n'},
         "book.toml:4", ("[book] authors must be a list of strings", "List of author names")),
    Case("captions.toml unknown key",
         {CAPTIONS: photo_entry("a.jpg", 'captoin = "码头"'), "manuscript/a.jpg": noise("JPEG")},
         f"{CAPTIONS}:1", ("unknown key 'captoin' in [[photo]]", "did you mean 'caption'?")),
    Case("captions.toml unknown table", {CAPTIONS: '[photos]\nfile = "a.jpg"\n'},
         f"{CAPTIONS}:1", ("unknown table 'photos'", "[[photo]] entries")),
    # 3. Missing required keys.
    Case("no title", {"book.toml": '[book]\nlanguage = "zh-Hans"\n'},
         "book.toml:1", ("[book] needs title", "The book's title")),
    Case("no language", {"book.toml": '[book]\ntitle = "书"\n'},
         "book.toml:1", ("[book] needs language", "BCP 47", "zh-Hans")),
    # 4. A [[photo]] without file, or with one that is not a string.
    Case("photo without file", {CAPTIONS: '\n[[photo]]\ncaption = "码头"\n'},
         f"{CAPTIONS}:2", ("[[photo]] needs file",)),
    Case("photo file not a string", {CAPTIONS: '[[photo]]\nfile = 3\ncaption = "码头"\n'},
         f"{CAPTIONS}:1", ("[[photo]] file must be a string",)),
    # 5. A photo that does not exist, from captions.toml and from the Markdown.
    Case("missing photo", {CAPTIONS: photo_entry("photos/none.jpg")},
         f"{CAPTIONS}:1", ("file not found: 'photos/none.jpg'", "manuscript/photos/none.jpg")),
    Case("missing inline photo", {"manuscript/01-a.md": "# 甲\n\n![码头](photos/none.jpg)\n"},
         "manuscript/01-a.md:3", ("file not found: 'photos/none.jpg'",)),
    Case("photo outside the project", {CAPTIONS: photo_entry("../../secret.jpg")},
         f"{CAPTIONS}:1", ("refused '../../secret.jpg'", "outside the project folder")),
    # 6. Corrupt and truncated images.
    Case("random bytes named .jpg", {CAPTIONS: photo_entry("a.jpg"),
                                     "manuscript/a.jpg": b"text saved as a photo, not a JPEG\n" * 8},
         f"{CAPTIONS}:1", ("a.jpg is not a readable image", "re-export it as JPEG or PNG")),
    Case("truncated JPEG", {CAPTIONS: photo_entry("a.jpg"),
                            "manuscript/a.jpg": cut_in_half(noise("JPEG"))},
         f"{CAPTIONS}:1", ("a.jpg is truncated or corrupt", "re-export it")),
    Case("truncated PNG", {CAPTIONS: photo_entry("a.png"),
                           "manuscript/a.png": cut_in_half(noise("PNG"))},
         f"{CAPTIONS}:1", ("a.png is truncated or corrupt", "re-export it")),
    Case("truncated inline JPEG", {"manuscript/01-a.md": "# 甲\n\n正文。\n\n![码头](a.jpg)\n",
                                   "manuscript/a.jpg": cut_in_half(noise("JPEG"))},
         "manuscript/01-a.md:5", ("a.jpg is truncated or corrupt", "re-export it")),
    # 7. Formats luoshu does not place: it takes JPEG and PNG.
    *(Case(f"{fmt} image", {CAPTIONS: photo_entry(f"a.{suffix}"),
                            f"manuscript/a.{suffix}": noise(fmt)},
           f"{CAPTIONS}:1", (f"a.{suffix} is a {fmt} image", "save it as JPEG (photos) or PNG"))
      for fmt, suffix in (("GIF", "gif"), ("BMP", "bmp"), ("TIFF", "tif"), ("WEBP", "webp"))),
    # 8. A decompression bomb: refused from its header, before anything is decoded.
    Case("decompression bomb", {CAPTIONS: photo_entry("bomb.png"),
                                "manuscript/bomb.png": bomb_png(20000, 20000)},
         f"{CAPTIONS}:1", ("bomb.png has 400 megapixels (20000 × 20000 px)",
                           "more than luoshu accepts (80): downscale it")),
    # 9. Text that is not UTF-8.
    Case("GB18030 section", {"manuscript/01-a.md": "# 甲\n\n正文。\n".encode("gb18030")},
         "manuscript/01-a.md:1", ("not UTF-8 text", "looks like GB18030/GBK",
                                  "iconv -f GB18030 -t UTF-8 manuscript/01-a.md",
                                  '[book] encoding = "gb18030"')),
    Case("GB18030 captions.toml",
         {CAPTIONS: photo_entry("a.jpg").encode("gb18030"), "manuscript/a.jpg": noise("JPEG")},
         f"{CAPTIONS}:3", ("not UTF-8 text", f"iconv -f GB18030 -t UTF-8 {CAPTIONS}")),
    Case("GB18030 book.toml", {"book.toml": BASE["book.toml"].encode("gb18030")},
         "book.toml:2", ("not UTF-8 text", "iconv -f GB18030 -t UTF-8 book.toml")),
    Case("neither UTF-8 nor GB18030",
         {"book.toml": BASE["book.toml"] + 'encoding = "gb18030"\n',
          "manuscript/01-a.md": b"# \xe7\x94\xb2\n\n\xff\xfe\n"},
         "manuscript/01-a.md:3", ("neither UTF-8 nor GB18030 text", "save it as UTF-8")),
    Case("unsupported encoding", {"book.toml": BASE["book.toml"] + 'encoding = "big5"\n'},
         "book.toml:4", ("[book] encoding 'big5' is not supported", '"gb18030"')),
    # 10. No sections.
    Case("empty manuscript", {"manuscript/01-a.md": None, "manuscript/notes.txt": "备忘"},
         "manuscript", ("the manuscript is empty", "add Markdown files")),
    Case("no manuscript folder", {"manuscript/01-a.md": None},
         "manuscript", ("no manuscript/ folder",)),
    # 11. Section ids that clash, and section lists that do not match the files.
    Case("section listed twice",
         {"book.toml": BASE["book.toml"] + 'sections = ["01-a", "01-a"]\n'},
         "book.toml:4", ("[book] sections lists '01-a' twice",)),
    Case("listed section without its file",
         {"book.toml": BASE["book.toml"] + 'sections = ["01-a", "02-b"]\n'},
         "book.toml:4", ("[book] sections names '02-b'", "no manuscript/02-b.md")),
    Case("ids differ only in case", {"manuscript/01-A.md": "# 乙\n"},
         "manuscript/01-a.md", ("section id '01-a' differs from '01-A' (01-A.md)",
                                "only in letter case", "rename one")),
    Case("ids differ only in Unicode normalization",  # a compatibility ideograph and its twin
         {"manuscript/02-\u8c48.md": "# 乙\n", "manuscript/02-\uf900.md": "# 丙\n"},
         "manuscript/02-\uf900.md", ("differs from '02-\u8c48' (02-\u8c48.md) only in Unicode "
                                     "normalization", "rename one")),
    Case("file name not usable as an id", {"manuscript/02 b.md": "# 乙\n"},
         "manuscript/02 b.md", ("section file names may hold only",)),
    # 12. A footnote reference without its definition.
    Case("undefined footnote", {"manuscript/01-a.md": "# 甲\n\n正文有注[^1]。\n"},
         "manuscript/01-a.md:3:5", ('footnote [^1] has no definition: add a line "[^1]: …"',)),
    # Other section problems.
    Case("section without a title", {"manuscript/01-a.md": "正文。\n"},
         "manuscript/01-a.md:1", ("the section has no title", "'# heading'")),
    Case("front matter never closed", {"manuscript/01-a.md": "---\ntitle: 甲\n\n正文。\n"},
         "manuscript/01-a.md:1", ("front matter opened with '---' is never closed",)),
    Case("photo placed in an unknown section",
         {CAPTIONS: photo_entry("a.jpg", 'section = "09-x"'), "manuscript/a.jpg": noise("JPEG")},
         f"{CAPTIONS}:1", ("section '09-x' is not a section id", "01-a")),
    # 13. A character no font covers (found after reading, before rendering).
    Case("character no font covers", {"manuscript/01-a.md": f"# 甲\n\n罕见字{RARE}。\n"},
         "manuscript/01-a.md:3", (f"no configured font covers U+20000 '{RARE}'",
                                  "fonts/fonts.toml", "or replace the character")),
    *HOSTILE,
]


def write(root: Path, changes: dict[str, str | bytes | None]) -> Path:
    """BASE with *changes* (None deletes a file) written under *root*."""
    return write_project(root, {**BASE, **changes})
