"""The fast sidebar is Furo's own HTML, page for page (less the lists of closed branches, which
the browser fills in from one shared file), and no page keeps a stale sidebar."""

from __future__ import annotations

import re
import shutil

import furo
import pytest

from conftest import ROOTS, serve
from handbook.navigation import FURO_VERSION, TREE_FILE

SIDEBAR = re.compile(r'<div class="sidebar-tree">.*?</div>', re.S)


def html_pages(out):
    return sorted(p.relative_to(out) for p in out.rglob("*.html") if "_static" not in p.parts)


def sidebar(out, page) -> str:
    match = SIDEBAR.search((out / page).read_text(encoding="utf-8"))
    assert match, page
    return match.group(0)


# A closed branch's toggle (Furo writes checked="" between aria-label and class on open ones).
CLOSED = re.compile(
    r'<input aria-label="[^"]*" class="toctree-checkbox"[^>]*>'
    r'<label for="[^"]*">.*?</label>(?=<ul)'
)


def without_closed_branches(html: str) -> str:
    """Stock Furo's page with the children list of every closed branch cut out: what the fast
    navigation writes into each page."""
    out, position = [], 0
    for toggle in CLOSED.finditer(html):
        if toggle.start() < position:
            continue  # inside a list already cut
        out.append(html[position : toggle.end()])
        depth = 0
        for tag in re.finditer(r"<ul[ >]|</ul>", html[toggle.end() :]):
            depth += -1 if tag.group(0) == "</ul>" else 1
            if depth == 0:
                position = toggle.end() + tag.end()
                break
    out.append(html[position:])
    return "".join(out)


def test_furo_is_the_release_the_fast_navigation_was_checked_against():
    assert furo.__version__ == FURO_VERSION, (
        "Furo changed: rerun tests/test_navigation.py against it and update FURO_VERSION"
    )


@pytest.mark.parametrize("builder", ["html", "dirhtml"])
def test_every_page_is_stock_furo_less_its_closed_branches(build, builder):
    project = ROOTS / "test-navigation"
    fast = build(project, "fast", builder)
    stock = build(project, "stock", builder, handbook_fast_navigation=0)
    pages = html_pages(stock)
    assert len(pages) >= 10 and pages == html_pages(fast)
    uncut = set()
    for page in pages:
        stock_html = (stock / page).read_text(encoding="utf-8")
        expected = without_closed_branches(stock_html)
        if expected == stock_html:
            uncut.add(page.as_posix())
        assert (fast / page).read_text(encoding="utf-8") == expected, page
    # Only the pages on whose path every branch is open (Guide and Two) keep the whole tree.
    assert uncut == (
        {"guide/two.html", "guide/deep/three.html"}
        if builder == "html"
        else {"guide/two/index.html", "guide/deep/three/index.html"}
    ), uncut
    # The whole tree, written once: the root page's sidebar, where every branch is closed.
    root_sidebar = sidebar(stock, "index.html")
    tree = (fast / "_static" / TREE_FILE).read_text(encoding="utf-8")
    assert root_sidebar == f'<div class="sidebar-tree">\n  {tree}\n</div>'
    # The cases the template must get right are really there.
    three = sidebar(fast, "guide/deep/three.html" if builder == "html" else "guide/deep/three/index.html")
    assert three.count('class="toctree-l1 current has-children"') == 1
    assert 'class="toctree-l3 current current-page"' in three
    assert three.count('checked=""') == 2 and '<ul class="current">' in three
    assert 'href="https://www.python.org/"' in three and "Custom title for gamma" in three
    assert "Beta &amp; “friends”" in three or "Beta &amp; &quot;friends&quot;" in three
    orphan = sidebar(fast, "orphan.html" if builder == "html" else "orphan/index.html")
    assert "current" not in orphan


