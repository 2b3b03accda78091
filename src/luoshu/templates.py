"""Jinja2 templates shipped as package data (``luoshu/templates``) and theme CSS (``luoshu/styles``).

Packaging templates (OPF-adjacent XHTML, the print HTML) are kept apart from the theme CSS, as
Sphinx's EPUB builder does: a house style changes CSS, never templates.
"""

from __future__ import annotations

from importlib import resources

import jinja2


def environment() -> jinja2.Environment:
    """A fresh Jinja2 environment (no module-level state: builds may run in parallel)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("luoshu", "templates"),
        autoescape=jinja2.select_autoescape(["html", "xhtml", "xml", "j2"]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(name: str, **context: object) -> str:
    """Render the template *name* (e.g. ``"epub/section.xhtml.j2"``) with *context*."""
    return environment().get_template(name).render(**context)


def theme_css(name: str) -> str:
    """The text of a default theme stylesheet, e.g. ``theme_css("base.css")``."""
    return resources.files("luoshu").joinpath("styles", name).read_text(encoding="utf-8")
