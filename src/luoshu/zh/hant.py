"""Simplified → Traditional conversion with OpenCC: phrase by phrase, never touching what is not
Chinese prose, with an editor's overrides, and the one-to-many conversions an editor must see.

OpenCC converts by phrases (头发 → 頭髮, 发展 → 發展), but some Simplified characters stand for
several Traditional ones that no phrase decides: 干 is 乾 (dry), 幹 (to do) or 干 (to concern),
and 头发干了 comes out 頭髮幹了. OpenCC knows which of its dictionary entries are one-to-many and
its command-line tool reports every span it converted with one (``--ambiguities``); the Python
binding does not, so ``ambiguities`` runs the tool that ships in the same wheel, on standard
input, writing nothing. ``Overrides`` are the editor's answers (``manuscript/zh-Hant.toml``:
phrase → phrase): a phrase found there is written as the editor wrote it and is no longer
ambiguous.

Protected characters (code, URLs, Markdown syntax: ``luoshu.zh.textmask``; code elements in
HTML) are passed as U+FFFC placeholders, which OpenCC leaves alone and no phrase crosses, then
put back. Pure functions apart from the OpenCC tool run by ``ambiguities``.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import opencc

from ..model import TypographyOptions
from .chars import HAN
from .punctuation import FIXES, is_cjk, normalize

PLACEHOLDER = "\ufffc"  # stands for a protected character: OpenCC passes it, no phrase crosses it
_OPENCC = Path(opencc.__file__).resolve().parent / "clib"
_HAN = re.compile(f"[{HAN}]")
_CORNER = str.maketrans("“”‘’", "「」『』")
# Quote restyling only (LS110): the other fixes were made, or deliberately not, in the book.
_QUOTES_ONLY = tuple(code for code in FIXES if code != "LS110")
# The dictionaries a variant's candidates come from: Simplified → Traditional characters and
# phrases, then the regional phrases of s2twp.
_CANDIDATE_DICTIONARIES = {"s2t": ("STCharacters", "STPhrases"),
                           "s2tw": ("STCharacters", "STPhrases"),
                           "s2twp": ("STCharacters", "STPhrases", "TWPhrases"),
                           "s2hk": ("STCharacters", "STPhrases")}


class OpenCCMissing(RuntimeError):
    """OpenCC's dictionaries or its command-line tool are not where its wheel puts them."""


@dataclass(frozen=True)
class Overrides:
    """The editor's conversions, Simplified phrase → Traditional phrase; the longest phrase
    that matches at a position wins."""

    phrases: Mapping[str, str]

    @functools.cached_property
    def pattern(self) -> re.Pattern | None:
        keys = sorted((k for k in self.phrases if k), key=len, reverse=True)
        return re.compile("|".join(map(re.escape, keys))) if keys else None

    def spans(self, text: str) -> list[re.Match]:
        return list(self.pattern.finditer(text)) if self.pattern else []


NO_OVERRIDES = Overrides({})


@dataclass(frozen=True)
class Ambiguity:
    """A span OpenCC converted with a one-to-many entry: offsets into the Simplified text."""

    start: int
    end: int
    source: str  # the Simplified span, e.g. 干了
    converted: str  # what OpenCC made of it, e.g. 幹了
    candidates: tuple[tuple[str, tuple[str, ...]], ...]  # (character or phrase, its candidates)
    # When a phrase overlapping the span reads it otherwise (全市制造业: 市制 won over 制造,
    # giving 制造業 beside 製造業 elsewhere): that phrase and its reading, e.g. ("制造", "製造").
    other_reading: tuple[str, str] | None = None


@functools.lru_cache(maxsize=8)
def _converter(variant: str) -> opencc.OpenCC:
    return opencc.OpenCC(f"{variant}.json")


def convert(text: str, variant: str, overrides: Overrides = NO_OVERRIDES,
            protected: Sequence[bool] | None = None) -> str:
    """*text* in Traditional characters: *protected* characters unchanged, override phrases
    as the editor wrote them, the rest through OpenCC phrase by phrase."""
    if not _HAN.search(text):
        return text  # nothing to convert (and Latin text is never touched)
    if protected is None or not any(protected):
        return _convert_free(text, variant, overrides)
    masked = "".join(PLACEHOLDER if p else c for c, p in zip(text, protected, strict=True))
    converted = _convert_free(masked, variant, overrides)
    if len(converted) == len(text):
        return "".join(c if p else d for c, d, p in zip(text, converted, protected, strict=True))
    # A phrase changed length (s2twp: 软件 → 軟體 is equal, U盘 → 隨身碟 is not): convert each
    # run of free characters by itself.
    out, start = [], 0
    for index in range(len(text) + 1):
        if index == len(text) or protected[index] != protected[start]:
            run = text[start:index]
            out.append(run if protected[start] else _convert_free(run, variant, overrides))
            start = index
    return "".join(out)


