"""CMYK output profiles: the printing condition a press PDF is prepared for.

A press PDF (luoshu.pdf.press) embeds one ICC output profile as its PDF/X output intent, and
Ghostscript converts the colours through it. The printer's own profile is best (book.toml
``[print] press_profile``); without one, Ghostscript's generic CMYK profile is used.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import Problem, ProjectError
from ..files.gate import ProjectFiles, RefusedResource
from ..files.paths import BOOK_TOML
from ..files.text import toml_key_line
from ..model import PrintOptions
from .parts import PdfError

# Ghostscript's generic CMYK output profiles, in order of preference: default_cmyk.icc is an
# ICC v2 profile with full lookup tables (what PDF 1.6 readers expect); ps_cmyk.icc is v4.
PROFILE_PLACES = ("/usr/share/color/icc/ghostscript", "/usr/share/ghostscript/iccprofiles",
                  "/usr/share/ghostscript/*/iccprofiles",
                  "/usr/local/share/ghostscript/*/iccprofiles")
PROFILE_NAMES = ("default_cmyk.icc", "ps_cmyk.icc")


class PressError(PdfError):
    """A problem the user can fix (missing Ghostscript, a bad profile, Ghostscript failing)."""


@dataclass(frozen=True)
class PressProfile:
    """A CMYK output profile: the printing condition the press PDF is prepared for."""

    path: Path  # the ICC file (given to Ghostscript)
    icc: bytes  # its bytes (embedded as the OutputIntent's DestOutputProfile)
    condition: str  # OutputConditionIdentifier: a registered name (e.g. "FOGRA39") or "Custom"
    info: str  # human-readable description, from the profile's 'desc' tag


# --- Profiles ---------------------------------------------------------------------------------


def default_profile() -> PressProfile:
    """Ghostscript's own generic CMYK profile, from where Debian's ghostscript installs it."""
    for place in PROFILE_PLACES:
        for folder in sorted(Path("/").glob(place.lstrip("/"))):
            for name in PROFILE_NAMES:
                try:
                    return load_profile(folder / name)
                except PressError:
                    continue  # missing, or not a CMYK output profile: try the next
    raise PressError("no CMYK output profile found: install ghostscript (on Debian, "
                     "apt-get install ghostscript) or name a profile (e.g. FOGRA39 or GRACoL)")


def load_profile(path: Path, condition: str | None = None) -> PressProfile:
    """The ICC profile at *path*, which must be a CMYK output ('prtr') profile.

    *condition* is the registered printing condition it characterizes (e.g. "FOGRA39"); None
    means "Custom", which PDF/X accepts because the profile itself is embedded.
    """
    try:
        icc = Path(path).read_bytes()
    except OSError as error:
        raise PressError(f"cannot read the ICC profile {path}: {error.strerror}") from None
    if len(icc) < 132 or icc[36:40] != b"acsp":
        raise PressError(f"{path} is not an ICC profile")
    space = icc[16:20].decode("latin-1").strip()
    device_class = icc[12:16].decode("latin-1").strip()
    if space != "CMYK" or device_class != "prtr":
        raise PressError(f"{path} is not a CMYK printer (output) profile: its colour space is "
                         f"{space}, its device class {device_class!r} (needed: CMYK, 'prtr')")
    return PressProfile(Path(path), icc, condition or "Custom",
                        _icc_description(icc) or Path(path).stem)


def _icc_description(icc: bytes) -> str | None:
    """The profile's 'desc' tag: an ICC v2 textDescription or a v4 multiLocalizedUnicode."""
    count = int.from_bytes(icc[128:132], "big")
    for entry in range(132, min(132 + 12 * count, len(icc)), 12):
        if icc[entry:entry + 4] != b"desc":
            continue
        start = int.from_bytes(icc[entry + 4:entry + 8], "big")
        tag = icc[start:start + int.from_bytes(icc[entry + 8:entry + 12], "big")]
        if tag[:4] == b"desc":
            text = tag[12:12 + int.from_bytes(tag[8:12], "big")].decode("latin-1")
        elif tag[:4] == b"mluc" and len(tag) >= 28:  # first record: length, offset in the tag
            length, offset = int.from_bytes(tag[20:24], "big"), int.from_bytes(tag[24:28], "big")
            text = tag[offset:offset + length].decode("utf-16-be", "replace")
        else:
            return None
        return text.replace("\x00", "").strip() or None
    return None




def output_profile(project: Path, options: PrintOptions) -> PressProfile:
    """The CMYK profile of book.toml's ``[print] press_profile`` (a file inside *project*), or
    the default; raises ProjectError, located in book.toml, when it cannot be used."""
    if options.press_profile is None:
        try:
            return default_profile()
        except PressError as error:
            raise ProjectError([Problem(f"press PDF: {error}", code="press-profile")]) from None
    line = _book_toml_line(project, "press_profile")
    try:
        path = ProjectFiles.of(project).resolve(options.press_profile, referrer=BOOK_TOML)
        return load_profile(path, options.press_condition)
    except RefusedResource as refused:
        raise ProjectError([Problem(p.message, BOOK_TOML, line, code=p.code)
                            for p in refused.problems]) from None
    except PressError as error:
        raise ProjectError([Problem(f"[print] press_profile: {error}", BOOK_TOML, line,
                                    code="press-profile")]) from None


def _book_toml_line(project: Path, key: str) -> int | None:
    try:
        text = (project / BOOK_TOML).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return toml_key_line(text, "print", key) or toml_key_line(text, "print", key.replace("_", "-"))
