"""The words luoshu itself sets in a book and its preview, by Han script: one table.

Generated pages (the print book's contents and copyright page, the EPUB's navigation and title
page, the preview's chrome) say these in the book's own script. Keys are shared by every
output: a word an output needs is added here, once per script.
"""

from __future__ import annotations

from types import MappingProxyType

from ..model import script_of

_HANS = {
    # print: contents, gallery, copyright page (luoshu.layout.colophon)
    "contents": "目录", "gallery": "图片", "title": "书名", "authors": "作者",
    "publisher": "出版者", "date": "出版日期", "identifier": "标识符", "isbn": "书号",
    "trim": "开本", "characters": "字数", "edition": "版次", "printing": "印次",
    "thousand_characters": "千字", "characters_unit": "字",
    "sheets": "印张", "editor": "责任编辑", "cover_designer": "封面设计",
    "proofreader": "责任校对", "distributor": "出版发行", "printer": "印刷", "print_run": "印数",
    "price": "定价", "cip": "图书在版编目（CIP）数据", "kai": "开",
    # EPUB: navigation and title page (luoshu.epub.documents)
    "toc": "目录", "landmarks": "导览", "titlepage": "扉页", "bodymatter": "正文",
    "author_separator": "、", "cover": "封面", "page_list": "印刷版页码",
    # the preview (luoshu.serve.pages)
    "preview": "预览", "previous": "上一节", "next": "下一节", "print": "印刷版页面",
    "page": "第 {n} 页", "page_count": "共 {n} 页", "typesetting": "正在排版印刷版页面……",
    "building": "正在生成预览……",
}
_HANT = {
    "contents": "目錄", "gallery": "圖片", "title": "書名", "authors": "作者",
    "publisher": "出版者", "date": "出版日期", "identifier": "識別碼", "isbn": "書號",
    "trim": "開本", "characters": "字數", "edition": "版次", "printing": "印次",
    "thousand_characters": "千字", "characters_unit": "字",
    "sheets": "印張", "editor": "責任編輯", "cover_designer": "封面設計",
    "proofreader": "責任校對", "distributor": "出版發行", "printer": "印刷", "print_run": "印數",
    "price": "定價", "cip": "圖書在版編目（CIP）資料", "kai": "開",
    "toc": "目錄", "landmarks": "導覽", "titlepage": "扉頁", "bodymatter": "正文",
    "author_separator": "、", "cover": "封面", "page_list": "印刷版頁碼",
    "preview": "預覽", "previous": "上一節", "next": "下一節", "print": "印刷版頁面",
    "page": "第 {n} 頁", "page_count": "共 {n} 頁", "typesetting": "正在排版印刷版頁面……",
    "building": "正在生成預覽……",
}
LABELS = MappingProxyType({"Hans": MappingProxyType(_HANS), "Hant": MappingProxyType(_HANT)})


def labels(language: str):
    """The labels for a book in *language* (a BCP 47 tag): Traditional or Simplified."""
    return LABELS[script_of(language)]