def _convert_free(text: str, variant: str, overrides: Overrides) -> str:
    spans = overrides.spans(text)
    if not spans:
        return _opencc(text, variant)
    whole = _opencc(text, variant)
    if len(whole) == len(text) and all(len(overrides.phrases[m.group()]) == len(m.group())
                                       for m in spans):
        # The editor's phrases written over OpenCC's conversion of the whole text, so the
        # text around them keeps its phrases (万人助万企 with 人助万企 overridden: 万人 stays
        # a phrase), as the review saw it.
        chars = list(whole)
        for match in spans:
            chars[match.start():match.end()] = overrides.phrases[match.group()]
        return "".join(chars)
    out, position = [], 0
    for match in spans:
        out.append(_opencc(text[position:match.start()], variant))
        out.append(overrides.phrases[match.group()])
        position = match.end()
    out.append(_opencc(text[position:], variant))
    return "".join(out)


def _opencc(text: str, variant: str) -> str:
    return _converter(variant).convert(text) if _HAN.search(text) else text


def corner_quotes(text: str, markdown: bool, options: TypographyOptions) -> str:
    """*text* with its Chinese quotes as corner brackets (「」『』), when the edition's quote
    style is corner: the pairs luoshu.zh.punctuation recognizes (LS110), then any curly quote
    left beside Chinese text (a quotation over several paragraphs opens each of them)."""
    if options.quote_style("Hant") != "corner" or "LS110" in options.ignore:
        return text
    restyled = normalize(text, "Hant", markdown=markdown, options=TypographyOptions(
        quotes="corner", ignore=_QUOTES_ONLY)).text
    chars = list(restyled)
    for index, char in enumerate(chars):
        if char in "“”‘’" and _beside_chinese(restyled, index):
            chars[index] = char.translate(_CORNER)
    return "".join(chars)


def _beside_chinese(text: str, index: int) -> bool:
    before = text[index - 1] if index else ""
    after = text[index + 1] if index + 1 < len(text) else ""
    if text[index] == "’" and before.isascii() and before.isalnum() and after.isascii():
        return False  # an apostrophe
    return is_cjk(before) or is_cjk(after)


# --- the one-to-many conversions -----------------------------------------------------------------


def ambiguities(texts: Sequence[str], variant: str) -> list[list[Ambiguity]]:
    """The one-to-many conversions OpenCC makes in each of *texts* (protected characters
    already replaced by PLACEHOLDER), in one run of OpenCC's tool."""
    joined = "\n".join(texts)
    if not _HAN.search(joined):
        return [[] for _ in texts]
    spans = _tool_spans(joined, variant)
    starts, offset = [], 0
    for text in texts:
        starts.append(offset)
        offset += len(text) + 1
    found: list[list[Ambiguity]] = [[] for _ in texts]
    candidates = _candidates(variant)
    for start, end, source, converted in spans:
        number = max(i for i, s in enumerate(starts) if s <= start)
        local = start - starts[number]
        found[number].append(Ambiguity(local, local + (end - start), source, converted,
                                       _regional(variant, _candidates_of(source, candidates))))
    for number, text in enumerate(texts):
        taken = {i for a in found[number] for i in range(a.start, a.end)}
        found[number] += [a for a in _phrase_conflicts(text, variant, candidates)
                          if a.start not in taken]
        found[number].sort(key=lambda a: a.start)
    return found


# Length-preserving conversions for the phrase test (s2twp's regional phrases change lengths,
# and the one-to-many characters are settled in the Simplified → Traditional stage anyway).
_SAME_LENGTH = {"s2t": "s2t", "s2tw": "s2tw", "s2twp": "s2tw", "s2hk": "s2hk"}


def _phrase_conflicts(text: str, variant: str, candidates: Mapping[str, tuple[str, ...]]
                      ) -> list[Ambiguity]:
    """One-to-many characters that OpenCC converted one way while a dictionary phrase around
    them reads them another: its longest-match segmentation chose between overlapping phrases
    (开启新征程: 新征 → 新徵 won over 征程 → 征程), and such a choice is often wrong."""
    variant = _SAME_LENGTH[variant]
    converted = _opencc(text, variant)
    if len(converted) != len(text):
        return []
    memo: dict[str, str] = {}

    def reading(window: str) -> str:
        if window not in memo:
            memo[window] = _opencc(window, variant)
        return memo[window]

    found = []
    for index, char in enumerate(text):
        if char not in candidates or len(candidates[char]) < 2:
            continue
        default = reading(char)
        for start, end in ((index - 1, index + 1), (index, index + 2), (index - 1, index + 2)):
            if start < 0 or end > len(text):
                continue
            window = text[start:end]
            if not all(_HAN.match(c) for c in window):
                continue  # a phrase never runs past punctuation or a placeholder
            said = reading(window)[index - start]
            if said != default and said != converted[index]:
                found.append(Ambiguity(index, index + 1, char, converted[index],
                                       _regional(variant, _candidates_of(char, candidates)),
                                       (window, reading(window))))
                break
    return found


