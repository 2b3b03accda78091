"""End to end: ``luoshu serve`` in a real browser (the system's Chromium, driven by Playwright).

A copy of the minimal-hans fixture is served on a free port. The browser opens a section;
the test edits that section's Markdown and waits for the new sentence to appear in the open
page (the page reloads itself: the test never reloads it); breaks the section with a character
no font has and waits for the banner, in the words ``luoshu build`` prints, over the last
good text; fixes it and waits for the banner to go; and finally looks at the print pages.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from luoshu.cli import main
from luoshu.serve.server import LivePreview

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="needs Chromium at /usr/bin/chromium (Debian: apt-get install "
                              "chromium); Playwright cannot download its own browsers here"),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (pip install "
                                                             "-e .[test])")

SENTENCE = "洛水之滨，晨钟初响，编辑部的灯还亮着。"
TOFU = "\U0010fffd"  # a private use code point of plane 16: no font draws it
WAIT_MS = 20_000


def build_errors(project: Path) -> list[str]:
    """The problem lines ``luoshu build`` prints for *project* (its exit status must be 1)."""
    result = CliRunner().invoke(main, ["build", str(project), "--format", "epub",
                                       "-o", str(project.parent / "out")])
    assert result.exit_code == 1, result.output
    return [line for line in result.output.splitlines() if not line.startswith("luoshu:")]


def wait_until(predicate, timeout: float = 60.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_the_preview_follows_the_edits(fixture_project):
    expect = sync_api.expect
    project = fixture_project("minimal-hans")
    section = project / "manuscript" / "01-intro.md"
    original = section.read_text(encoding="utf-8")
    lines: list[str] = []
    with LivePreview(project, port=0, report=lines.append, interval=0.2) as live, \
            sync_api.sync_playwright() as playwright:
        wait_until(lambda: live.state.view.text is not None)
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=["--no-sandbox"])
        try:
            page = browser.new_page()
            refused = []  # what the Content-Security-Policy or a missing file stopped
            page.on("console", lambda message: message.type == "error"
                    and "Failed to load resource" not in message.text
                    and refused.append(message.text))  # CSP violations, script errors
            page.on("response", lambda response: response.status >= 400
                    and refused.append(f"{response.status} {response.url}"))
            page.goto(live.url)
            page.get_by_role("link", name="引言").click()
            page.wait_for_url("**/book/text/01-intro.xhtml")
            expect(page.get_by_role("heading", name="引言")).to_be_visible()
            photo = page.locator("figure img").first
            expect(photo).to_be_visible()
            assert photo.evaluate("image => image.complete && image.naturalWidth > 0")
            assert page.locator(".luoshu-preview-next").first.get_attribute("href") == \
                "/book/text/02-data.xhtml"

            # An edit appears in the open page, which reloads itself.
            section.write_text(f"{original}\n{SENTENCE}\n", encoding="utf-8")
            expect(page.get_by_text(SENTENCE)).to_be_visible(timeout=WAIT_MS)
            # …by its own script: the page's navigation was a reload, and the test made none.
            assert page.evaluate("performance.getEntriesByType('navigation')[0].type") == "reload"
            assert page.url.endswith("/book/text/01-intro.xhtml")

            # A problem: the banner says what `luoshu build` says; the last good text stays.
            section.write_text(f"{original}\n{SENTENCE}\n坏字{TOFU}。\n", encoding="utf-8")
            banner = page.locator("#luoshu-preview-banner")
            expect(banner).to_be_visible(timeout=WAIT_MS)
            expected = build_errors(project)
            assert expected and banner.locator("li").all_inner_texts() == expected
            expect(page.get_by_text(SENTENCE)).to_be_visible()
            assert all(line in lines for line in expected)  # and on the terminal

            # Fixed: the banner goes.
            section.write_text(f"{original}\n{SENTENCE}\n", encoding="utf-8")
            expect(banner).to_have_count(0, timeout=WAIT_MS)
            expect(page.get_by_text(SENTENCE)).to_be_visible()

            # The print pages, as images with their numbers.
            page.goto(f"{live.url}print/")
            first = page.locator(".luoshu-preview-pages img").first
            expect(first).to_be_visible(timeout=40_000)
            assert first.evaluate("image => image.complete && image.naturalWidth > 0")
            expect(page.locator(".luoshu-preview-pages figcaption").first).to_have_text("1")
            assert not refused, refused
        finally:
            browser.close()
    assert "luoshu: updated 01-intro" in "\n".join(lines)
