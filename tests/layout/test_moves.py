"""The photo make-up's changes to the print document (luoshu.layout.moves), on small trees:
a paragraph split at a character, a quotation or list cut around a photo, photos kept in the
manuscript's order, a pair. What the pages then look like is measured on written PDFs
(tests/e2e/test_makeup.py, tests/pdf/test_audit.py)."""

from __future__ import annotations

import lxml.etree
import pytest

from luoshu.layout.moves import (
    CUT_HEAD,
    CUT_TAIL,
    PAIRED,
    SPLIT_HEAD,
    SPLIT_TAIL,
    Move,
    apply_moves,
    split_paragraph,
)
from luoshu.layout.pagemap import MOVED_BACK, counted, own_text

FIGURE = '<figure data-block="s:9"><img src="a.png"/><figcaption>图</figcaption></figure>'


def tree(body: str):
    return lxml.etree.fromstring(f"<div>{body}</div>")


def text(element) -> str:
    return "".join(element.itertext())


def classes(element) -> list[str]:
    return (element.get("class") or "").split()


def test_a_paragraph_splits_before_a_counted_character_keeping_its_inline_elements():
    root = tree('<p data-block="s:1" id="p1">甲乙<em>丙丁</em>戊<sup class="footnote-ref">1</sup>'
                '己庚</p>')
    paragraph = root[0]
    tail = split_paragraph(paragraph, 3)
    assert text(paragraph) == "甲乙丙"
    assert text(tail) == "丁戊1己庚"
    assert lxml.etree.tostring(paragraph, encoding="unicode").count("<em>") == 1
    assert lxml.etree.tostring(tail, encoding="unicode").count("<em>") == 1
    assert classes(paragraph) == [SPLIT_HEAD] and classes(tail) == [SPLIT_TAIL]
    assert paragraph.get("id") == "p1" and tail.get("id") is None  # an id stays once
    assert paragraph.get("data-block-length") == tail.get("data-block-length") == "7"


def test_a_footnote_call_is_not_counted_where_the_paragraph_splits():
    root = tree('<p data-block="s:1">甲乙<a class="footnote-ref" href="#n">①</a>丙丁</p>')
    tail = split_paragraph(root[0], 2)
    assert text(root[0]) == "甲乙①" and text(tail) == "丙丁"  # the call stays with its character


def test_a_tail_split_again_stays_unindented():
    root = tree('<p data-block="s:1">甲乙丙丁戊己</p>')
    tail = split_paragraph(root[0], 2)
    split_paragraph(tail, 2)
    assert [classes(p) for p in root] == [[SPLIT_HEAD], [SPLIT_TAIL, SPLIT_HEAD], [SPLIT_TAIL]]
    assert [text(p) for p in root] == ["甲乙", "丙丁", "戊己"]


def test_the_same_move_splits_the_same_way_every_time():
    # lxml's element proxies are made afresh when none is alive: a split that compared them by
    # id() split at a different character from one layout to the next.
    body = ('<p data-block="s:1">' + "".join(f'甲<span class="latin">{n}</span>乙丙'
                                             for n in range(40)) + "</p>" + FIGURE)
    results = set()
    for _ in range(30):
        root = tree(body)
        apply_moves(root, [Move("s:9", "s:1", 55)])
        results.add(lxml.etree.tostring(root, encoding="unicode"))
    assert len(results) == 1
    (result,) = results
    root = lxml.etree.fromstring(result)
    assert counted(own_text(root[0])) == 55 and root[1].tag == "figure"


def test_a_photo_inside_a_quotation_cuts_it_in_two_around_the_photo():
    root = tree('<p data-block="s:0">前文</p><blockquote data-block="s:1">'
                '<p data-block="s:2">引文第一段</p><p data-block="s:3">引文第二段</p>'
                '</blockquote><p data-block="s:4">后文</p>' + FIGURE)
    assert apply_moves(root, [Move("s:9", "s:3", 0)]) == 1
    assert [child.tag for child in root] == ["p", "blockquote", "figure", "blockquote", "p"]
    head, figure, tail = root[1], root[2], root[3]
    assert classes(head) == [CUT_HEAD] and classes(tail) == [CUT_TAIL]
    assert text(head) + text(tail) == "引文第一段引文第二段"
    assert figure.get("data-moved") == "forward"


