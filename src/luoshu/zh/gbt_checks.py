"""The checks of GB/T 15834-2011 (标点符号用法) and GB/T 15835-2011 (出版物上数字用法) that a
rule cannot fix alone: ``luoshu.zh.typocheck`` runs them and reports their findings.

======  ============================================================================================
LS211   a range joined by the wrong mark: ``25-30岁``, ``25~30``, ``1881–1936``, ``1881——1936``,
        ``1～3月`` → ``25～30岁`` / ``1881—1936`` / ``1—3月`` (15834 5.13.3.2; 15835 5.1.3)
LS212   a range that drops a ``%``, ``万`` or ``亿`` it needs: ``15～30%`` → ``15%～30%``
        (15835 5.1.3)
LS213   a 间隔号 written with another mark: ``卡尔•马克思``, ``列夫・托尔斯泰``, ``马克.吐温``
        → ``·`` (15834 5.14.3.1)
LS214   Arabic and Chinese numerals in one number: ``4千``, ``3百万``, ``一百08`` (15835 5.3)
LS215   one kind of number written in both forms in one text: ``三百人`` and ``300人``,
        ``二〇〇八年八月`` and ``2008年8月`` (15835 4.3, 同类别同形式)
LS216   a fixed expression written with Arabic digits: ``第1书记``, ``13五``, ``19届4中全会``,
        ``1带1路`` (15835 4.2.3)
LS217   thousands separators: groups not of three (``1,2345``), a full-width comma inside a
        number (``1，000人``), a separator in a year (``2,021年``), both ``,`` and spaces in
        one text (15835 5.1.1.1)
LS218   quotes nested in the wrong order: ``‘…“…”…’`` / ``『…「…」…』`` (15834 5.8.3.4)
======  ============================================================================================

Every check reads prose only: code, URLs and Markdown syntax are masked as for normalization
(``luoshu.zh.textmask``), but numbers such as ``1,000`` are read (the mask protects them from
normalization, not from checking). Each finding is (index in the text, code, message). Pure
functions, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .chars import HAN
from .textmask import FREE, blocks, protect

Found = list[tuple[int, str, str]]

# Measure words and units after which a number counts something: what "one kind of number"
# means for LS215, and what marks "25-30" as a range rather than a code for LS211.
MEASURES = "人名个位家项件次条元岁天户辆所座套台种类场篇本页章节期间株棵头只吨克米倍"
UNITS = MEASURES + "年月日时分秒周万亿%％℃‰"
CN_DIGITS = "〇零一二三四五六七八九"
CN_NUMERALS = CN_DIGITS + "十百千万亿两"
# Characters of transliterated foreign names (the common ones of Xinhua's transliteration
# tables): a "." between two runs of them is taken for a 间隔号 typed on a Latin keyboard.
TRANSLITERATION = frozenset(
    "阿埃艾爱安昂奥巴拜班邦保鲍贝本比彼毕宾波伯博布查达戴丹道德登迪蒂丁东杜多厄恩尔法凡范菲费芬"
    "丰弗福富盖甘冈高戈哥格贡古瓜哈海汉豪赫亨胡华怀惠霍基吉加贾杰捷金卡凯坎康柯科克肯库奎拉莱赖"
    "兰朗劳勒雷蕾里利莉丽连林琳隆卢鲁路伦罗洛吕马玛迈麦曼芒梅门蒙米敏明缪莫默姆穆纳娜奈南内尼妮"
    "涅宁纽努诺欧帕潘佩彭皮普奇齐恰乔切钦琼丘萨塞桑瑟森沙尚舍施史斯苏索塔泰坦汤唐特提汀通图托瓦"
    "万旺威韦维温沃乌武西希锡夏谢辛休雅亚扬耶伊因英尤约泽扎詹兹佐廷顿茨琴娃娅丝吐温蒂黛瑞克")

_RANGE = re.compile(r"(?<![\d.,\-–~〜～—])(\d+(?:\.\d+)?)([ \t]*)(-|－|–|~|〜|～|——)([ \t]*)"
                    r"(\d+(?:\.\d+)?)(?![\d\-–~〜～])")
# 10月1日-7日, 2月~5月: a time with its unit on both ends.
_TIME_RANGE = re.compile(r"(?<![\d.])(\d{1,4}([年月日]))(-|－|–|~|〜|～|——)(\d{1,4}\2)")
_UNIT_AFTER = re.compile(f"[ \t]*[{UNITS}]")
_LABEL_BEFORE = re.compile(r"(?:表|图|式|例|第|No\.?|[A-Za-z])[ \t]*$")
_SHORT_RANGE = re.compile(r"(?<![\d.,])(\d+(?:\.\d+)?)(～|—)(\d+(?:\.\d+)?)(%|％|‰|万|亿)")
_WRONG_INTERPUNCT = re.compile(f"(?<=[{HAN}])[•・‧∙⋅．](?=[{HAN}])")
_DOT_IN_NAME = re.compile(f"(?<=[{HAN}])\\.(?=[{HAN}])")
_MIXED_NUMBER = re.compile(r"(?<![\d.])\d+(?:\.\d+)?[十百千](?![米克瓦卡伏赫帕焦字兆])"
                           r"|[一二三四五六七八九十百千]*[十百千][0-9]+")
_CN_DATE = re.compile(f"[{CN_DIGITS}]{{2,4}}年[一二三四五六七八九十]{{1,3}}月")
_AR_DATE = re.compile(r"(?<![\d.])\d{2,4}年\d{1,2}月")
_HALF_DATE = re.compile(f"[{CN_DIGITS}]{{2,4}}年\\d{{1,2}}月|(?<![\\d.])\\d{{2,4}}年"
                        f"[一二三四五六七八九十]{{1,3}}月")
_CN_QUANTITY = re.compile(f"(?<![第{CN_NUMERALS}几数])((?:[一二三四五六七八九两][十百千]|十)"
                          f"[{CN_NUMERALS}]*)[多余]?([{MEASURES}])")
_AR_QUANTITY = re.compile(f"(?<![\\d.,第])(\\d+(?:\\.\\d+)?)[多余]?[万亿]?([{MEASURES}])")
_FIXED_DIGITS = re.compile(
    r"(?<![\d])\d{1,2}五(?=[”」’』\"]|规划|计划|时期|期间)"  # 十三五 → 13五
    r"|第1(?:书记|时间|线|把手|责任人|生产力)"
    r"|(?<![\d])\d{1,2}届(?:\d{1,2}中全会|全国人大|全国政协)"
    r"|(?<![\d])\d{1,2}中全会")
FIXED_EXPRESSIONS = ("一带一路", "一国两制", "五位一体", "四个全面", "四个意识", "四个自信",
                     "两个维护", "两个确立", "五四运动", "九三学社", "四书五经", "八国联军",
                     "七上八下", "一心一意", "三心二意", "万众一心", "一五一十", "三令五申")
_DIGIT_OF = {"一": "1", "二": "2", "两": "2", "三": "3", "四": "4", "五": "5", "六": "6",
             "七": "7", "八": "8", "九": "9"}
_FIXED_VARIANTS = re.compile("|".join(
    "".join(f"[{c}{_DIGIT_OF[c]}]" if c in _DIGIT_OF else re.escape(c) for c in phrase)
    for phrase in FIXED_EXPRESSIONS))
_GROUPED = re.compile(r"(?<![\d.,])\d+(?:,\d+)+(?![\d])")
_FULL_WIDTH_GROUPED = re.compile(f"(?<![\\d，])\\d{{1,3}}(?:，\\d{{3}})+(?=[{UNITS}{HAN}])")
_SPACE_GROUPED = re.compile(r"(?<![\d.])\d{1,3}(?:[ \u2009\u202f]\d{3})+(?![\d])")
_DOUBLE, _SINGLE = "“「", "‘『"
_SEPARATOR = re.compile(r"(?<=\d)[.,:](?=\d)")
_CLOSERS = {"”": "“", "’": "‘", "」": "「", "』": "『"}


def prose_mask(text: str, markdown: bool) -> bytes:
    """Per character, FREE where a check may read: prose and numbers, not code, URLs or
    Markdown syntax. (textmask protects numbers such as ``1,000`` from normalization; here
    they are read, so they are hidden from the mask as plain digits.)"""
    return protect(_SEPARATOR.sub("0", text), markdown).flags


def check_input(text: str, flags: bytes, found: Found) -> None:
    """The checks that read the manuscript as written (LS211–LS217)."""
    def prose(start: int, end: int) -> bool:
        return not any(flags[start:end])

    _ranges(text, prose, found)
    _interpuncts(text, prose, found)
    _numbers(text, prose, found)
    _thousands(text, prose, found)


def check_output(text: str, markdown: bool, found: Found) -> None:
    """The checks that read the text as normalized, with its quotes made Chinese (LS218)."""
    flags = protect(text, markdown).flags
    for start, end in blocks(text, protect(text, markdown), markdown):
        stack: list[str] = []
        for index in range(start, end):
            char = text[index]
            if flags[index] != FREE:
                continue
            if char in _DOUBLE or char in _SINGLE:
                inner = len(stack) % 2 == 1
                if (char in _SINGLE) != inner and (stack or _chinese_near(text, index)):
                    right = ("‘’" if char in "“‘" else "『』") if inner else (
                        "“”" if char in "“‘" else "「」")
                    where = "inside a quotation" if inner else "outside any quotation"
                    found.append((index, "LS218", f"{char!r} opens a quotation {where}: quotes "
                                  f"alternate, double outside and single inside; write "
                                  f"{right[0]!r}…{right[1]!r} here"))
                stack.append(char)
            elif char in _CLOSERS and stack and not _apostrophe(text, index):
                stack.pop()


# --- LS211, LS212: ranges ---------------------------------------------------------------------


def _ranges(text: str, prose: Callable[[int, int], bool], found: Found) -> None:
    for match in _RANGE.finditer(text):
        start, end = match.span()
        left, mark, right = match.group(1), match.group(3), match.group(5)
        if not prose(start, end):
            continue
        after = _UNIT_AFTER.match(text, end)
        before = text[max(0, start - 4):start]
        years = len(left) == len(right) == 4 and (text[end:end + 1] == "年"
                                                   or before[-1:] in "（(")
        # Times are joined by the 一字线 (15834 5.13.3.2: 1881—1936, 1—3月, 10月1日—7日),
        # other numbers by the 浪纹线.
        time = years or (after is not None and after.group().strip() in "年月日")
        if mark == "～" and not time:
            continue  # the right mark
        if mark in "-－":
            # A hyphen also joins codes, telephone numbers, dates and figure numbers (15834
            # 5.13.3.1): only a rising pair of numbers followed by a unit is a range.
            if (_LABEL_BEFORE.search(before) or left.startswith("0")
                    or float(left) >= float(right) or not (after or years)):
                continue
        elif not (after or years or _chinese_near(text, start) or _chinese_near(text, end - 1)):
            continue  # 1–2 in Latin text is English typography
        right_mark = "—" if time else "～"
        kind = "years, dates and places" if time else "numbers"
        found.append((start + len(left) + len(match.group(2)), "LS211",
                      f"{left}{mark}{right}: a range of {kind} is joined with {right_mark!r} "
                      f"({left}{right_mark}{right}), never {mark!r}"))
    for match in _TIME_RANGE.finditer(text):
        if prose(*match.span()):
            left, _, mark, right = match.groups()
            found.append((match.start(3), "LS211", f"{left}{mark}{right}: a range of times is "
                          f"joined with '—' ({left}—{right}), never {mark!r}"))
    for match in _SHORT_RANGE.finditer(text):
        start, end = match.span()
        if prose(start, end):
            left, mark, right, unit = match.groups()
            found.append((start, "LS212", f"{left}{mark}{right}{unit}: write the {unit!r} on both "
                          f"ends ({left}{unit}{mark}{right}{unit}), or the range reads wrong"))


# --- LS213: 间隔号 ------------------------------------------------------------------------------


def _interpuncts(text: str, prose: Callable[[int, int], bool], found: Found) -> None:
    for match in _WRONG_INTERPUNCT.finditer(text):
        if prose(match.start(), match.end()):
            found.append((match.start(), "LS213", f"{match.group()!r} (U+{ord(match.group()):04X})"
                          " between two names: the Chinese 间隔号 is '·' (U+00B7)"))
    for match in _DOT_IN_NAME.finditer(text):
        index = match.start()
        before = _run(text, index - 1, -1)
        after = _run(text, index + 1, 1)
        if prose(index, index + 1) and len(before) >= 2 and len(after) >= 2:
            found.append((index, "LS213", f"'.' in {before}.{after}: if this is a foreign name, "
                          f"write {before}·{after} (the build would make the '.' a '。')"))


def _run(text: str, index: int, step: int) -> str:
    """The characters of a transliterated name that run from *index* in direction *step*."""
    chars = []
    while 0 <= index < len(text) and text[index] in TRANSLITERATION:
        chars.append(text[index])
        index += step
    return "".join(chars if step > 0 else reversed(chars))


# --- LS214, LS215, LS216: Arabic and Chinese numerals -----------------------------------------


def _numbers(text: str, prose: Callable[[int, int], bool], found: Found) -> None:
    for match in _MIXED_NUMBER.finditer(text):
        if prose(*match.span()):
            found.append((match.start(), "LS214", f"{match.group()!r} mixes Arabic and Chinese "
                          "numerals in one number: write it all in one (4000 or 四千; 万 and 亿 "
                          "may follow Arabic digits: 463亿)"))
    for match in _HALF_DATE.finditer(text):
        if prose(*match.span()):
            found.append((match.start(), "LS215", f"{match.group()!r}: a date is written all in "
                          "Arabic (2008年8月) or all in Chinese numerals (二〇〇八年八月)"))
    _two_forms(text, prose, [(m.start(), "date", m.group()) for m in _CN_DATE.finditer(text)],
               [(m.start(), "date", m.group()) for m in _AR_DATE.finditer(text)], "dates", found)
    _two_forms(text, prose,
               [(m.start(), m.group(2), m.group()) for m in _CN_QUANTITY.finditer(text)],
               [(m.start(), m.group(2), m.group()) for m in _AR_QUANTITY.finditer(text)],
               "numbers of {}", found)
    for match in _FIXED_DIGITS.finditer(text):
        if prose(*match.span()):
            found.append((match.start(), "LS216", f"{match.group()!r}: in a fixed expression the "
                          "numerals are Chinese (第一书记, “十三五”, 十九届四中全会)"))
    for match in _FIXED_VARIANTS.finditer(text):
        if prose(*match.span()) and re.search(r"\d", match.group()):
            found.append((match.start(), "LS216", f"{match.group()!r}: a fixed expression keeps "
                          "its Chinese numerals"))


def _two_forms(text: str, prose, chinese: list, arabic: list, kind: str, found: Found) -> None:
    """LS215: for each kind (a measure word, or dates), the form used less often is flagged,
    naming where the other one is."""
    chinese = [c for c in chinese if prose(c[0], c[0] + len(c[2]))]
    arabic = [a for a in arabic if prose(a[0], a[0] + len(a[2]))]
    for measure in {k for _, k, _ in chinese} & {k for _, k, _ in arabic}:
        ours = [c for c in chinese if c[1] == measure]
        theirs = [a for a in arabic if a[1] == measure]
        minority, majority = (ours, theirs) if len(ours) <= len(theirs) else (theirs, ours)
        example = majority[0][2]
        for index, _, written in minority:
            found.append((index, "LS215", f"{written!r}, while this text also writes "
                          f"{example!r}: {kind.format(measure)} take one form, Arabic or "
                          "Chinese numerals"))


# --- LS217: thousands separators ----------------------------------------------------------------


def _thousands(text: str, prose: Callable[[int, int], bool], found: Found) -> None:
    commas = spaces = None
    for match in _GROUPED.finditer(text):
        if not prose(*match.span()):
            continue
        groups = match.group().split(",")
        if text[match.end():match.end() + 1] == "年":
            found.append((match.start(), "LS217", f"{match.group()!r}: a year takes no "
                          "thousands separator"))
        elif len(groups[0]) > 3 or any(len(g) != 3 for g in groups[1:]):
            found.append((match.start(), "LS217", f"{match.group()!r}: thousands separators "
                          "group digits by three (12,345); if these are separate numbers, "
                          "write them with '、'"))
        elif commas is None:
            commas = match.start()
    for match in _FULL_WIDTH_GROUPED.finditer(text):
        if prose(*match.span()):
            found.append((match.start(), "LS217", f"{match.group()!r}: a full-width '，' "
                          "inside a number; the thousands separator is ',' (or a thin space)"))
    for match in _SPACE_GROUPED.finditer(text):
        if prose(*match.span()) and spaces is None:
            spaces = match.start()
    if commas is not None and spaces is not None:
        later = max(commas, spaces)
        found.append((later, "LS217", "both ',' and spaces separate thousands in this text: use "
                      "one way (1,000 or 1 000)"))


# --- helpers ----------------------------------------------------------------------------------


_HAN_CHAR = re.compile(f"[{HAN}]")


def _chinese_near(text: str, index: int) -> bool:
    """A Han character beside *index*, looking past spaces and quote marks."""
    for step in (-1, 1):
        position = index + step
        while 0 <= position < len(text) and text[position] in " \t“”‘’「」『』\"'":
            position += step
        if 0 <= position < len(text) and _HAN_CHAR.match(text[position]):
            return True
    return False


def _apostrophe(text: str, index: int) -> bool:
    before = text[index - 1] if index else ""
    after = text[index + 1] if index + 1 < len(text) else ""
    return before.isascii() and before.isalnum() and after.isascii() and after.isalnum()
