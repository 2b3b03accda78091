"""Read a Word manuscript: its structure through mammoth (headings, paragraphs, lists, tables,
footnotes, pictures, bold, italic, superscript → HTML), what mammoth does not map through
python-docx (the emphasis mark 着重号 ``w:em``, the core properties).

mammoth maps a run by its character style, and an emphasis mark is direct formatting it does
not read; so python-docx first gives every run with an emphasis mark a character style of
luoshu's own, which the style map turns into ``<em>`` (luoshu sets ``<em>`` with emphasis
dots). Italic becomes ``<i>`` (Han text has no italics: the theme sets it upright), bold
``<strong>``. Word and WPS name their built-in styles in English inside the file ("heading 1",
"Caption") whatever the interface language; WPS also writes Chinese names ("标题 1", "题注")
and its own numeric style ids, so the style map matches names in both languages.
"""

from __future__ import annotations

import datetime as _dt
import io
import re
from dataclasses import dataclass
from pathlib import Path

import docx
import mammoth
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml.ns import qn

from ..errors import Problem, ProjectError

EMPHASIS_STYLE = "Luoshu Emphasis Mark"
IMAGE_SOURCE = "luoshu-image:"  # the src of the n-th picture in mammoth's HTML
_HEADINGS = {1: ("Heading 1", "heading 1", "标题 1", "标题1"),
             2: ("Heading 2", "heading 2", "标题 2", "标题2"),
             3: ("Heading 3", "heading 3", "标题 3", "标题3"),
             4: ("Heading 4", "heading 4", "标题 4", "标题4"),
             5: ("Heading 5", "heading 5", "标题 5", "标题5"),
             6: ("Heading 6", "heading 6", "标题 6", "标题6")}
_OTHER_STYLES = """
p[style-name='Title'] => p.doc-title:fresh
p[style-name='标题'] => p.doc-title:fresh
p[style-name='Subtitle'] => p.doc-subtitle:fresh
p[style-name='副标题'] => p.doc-subtitle:fresh
p[style-name='Caption'] => p.caption:fresh
p[style-name='caption'] => p.caption:fresh
p[style-name='题注'] => p.caption:fresh
i => i
r[style-name='Luoshu Emphasis Mark'] => em
"""
# Core-property authors that name a machine or a program, not a person.
_NOT_AUTHORS = {"python-docx", "administrator", "admin", "user", "microsoft office user",
                "microsoft office 用户", "wps", "windows 用户", "用户", "author", "unknown"}


@dataclass(frozen=True)
class WordImage:
    number: int  # 1-based, in reading order: the n of "luoshu-image:n"
    content_type: str  # e.g. image/jpeg
    data: bytes
    alt: str | None  # the picture's description in Word (替代文字), if any


@dataclass(frozen=True)
class WordDocument:
    title: str | None
    authors: tuple[str, ...]
    date: _dt.date | None
    html: str  # mammoth's HTML: h1 opens a section
    images: tuple[WordImage, ...]
    emphasis_marks: int  # runs with 着重号
    # What the document holds that the import leaves out or takes as it stands, for the editor.
    notices: tuple[str, ...] = ()


def read_word(source: Path, split_style: str | None = None) -> WordDocument:
    """The document at *source* (already checked by luoshu.importer.safety)."""
    document = docx.Document(str(source))
    style_map = _style_map(document, split_style, source)
    marked = _mark_emphasis(document)
    buffer = io.BytesIO()
    document.save(buffer)
    buffer.seek(0)
    images: list[WordImage] = []

    def picture(image) -> dict[str, str]:
        with image.open() as stream:
            images.append(WordImage(len(images) + 1, image.content_type or "", stream.read(),
                                    (image.alt_text or "").strip() or None))
        return {"src": f"{IMAGE_SOURCE}{len(images)}"}

    result = mammoth.convert_to_html(buffer, style_map=style_map,
                                     convert_image=mammoth.images.img_element(picture),
                                     include_embedded_style_map=False)
    properties = document.core_properties
    authors = tuple(a for a in (s.strip() for s in re.split(r"[;；,，、]", properties.author or ""))
                    if a and a.lower() not in _NOT_AUTHORS)
    created = properties.created
    return WordDocument((properties.title or "").strip() or None, authors,
                        created.date() if created and created.year > 1980 else None,
                        result.value, tuple(images), marked, _notices(document))


# Word content mammoth does not carry, or carries as it stands: what to tell the editor.
_NOTICES = (
    ("m:oMath", "formula(s) (公式), which the import leaves out: set them as text or pictures"),
    ("w:del", "tracked deletion(s) (修订), left out; the tracked insertions are taken as "
              "they stand: accept or reject the changes in Word or WPS first"),
    ("w:commentRangeStart", "comment(s) (批注), which the import leaves out"),
)


def _notices(document) -> tuple[str, ...]:
    body = document.element.body
    found = []
    for tag, what in _NOTICES:
        count = sum(1 for _ in body.iter(qn(tag)))
        if count:
            found.append(f"the document has {count} {what}")
    return tuple(found)


def _style_map(document, split_style: str | None, source: Path) -> str:
    """Headings by level; with *split_style*, that style opens sections and the headings move
    one level down."""
    lines = []
    if split_style:
        names = {s.name for s in document.styles if s.type == WD_STYLE_TYPE.PARAGRAPH}
        if "'" in split_style or split_style not in names:
            known = "、".join(sorted(n for n in names if n))
            raise ProjectError([Problem(f"no paragraph style named {split_style!r} in the "
                                        f"document; its styles are: {known}", source.name,
                                        code="import-style")])
        lines.append(f"p[style-name='{split_style}'] => h1:fresh")
    shift = 1 if split_style else 0
    for level, names in _HEADINGS.items():
        for name in names:
            lines.append(f"p[style-name='{name}'] => h{min(level + shift, 6)}:fresh")
    return "\n".join(lines) + _OTHER_STYLES


def _mark_emphasis(document) -> int:
    """Give every run with an emphasis mark (directly, or through its character style) the
    character style EMPHASIS_STYLE; return how many there are."""
    emphasised_styles = {s.style_id for s in document.styles
                         if s.type == WD_STYLE_TYPE.CHARACTER and _has_mark(s.element.rPr)}
    runs = []
    for run in document.element.body.iter(qn("w:r")):
        properties = run.rPr
        style = properties.style if properties is not None else None
        if _has_mark(properties) or style in emphasised_styles:
            runs.append(run)
    if runs:
        style = document.styles.add_style(EMPHASIS_STYLE, WD_STYLE_TYPE.CHARACTER)
        for run in runs:
            run.get_or_add_rPr().style = style.style_id
    return len(runs)


def _has_mark(properties) -> bool:
    if properties is None:
        return False
    mark = properties.find(qn("w:em"))
    return mark is not None and mark.get(qn("w:val"), "dot") != "none"