def test_a_photo_inside_a_quoted_paragraph_splits_the_paragraph_and_the_quotation():
    root = tree('<blockquote data-block="s:1"><p data-block="s:2">一二三四五六</p></blockquote>'
                + FIGURE)
    apply_moves(root, [Move("s:9", "s:2", 4)])
    assert [child.tag for child in root] == ["blockquote", "figure", "blockquote"]
    assert text(root[0]) == "一二三四" and text(root[2]) == "五六"
    assert classes(root[0][0]) == [SPLIT_HEAD] and classes(root[2][0]) == [SPLIT_TAIL]


def test_an_ordered_list_cut_by_a_photo_numbers_on():
    items = "".join(f'<li data-block="s:{n}">第{n}项</li>' for n in range(1, 5))
    root = tree(f'<ol start="3" data-block="s:0">{items}</ol>' + FIGURE)
    apply_moves(root, [Move("s:9", "s:3", 0)])
    assert [child.tag for child in root] == ["ol", "figure", "ol"]
    assert len(root[0]) == 2 and root[2].get("start") == "5"  # items 3, 4; then 5, 6


def test_a_list_item_cut_in_its_text_goes_on_without_a_number():
    items = "".join(f'<li data-block="s:{n}">第{n}项的文字</li>' for n in range(1, 4))
    root = tree(f'<ol data-block="s:0">{items}</ol>' + FIGURE)
    apply_moves(root, [Move("s:9", "s:2", 2)])
    head, tail = root[0], root[2]
    assert classes(head[-1]) == [SPLIT_HEAD] and classes(tail[0]) == [SPLIT_TAIL]
    # The cut item's second part is not a list item (print.css): the next item is number 3.
    assert tail.get("start") == "3"


def test_a_photo_ending_a_quotation_leaves_no_empty_second_part():
    root = tree('<blockquote data-block="s:1"><p data-block="s:2">引文</p></blockquote>'
                + FIGURE)
    apply_moves(root, [Move("s:9", "s:2", 2)])
    assert [child.tag for child in root] == ["blockquote", "figure"]


def test_photos_set_at_the_same_place_keep_the_manuscript_order():
    root = tree('<p data-block="s:1">甲乙丙丁戊己庚辛</p>'
                '<figure data-block="s:3"><img src="a.png"/></figure>'
                '<figure data-block="s:5"><img src="b.png"/></figure>')
    apply_moves(root, [Move("s:5", "s:1", 4), Move("s:3", "s:1", 4)])
    assert [child.get("data-block") for child in root] == ["s:1", "s:3", "s:5", "s:1"]


def test_a_pair_stands_side_by_side_each_at_half_width():
    root = tree('<figure data-block="s:2"><img src="a.png"/></figure>'
                '<p data-block="s:3">甲乙</p>'
                '<figure data-block="s:5" data-scale="0.9"><img src="b.png"/></figure>')
    apply_moves(root, [Move("s:5", None, pair="s:2")])
    first, second = root[0], root[1]
    assert [first.get("data-block"), second.get("data-block")] == ["s:2", "s:5"]
    assert PAIRED in classes(first) and PAIRED in classes(second)
    assert float(first.get("data-scale")) == pytest.approx(0.485)
    assert float(second.get("data-scale")) == pytest.approx(0.9 * 0.485)
    assert (second.get(MOVED_BACK[0]), ) == (MOVED_BACK[1],)  # it passed text to get there


def test_a_move_naming_a_missing_block_is_ignored():
    root = tree('<p data-block="s:1">甲乙</p>' + FIGURE)
    before = lxml.etree.tostring(root)
    assert apply_moves(root, [Move("s:9", "s:7", 1), Move("s:8", "s:1", 1)]) == 0
    assert lxml.etree.tostring(root) == before
