"""Character classes of Chinese text, defined once for every module that needs them.

Pure data: the Han characters (for punctuation normalisation and Han–Latin spacing) and the
line-break prohibition (禁则) classes of punctuation after clreq and GB/T 15834 (for the print
layout extension, which loads WeasyPrint, and the cover's line setter, which must not).
"""

from __future__ import annotations

# Han characters, as a regular-expression class body: CJK ideographs (with Extension A and
# B–H, compatibility ideographs), 〇 and 々. Not punctuation, not kana.
HAN = "\u3005\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"

# East Asian wide characters, as (first, last) code point ranges: CJK radicals, symbols and
# punctuation, kana, Bopomofo, Hangul jamo, ideographs (with extensions and compatibility
# forms), vertical and full-width forms — what is set on the CJK grid, one em each.
WIDE_RANGES = ((0x2E80, 0x9FFF), (0xF900, 0xFAFF), (0xFE30, 0xFE4F), (0xFF00, 0xFFEF),
               (0x20000, 0x3134F))
WIDE = "".join(f"{chr(first)}-{chr(last)}" for first, last in WIDE_RANGES)  # a class body

# Line-break prohibition classes.
OPENING = frozenset("（〔［｛〈《「『【〖〘〚“‘")
CLOSING = frozenset("）〕］｝〉》」』】〗〙〛”’")
PAUSE_OR_STOP = frozenset("，。、；：？！")
NOT_AT_LINE_START = CLOSING | PAUSE_OR_STOP | frozenset(
    "…‥・·ー々〻ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮ%‰℃")
NOT_AT_LINE_END = OPENING
INSEPARABLE = frozenset("—…")  # ——, …… are one mark drawn as two glyphs
