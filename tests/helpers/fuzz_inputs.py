"""Hypothesis strategies for test_fuzz.py: whole book projects as {path: bytes}.

Every strategy mixes *clean* inputs (odd but acceptable: they should build, which is where
crashes hide) with *nasty* ones (wrong types, unknown keys, broken syntax or bytes: they should
be refused, cleanly):

- ``markdown_project()``: one to three sections — Chinese text, Latin, ASCII punctuation,
  headings, lists, emphasis, tables, fenced code (sometimes unclosed), footnotes, attribute
  lists, front matter, raw HTML (``ODD_HTML`` that is sanitized or repaired; in nasty sections
  also ``REFUSED_HTML``), unbalanced brackets and quotes; nasty sections add control
  characters, random and astral characters (never unpaired surrogates: files must be
  encodable), undefined footnotes, and GB18030 or invalid UTF-8 bytes.
- ``book_toml()``: known keys with plausible values; nasty: any TOML value, unknown keys and
  tables, broken syntax.
- ``captions_project()``: [[photo]] entries for existing photos; nasty: missing, odd and
  outside file references, unknown keys, values of any type, broken syntax.

Left out, known and reported (the fixes belong to modules these tests do not own):

- a NUL character in a file reference (``%00`` in Markdown, ``\\u0000`` in TOML) makes
  ``ProjectFiles.resolve`` raise ValueError("embedded null byte"): ``without_nul``;
- a control character in a book.toml string (``title = "书\\u001b"``) reaches the EPUB's
  XHTML and ends in lxml's XMLSyntaxError: ``without_controls`` for book.toml values.
"""

from __future__ import annotations

import base64
import datetime
import io
import math
import re
import string

from hypothesis import strategies as st
from PIL import Image

# A photo as the cover: the typeset cover (a large PNG) would cost more than the rest.
FAST_BOOK_TOML = ('[book]\ntitle = "测试之书"\nlanguage = "zh-Hans"\n'
                  '[epub]\ncover = "photos/ok.png"\n').encode()
HAN = ("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可也你政府经济发展"
       "洛阳新蓝图开启征程河洛金秋丰收喜悦城市乡村")
CJK_PUNCTUATION = "，。、；：？！“”‘’（）《》〈〉【】「」『』——……·"
ODD = "\t\x0b\x0c\r\x00\x01\x1b\x7f\x85\u00a0\u200b\u200d\u2028\u2060\ufeff\ufffd\U0001f600𠀀𪚥"


def without_nul(text: str) -> str:
    return text.replace("\x00", "").replace("%00", "")


_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def without_controls(value):
    """*value* (any TOML value) with no character XML cannot hold in its strings."""
    if isinstance(value, str):
        return _CONTROLS.sub("", value)
    if isinstance(value, list):
        return [without_controls(item) for item in value]
    if isinstance(value, dict):
        return {key: without_controls(item) for key, item in value.items()}
    return value


def png(size=(16, 12), mode="RGB", fmt="PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, 128 if mode == "L" else (180, 60, 40)).save(buffer, fmt)
    return buffer.getvalue()


han = st.text(alphabet=HAN + CJK_PUNCTUATION, min_size=1, max_size=24)
latin = st.text(alphabet=string.ascii_letters + string.digits + " .,;:?!'\"()-", max_size=16)
punctuation = st.text(alphabet=string.punctuation + " ", min_size=1, max_size=8)
odd = st.text(alphabet=ODD, min_size=1, max_size=4)
anything = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=8)
label = st.text(alphabet=string.ascii_lowercase + string.digits + "中^ ", min_size=1, max_size=4)
nastiness = st.integers(0, 3).map(lambda n: n == 0)  # one in four


# --- Markdown -------------------------------------------------------------------------------------

