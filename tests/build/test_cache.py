"""The build cache and the worker processes change how fast a book is built, never what is
built: the EPUB and the PDFs are byte for byte the same with one job or two, from a cold cache, a
warm one, a deleted or damaged one, or none; a rebuild after editing one section lays out that
section only.

The fixture's sections are made long enough to be layout units of their own (short ones share
a unit: luoshu.layout.units), and a short one is added after them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import luoshu.build.typesetting as typesetting
from luoshu.build.cache import CACHE_FOLDER
from luoshu.build.stages import build_book
from luoshu.layout.units import UNIT_WEIGHT

pytestmark = pytest.mark.e2e

OUTPUTS = ("minimal.epub", "minimal.pdf", "minimal-pdfa.pdf")


SENTENCES = (
    "清晨的河面上薄雾未散，渡口已经有人在等第一班船。",
    "这座城市的老街保留着青石板路，两旁的店铺大多经营了三十年以上。",
    "图书馆完成改造以后，阅览座位增加到六百个，周末常常一座难求。",
    "新开通的基站覆盖了全部行政村，山里的孩子也能上网课了。",
    "社区食堂每天供应早、中、晚三餐，老年人用餐可享受优惠。",
)


@pytest.fixture
def project(fixture_project):
    project = fixture_project("minimal-hans")
    manuscript = project / "manuscript"
    paragraph = "".join(SENTENCES) * 3
    for name in ("01-intro.md", "02-data.md"):
        section = manuscript / name
        extra = "\n\n".join(paragraph for _ in range(1 + UNIT_WEIGHT // len(paragraph)))
        section.write_text(section.read_text(encoding="utf-8") + "\n\n" + extra + "\n",
                           encoding="utf-8")
    (manuscript / "04-postscript.md").write_text("# 再记\n\n" + SENTENCES[0] + "\n",
                                                 encoding="utf-8")
    return project


@pytest.fixture
def laid_out(monkeypatch):
    """The names of the units laid out in this process (one job lays out in-process)."""
    names: list[str] = []
    original = typesetting.lay_out_unit

    def counting(book, unit, *args, **kwargs):
        names.append(unit.name)
        return original(book, unit, *args, **kwargs)

    monkeypatch.setattr(typesetting, "lay_out_unit", counting)
    return names


def build(project: Path, out: Path, **options):
    result = build_book(project, out, formats=["epub", "pdf", "pdfa"], **options)
    return result, {name: (out / name).read_bytes() for name in OUTPUTS}


def test_outputs_are_the_same_whatever_the_jobs_and_the_cache(project, tmp_path, laid_out):
    _, cold = build(project, tmp_path / "cold", jobs=1)
    units = len(laid_out)
    assert laid_out[:3] == ["section 01-intro", "section 02-data",
                            "sections 03-afterword…04-postscript"]
    assert (project / CACHE_FOLDER / "units").is_dir()

    laid_out.clear()
    _, warm = build(project, tmp_path / "warm", jobs=1)
    assert laid_out == []  # everything came from the cache
    assert warm == cold

    _, parallel = build(project, tmp_path / "parallel", jobs=2, cache=False)
    assert parallel == cold

    shutil.rmtree(project / CACHE_FOLDER)
    laid_out.clear()
    _, deleted = build(project, tmp_path / "deleted", jobs=1)
    assert len(laid_out) == units and deleted == cold


def test_editing_one_section_lays_out_that_section_only(project, tmp_path, laid_out):
    build(project, tmp_path / "first")
    section = project / "manuscript" / "02-data.md"
    section.write_text(section.read_text(encoding="utf-8") + "\n补记：数据更新于出版前。\n",
                       encoding="utf-8")
    laid_out.clear()
    _, edited = build(project, tmp_path / "edited")
    assert laid_out == ["section 02-data"]  # not 01-intro, nor the short ones after it

    # The same bytes as a build that reuses nothing.
    _, fresh = build(project, tmp_path / "fresh", cache=False)
    assert edited == fresh


def test_a_damaged_entry_is_a_warning_and_is_laid_out_again(project, tmp_path, laid_out):
    _, first = build(project, tmp_path / "first")
    entry = sorted((project / CACHE_FOLDER / "units").iterdir())[0]
    pdf = entry / "unit.pdf"
    pdf.write_bytes(pdf.read_bytes()[: pdf.stat().st_size // 2])  # cut short
    laid_out.clear()
    result, again = build(project, tmp_path / "again")
    assert len(laid_out) == 1
    assert any("damaged cache entry" in w.message for w in result.warnings)
    assert again == first


def test_a_cache_that_cannot_be_written_is_a_warning(project, tmp_path):
    (project / CACHE_FOLDER).write_text("not a folder", encoding="utf-8")
    result, written = build(project, tmp_path / "out")
    assert any("cache" in w.message for w in result.warnings), result.warnings
    _, plain = build(project, tmp_path / "plain", cache=False)
    assert written == plain
    assert (project / CACHE_FOLDER).read_text(encoding="utf-8") == "not a folder"


def test_workers_replaced_in_rounds_lose_nothing(project, tmp_path, monkeypatch):
    # One unit per worker and round: the pool is made again for every two units, as it is
    # every forty for a long book. (Retiring workers with max_tasks_per_child hung here.)
    _, one_job = build(project, tmp_path / "one", jobs=1, cache=False)
    monkeypatch.setattr(typesetting, "MAX_UNITS_PER_WORKER", 1)
    _, rounds = build(project, tmp_path / "rounds", jobs=2, cache=False)
    assert rounds == one_job
