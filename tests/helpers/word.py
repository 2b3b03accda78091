"""Word manuscripts for the ``luoshu import`` tests, made with python-docx: one with every
feature the importer maps, a WPS-style one, and the bad files it must refuse.

python-docx writes no footnotes and no emphasis marks through its API, so those are added as
the XML Word writes (through python-docx's element and package objects); the WPS traits (its
Chinese style names, numeric style ids, its namespace and custom properties) are written the
way WPS Office writes them.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from PIL import Image

FOOTNOTES_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"


def jpeg(size=(600, 400), colour=(180, 60, 40)) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    buffer.seek(0)
    return buffer


def emphasis_mark(run) -> None:
    """着重号: <w:em w:val="dot"/> in the run's properties."""
    mark = OxmlElement("w:em")
    mark.set(qn("w:val"), "dot")
    run._r.get_or_add_rPr().append(mark)


def add_footnotes(document, notes: list[str]) -> None:
    """A footnotes part with *notes* (ids 1…), as Word writes it."""
    body = "".join(
        f'<w:footnote w:id="{n}"><w:p><w:pPr><w:pStyle w:val="FootnoteText"/></w:pPr>'
        f'<w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:footnoteRef/></w:r>'
        f'<w:r><w:t xml:space="preserve"> {text}</w:t></w:r></w:p></w:footnote>'
        for n, text in enumerate(notes, start=1))
    xml = (f'<w:footnotes {nsdecls("w")}><w:footnote w:type="separator" w:id="-1"><w:p><w:r>'
           f'<w:separator/></w:r></w:p></w:footnote><w:footnote w:type="continuationSeparator" '
           f'w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p></w:footnote>{body}'
           "</w:footnotes>")
    part = Part(PackURI("/word/footnotes.xml"), FOOTNOTES_TYPE, xml.encode("utf-8"),
                document.part.package)
    document.part.relate_to(part, RELATIONSHIP_TYPE.FOOTNOTES)


def footnote_reference(paragraph, number: int) -> None:
    run = paragraph.add_run()
    run._r.append(parse_xml(f'<w:rPr {nsdecls("w")}><w:vertAlign w:val="superscript"/></w:rPr>'))
    run._r.append(parse_xml(f'<w:footnoteReference {nsdecls("w")} w:id="{number}"/>'))


def full_manuscript(path: Path) -> Path:
    """Every feature: properties, a lead paragraph, Heading 1 sections, bold, italic, 着重号,
    superscript, a web link, lists, a table, footnotes, a picture with a 题注 caption and one
    whose caption is the short line after it."""
    document = docx.Document()
    properties = document.core_properties
    properties.title, properties.author = "洛水春深", "王晓明；陈静"
    properties.created = dt.datetime(2026, 11, 20, 9, 30)
    document.add_paragraph("金秋时节，河洛大地洋溢着丰收的喜悦。")
    document.add_heading("春风吹拂洛河两岸", level=1)
    paragraph = document.add_paragraph("洛河两岸")
    paragraph.add_run("柳色新").bold = True
    paragraph.add_run("，")
    emphasis_mark(paragraph.add_run("水清了"))
    paragraph.add_run("，学名")
    paragraph.add_run("Salix babylonica").italic = True
    paragraph.add_run("，面积3 km")
    paragraph.add_run("2").font.superscript = True
    paragraph.add_run("。")
    footnote_reference(paragraph, 1)
    document.add_heading("滨河步道", level=2)
    document.add_paragraph("清晨散步", style="List Bullet")
    document.add_paragraph("傍晚下棋", style="List Bullet")
    document.add_paragraph("第一步", style="List Number")
    document.add_paragraph("第二步", style="List Number")
    table = document.add_table(rows=3, cols=2)
    for row, cells in enumerate((("街区", "户数"), ("老城", "1,200"), ("新区", "860"))):
        for column, text in enumerate(cells):
            table.cell(row, column).text = text
    document.add_picture(jpeg())
    document.add_paragraph("洛河湿地公园", style="Caption")
    document.add_heading("城市更新与文化传承", level=1)
    paragraph = document.add_paragraph("老城的街巷里，历史与当下相遇*注意*[方括号]。")
    footnote_reference(paragraph, 2)
    document.add_picture(jpeg(colour=(40, 90, 160)))
    document.add_paragraph("老城街巷一角")
    document.add_paragraph("改造完成后，街坊们在巷口摆上桌椅，下棋、聊天、看孩子们追逐嬉戏。")
    add_footnotes(document, ["据洛阳市林业局2026年统计。", "方括号是原文所有。"])
    document.save(path)
    return path