# Raw HTML a book may hold: removed by the sanitizer, or repaired by the HTML parser.
ODD_HTML = [
    "<script>alert(1)</script>", '<img src="photos/ok.png" onerror="alert(1)" alt="图">',
    "<svg><script>1</script>", '<a href="jav&#x09;ascript:alert(1)">x</a>', "<base href=x>",
    "<iframe src=//example.org>", '<meta http-equiv="refresh" content="0">',
    '<link rel="stylesheet" href="x.css">', '<p style="background:url(x)">x</p>',
    "<style>p{}</style>", "<div>", "</div>", "</p>", "<p><b>粗<i>斜</b></i>", "<table><tr><td>格",
    "<![CDATA[x]]>", "<!-- 未闭合", "<?php x ?>", "<!DOCTYPE html>", "<html><body>",
    '<img src="photos/ok.png">', '<a href="#">x</a>', '<a id="x" href="#x">x</a>',
    '<h1 id="title">题</h1>', '<span id="1:2">', "<br/>", "<hr>",
    "&nbsp;&amp;&#0;&#xD800;&#x10FFFF;&bogus;&#99999999;&#x1b;&#xFFFE;", "&", "<", ">",
    "<ruby>洛<rt>luò</rt></ruby>", "<sup>1</sup>", '<figure><img src="photos/ok.png"><figcaption>',
    "<math><mi>x</mi></math>", '<aside epub:type="footnote">注</aside>', "<x:y>z</x:y>",
    '<a:b c:d="e">甲</a:b>', '<div xmlns="urn:x">', '<div xmlns:foo="urn:bar" foo:x="1">',
    '<p lang="">', '<td colspan="0" rowspan="-1">', '<ol start="-1"><li>一',
    '<img src="photos/ok.png" width="0" height="99999" alt="大">', "<details open><summary>",
    "<template><p>x</p></template>", "<pre>未闭合", "<code>", "<textarea>", "<noscript>",
    "<title>题</title>", "<body onload=x>", "<table><caption>表</caption></table>",
    "<a><a>套</a></a>", "<span><p>块</p></span>", '<span data-block="x">文</span>',
    '<p class="chapter-opening" id="sec-x--title">', '<section class="chapter">',
    '<a rel="attachment" href="photos/ok.png">附</a>', '<p title="&#x1b;">控</p>',
    # luoshu's own classes and ids, which the print side acts on (figure_flow, pagemap)
    '<figure class="photo placed"><img src="photos/ok.png" alt="图"></figure>',
    '<div class="footnote"><ol><li id="fn-9">注</li></ol></div>', '<p id="sec-01-a">段</p>',
    '<span class="latin han-before">x</span>', '<div class="gallery" id="gallery--title">',
]
# Raw HTML the build refuses: an image that is missing, empty, not an image or not allowed.
REFUSED_HTML = [
    "<img>", '<img src="">', '<img src="photos/missing.png" alt="无">',
    '<img src="data:image/png;base64,AAAA">', '<img src="data:,">',
    '<img src="data:image/svg+xml,%3Csvg/%3E" alt="s">', '<img src="../book.toml" alt="x">',
]
INLINE_FORMS = [
    "{}", "{}", "{}", "*{}*", "**{}**", "`{}`", "[{}](#title)", "[{}](http://example.org/)",
    "![{}](photos/ok.png)", '![{}](photos/ok.png "说明")', "{}[^1]", "[{}", "{}]", "({}",
    "“{}", "{}”", '"{}', "《{}", "{}\\", "\\{}", "<{}>", "{}  ",
]


@st.composite
def inline(draw, nasty: bool) -> str:
    """A piece of a line."""
    kinds = [han, han, han, latin, punctuation] + ([odd, anything] if nasty else [])
    text = draw(st.one_of(kinds))
    forms = INLINE_FORMS + (["{}[^a]", "{}[^" + draw(label) + "]", "[{}](#x)"] if nasty else [])
    return draw(st.sampled_from(forms)).replace("{}", text)


def lines(nasty: bool):
    return st.lists(inline(nasty), min_size=1, max_size=5).map("".join)


