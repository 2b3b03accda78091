"""Line-break prohibition (禁则) classes of Chinese punctuation, after clreq and GB/T 15834.

Pure data, shared by the print layout extension (luoshu.cjk_layout, which loads WeasyPrint)
and the cover's line setter (luoshu.cover_lines, which must not): one definition, so the
cover and the pages agree on what may start or end a line.
"""

from __future__ import annotations

OPENING = frozenset("（〔［｛〈《「『【〖〘〚“‘")
CLOSING = frozenset("）〕］｝〉》」』】〗〙〛”’")
PAUSE_OR_STOP = frozenset("，。、；：？！")
NOT_AT_LINE_START = CLOSING | PAUSE_OR_STOP | frozenset(
    "…‥・·ー々〻ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮ%‰℃")
NOT_AT_LINE_END = OPENING
INSEPARABLE = frozenset("—…")  # ——, …… are one mark drawn as two glyphs
