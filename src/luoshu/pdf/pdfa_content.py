"""The PDF/A-2 checks of what pages draw with: fonts, text, images, colour, graphics states.

Part of luoshu.pdf.pdfa_check (see there for what is and is not checked). Everything a page
reaches comes from luoshu.pdf.parts.parts(), the walk luoshu.pdf.pdfx_check uses for the press PDF.

The "u" in PDF/A-2u is about text: every font needs a /ToUnicode map, and every glyph a page
shows must be in it, mapped to real characters (not U+0000, U+FEFF or U+FFFE) — otherwise
search, copy and text extraction get nothing or rubbish. That is checked glyph by glyph: the
strings of every text operator are decoded with the font that is current at that point. Only
the two-byte Identity encodings WeasyPrint uses and one-byte simple fonts are decoded; text in
a composite font with another CMap is not examined.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pikepdf
from pikepdf import Array, Dictionary, Name

from . import tounicode
from .parts import Part, inherited, parts

MAX_NESTING = 28  # ISO 19005-2, 6.1.13: q/Q nesting
# The font programs PDF/A-2 allows in FontFile3 (6.2.11.2).
FONT_FILE3_SUBTYPES = {"/Type1C", "/CIDFontType0C", "/OpenType"}
BLEND_MODES = {f"/{mode}" for mode in (
    "Normal", "Compatible", "Multiply", "Screen", "Overlay", "Darken", "Lighten", "ColorDodge",
    "ColorBurn", "HardLight", "SoftLight", "Difference", "Exclusion", "Hue", "Saturation",
    "Color", "Luminosity")}
RENDERING_INTENTS = {"/RelativeColorimetric", "/AbsoluteColorimetric", "/Perceptual",
                     "/Saturation"}
DEVICE_SPACES = {"/DeviceRGB": "RGB", "/RGB": "RGB", "/DeviceCMYK": "CMYK", "/CMYK": "CMYK",
                 "/DeviceGray": "GRAY", "/G": "GRAY"}
DEVICE_NAMES = {"RGB": "DeviceRGB", "CMYK": "DeviceCMYK", "GRAY": "DeviceGray"}
COLOUR_OPERATORS = {"rg": "RGB", "RG": "RGB", "k": "CMYK", "K": "CMYK", "g": "GRAY", "G": "GRAY"}
TEXT_OPERATORS = {"Tj": 0, "'": 0, '"': 2, "TJ": 0}  # operator: index of its string operand
BAD_UNICODE = {"\u0000", "\ufeff", "\ufffe"}
REFUSED_FILTERS = {"/LZWDecode", "/LZW"}


@dataclass(frozen=True)
class FontCodes:
    """How a font's strings are read: code width in bytes, the codes its ToUnicode map
    defines, and whether code 0 is .notdef (an Identity-encoded CID font)."""

    width: int | None  # None: an encoding this checker does not decode
    mapped: frozenset[int]
    identity: bool


def content_problems(pdf: pikepdf.Pdf, intent_space: str | None) -> list[str]:
    """The problems of every page and everything it reaches; *intent_space* is the colour
    space of the PDF/A output intent ("RGB", "CMYK", "GRAY", or None without one)."""
    problems: list[str] = []
    fonts: dict[object, FontCodes] = {}
    for part in parts(pdf):
        named = f"page {part.page}: {part.label}".rstrip()
        about = f"{named}: " if part.label else f"{named} "
        if part.kind in ("page", "form", "pattern"):
            problems += [about + p for p in _drawing_problems(part, intent_space, fonts)]
            group = part.obj.get("/Group")
            problem = (_device_problem(device_space(group.get("/CS")), intent_space)
                       if isinstance(group, Dictionary) else None)
            problems += [f"{about}transparency group {problem}"] if problem else []
        if part.kind == "font":
            problems += [f"{named} ({part.obj.get('/BaseFont', 'Type3')}) {p}"
                         for p in _font_problems(part.obj)]
        elif part.kind == "image":
            problems += [about + p for p in _image_problems(part.obj, intent_space)]
        elif part.kind == "form":
            problems += [about + p for p in _form_problems(part.obj)]
        elif part.kind == "graphics state":
            problems += [about + p for p in _state_problems(part.obj)]
        elif part.kind in ("shading", "colour space"):
            space = part.obj if part.kind == "colour space" else part.obj.get("/ColorSpace")
            problem = _device_problem(device_space(space), intent_space)
            problems += [about + problem] if problem else []
    return problems


def stream_problems(pdf: pikepdf.Pdf) -> list[str]:
    """Filters PDF/A forbids (LZW, Crypt other than Identity) and streams whose data is in
    another file (F, FFilter, FDecodeParms), over every stream of the file."""
    refused: dict[str, list[int]] = {}
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Stream):
            continue
        filters = obj.get("/Filter")
        for name in (filters if isinstance(filters, Array) else [filters]):
            if name in REFUSED_FILTERS:
                refused.setdefault("LZW compression (LZWDecode)", []).append(obj.objgen[0])
            elif name == "/Crypt":
                refused.setdefault("a Crypt filter", []).append(obj.objgen[0])
        if any(key in obj for key in ("/F", "/FFilter", "/FDecodeParms")):
            refused.setdefault("data in an external file (F)", []).append(obj.objgen[0])
    return [f"{len(numbers)} stream(s) use {what}, which PDF/A forbids (objects "
            f"{', '.join(map(str, sorted(numbers)[:10]))}{'…' if len(numbers) > 10 else ''})"
            for what, numbers in refused.items()]


# --- Content streams ----------------------------------------------------------------------------


def _drawing_problems(part: Part, intent_space: str | None,
                      fonts: dict[object, FontCodes]) -> list[str]:
    """One content stream: q/Q nesting, device colour, inline images, and glyphs without a
    Unicode mapping (or shown as .notdef)."""
    resources = (inherited(part.obj, "/Resources") if part.kind == "page"
                 else part.obj.get("/Resources"))
    font_table = resources.get("/Font") if isinstance(resources, Dictionary) else None
    problems, depth, deepest = [], 0, 0
    spaces: Counter[str] = Counter()
    unmapped: Counter[str] = Counter()
    notdef: Counter[str] = Counter()
    font, font_name = None, ""
    for operands, operator in pikepdf.parse_content_stream(part.obj):
        name = str(operator)
        if name == "q":
            depth += 1
            deepest = max(deepest, depth)
        elif name == "Q":
            depth = max(0, depth - 1)
        elif name in COLOUR_OPERATORS:
            spaces[COLOUR_OPERATORS[name]] += 1
        elif name in ("cs", "CS") and operands and str(operands[0]) in DEVICE_SPACES:
            spaces[DEVICE_SPACES[str(operands[0])]] += 1
        elif name == "Tf" and operands:
            font_name = str(operands[0])
            font = font_table.get(font_name) if isinstance(font_table, Dictionary) else None
            if font is None:
                problems.append(f"uses font {font_name}, which its resources do not hold")
        elif name in TEXT_OPERATORS and isinstance(font, Dictionary):
            codes = _codes_of(font, fonts)
            shown = operands[TEXT_OPERATORS[name]] if len(operands) > TEXT_OPERATORS[name] else b""
            for code in _shown_codes(shown, codes.width):
                if codes.identity and code == 0:
                    notdef[font_name] += 1
                elif code not in codes.mapped:
                    unmapped[font_name] += 1
        elif name == "INLINE IMAGE":
            problems += _inline_image_problems(operands[0].obj, intent_space)
    if part.kind != "page" and resources is None and (font_name or spaces):
        problems.append("has no Resources dictionary of its own")
    if deepest > MAX_NESTING:
        problems.append(f"nests q/Q {deepest} levels deep (PDF/A allows {MAX_NESTING})")
    for space, count in sorted(spaces.items()):
        problem = _device_problem(space, intent_space)
        if problem:
            problems.append(f"{problem} ({count} operator{'s' if count > 1 else ''})")
    problems += [f"shows {count} glyph(s) of font {name} that its ToUnicode map does not map"
                 for name, count in sorted(unmapped.items())]
    problems += [f"shows the .notdef glyph {count} time(s) in font {name}"
                 for name, count in sorted(notdef.items())]
    return problems


def _shown_codes(shown: object, width: int | None) -> list[int]:
    """The character codes of a text operator's string (or TJ array) for *width*-byte codes."""
    if width is None:
        return []
    strings = shown if isinstance(shown, Array) else [shown]
    codes = []
    for string in strings:
        if isinstance(string, pikepdf.String):
            data = bytes(string)
            codes += [int.from_bytes(data[i:i + width], "big")
                      for i in range(0, len(data) - width + 1, width)]
    return codes


