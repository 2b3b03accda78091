"""Many small book projects, generated: what `luoshu batch`'s tests and benchmark build.

``generate_projects(root, count, broken=2)`` writes *count* projects under *root*, named
``p001-…``, and returns name → what it is. They vary the way a newsroom's projects do: two to
four sections of a few paragraphs each, every third project with photos (a captions.toml
placing one in a section, one in the gallery, an inline one), every fourth without a date (its
timestamp then comes from its files' modification times), mostly a print PDF, every fourth an
EPUB, every fifth both (small PDFs build fastest), a traditional-script one now and then. The last *broken* projects are
broken the two ways a build stops on: an unknown key in book.toml, and a character no font
covers. The same arguments always give the same files.
"""

from __future__ import annotations

import random
from pathlib import Path

from helpers.projects import image_bytes, write_project

SENTENCES = (
    "金秋时节，河洛大地洋溢着丰收的喜悦。",
    "市民们在老城的街巷里漫步，品尝着刚出锅的水席。",
    "这座城市正在加快建设现代化都市圈，交通网络日益完善。",
    "地铁二号线开通以后，从城东到城西只需要半个小时。",
    "编辑部收到了三百多封读者来信，大家关心教育、医疗和住房。",
    "牡丹文化节吸引了来自世界各地的游客，酒店几乎全部客满。",
    "科技创新成为经济发展的新引擎，一批企业走出了国门。",
    "清晨的洛河边，晨练的老人打着太极拳，孩子们在草地上奔跑。",
    "博物馆里陈列着出土的青铜器和唐三彩，讲述着千年的故事。",
    "农民合作社引进了新品种，小麦亩产比去年提高了一成。",
    "“我们要把好事办好，把实事办实。”一位社区干部这样说。",
    "2024 年，全市共新建学校 12 所，新增学位 1.5 万个。",
)
HEADINGS = ("导语", "经济发展", "城市建设", "民生实事", "文化传承", "生态保护", "结语")
COLOURS = ((180, 60, 40), (40, 120, 180), (60, 150, 80), (200, 170, 60), (120, 80, 160))

OK = "ok"
BROKEN_CONFIG = "broken: unknown key in book.toml"
BROKEN_TOFU = "broken: a character no font covers"
RARE = "\U00020000"  # 𠀀: none of the house fonts draws it


def generate_projects(root: Path, count: int, broken: int = 2, seed: int = 0) -> dict[str, str]:
    """Write *count* projects under *root* (see the module docstring): name → kind."""
    chance = random.Random(seed)
    kinds = {}
    for number in range(1, count + 1):
        kind = OK
        if number > count - broken:
            kind = BROKEN_CONFIG if (count - number) % 2 else BROKEN_TOFU
        name = f"p{number:03d}-{HEADINGS[number % len(HEADINGS)]}"
        write_project(root / name, _files(number, kind, chance))
        kinds[name] = kind
    return kinds


def _files(number: int, kind: str, chance: random.Random) -> dict[str, str | bytes]:
    traditional = number % 7 == 6
    formats = '["epub", "pdf"]' if number % 5 == 0 else (
        '["epub"]' if number % 4 == 1 else '["pdf"]')
    date = "" if number % 4 == 0 else f"date = 2024-{number % 12 + 1:02d}-{number % 27 + 1:02d}\n"
    book = (f'[book]\ntitle = "第{number}期 特别报道"\n'
            f'language = "{"zh-Hant" if traditional else "zh-Hans"}"\n'
            f'authors = ["本报记者"]\npublisher = "洛阳日报社"\n{date}'
            f'identifier = "urn:uuid:00000000-0000-4000-8000-{number:012d}"\n'
            + ('titel = "拼错的键"\n' if kind == BROKEN_CONFIG else "")
            + f"\n[output]\nformats = {formats}\nbasename = \"issue-{number:03d}\"\n")
    files: dict[str, str | bytes] = {"book.toml": book}
    sections = chance.randint(2, 4)
    photos = number % 3 == 0
    for index in range(sections):
        heading = HEADINGS[(number + index) % len(HEADINGS)]
        paragraphs = ["".join(chance.choice(SENTENCES) for _ in range(chance.randint(2, 4)))
                      for _ in range(chance.randint(2, 4))]
        if kind == BROKEN_TOFU and index == sections - 1:
            paragraphs[-1] += f"生僻字{RARE}无法排印。"
        if photos and index == 0:
            paragraphs.insert(1, f'![街景{number}](photos/inline.png "街头一景")')
        files[f"manuscript/{index + 1:02d}-section.md"] = (
            f"# {heading}\n\n" + "\n\n".join(paragraphs) + "\n")
    if photos:
        colour = COLOURS[number % len(COLOURS)]
        files["manuscript/photos/scene.jpg"] = image_bytes("JPEG", (240, 160), colour)
        files["manuscript/photos/gallery.jpg"] = image_bytes("JPEG", (160, 240), colour[::-1])
        files["manuscript/photos/inline.png"] = image_bytes("PNG", (200, 120), colour)
        files["manuscript/captions.toml"] = (
            '[[photo]]\nfile = "photos/scene.jpg"\ncaption = "记者在现场"\n'
            'credit = "本报记者 摄"\nalt = "街道上的人群"\nsection = "01-section"\n'
            'width = "60%"\n\n'
            '[[photo]]\nfile = "photos/gallery.jpg"\ncaption = "资料图片"\nalt = "一座古塔"\n')
    return files


def pretend_other_version(library: str, version: str | None) -> str | None:
    """Make this process's luoshu.batch.environment report *version* of *library*; returns
    the version it reported before. Run on a Dask worker (``client.run``) to make it a worker
    whose results the client must refuse, and again with the returned value to undo it."""
    from luoshu.batch.environment import software

    found = software()
    previous = found[library]
    found[library] = version  # the process's one memo: every later build reports it
    return previous


def folder_files(folder: Path) -> dict[str, bytes]:
    """Every file under *folder* (hidden ones too): relative POSIX path → bytes."""
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


class Recorder:
    """A batch listener (luoshu.batch.run.Listener) that keeps what it is told; *on_done*, when
    given, is called with each entry as it arrives (to kill a worker mid-batch, say)."""

    def __init__(self, on_done=None):
        self.on_done = on_done
        self.total = None
        self.entries = []
        self.notes = []
        self.ended = False

    def begin(self, total, where):
        self.total = total

    def done(self, entry):
        self.entries.append(entry)
        if self.on_done is not None:
            self.on_done(entry)

    def note(self, line):
        self.notes.append(line)

    def end(self):
        self.ended = True
