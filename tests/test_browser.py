"""The built site in Debian's Chromium: search, the light/dark switch, cross-references."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_search_finds_the_expected_page(page, served_site):
    page.goto(f"{served_site}/index.html")
    page.fill("input.sidebar-search", "keyset pagination")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search.html?q=*")
    results = page.locator("#search-results ul.search li a")
    results.first.wait_for(timeout=20_000)
    hrefs = [results.nth(i).get_attribute("href") for i in range(min(results.count(), 10))]
    assert any("essays/schema-design" in href for href in hrefs), hrefs


def test_theme_switch_cycles_dark_and_light(page, served_site):
    page.goto(f"{served_site}/index.html")
    body = page.locator("body")
    seen = set()
    for _ in range(3):  # Furo cycles auto -> dark -> light (the order depends on the system theme)
        page.locator(".content-icon-container .theme-toggle").first.click()
        seen.add(body.get_attribute("data-theme"))
    assert {"dark", "light"} <= seen
    page.locator(".content-icon-container .theme-toggle").first.click()
    # The choice persists across pages.
    chosen = body.get_attribute("data-theme")
    page.goto(f"{served_site}/glossary.html")
    assert page.locator("body").get_attribute("data-theme") == chosen


def test_background_colour_follows_the_theme(page, served_site):
    page.goto(f"{served_site}/index.html")
    page.evaluate("document.body.dataset.theme = 'dark'")
    dark = page.evaluate("getComputedStyle(document.body).backgroundColor")
    page.evaluate("document.body.dataset.theme = 'light'")
    light = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert dark != light


def test_a_cross_reference_navigates_to_its_target(page, served_site):
    page.goto(f"{served_site}/essays/index.html")
    link = page.locator("article a.reference.internal[href*='schema-design']").first
    link.click()
    page.wait_for_url("**/essays/schema-design.html*")
    assert "schema" in page.locator("article h1").first.inner_text().lower()