def wps_manuscript(path: Path) -> Path:
    """A manuscript as WPS Office writes it: Chinese style names (标题 1, 题注) with numeric
    style ids, an emphasis mark, WPS's namespace on the document and its custom properties."""
    document = docx.Document()
    document.core_properties.title = "城乡融合"
    document.core_properties.author = "Administrator"  # WPS's default: no person
    heading = document.styles["Heading 1"]
    heading.name, heading.style_id = "标题 1", "2"
    caption = document.styles.add_style("题注", WD_STYLE_TYPE.PARAGRAPH)
    caption.style_id = "15"
    document.add_paragraph("城乡融合共塑品质生活", style=heading)
    paragraph = document.add_paragraph("推进以人为核心的")
    emphasis_mark(paragraph.add_run("新型城镇化"))
    paragraph.add_run("。")
    document.add_picture(jpeg())
    document.add_paragraph("地铁2号线车辆试运行", style=caption)
    document.add_paragraph("乡村振兴全面推进", style=heading)
    document.add_paragraph("以加强党的领导为保障。")
    buffer = io.BytesIO()
    document.save(buffer)
    return _as_wps(buffer.getvalue(), path)


def _as_wps(data: bytes, path: Path) -> Path:
    """WPS's marks: its namespace on the document, custom properties naming its build."""
    source = zipfile.ZipFile(io.BytesIO(data))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "word/document.xml":
                content = content.replace(
                    b"<w:document ", b'<w:document xmlns:wpsCustomData="http://www.wps.cn/'
                    b'officeDocument/2013/wpsCustomData" ', 1)
            if item.filename == "[Content_Types].xml":
                content = content.replace(b"</Types>", b'<Override PartName="/docProps/custom'
                                          b'.xml" ContentType="application/vnd.openxmlformats-'
                                          b'officedocument.custom-properties+xml"/></Types>')
            target.writestr(item, content)
        target.writestr("docProps/custom.xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Properties xmlns="http://'
            'schemas.openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="http://'
            'schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"><property fmtid="'
            '{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="KSOProductBuildVer"><vt:lpwstr>'
            "2052-12.1.0.16729</vt:lpwstr></property></Properties>"))
    return path


def zip_bomb(path: Path) -> Path:
    """A .docx whose one part unpacks to 64 MB of zeros."""
    document = docx.Document()
    document.add_paragraph("正文")
    buffer = io.BytesIO()
    document.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, source.read(item))
        target.writestr("word/media/padding.bin", b"\0" * (64 * 1024 * 1024))
    return path


def with_part(path: Path, name: str, content: bytes, relationship: str | None = None,
              external_target: str | None = None) -> Path:
    """A small .docx plus a part *name* (an embedded object) or an external relationship."""
    document = docx.Document()
    document.add_paragraph("正文")
    if external_target:
        document.part.relate_to(external_target, relationship, is_external=True)
    elif relationship:
        part = Part(PackURI(name), "application/vnd.openxmlformats-officedocument.oleObject",
                    content, document.part.package)
        document.part.relate_to(part, relationship)
    document.save(path)
    return path


def encrypted(path: Path) -> Path:
    """A password-protected .docx, encrypted as Word does (ECMA-376 agile, msoffcrypto)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    document = docx.Document()
    document.add_paragraph("机密")
    plain = io.BytesIO()
    document.save(plain)
    plain.seek(0)
    with path.open("wb") as out:
        OOXMLFile(plain).encrypt("密码", out)
    return path


def word_97(path: Path) -> Path:
    """An OLE2 compound file with a WordDocument stream, as Word 97–2003 writes a .doc (made
    from an encrypted container whose stream is renamed: same structure, another name)."""
    encrypted(path)
    data = path.read_bytes()
    old, new = "EncryptedPackage".encode("utf-16-le"), "WordDocumentData".encode("utf-16-le")
    path.write_bytes(data.replace(old, new))
    return path