@st.composite
def block(draw, nasty: bool) -> str:
    kind = draw(st.sampled_from(["paragraph", "paragraph", "heading", "list", "table", "code",
                                 "footnote", "html", "html", "quote", "attributes", "rule"]
                                + (["deep"] if nasty else [])))
    line = lines(nasty)
    if kind == "deep":  # nesting deeper than a layout can recurse
        depth = draw(st.integers(1, 400))
        return draw(st.sampled_from(["> " * depth + "深", "<div>" * depth + "深",
                                     "".join("    " * i + "- 项\n" for i in range(depth))]))
    if kind == "paragraph":
        return "\n".join(draw(st.lists(line, min_size=1, max_size=3)))
    if kind == "heading":
        return "#" * draw(st.integers(1, 7)) + " " + draw(line)
    if kind == "list":
        marker = draw(st.sampled_from(["- ", "* ", "1. ", "  - ", "10) "]))
        return "\n".join(marker + item for item in draw(st.lists(line, min_size=1, max_size=4)))
    if kind == "table":
        cells = draw(st.lists(st.lists(line.map(lambda t: t.replace("\n", " ")), min_size=1,
                                       max_size=3), min_size=1, max_size=3))
        rows = ["| " + " | ".join(row) + " |" for row in cells]
        return "\n".join(rows[:1] + ["|" + "---|" * len(cells[0])] + rows[1:])
    if kind == "code":
        body = draw(anything if nasty else st.one_of(han, latin, punctuation))
        fence = draw(st.sampled_from(["```", "~~~", "```python", "```{.x}"]))
        return f"{fence}\n{body}\n" + draw(st.sampled_from(["```", "~~~", ""]))
    if kind == "footnote":
        return f"[^{draw(label) if nasty else '1'}]: {draw(line)}"
    if kind == "html":
        fragments = ODD_HTML + (REFUSED_HTML if nasty else [])
        return "".join(draw(st.lists(st.sampled_from(fragments), min_size=1, max_size=3)))
    if kind == "quote":
        return "> " + draw(line)
    if kind == "attributes":
        value = draw(st.sampled_from(['.lead', '#x', 'lang="en"', 'onclick="x"', '.a .b #c',
                                      'style="color:red"', 'data-block="y"', '#1']))
        return draw(line) + "\n{: " + value + " }"
    return draw(st.sampled_from(["---", "***", "- - -"]))


@st.composite
def section(draw) -> bytes:
    """A section's bytes; one in four is nasty."""
    nasty = draw(nastiness)
    parts = []
    front = draw(st.sampled_from(["heading", "heading", "front"] + (["none"] if nasty else [])))
    if front == "heading":
        parts.append("# " + draw(han))
    elif front == "front":
        parts.append("---\ntitle: " + draw(anything if nasty else han) + "\n---")
    parts += draw(st.lists(block(nasty), min_size=1, max_size=6))
    parts.append("[^1]: 注。")  # what [^1] refers to (a second definition is harmless)
    return draw(encoded(without_nul("\n\n".join(parts) + "\n"), nasty))


@st.composite
def encoded(draw, text: str, nasty: bool) -> bytes:
    """*text* as UTF-8, or with a BOM and CRLF; when *nasty*, also GB18030 (not declared in
    book.toml) or with bytes that are not UTF-8 at all."""
    ways = ["utf-8", "utf-8", "bom-crlf"] + (["gb18030", "broken"] if nasty else [])
    how = draw(st.sampled_from(ways))
    if how == "bom-crlf":
        return b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8")
    if how == "gb18030":
        return text.encode("gb18030")
    data = text.encode("utf-8")
    if how == "broken":
        at = draw(st.integers(0, len(data)))
        bad = draw(st.sampled_from([b"\xff", b"\xe6\xb4", b"\xc0\xaf", b"\x80"]))
        data = data[:at] + bad + data[at:]
    return data


@st.composite
def markdown_project(draw) -> dict[str, bytes]:
    names = draw(st.lists(st.sampled_from(["01-a", "02-b", "第三章", "x.y", "04_d"]), min_size=1,
                          max_size=3, unique=True))
    files = {"book.toml": FAST_BOOK_TOML, "manuscript/photos/ok.png": png()}
    for name in names:
        files[f"manuscript/{name}.md"] = draw(section())
    return files


# --- TOML ------------------------------------------------------------------------------------------


