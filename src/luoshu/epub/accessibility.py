"""EPUB Accessibility 1.1 metadata, stated from what the book actually contains.

Each property is derived, not asserted: "alternativeText" only when every photo has alt text,
"printPageNumbers" only when the EPUB carries the print edition's page list, and so on. The
summary is written in the book's own script, for the readers who will hear it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Book, script_of

CONFORMS_TO = "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"


@dataclass(frozen=True)
class Features:
    """What the EPUB writer put in the book, as far as accessibility is concerned."""

    images: int  # photos and the cover
    images_without_alt: int
    page_list: bool  # a page-list of the print edition


def metadata(book: Book, features: Features) -> list[tuple[str, str]]:
    """(property, value) pairs for OPF ``<meta property=…>`` elements, in a stable order."""
    all_alt = features.images_without_alt == 0
    pairs = [("schema:accessMode", "textual")]
    if features.images:
        pairs.append(("schema:accessMode", "visual"))
        pairs.append(("schema:accessModeSufficient", "textual,visual"))
        if all_alt:
            pairs.append(("schema:accessModeSufficient", "textual"))
    else:
        pairs.append(("schema:accessModeSufficient", "textual"))
    # The templates mark chapters, the TOC and page breaks with DPUB-ARIA roles ("ARIA").
    feature_list = ["structuralNavigation", "tableOfContents", "readingOrder",
                    "displayTransformability", "ARIA"]
    if features.images and all_alt:
        feature_list.append("alternativeText")
    if features.page_list:
        feature_list += ["printPageNumbers", "pageNavigation"]
    pairs += [("schema:accessibilityFeature", name) for name in dict.fromkeys(feature_list)]
    pairs.append(("schema:accessibilityHazard", "none"))
    pairs.append(("schema:accessibilitySummary", summary(book, features)))
    if all_alt:
        pairs.append(("dcterms:conformsTo", CONFORMS_TO))
        pairs.append(("a11y:certifiedBy", book.meta.publisher or "luoshu"))
    return pairs


def summary(book: Book, features: Features) -> str:
    """A short accessibility summary in the book's script."""
    hant = script_of(book.meta.language) == "Hant"
    parts = ["本書" if hant else "本书"]
    parts.append("提供目錄與語義結構導覽" if hant else "提供目录与语义结构导览")
    if features.images:
        if features.images_without_alt == 0:
            parts.append("所有圖片均附文字說明" if hant else "所有图片均附文字说明")
        else:
            parts.append(f"有{features.images_without_alt}張圖片缺少文字說明" if hant
                         else f"有{features.images_without_alt}张图片缺少文字说明")
    if features.page_list:
        parts.append("並標註印刷版頁碼" if hant else "并标注印刷版页码")
    parts.append("文字可由閱讀器調整字型與大小，無閃爍、聲音或動態危害" if hant
                 else "文字可由阅读器调整字体与大小，无闪烁、声音或动态危害")
    return parts[0] + "，".join(parts[1:]) + "。"
