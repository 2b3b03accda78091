"""luoshu.layout.pagestyle: the page geometry CSS generated from [print]."""

from luoshu.layout import pagestyle
from luoshu.model import PrintOptions


def test_page_css_comes_from_print_options():
    options = PrintOptions(trim_width_mm=148, trim_height_mm=210, margin_inner_mm=20,
                           margin_outer_mm=15, font_size_pt=12, line_height=1.6, bleed_mm=5)
    css = pagestyle.page_css(options, ("LXGW WenKai", "serif"))
    assert "size: 148mm 210mm;" in css
    assert "bleed: 5mm;" in css
    assert "@page :left { margin-left: 15mm; margin-right: 20mm; }" in css
    assert "@page :right { margin-left: 20mm; margin-right: 15mm; }" in css
    assert "font-size: 12pt" in css and "line-height: 1.6" in css
    assert '@bottom-right { font-family: "LXGW WenKai", serif; }' in css


def test_full_bleed_plates_reach_into_the_bleed():
    css = pagestyle.page_css(PrintOptions(trim_width_mm=148, bleed_mm=3), ("serif",))
    plate = css[css.index("@page plate"):]
    assert "margin: 0;" in plate and "@bottom-right { content: none; }" in plate
    assert "width: 154.00mm;" in css  # the trim width and both bleeds
    assert "margin: -3mm -3mm 0 -3mm;" in css


def test_css_cannot_leave_the_style_element():
    # Family names come from the project's fonts.toml.
    assert pagestyle.css_family_list(('A"B', "serif")) == '"A\\"B", serif'
    css = pagestyle.page_css(PrintOptions(), ("</style><script>x()</script>", "serif"))
    assert "</" not in pagestyle.style_element_text(css)