def _tool_spans(text: str, variant: str) -> list[tuple[int, int, str, str]]:
    """(start, end, source, converted) in *text* of each span OpenCC's tool reports."""
    tool = _OPENCC / "bin" / "opencc"
    config = _OPENCC / "share" / "opencc" / f"{variant}.json"
    if not tool.is_file() or not config.is_file():
        raise OpenCCMissing(f"OpenCC's command-line tool or {variant}.json is missing from "
                            f"{_OPENCC}: reinstall it (pip install --force-reinstall opencc)")
    result = subprocess.run([str(tool), "-c", str(config), "--ambiguities"], input=text,
                            capture_output=True, text=True, encoding="utf-8", check=False)
    if result.returncode != 0:
        raise OpenCCMissing(f"OpenCC's tool failed: {result.stderr.strip()[:200]}")
    sources: list[str] = []
    output: list[str] = []
    spans: list[tuple[int, int, str, str]] = []  # offsets into the output for now
    length = 0
    for line in result.stdout.splitlines():
        record = json.loads(line)
        if "def" in record:
            sources.append(record["def"])
        elif "lit" in record:
            output.append(record["lit"])
            length += len(record["lit"])
        elif "amb" in record:
            converted = record["amb"]["t"]
            spans.append((length, length + len(converted), sources[record["amb"]["s"]],
                          converted))
            output.append(converted)
            length += len(converted)
    converted_text = "".join(output)
    if len(converted_text) == len(text):
        return [(start, start + len(source), source, converted)
                for start, _, source, converted in spans]
    return _realign(text, converted_text, spans)


def _realign(text: str, converted: str, spans) -> list[tuple[int, int, str, str]]:
    """Output offsets back to input offsets, line by line (OpenCC never adds or removes a
    line; inside a line whose length changed, through the longest common pieces)."""
    in_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    out_starts = [0] + [m.end() for m in re.finditer("\n", converted)]
    result = []
    for start, _, source, value in spans:
        line = max(i for i, s in enumerate(out_starts) if s <= start)
        column = start - out_starts[line]
        in_line = text[in_starts[line]:(in_starts[line + 1] - 1 if line + 1 < len(in_starts)
                                        else len(text))]
        out_line = converted[out_starts[line]:out_starts[line] + len(in_line) + 64]
        mapped = column
        if in_line.find(source) >= 0:
            matcher = difflib.SequenceMatcher(None, in_line, out_line, autojunk=False)
            for tag, i1, i2, j1, j2 in matcher.get_opcodes():
                if j1 <= column < j2 or (column == j2 and tag == "equal"):
                    mapped = i1 + (column - j1 if tag == "equal" else 0)
                    break
            if in_line[mapped:mapped + len(source)] != source:
                mapped = in_line.find(source)
        result.append((in_starts[line] + mapped, in_starts[line] + mapped + len(source), source,
                       value))
    return result


@functools.lru_cache(maxsize=4)
def _candidates(variant: str) -> Mapping[str, tuple[str, ...]]:
    """Every one-to-many entry of the variant's dictionaries: Simplified → its candidates."""
    tool = _OPENCC / "bin" / "opencc_dict"
    found: dict[str, tuple[str, ...]] = {}
    for name in _CANDIDATE_DICTIONARIES[variant]:
        dictionary = _OPENCC / "share" / "opencc" / f"{name}.ocd2"
        if not tool.is_file() or not dictionary.is_file():
            continue  # candidates are a help to the editor; the spans come from the tool
        result = subprocess.run([str(tool), "-i", str(dictionary), "-o", "/dev/stdout", "-f",
                                 "ocd2", "-t", "text"], capture_output=True, text=True,
                                encoding="utf-8", check=False)
        for line in result.stdout.splitlines():
            key, _, values = line.partition("\t")
            if " " in values:
                found.setdefault(key, tuple(values.split(" ")))
    return found


def _candidates_of(source: str, candidates: Mapping[str, tuple[str, ...]]
                   ) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if source in candidates and len(source) > 1:
        return ((source, candidates[source]),)
    return tuple((char, candidates[char]) for char in dict.fromkeys(source) if char in candidates)


# The regional step after Simplified → Traditional, applied to the candidates shown (裏 is 裡
# in Taiwan).
_REGIONAL = {"s2tw": "t2tw", "s2twp": "t2tw", "s2hk": "t2hk"}


def _regional(variant: str, found: tuple[tuple[str, tuple[str, ...]], ...]
              ) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if variant not in _REGIONAL:
        return found
    return tuple((source, tuple(dict.fromkeys(_converter(_REGIONAL[variant]).convert(value)
                                              for value in values))) for source, values in found)
