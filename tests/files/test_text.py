"""Project text and TOML files: where a key is, what a message shows of a long value, and the
size a TOML file may have."""

from __future__ import annotations

from luoshu.files.text import MAX_TOML_BYTES, clipped, read_toml, toml_key_line

TEXT = """\
title = "top"
[book]
title = "书"
"language" = "zh-Hans"   # quoted key
description = "a = b"
[[photo]]
file = "a.jpg"
[editions.zh-Hant]
variant = "s2t"
[book]
title = "again"
"""


def test_keys_and_tables_are_found_on_their_lines():
    assert toml_key_line(TEXT, None, "title") == 1  # before any table
    assert toml_key_line(TEXT, None, "book") == 2
    assert toml_key_line(TEXT, "book", "title") == 3  # the first setting
    assert toml_key_line(TEXT, "book", "language") == 4
    assert toml_key_line(TEXT, "book", "description") == 5
    assert toml_key_line(TEXT, None, "photo") == 6
    assert toml_key_line(TEXT, "photo", "file") == 7
    assert toml_key_line(TEXT, None, "editions.zh-Hant") == 8
    assert toml_key_line(TEXT, "editions.zh-Hant", "variant") == 9
    assert toml_key_line(TEXT, "book", "nothing") is None
    assert toml_key_line(TEXT, "output", "title") is None


def test_thousands_of_keys_are_located_in_one_reading():
    """20,000 unknown keys once took luoshu check seven minutes: a scan of the file per key."""
    text = "[book]\n" + "".join(f"k{n} = 1\n" for n in range(20_000))
    assert [toml_key_line(text, "book", f"k{n}") for n in (0, 19_999)] == [2, 20_001]


def test_a_long_value_is_clipped_to_one_line():
    assert clipped("洛阳") == "洛阳"
    assert clipped("书" * 100_000) == "书" * 50 + "… (100,000 characters)"
    assert len(clipped("x" * 10**6, keep=20)) < 50


def test_a_toml_file_beyond_the_limit_is_refused_unread(tmp_path):
    path = tmp_path / "book.toml"
    path.write_bytes(b"# " + b"x" * MAX_TOML_BYTES + b"\n")
    problems = []
    assert read_toml(path, "book.toml", problems, code="config-syntax") is None
    (problem,) = problems
    assert str(problem).startswith("book.toml: the file is 4.2 MB, more than a TOML file")
    assert problem.code == "config-syntax"
