"""Read a project's manuscript: sections from Markdown (luoshu.project.sections), photos from
captions.toml (luoshu.project.captions), and the project's stylesheets.

Every problem found is collected (a missing photo, a section without a title, a bad caption
entry, a footnote without its definition…) and reported together, so one run shows the editor
everything to fix. Every photo is checked here, once, for every output: inside the project,
whole, of a size luoshu decodes, in a format outputs can carry, printable (luoshu.images.photos).
Photos captions.toml places in a section are rendered as figures at its end; the gallery's
figures are rendered once too (luoshu.markup.figures): renderers take the markup as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import Problem, ProjectError
from ..files.gate import ProjectFiles, RefusedResource, decode_data_uri, shown
from ..files.paths import BOOK_TOML, CAPTIONS, MANUSCRIPT, STYLES
from ..files.text import toml_key_line
from ..images.photos import image_problem
from ..images.photos import inspect as inspect_photo
from ..markup.convert import section_anchor
from ..markup.figures import figure_html, gallery_html, place_figures
from ..markup.untrusted import SVG_TYPE, stylesheet_problems
from ..model import Config, Photo, PrintOptions, Section, SourceRef
from .captions import read_captions
from .sections import id_clashes, read_section, section_files


@dataclass(frozen=True)
class Manuscript:
    """What the reader found: sections in order, gallery photos, project stylesheets, and
    every problem (errors and warnings) on the way."""

    sections: tuple[Section, ...]
    gallery: tuple[Photo, ...]
    stylesheets: tuple[str, ...]
    problems: tuple[Problem, ...] = ()
    gallery_html: str = ""  # the gallery's figures, rendered once for every output
    # The project's text files as read, before punctuation normalization: path → text (the
    # sections and captions.toml that could be read; ``luoshu check`` reads their punctuation).
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity != "error")

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")


def read_manuscript(project: Path, config: Config) -> Manuscript:
    """Read sections, captions and styles of *project*; raise ProjectError with all problems
    when any is an error."""
    manuscript = collect_manuscript(project, config)
    if manuscript.errors:
        raise ProjectError(manuscript.problems)
    return manuscript


def collect_manuscript(project: Path, config: Config) -> Manuscript:
    """Read sections, captions and styles of *project* as far as they can be read, with every
    problem found (the sections that could not be read are left out)."""
    files = ProjectFiles.of(project)
    problems: list[Problem] = []
    sources: dict[str, str] = {}
    paths = section_files(project, config, problems)
    problems.extend(id_clashes(paths, project))
    sections = [s for s in (read_section(project, path, config, problems, sources)
                            for path in paths) if s]
    photos = read_captions(project, {s.id for s in sections}, config, problems, sources)
    for photo in [p for s in sections for p in s.photos] + photos:
        _check_photo(files, photo, config.print, problems)
    sections = [_attach_photos(s, [p for p in photos if p.section == s.id], problems)
                for s in sections]
    gallery = tuple(p for p in photos if p.section is None)
    if not paths and (project / MANUSCRIPT).is_dir():
        problems.append(Problem("the manuscript is empty: add Markdown files (e.g. 01-intro.md) "
                                "to manuscript/", MANUSCRIPT, code="manuscript-empty"))
    styles = sorted(p.relative_to(project).as_posix() for p in (project / STYLES).glob("*.css"))
    # What the stylesheets name (and those they @import), checked before any output reads them.
    problems.extend(stylesheet_problems(files, styles, image_problem))
    if config.epub.cover:
        problems.extend(_cover_problems(files, config.epub.cover))
    return Manuscript(tuple(sections), gallery, tuple(styles), tuple(problems),
                      gallery_html(gallery), sources)


def _check_photo(files: ProjectFiles, photo: Photo, print_options: PrintOptions,
                 problems: list[Problem]) -> None:
    """The photo must be an image file inside the project, whole, of a size luoshu decodes, in a
    format outputs can carry (luoshu.images.photos.inspect), and should have alt text."""
    where = photo.source or SourceRef(CAPTIONS)
    if not photo.alt:
        how = ('add alt = "…" to its [[photo]] entry' if where.path == CAPTIONS
               else "write it between the brackets: ![what the photo shows](…)")
        problems.append(Problem(
            f"{shown(photo.file)} has no alt text, a description for readers who cannot see it: "
            f"{how}", where.path, where.line, code="photo-alt", severity="warning"))
    try:
        if photo.file.startswith("data:"):  # inline bytes: held to the limits of photo files
            kind, data = decode_data_uri(photo.file)
            if kind.lower() == SVG_TYPE:  # no pixels; luoshu.markup.untrusted judged the rest
                why = image_problem(data)
                if why:
                    problems.append(Problem(f"{shown(photo.file)} {why}", where.path,
                                            where.line, code="photo-too-large"))
                return
        else:
            data = files.read_bytes(photo.file, base=MANUSCRIPT, referrer=where.path)
    except ValueError:  # undecodable base64
        problems.append(Problem(f"{shown(photo.file)} is not a readable data: URI (its base64 "
                                "is damaged): paste the image again, or use a photo file",
                                where.path, where.line, code="photo-unreadable"))
        return
    except RefusedResource as refused:
        problems.extend(replace(p, line=where.line) for p in refused.problems)
        return
    except OSError as error:  # e.g. no permission to read it
        problems.append(Problem(f"{shown(photo.file)} cannot be read ({error.strerror})",
                                where.path, where.line, code="photo-unreadable"))
        return
    problems.extend(inspect_photo(replace(photo, source=where), data, print_options))


def _cover_problems(files: ProjectFiles, cover: str) -> list[Problem]:
    """[epub] cover must be an image the EPUB can carry, inside the project, within the limits
    of photos: the EPUB writer reads it only after the print layout, so it is checked here,
    where luoshu check sees it too."""
    line = toml_key_line((files.root / BOOK_TOML).read_text(encoding="utf-8-sig"), "epub",
                         "cover")
    try:
        data = (decode_data_uri(cover)[1] if cover.startswith("data:")
                else files.read_bytes(cover, base=MANUSCRIPT, referrer=BOOK_TOML))
    except RefusedResource as refused:
        return [replace(p, path=BOOK_TOML, line=line) for p in refused.problems]
    except (ValueError, OSError) as error:
        return [Problem(f"[epub] cover {shown(cover)} cannot be read ({error})", BOOK_TOML, line,
                        code="photo-unreadable")]
    why = image_problem(data)
    return [Problem(f"[epub] cover {shown(cover)} {why}", BOOK_TOML, line,
                    code="epub-cover")] if why else []


def _attach_photos(section: Section, photos: list[Photo],
                   problems: list[Problem]) -> Section:
    """Place captions.toml photos in their section: after the paragraph or element their
    ``after`` names, else after the section's last block before its end matter (a byline)."""
    if not photos:
        return section
    anchor = section_anchor(section.id)
    figures = [(photo.after, figure_html(photo, f"{anchor}--photo-{n}", placed=True))
               for n, photo in enumerate(photos, 1)]
    html, missing = place_figures(section.html, anchor, figures)
    for photo in photos:
        if photo.after is not None and photo.after in missing:
            where = photo.source or SourceRef(CAPTIONS)
            what = ("the section has fewer paragraphs" if photo.after.startswith("paragraph")
                    else "no element of the section has that id (write {: #id } after it in "
                         "the Markdown)")
            problems.append(Problem(f"[[photo]] after {photo.after!r}: {what}", where.path,
                                    where.line, code="captions-after"))
    return replace(section, html=html, photos=section.photos + tuple(photos))