def toml_string(value: str) -> str:
    escapes = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f",
               "\r": "\\r"}
    out = []
    for char in value:
        if char in escapes:
            out.append(escapes[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (datetime.date, datetime.time)):  # datetime is a date
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{toml_string(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def toml_tables(tables: dict[str, dict]) -> str:
    return "".join(f"[{toml_string(name)}]\n" + "".join(
        f"{toml_string(key)} = {toml_value(value)}\n" for key, value in table.items()) + "\n"
                   for name, table in tables.items())


text_values = st.one_of(han, latin, anything, st.sampled_from(
    ["", " ", "zh-Hans", "zh-Hant", "en", "xx-yy", "epub", "pdf", "16k", "custom", "a4",
     "vertical-rl", "curly", "gb18030", "photos/ok.png", "../../etc/passwd", "/etc/passwd",
     "http://127.0.0.1:9/x", "urn:isbn:9787000000000", "urn:uuid:x", "1em", "60%",
     "2021-09-26", "LS204", "01-a"]))
scalars = st.one_of(
    text_values, text_values, st.integers(-2**63, 2**63 - 1), st.integers(-5, 5000),
    st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.dates(),
    st.datetimes().map(lambda d: d.replace(microsecond=0)),
    st.times().map(lambda t: t.replace(microsecond=0)))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(latin, inner, max_size=2)), max_leaves=6)
margins = st.floats(5, 40)
# Valid values of each known option (config.OPTION_DOCS), for the clean examples.
PLAUSIBLE = {
    "book": {
        "title": han, "subtitle": han, "publisher": han, "description": han, "rights": han,
        "edition": han, "printing": han, "authors": st.lists(han, max_size=3),
        "subjects": st.lists(han, max_size=3),
        "language": st.sampled_from(["zh-Hans", "zh-Hant", "zh-TW", "zh-Hans-CN", "zh"]),
        "identifier": st.sampled_from(["urn:isbn:9787000000000",
                                       "urn:uuid:12345678-1234-5678-1234-567812345678"]),
        "date": st.dates(datetime.date(1900, 1, 1), datetime.date(2100, 12, 31)),
        "sections": st.sampled_from([["01-a"], ["02-b", "01-a"]]),
        "encoding": st.sampled_from(["utf-8", "gb18030", "GBK"]),
    },
    "output": {
        "formats": st.lists(st.sampled_from(["epub", "pdf", "archive"]), max_size=2),
        "basename": st.sampled_from(["book", "书", "a.b", "x_y-1"]),
    },
    "print": {
        "trim": st.sampled_from(["16k", "big16k", "32k", "big32k", "a4", "a5", "b5", "A4"]),
        "margin_top_mm": margins, "margin_bottom_mm": margins, "margin_inner_mm": margins,
        "margin_outer_mm": margins, "font_size_pt": st.floats(7, 14),
        "line_height": st.floats(1.2, 2.2), "bleed_mm": st.floats(0, 10),
        "crop_marks": st.booleans(), "press_condition": st.sampled_from(["FOGRA39", "中"]),
    },
    "epub": {
        "font_size": st.sampled_from(["1em", "100%", "12pt"]),
        "cover": st.sampled_from(["photos/ok.png", "photos/wide.png"]),
        "image_max_edge": st.integers(64, 5000),
        "writing_mode": st.sampled_from(["horizontal-tb", "vertical-rl"]),
        "embed_fonts": st.booleans(),
    },
    "typography": {
        "normalize_punctuation": st.booleans(),
        "quotes": st.sampled_from(["auto", "curly", "corner"]),
        "ignore": st.lists(st.sampled_from(["LS204", "LS101"]), max_size=2),
    },
}


@st.composite
def table(draw, name: str, nasty: bool) -> dict:
    """Some of the table's known keys with valid values; when *nasty*, also any TOML value
    (one in three) and unknown keys."""
    known = PLAUSIBLE.get(name, {})
    chosen = draw(st.lists(st.sampled_from(sorted(known)), max_size=4, unique=True)) \
        if known else []
    result = {key: draw(values if nasty and draw(nastiness) else known[key]) for key in chosen}
    if nasty and draw(st.booleans()):
        result[draw(latin)] = draw(values)
    return without_controls(result)


@st.composite
def book_toml(draw) -> dict[str, bytes]:
    nasty = draw(st.booleans())
    book = {"title": without_controls(draw(st.one_of(han, values) if nasty else han)),
            "language": draw(st.sampled_from(["zh-Hans", "zh-Hant", 1, "", "klingon"] if nasty
                                             else ["zh-Hans", "zh-Hant"]))}
    book.update(draw(table("book", nasty)))
    tables = {"book": book}
    names = [*PLAUSIBLE] + (["extra", "书"] if nasty else [])
    for name in draw(st.lists(st.sampled_from(names), max_size=3, unique=True)):
        tables.setdefault(name, {}).update(draw(table(name, nasty)))
    text = without_nul(toml_tables(tables))
    damage = draw(st.sampled_from(["none", "cut", "garbage", "duplicate"])) if nasty else "none"
    if damage == "cut":
        text = text[:draw(st.integers(0, len(text)))]
    elif damage == "garbage":
        text += draw(st.sampled_from(["[book\n", "x = \n", "= 1\n", "[[book]]\n", "a = [1,\n",
                                      '"unterminated\n', "x = 1\nx = 2\n"]))
    elif damage == "duplicate":
        text += "[book]\n"
    return {"book.toml": draw(encoded(text, nasty)), **PHOTO_FILES,
            "manuscript/01-a.md": "# 标题\n\n正文。\n".encode(),
            "manuscript/02-b.md": "# 第二\n\n正文。\n".encode()}


# --- captions.toml ---------------------------------------------------------------------------

PHOTO_FILES = {
    "manuscript/photos/ok.png": png(),
    "manuscript/photos/ok.jpg": png(fmt="JPEG"),
    "manuscript/photos/中文 名.png": png(),
    "manuscript/photos/grey.png": png(mode="L"),
    "manuscript/photos/cmyk.jpg": png(mode="CMYK", fmt="JPEG"),
    "manuscript/photos/anim.gif": png(fmt="GIF"),
    "manuscript/photos/wide.png": png(size=(400, 10)),
    "manuscript/photos/not-an-image.png": b"\x89PNG but not really",
    "manuscript/photos/empty.jpg": b"",
    "manuscript/photos/folder.png/inside.txt": b"a folder with an image's name",
}
GOOD_REFERENCES = ["photos/ok.png", "photos/ok.jpg", "photos/中文 名.png", "photos/grey.png",
                   "photos/wide.png", "photos/cmyk.jpg", "./photos/ok.png",
                   "photos/../photos/ok.png", "photos/%E4%B8%AD%E6%96%87%20%E5%90%8D.png",
                   "data:image/png;base64," + base64.b64encode(png()).decode()]
ODD_REFERENCES = [
    "photos/anim.gif", "photos/not-an-image.png", "photos/empty.jpg", "photos/folder.png",
    "photos/missing.png", "", " ", ".", "..", "/", "photos/", "../book.toml", "../../etc/passwd",
    "/etc/passwd", "file:///etc/passwd", "http://127.0.0.1:9/x.png", "photos\\ok.png", "~/x.png",
    "photos/ok.png?x=1", "photos/ok.png#frag", "PHOTOS/OK.PNG", "data:image/png;base64,AAAA",
    "data:,", "data:image/svg+xml,%3Csvg/%3E", "photos/ok.png\n", "photos/ok.png ",
]
PHOTO_KEYS = ["file", "caption", "credit", "alt", "section", "width", "full_bleed"]
PLAUSIBLE_PHOTO = {
    "caption": han, "credit": han, "alt": han, "section": st.sampled_from(["01-a", "02-b"]),
    "width": st.sampled_from(["60%", "80mm", "0.5mm", "100%", "400mm", " 25 % "]),
    "full_bleed": st.booleans(),
}
ODD_WIDTHS = ["0%", "-5mm", "1e9%", "abc", "100 %", "nowhere"]


@st.composite
def photo_entry(draw, nasty: bool) -> dict:
    """A [[photo]] entry; when *nasty*, with odd references, any values, unknown keys."""
    references = GOOD_REFERENCES + (ODD_REFERENCES if nasty else [])
    entry = {"file": draw(st.sampled_from(references)), "caption": draw(han)}
    for key in draw(st.lists(st.sampled_from(PHOTO_KEYS[2:]), max_size=4, unique=True)):
        entry[key] = draw(PLAUSIBLE_PHOTO[key])
    if nasty:
        for key in draw(st.lists(st.sampled_from(PHOTO_KEYS), max_size=3, unique=True)):
            entry[key] = draw(st.one_of(values, st.sampled_from(ODD_WIDTHS)))
        if draw(st.booleans()):
            del entry[draw(st.sampled_from(sorted(entry)))]
        if draw(st.booleans()):
            entry[draw(latin)] = draw(values)
    return {key: (without_nul(value) if isinstance(value, str) else value)
            for key, value in entry.items()}


@st.composite
def captions_project(draw) -> dict[str, bytes]:
    nasty = draw(st.booleans())
    entries = draw(st.lists(photo_entry(nasty), min_size=1, max_size=3))
    text = "".join("[[photo]]\n" + "".join(f"{toml_string(k)} = {toml_value(v)}\n"
                                           for k, v in entry.items()) + "\n" for entry in entries)
    if nasty and draw(st.integers(0, 3)) == 0:
        text += draw(st.sampled_from(["[photo]\n", "[[photo]\nfile=1\n", "x = 1\n",
                                      "photo = 3\n"]))
    return {"book.toml": FAST_BOOK_TOML, **PHOTO_FILES,
            "manuscript/01-a.md": "# 甲\n\n正文。\n".encode(),
            "manuscript/02-b.md": "# 乙\n\n正文。\n".encode(),
            "manuscript/captions.toml": draw(encoded(without_nul(text), nasty))}
