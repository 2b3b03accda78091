"""The sample publication keeps the source editorial's text exactly as written.

The repository root is a book project made from shared/seed/luoyang-editorial.md. These tests
read the seed and check that every non-empty line of it reappears verbatim in book.toml,
manuscript/*.md or manuscript/captions.toml, so that nobody "fixes" the text by hand:
punctuation normalisation belongs to the typesetting stage, not to the manuscript.

The one deliberate edit is checked explicitly: the seed breaks a paragraph of the 城乡融合
section across a blank line ("…文明创" / "建、生态环境…"), which is layout damage, so the
manuscript joins the two halves back into one paragraph.
"""

from __future__ import annotations

import tomllib

import pytest
from helpers.projects import REPO

# CI clones the repository into its own folder with shared/ copied beside it.
SEED = REPO / ".." / "shared" / "seed" / "luoyang-editorial.md"
MANUSCRIPT = REPO / "manuscript"

SECTION_IDS = [
    "00-lead",
    "01-reform",
    "02-transformation",
    "03-urban-rural",
    "04-livelihood",
    "05-ecology",
    "06-party-building",
]
# The seed's accidentally split paragraph: the first half ends with, the second starts with.
SPLIT_HEAD_END = "文明创"
SPLIT_TAIL_START = "建、生态环境"


@pytest.fixture(scope="module")
def seed_lines() -> list[str]:
    if not SEED.is_file():
        pytest.skip(f"seed text not found at {SEED}")
    return [line for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def book() -> dict:
    with (REPO / "book.toml").open("rb") as f:
        return tomllib.load(f)["book"]


@pytest.fixture(scope="module")
def captions() -> list[dict]:
    with (MANUSCRIPT / "captions.toml").open("rb") as f:
        return tomllib.load(f)["photo"]


@pytest.fixture(scope="module")
def sections() -> dict[str, str]:
    return {sid: (MANUSCRIPT / f"{sid}.md").read_text(encoding="utf-8") for sid in SECTION_IDS}


def _paragraphs(markdown: str) -> list[str]:
    """Body paragraphs of a section: front matter, headings and attribute lines removed."""
    if markdown.startswith("---\n"):
        markdown = markdown.split("\n---\n", 1)[1]
    blocks = [block.strip("\n") for block in markdown.split("\n\n")]
    paragraphs = []
    for block in blocks:
        lines = [line for line in block.split("\n") if not line.startswith("{:")]
        if lines and not lines[0].startswith("#"):
            paragraphs.append("\n".join(lines))
    return paragraphs


def _split_seed(seed_lines: list[str]) -> tuple[list[str], list[str], list[str]]:
    """(heading/title lines, body lines, caption lines) of the seed, by position.

    The seed is: ``## title``, the ``——`` subtitle, body text with ``###`` headings, the
    ``本报记者`` byline, then the photo captions, each on a line of its own.
    """
    byline = next(i for i, line in enumerate(seed_lines) if line.startswith("本报记者"))
    return seed_lines[:2], seed_lines[2 : byline + 1], seed_lines[byline + 1 :]


def test_every_seed_line_is_kept_verbatim(seed_lines, book, captions, sections) -> None:
    title, body, caption_lines = _split_seed(seed_lines)
    all_markdown = "\n".join(sections.values())

    assert title[0] == "## " + book["title"]
    assert title[1] == book["subtitle"]
    assert [photo["caption"] for photo in captions] == caption_lines

    missing = []
    for line in body:
        if line.endswith(SPLIT_HEAD_END) or line.startswith(SPLIT_TAIL_START):
            continue  # checked joined, below
        if line.startswith("### "):
            if f"\n# {line[4:]}\n" not in "\n" + all_markdown:
                missing.append(line)
        elif line not in all_markdown:
            missing.append(line)
    assert not missing, f"seed lines not found verbatim in the manuscript: {missing}"


def test_split_paragraph_is_joined(seed_lines, sections) -> None:
    head = next(line for line in seed_lines if line.endswith(SPLIT_HEAD_END))
    tail = next(line for line in seed_lines if line.startswith(SPLIT_TAIL_START))
    assert head + tail in _paragraphs(sections["03-urban-rural"])


def test_manuscript_adds_no_text(seed_lines, sections) -> None:
    """Every manuscript paragraph is a seed line (or the rejoined one): nothing was invented."""
    _, body, _ = _split_seed(seed_lines)
    allowed = set(body)
    head = next(line for line in body if line.endswith(SPLIT_HEAD_END))
    tail = next(line for line in body if line.startswith(SPLIT_TAIL_START))
    allowed.add(head + tail)
    for sid, markdown in sections.items():
        for paragraph in _paragraphs(markdown):
            assert paragraph in allowed, f"{sid}: paragraph not in the seed: {paragraph[:30]}…"


def test_section_structure(seed_lines, sections) -> None:
    """Six headed sections in seed order, a heading-less lead titled by front matter."""
    headings = [line[4:] for line in seed_lines if line.startswith("### ")]
    titles = []
    for sid in SECTION_IDS[1:]:
        first = sections[sid].split("\n", 1)[0]
        assert first.startswith("# "), f"{sid} must start with its heading"
        titles.append(first[2:])
    assert titles == headings

    lead = sections["00-lead"]
    assert lead.startswith("---\ntitle: 导语\n---\n")
    assert not any(line.startswith("#") for line in lead.splitlines())


def test_byline_closes_the_last_section(seed_lines, book, sections) -> None:
    byline = next(line for line in seed_lines if line.startswith("本报记者"))
    assert sections["06-party-building"].endswith(f"\n\n{byline}\n{{: .byline}}\n")
    assert book["authors"] == byline.split()[1:]


def test_captions_point_at_sections_and_files(captions) -> None:
    for photo in captions:
        assert photo["section"] in SECTION_IDS, photo
        assert photo["file"].startswith("photos/") and photo["file"].endswith(".jpg"), photo
        assert photo["file"].isascii(), photo
        assert photo["alt"].startswith("占位图"), photo
        assert "credit" not in photo, "the seed names no photographer"


def test_placeholder_photos_exist(captions) -> None:
    """The committed placeholders (scripts/make_placeholders.py) are there and plausible."""
    from PIL import Image

    for photo in captions:
        path = MANUSCRIPT / photo["file"]
        assert path.is_file(), f"missing {path}; run scripts/make_placeholders.py"
        with Image.open(path) as image:
            assert image.format == "JPEG" and image.size == (1800, 1200), photo["file"]
            assert "exif" not in image.info, photo["file"]
        assert path.stat().st_size < 80 * 1024, photo["file"]
