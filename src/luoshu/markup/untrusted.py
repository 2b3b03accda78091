"""What untrusted input may do: raw HTML in Markdown, project stylesheets, SVG images.

Manuscripts are untrusted, and every file an output reads goes through the gate
(luoshu.files.gate.ProjectFiles). What the gate cannot see is what a file names *inside* it,
which an output may act on or carry as it is:

- raw HTML in a Markdown section (``sanitize_html``): both outputs take the same tree, so
  what could run code (scripts, event handlers, ``javascript:`` links) or load something
  (frames, media, ``<link>``, ``<base>``, ``url()`` in a style attribute, an attachment for
  WeasyPrint) is removed; only ``<img src>`` may load, through the gate;
- a project stylesheet (``styles/*.css``, ``refused_in_stylesheet``): ``@import``, ``url()``,
  ``src()``, ``image-set()``. WeasyPrint fetches only what the print layout uses (not a rule
  for ``@media screen``, or for a class nothing has), but the EPUB carries the file byte for
  byte and a reading system may fetch all of it. So references are read statically, and one
  outside the project stops both outputs with the stylesheet's name, line and the reference.
  When the project is read (``stylesheet_problems``, @imports followed) an image a reference
  names must also be one, within the limits of photos, and a missing file is reported: luoshu
  check finds what the layout would fail on;
- an SVG image (only possible as a ``data:`` URI: photo files must be JPEG or PNG;
  ``svg_hazards``): scripts, event handlers, ``<foreignObject>`` and references to anything
  but itself or ``data:`` images are refused, for the EPUB would carry them as they are.

Everything is parsed, never executed or fetched: tinycss2 for CSS (with the browsers' rules
for finding a stylesheet's encoding), lxml without network, DTD or entity expansion for SVG.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import tinycss2
from lxml import etree

from ..errors import Problem, ProjectError
from ..files.gate import ProjectFiles, decode_data_uri, image_type, shown

# Functions whose string arguments are URLs (url() itself is a token of its own when unquoted).
_URL_FUNCTIONS = {"url", "src", "image-set", "-webkit-image-set", "cross-fade",
                  "-webkit-cross-fade"}
SVG_TYPE = "image/svg+xml"
_SVG_ACTIVE = {"script", "foreignobject", "handler", "listener"}
_URL_NOISE = re.compile(r"[\x00-\x20]+")  # browsers ignore these inside URLs: "java\tscript:"
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_XML_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")  # and no prefix: nothing binds one

# Removed with everything inside them: they run code, embed or load other documents or media,
# change where relative URLs point (<base>) or send the reader elsewhere (<meta> refresh).
# Inline SVG goes too: it brings loaders of its own (<image>, <use>, <feImage>, <style>) and
# <foreignObject> a whole HTML subtree, and the HTML parser drops the SVG namespace, so the
# EPUB could not carry it anyway. A picture belongs in an image file, through the gate.
_DANGEROUS_ELEMENTS = {
    "script", "iframe", "object", "embed", "base", "meta", "link", "form", "frame",
    "frameset", "applet", "noscript", "style", "template", "svg", "video", "audio",
    "source", "track", "picture", "canvas", "portal", "input", "button", "select",
    "textarea", "param", "bgsound", "image", "title", "noembed", "noframes", "xml",
}
# Attributes that make a reading system (or WeasyPrint) load something: only <img src> may,
# and it goes through the gate (luoshu.files.gate), which refuses what is outside the project.
_LOADING_ATTRIBUTES = {
    "src", "srcset", "srcdoc", "background", "poster", "lowsrc", "dynsrc", "longdesc",
    "usemap", "ping", "action", "formaction", "data", "codebase", "archive", "classid",
    "manifest", "profile", "icon", "imagesrcset", "attributionsrc",
}
# Where a link may lead, besides "#…". Anything else (javascript:, data:, file:…) is dropped.
_LINK_SCHEMES = {"http", "https", "mailto", "tel"}
_SCRIPT_SCHEMES = {"javascript", "vbscript", "livescript"}
# CSS functions a style attribute may use; any other (url(), image-set(), expression()…) could
# load something, so the whole attribute goes.
_STYLE_FUNCTIONS = {"rgb", "rgba", "hsl", "hsla", "hwb", "calc", "min", "max", "clamp", "var"}
_STYLE_FUNCTION = re.compile(r"([\w-]*)\s*\(")
_HREF = re.compile(r"(?i)^\s*(#|data:image/(png|jpeg|gif|webp)[;,])")
_CSS_URL = re.compile(r"(?i)url\s*\(\s*['\"]?\s*([^'\")\s]*)")


@dataclass(frozen=True)
class Reference:
    """A URL written in a stylesheet, where it is (1-based line and column) and what it names:
    "import" (@import: a stylesheet), "font" (in @font-face) or "image" (anywhere else)."""

    value: str
    line: int
    column: int
    context: str = "image"


def stylesheet_references(data: bytes) -> list[Reference]:
    """Every URL *data* (a stylesheet's bytes) names: in ``@import``, ``url()`` and the
    functions that take URLs, in every rule whether or not it would apply."""
    rules, _ = tinycss2.parse_stylesheet_bytes(data, skip_comments=True, skip_whitespace=True)
    found: list[Reference] = []

    def walk(tokens, context: str, in_url_function: bool = False) -> None:
        for token in tokens or ():
            kind = token.type
            if kind == "url" or (kind == "string" and in_url_function):
                found.append(Reference(token.value, token.source_line, token.source_column,
                                       context))
            elif kind == "function":
                walk(token.arguments, context, token.lower_name in _URL_FUNCTIONS)
            elif kind in ("() block", "[] block", "{} block"):
                walk(token.content, context, in_url_function)
            elif kind == "at-rule":
                keyword = token.lower_at_keyword
                if keyword == "namespace":
                    continue  # a namespace name, never fetched
                # @import "x.css" takes a bare string as a URL.
                walk(token.prelude, "import" if keyword == "import" else context,
                     in_url_function or keyword == "import")
                # @media's rules, @font-face's declarations: as tokens
                walk(token.content, "font" if keyword == "font-face" else context)
            elif kind == "qualified-rule":
                walk(token.prelude, context)
                walk(token.content, context)

    walk(rules, "image")
    return found


ImageJudge = Callable[[bytes], "str | None"]  # what makes bytes unusable as an image, or None


def refused_in_stylesheet(files: ProjectFiles, relative: str, data: bytes,
                          image_problem: ImageJudge | None = None,
                          missing: bool = False) -> list[tuple[Reference, Problem]]:
    """The references of the project stylesheet *relative* (its bytes: *data*) that point
    outside the project or to the network, each with the Problem that names it.

    With *image_problem* (luoshu.images.photos.image_problem), what a reference outside
    @font-face and @import names — a project file or a data: URI — must also be an image that
    passes it (a url() naming book.toml once failed the print layout with an empty reason);
    with *missing*, a file that is not there is reported too (else whoever loads it says so).
    """
    folder = posixpath.dirname(relative)
    refused = []
    for reference in stylesheet_references(data):
        problems: list[Problem] = []
        value = reference.value
        if value.startswith("data:"):
            problems = _data_uri_problems(value, relative)
            if not problems and image_problem and reference.context == "image":
                problems = _judged(value, _data_uri_bytes(value), image_problem, relative)
        elif value.strip() and not value.startswith("#"):
            try:
                path = files.resolve(value, base=folder, referrer=relative)
            except ProjectError as error:
                problems = [p for p in error.problems
                            if p.code == "resource-outside" or missing]
            else:
                if image_problem and reference.context == "image":
                    problems = _image_file_problems(value, path, image_problem, relative)
        refused += [(reference, dataclasses.replace(p, line=reference.line,
                                                    column=reference.column))
                    for p in problems]
    return refused


def stylesheet_problems(files: ProjectFiles, stylesheets: Iterable[str],
                        image_problem: ImageJudge) -> list[Problem]:
    """Every problem of the project's *stylesheets* (project paths) and of the project
    stylesheets they @import, at their file, line and column: what refused_in_stylesheet
    finds, missing files included — all the layout and the EPUB would stop on, found before
    either runs (luoshu check says the same)."""
    problems: list[Problem] = []
    for relative, data, unread in project_stylesheets(files, stylesheets):
        problems += unread
        if data is not None:
            refused = refused_in_stylesheet(files, relative, data, image_problem, missing=True)
            problems += [problem for _, problem in refused]
    return problems


def project_stylesheets(files: ProjectFiles, stylesheets: Iterable[str]
                        ) -> Iterator[tuple[str, bytes | None, tuple[Problem, ...]]]:
    """(project path, bytes, problems) of each of *stylesheets* and of every project
    stylesheet they @import, once each, in the order they are met; bytes None, with the
    problems, for one that cannot be read."""
    queue, seen = list(stylesheets), set()
    while queue:
        relative = queue.pop(0)
        if relative in seen:
            continue
        seen.add(relative)
        try:
            data = files.resolve(relative, referrer=relative).read_bytes()
        except ProjectError as error:
            yield relative, None, error.problems
            continue
        except OSError as error:  # no permission, a failing disk
            yield relative, None, (Problem(f"cannot be read ({error.strerror or error})",
                                           relative, code="unreadable"),)
            continue
        yield relative, data, ()
        queue += [target for reference in stylesheet_references(data)
                  if reference.context == "import"
                  and (target := named_file(files, reference.value, relative))]


def named_file(files: ProjectFiles, value: str, stylesheet: str) -> str | None:
    """The project path a reference *value* of *stylesheet* names, as it is written (a link
    inside the project keeps its name); None for a data: URI or a fragment, and for what is
    outside the project or not there (refused_in_stylesheet says why)."""
    if not value.strip() or value.startswith(("data:", "#")):
        return None
    folder = posixpath.dirname(stylesheet)
    try:
        files.resolve(value, folder, stylesheet)
    except ProjectError:
        return None
    name = urllib.parse.unquote(urllib.parse.urlsplit(value).path)
    return posixpath.normpath(posixpath.join(folder, name))


def _image_file_problems(value: str, path, image_problem: ImageJudge,
                         where: str) -> list[Problem]:
    """What is wrong with the project file *path* a stylesheet names as an image (*value*):
    unreadable, no image within the photos' limits, or an SVG holding what could run or load."""
    try:
        content = path.read_bytes()
    except OSError as error:  # no permission, a failing disk
        return [Problem(f"url({shown(value)}) cannot be read ({error.strerror or error})", where,
                        code="unreadable")]
    return _judged(value, content, image_problem, where) or [
        Problem(f"refused the SVG image {value!r}: {reason}", where, code="resource-outside")
        for reason in (svg_hazards(content) if image_type(content) == SVG_TYPE else ())]


def _judged(value: str, data: bytes | None, image_problem: ImageJudge,
            where: str) -> list[Problem]:
    why = "is not a readable data: URI" if data is None else image_problem(data)
    return [Problem(f"url({shown(value)}) {why}", where, code="stylesheet-image")] if why else []


def _data_uri_bytes(uri: str) -> bytes | None:
    try:
        return decode_data_uri(uri)[1]
    except ValueError:
        return None


def _data_uri_problems(uri: str, where: str) -> list[Problem]:
    try:
        kind, content = decode_data_uri(uri)
    except ValueError:
        return []  # unreadable: whoever uses it reports that
    if kind.lower() != SVG_TYPE:
        return []
    return [Problem(f"refused an SVG data: URI: {reason}", where, code="resource-outside")
            for reason in svg_hazards(content)]


def svg_hazards(data: bytes) -> list[str]:
    """Why the SVG document *data* cannot go into a book: what could run in a reading system
    (scripts, event handlers, foreignObject's HTML) or load something from elsewhere.
    An empty list when there is nothing of the kind (or when it is not XML at all: then
    whoever decodes it reports that)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return []
    hazards: list[str] = []
    if root.getroottree().docinfo.internalDTD is not None:
        hazards.append("it declares a DOCTYPE (entities can pull in other files)")
    for element in root.iter():
        if not isinstance(element.tag, str):
            if isinstance(element, etree._ProcessingInstruction):
                hazards.append("it holds a processing instruction (<?xml-stylesheet?> loads "
                               "other files)")
            continue
        name = etree.QName(element).localname
        if name.lower() in _SVG_ACTIVE:
            hazards.append(f"it holds <{name}>, which can run code")
        for attribute, value in element.attrib.items():
            local = etree.QName(attribute).localname.lower()
            if local.startswith("on"):
                hazards.append(f"<{name} {local}=…> runs code")
            elif local in ("href", "src") and not _HREF.match(value):
                hazards.append(f"<{name}> refers to {value[:80]!r} (only '#…' and data: "
                               "images can be used)")
            elif local == "style":
                hazards += _css_text_hazards(value, name)
        if name.lower() == "style":
            hazards += _css_text_hazards("".join(element.itertext()), name)
    return list(dict.fromkeys(hazards))


def _css_text_hazards(css: str, where: str) -> list[str]:
    hazards = []
    if "@import" in css.lower() or "\\" in css:
        hazards.append(f"<{where}> has CSS that can load other files (@import or escapes)")
    for target in _CSS_URL.findall(css):
        if not _HREF.match(target):
            hazards.append(f"<{where}> refers to {target[:80]!r} in CSS")
    return hazards


# --- raw HTML in Markdown -------------------------------------------------------------------


def sanitize_html(root: etree._Element) -> None:
    """Remove from *root*, a Markdown section's tree (lxml.html), what could run code or load
    things from elsewhere.

    Both outputs take the same tree, so what is removed here is gone from the EPUB (where a
    reading system would act on it) and from the print PDF (where WeasyPrint would fetch it).
    """
    for element in list(root.iter()):
        if not isinstance(element.tag, str):  # comments, processing instructions
            if element.getparent() is not None:
                element.drop_tree()  # lxml.html's comments have it too: the tail text stays
            continue
        tag = element.tag.lower()
        if not _XML_NAME.fullmatch(tag):
            # The HTML parser takes <a:b> or <x,y?> for elements: as XML, a prefix bound to no
            # namespace or such a name is not well-formed. The content stays (and is looked
            # at like the rest).
            element.drop_tag()
            continue
        if tag in _DANGEROUS_ELEMENTS:
            element.drop_tree()
            continue
        if tag == "img" and _scheme(element.get("src", "")) in _SCRIPT_SCHEMES:
            element.drop_tree()  # an image of nothing: "javascript:" is no picture
            continue
        for name in list(element.attrib):
            if not _allowed_attribute(tag, name.lower(), element.attrib[name]):
                del element.attrib[name]
        if tag == "a" and element.get("rel"):
            # WeasyPrint embeds the target of <a rel="attachment"> in the PDF.
            kept = [t for t in element.get("rel").split() if t.lower() != "attachment"]
            if kept:
                element.set("rel", " ".join(kept))
            else:
                del element.attrib["rel"]


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    if name.startswith("on") or name == "xmlns" or not _XML_NAME.fullmatch(name):
        # Event handlers; xmlns, which would take the element out of XHTML; names XML
        # cannot have, and prefixed ones like epub:type (nothing binds the prefix).
        return False
    if name.startswith("data-"):
        # luoshu's print side marks blocks with data-* attributes (pagemap, figure_flow): an
        # author's copy would be taken for one of them.
        return False
    if name == "href":
        # A link leads within the section (#…) or to the web. A relative path leads nowhere in
        # either output (no such file in the EPUB; in the PDF, WeasyPrint makes it a
        # file:// link, "../../etc/passwd" included).
        scheme = _scheme(value)
        if scheme is None:
            return tag == "a" and _URL_NOISE.sub("", value).startswith("#")
        return tag == "a" and scheme in _LINK_SCHEMES
    if name == "src":
        return tag == "img"  # an <img> with a script src was removed with its src
    if name in _LOADING_ATTRIBUTES:
        return False
    if name == "style":
        return _safe_style(value)
    return True


def _scheme(url: str) -> str | None:
    """The scheme of *url* as a browser would read it (blanks and controls ignored), or None."""
    match = _SCHEME.match(_URL_NOISE.sub("", url).lower())
    return match.group(1) if match else None


def _safe_style(css: str) -> bool:
    """Whether a style attribute can only style: no escapes (they can spell any function),
    no at-rules, no comment tricks, and no function but the few that compute values."""
    if any(mark in css for mark in ("\\", "@", "/*", "<")):
        return False
    return all(name.lower() in _STYLE_FUNCTIONS for name in _STYLE_FUNCTION.findall(css))


def svg_image_hazards(src: str) -> list[str]:
    """What in an SVG ``data:`` image could run or load something (photo files are JPEG or
    PNG, so a data: URI is the only way an SVG gets in): refused for both outputs alike,
    though only the EPUB would carry it as it is."""
    if not src.startswith("data:"):
        return []
    try:
        kind, content = decode_data_uri(src)
    except ValueError:
        return []  # not decodable: the outputs report that
    return svg_hazards(content) if kind.lower() == SVG_TYPE else []