def _codes_of(font: Dictionary, cache: dict[object, FontCodes]) -> FontCodes:
    key = font.objgen if font.is_indirect else id(font)
    if key not in cache:
        composite = font.get("/Subtype") == "/Type0"
        identity = composite and font.get("/Encoding") in ("/Identity-H", "/Identity-V")
        width = (2 if identity else None) if composite else 1
        mapped = frozenset()
        if isinstance(font.get("/ToUnicode"), pikepdf.Stream):
            mapped = frozenset(tounicode.glyph_map(font.ToUnicode.read_bytes()))
        cache[key] = FontCodes(width, mapped, identity)
    return cache[key]


def _inline_image_problems(image: Dictionary, intent_space: str | None) -> list[str]:
    problems = []
    filters = image.get("/F", image.get("/Filter"))
    if any(f in REFUSED_FILTERS for f in (filters if isinstance(filters, Array) else [filters])):
        problems.append("has an inline image compressed with LZW")
    if image.get("/I", image.get("/Interpolate")) is True:
        problems.append("has an inline image with interpolation on (I true)")
    problem = _device_problem(device_space(image.get("/CS", image.get("/ColorSpace"))),
                              intent_space)
    return problems + ([f"has an inline image: {problem}"] if problem else [])


# --- Resources ----------------------------------------------------------------------------------


