"""The fast sidebar is Furo's own HTML, page for page, and no page keeps a stale sidebar."""

from __future__ import annotations

import re
import shutil

import furo
import pytest

from conftest import ROOTS, STRICT, sphinx_build
from handbook.navigation import FURO_VERSION

SIDEBAR = re.compile(r'<div class="sidebar-tree">.*?</div>', re.S)


def build(project, out, *extra):
    result = sphinx_build(project, out, *STRICT, *extra)
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    return out


def html_pages(out):
    return sorted(p.relative_to(out) for p in out.rglob("*.html") if "_static" not in p.parts)


def sidebar(out, page) -> str:
    match = SIDEBAR.search((out / page).read_text(encoding="utf-8"))
    assert match, page
    return match.group(0)


def test_furo_is_the_release_the_fast_navigation_was_checked_against():
    assert furo.__version__ == FURO_VERSION, (
        "Furo changed: rerun tests/test_navigation.py against it and update FURO_VERSION")


@pytest.mark.parametrize("builder", ["html", "dirhtml"])
def test_every_page_is_byte_identical_to_stock_furo(builder, tmp_path):
    project = ROOTS / "test-navigation"
    fast = build(project, tmp_path / "fast", "-b", builder)
    stock = build(project, tmp_path / "stock", "-b", builder, "-D", "handbook_fast_navigation=0")
    pages = html_pages(stock)
    assert len(pages) >= 10 and pages == html_pages(fast)
    for page in pages:
        assert (fast / page).read_bytes() == (stock / page).read_bytes(), page
    # The cases the template must get right are really there.
    three = sidebar(fast, "guide/deep/three.html" if builder == "html" else "guide/deep/three/index.html")
    assert three.count('class="toctree-l1 current has-children"') == 1
    assert 'class="toctree-l3 current current-page"' in three
    assert three.count('checked=""') == 2 and '<ul class="current">' in three
    assert 'href="https://www.python.org/"' in three and "Custom title for gamma" in three
    assert "Beta &amp; “friends”" in three or "Beta &amp; &quot;friends&quot;" in three
    orphan = sidebar(fast, "orphan.html" if builder == "html" else "orphan/index.html")
    assert "current" not in orphan


def test_adding_a_page_refreshes_every_sidebar_in_the_same_incremental_build(tmp_path):
    project = shutil.copytree(ROOTS / "test-navigation", tmp_path / "src")
    out = build(project, tmp_path / "out")
    assert "Delta" not in sidebar(out, "guide/one.html")

    (project / "delta.md").write_text((project / "alpha.md").read_text().replace("# Alpha", "# Delta"))
    index = project / "index.md"
    index.write_text(index.read_text().replace("alpha\nguide/index", "alpha\ndelta\nguide/index"))
    build(project, out)
    for page in html_pages(out):
        if page.name not in {"genindex.html", "search.html"}:
            assert "Delta" in sidebar(out, page), page

    # Retitling a page is a toctree change too.
    (project / "delta.md").write_text((project / "delta.md").read_text().replace("# Delta", "# Epsilon"))
    build(project, out)
    assert "Epsilon" in sidebar(out, "guide/deep/three.html")
    assert "Delta" not in sidebar(out, "guide/deep/three.html")


def test_an_edit_that_leaves_the_toctree_alone_rewrites_only_that_page(tmp_path):
    project = shutil.copytree(ROOTS / "test-navigation", tmp_path / "src")
    out = build(project, tmp_path / "out")
    before = {page: (out / page).stat().st_mtime_ns for page in html_pages(out)}
    alpha = project / "alpha.md"
    alpha.write_text(alpha.read_text().replace("Text.", "Edited text."))
    build(project, out)
    rewritten = {str(page) for page in html_pages(out) if (out / page).stat().st_mtime_ns != before[page]}
    # The page itself; Sphinx also refreshes its toctree parent, and pages generated on every
    # build (index, search, tag pages) are always written. Nothing else.
    assert "alpha.html" in rewritten
    assert rewritten <= {"alpha.html", "index.html", "genindex.html", "search.html", "tags/testing.html"}, rewritten
