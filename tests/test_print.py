"""Printing: the handbook's print rules (handbook.css, @media print) leave the article alone on
paper. Chromium's print media emulation shows what a reader's "Print" and `make pdf` get:
Furo's navigation (header, sidebars, footer, theme toggles, "edit this page", back to top) and
the page's neighbourhood (tags, "Referenced by", related pages) are hidden; the article and the
stale-page notice are shown."""

from __future__ import annotations

import pytest

from conftest import ROOT, ROOTS, STRICT, serve, sphinx_build

pytestmark = pytest.mark.browser

CHROME = {
    "header": ".mobile-header",
    "navigation sidebar": ".sidebar-drawer",
    "contents sidebar": ".toc-drawer",
    "footer": "footer",
    "previous and next links": ".related-pages",
    "theme toggle": ".theme-toggle",
    "edit this page": ".content-icon-container",
    "back to top": ".back-to-top",
    "tags, backlinks and related pages": ".handbook-neighbourhood",
}

# Shown: is the element rendered at all (a box on the printed page)?
SHOWN = """(selector) => [...document.querySelectorAll(selector)].map((element) => {
  const box = element.getBoundingClientRect();
  return getComputedStyle(element).display !== "none" && element.getClientRects().length > 0
    && box.width > 0 && box.height > 0;
})"""


def shown(page, selector: str) -> list[bool]:
    return page.evaluate(SHOWN, selector)


def test_screen_shows_the_chrome_print_hides_it(page, served_site):
    """On screen (a desktop width) the navigation is there; in print it is gone and the article
    takes the page's width."""
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{served_site}/essays/schema-design.html", wait_until="load")
    for name in ("navigation sidebar", "contents sidebar", "footer", "tags, backlinks and related pages"):
        assert any(shown(page, CHROME[name])), f"{name}: not on screen, so the print check below proves nothing"

    page.emulate_media(media="print")
    for name, selector in CHROME.items():
        assert page.locator(selector).count(), f"{name} ({selector}) is not on the page any more: update CHROME"
        assert not any(shown(page, selector)), f"{name} ({selector}) is printed"
    assert all(shown(page, "article")) and page.locator("article h1").is_visible()
    article = page.evaluate("() => document.querySelector('article').getBoundingClientRect().width")
    assert article > 0.9 * page.viewport_size["width"], f"the article is {article}px wide of {page.viewport_size}"


def test_the_stale_notice_is_printed(page, tmp_path):
    """A small project whose page "gamma" was reviewed in 2020, built with the handbook's
    template and stylesheet: the notice prints, the neighbourhood does not."""
    out = tmp_path / "html"
    result = sphinx_build(
        ROOTS / "test-knowledge",
        out,
        *STRICT,
        "-d",
        str(tmp_path / "doctrees"),
        "-D",
        f"html_static_path={ROOT / '_static'}",
        "-D",
        "html_css_files=handbook.css",
    )
    assert result.returncode == 0, result.stderr[-4000:]
    with serve(out) as base:
        page.goto(f"{base}/gamma.html", wait_until="load")
        assert page.locator(".handbook-stale-notice").is_visible()
        page.emulate_media(media="print")
        assert all(shown(page, ".handbook-stale-notice")) and page.locator(".handbook-stale-notice").is_visible()
        assert "may be out of date" in page.locator(".handbook-stale-notice").inner_text()
        assert page.locator(".handbook-neighbourhood").count() and not any(shown(page, ".handbook-neighbourhood"))
        assert not any(shown(page, ".sidebar-drawer")) and not any(shown(page, "footer"))