def test_adding_a_page_refreshes_every_sidebar_in_the_same_incremental_build(build, tmp_path):
    project = shutil.copytree(ROOTS / "test-navigation", tmp_path / "src")
    out = build(project)
    assert "Delta" not in sidebar(out, "guide/one.html")

    (project / "delta.md").write_text((project / "alpha.md").read_text().replace("# Alpha", "# Delta"))
    index = project / "index.md"
    index.write_text(index.read_text().replace("alpha\nguide/index", "alpha\ndelta\nguide/index"))
    build(project)
    for page in html_pages(out):
        if page.name not in {"genindex.html", "search.html"}:
            assert "Delta" in sidebar(out, page), page

    # Retitling a page is a toctree change too.
    (project / "delta.md").write_text((project / "delta.md").read_text().replace("# Delta", "# Epsilon"))
    build(project)
    assert "Epsilon" in sidebar(out, "guide/deep/three.html")
    assert "Delta" not in sidebar(out, "guide/deep/three.html")


def test_an_edit_that_leaves_the_toctree_alone_rewrites_only_that_page(build, tmp_path):
    project = shutil.copytree(ROOTS / "test-navigation", tmp_path / "src")
    out = build(project)
    before = {page: (out / page).stat().st_mtime_ns for page in html_pages(out)}
    template = out.parent / "doctrees" / "handbook-navigation-html.pickle"
    template_written = template.stat().st_mtime_ns
    alpha = project / "alpha.md"
    alpha.write_text(alpha.read_text().replace("Text.", "Edited text."))
    build(project)
    assert template.stat().st_mtime_ns == template_written, "the toctree is unchanged: its template is reused"
    rewritten = {str(page) for page in html_pages(out) if (out / page).stat().st_mtime_ns != before[page]}
    # The page itself; Sphinx also refreshes its toctree parent, and pages generated on every
    # build (index, search, tag pages) are always written. Nothing else.
    assert "alpha.html" in rewritten
    assert rewritten <= {"alpha.html", "index.html", "genindex.html", "search.html", "tags/testing.html"}, rewritten


# Each sidebar entry as the reader meets it: classes, where the link goes, text, toggle state.
SIDEBAR_SHAPE = """prefix => [...document.querySelectorAll('.sidebar-tree li, .sidebar-tree ul')].map(node =>
    node.tagName === 'UL' ? ['ul', node.className] : ['li', node.className,
      node.querySelector(':scope > a').href.replace(location.origin + prefix, ''),
      node.querySelector(':scope > a').textContent,
      node.querySelector(':scope > input')?.id ?? null,
      node.querySelector(':scope > input')?.checked ?? null])"""


@pytest.mark.browser
def test_the_browser_fills_in_furos_whole_tree_and_opens_closed_branches(build, browser, tmp_path):
    project = ROOTS / "test-navigation"
    fast = build(project, "fast")  # tmp_path/fast/html, served next to the stock build
    build(project, "stock", handbook_fast_navigation=0)
    context = browser.new_context()
    page = context.new_page()
    with serve(tmp_path) as origin:
        for name in html_pages(fast):
            page.goto(f"{origin}/stock/html/{name}")
            assert page.evaluate("handbookNavigation.missing().length") == 0  # stock: nothing to fill
            stock_shape = page.evaluate(SIDEBAR_SHAPE, "/stock/html/")
            page.goto(f"{origin}/fast/html/{name}")
            page.evaluate("handbookNavigation.fill()")
            assert page.evaluate(SIDEBAR_SHAPE, "/fast/html/") == stock_shape, name

        # A reader opens a closed branch: its children appear, with links that work from here.
        page.goto(f"{origin}/fast/html/alpha.html")
        one = page.locator(".sidebar-tree a", has_text="One")
        assert one.count() == 0
        page.locator('label[for="toctree-checkbox-1"]').click()
        one.wait_for(state="visible")
        one.click()
        page.wait_for_url(f"{origin}/fast/html/guide/one.html")
    context.close()
