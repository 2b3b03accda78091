"""Where things are in a book project: every project path luoshu knows, declared once.

All are POSIX paths relative to the project folder, as problems and build records show them.
"""

from __future__ import annotations

BOOK_TOML = "book.toml"  # the book's metadata and options (luoshu.project.config)
MANUSCRIPT = "manuscript"  # the sections (*.md); photos and figures are relative to it
CAPTIONS = f"{MANUSCRIPT}/captions.toml"  # photos with their captions
STYLES = "styles"  # the project's CSS, applied after the default theme
FONTS = "fonts"  # the project's font files
FONTS_TOML = f"{FONTS}/fonts.toml"  # which family (or file) plays which role

# What luoshu reads by path, before any output's gate (luoshu.files.gate.ProjectFiles) is
# involved: book.toml, the manuscript (sections, captions.toml), styles/ and fonts/.
READ_BY_PATH = (BOOK_TOML, MANUSCRIPT, STYLES, FONTS)


def in_manuscript(reference: str) -> str:
    """The project path of *reference*, a file named relative to manuscript/ (a photo)."""
    return f"{MANUSCRIPT}/{reference}"