def _font_problems(font: Dictionary) -> list[str]:
    """Embedded, of a kind PDF/A allows, with a ToUnicode map of real characters."""
    problems = []
    kind = font.get("/Subtype")
    program = font
    if kind == "/Type0":
        program = (font.get("/DescendantFonts") or [Dictionary()])[0]
        if program.get("/Subtype") == "/CIDFontType2" and "/CIDToGIDMap" not in program:
            problems.append("is a TrueType CID font without a CIDToGIDMap")
    if kind != "/Type3":
        descriptor = program.get("/FontDescriptor")
        files = [descriptor[key] for key in ("/FontFile", "/FontFile2", "/FontFile3")
                 if isinstance(descriptor, Dictionary) and key in descriptor]
        if not files:
            problems.append("is not embedded")
        elif "/FontFile3" in descriptor and files[0].get("/Subtype") not in FONT_FILE3_SUBTYPES:
            problems.append(f"embeds a font program of type {files[0].get('/Subtype')}, "
                            "which PDF/A does not allow")
    unicode = font.get("/ToUnicode")
    if not isinstance(unicode, pikepdf.Stream):
        problems.append("has no ToUnicode map (PDF/A-2u needs one for every font)")
    else:
        texts = {bytes.fromhex(value).decode("utf-16-be", errors="replace")
                 for value in tounicode.glyph_map(unicode.read_bytes()).values()
                 if len(value) % 2 == 0}
        if any(BAD_UNICODE.intersection(text) for text in texts):
            problems.append("maps glyphs to U+0000, U+FEFF or U+FFFE in its ToUnicode map")
    return problems


def _image_problems(image: pikepdf.Object, intent_space: str | None) -> list[str]:
    problems = []
    for label, obj in (("", image), ("its soft mask ", image.get("/SMask"))):
        if not isinstance(obj, pikepdf.Stream):
            continue
        if obj.get("/Interpolate") is True:
            problems.append(f"{label}has Interpolate true (PDF/A forbids interpolation)")
        problems += [f"{label}has {key[1:]}" for key in ("/Alternates", "/OPI") if key in obj]
    problem = _device_problem(device_space(image.get("/ColorSpace")), intent_space)
    return problems + ([problem] if problem else [])


def _form_problems(form: pikepdf.Object) -> list[str]:
    problems = [f"has {key[1:]}" for key in ("/OPI", "/PS", "/Ref") if key in form]
    if form.get("/Subtype2") == "/PS":
        problems.append("is a PostScript form (Subtype2 PS)")
    return problems


def _state_problems(state: Dictionary) -> list[str]:
    problems = []
    if "/TR" in state or state.get("/TR2", Name.Default) != Name.Default:
        problems.append("has a transfer function (TR/TR2)")
    if "/HTP" in state:
        problems.append("has a halftone phase (HTP)")
    modes = state.get("/BM")
    for mode in (modes if isinstance(modes, Array) else [modes] if modes is not None else []):
        if mode not in BLEND_MODES:
            problems.append(f"uses the blend mode {mode}, which ISO 32000-1 does not define")
    intent = state.get("/RI")
    if intent is not None and intent not in RENDERING_INTENTS:
        problems.append(f"uses the rendering intent {intent}, which ISO 32000-1 does not define")
    return problems


# --- Colour -------------------------------------------------------------------------------------


def device_space(space: object) -> str | None:
    """The device colour space *space* paints in ("RGB", "CMYK", "GRAY"), directly or as the
    base of an indexed, separation, DeviceN or pattern space; None if device-independent."""
    if isinstance(space, Name):
        return DEVICE_SPACES.get(str(space))
    if not isinstance(space, Array) or len(space) < 2:
        return None
    base = {"/Indexed": 1, "/I": 1, "/Pattern": 1, "/Separation": 2, "/DeviceN": 2}.get(
        str(space[0]))
    return device_space(space[base]) if base is not None and len(space) > base else None


def _device_problem(space: str | None, intent_space: str | None) -> str | None:
    """Why painting in the device space *space* is not allowed with this output intent (PDF/A
    allows DeviceGray with any intent, DeviceRGB and DeviceCMYK with one of their kind)."""
    if space is None or (intent_space is not None and space in ("GRAY", intent_space)):
        return None
    intent = f"a {intent_space} output intent" if intent_space else "no output intent"
    return f"uses {DEVICE_NAMES[space]} with {intent}"
