"""What readers expect of a documentation site, checked on the built handbook: link previews,
canonical URLs, a sitemap, a 404 page, redirects, llms.txt, copy buttons, diagrams served from
the site itself, and the EPUB and PDF editions."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
import zlib
from urllib.parse import urlparse

import pytest
from bs4 import BeautifulSoup
from test_handbook import environment

from conftest import CHROMIUM, ROOT, ROOTS, STRICT, require

BASE = "http://127.0.0.1:8000/"  # html_baseurl of a local build


def pages(site) -> list[str]:
    return sorted(environment(site).found_docs)


def soup(site, docname):
    return BeautifulSoup((site / f"{docname}.html").read_text(encoding="utf-8"), "html.parser")


def test_every_page_has_link_preview_metadata_and_a_canonical_url(site):
    env = environment(site)
    for docname in pages(site):
        html = soup(site, docname)
        meta = {tag.get("property") or tag.get("name"): tag.get("content") for tag in html.find_all("meta")}
        assert meta["og:title"] == env.titles[docname].astext(), docname
        assert meta["og:description"] == env.metadata[docname]["description"].strip(), docname
        assert meta["og:url"] == f"{BASE}{docname}.html", docname
        assert meta["og:image"] == f"{BASE}_static/og-image.png", docname
        assert meta["twitter:card"] == "summary_large_image", docname
        assert html.find("link", rel="canonical")["href"] == f"{BASE}{docname}.html", docname
    assert (site / "_static" / "og-image.png").stat().st_size > 10_000


def test_sitemap_lists_every_page(site):
    namespace = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    urls = {loc.text for loc in ET.parse(site / "sitemap.xml").getroot().findall("s:url/s:loc", namespace)}
    assert {f"{BASE}{docname}.html" for docname in pages(site)} <= urls


def test_404_page_helps_the_reader_back(site):
    html = soup(site, "404")
    assert html.find("h1").get_text() == "Page not found"
    links = {a["href"] for a in html.select("article a")}
    assert {"/essays/index.html", "/skills/index.html", "/engineering-practices/index.html"} <= links
    # Assets are absolute, so the page renders at any depth of a missing URL.
    assert all(link["href"].startswith("/_static/") for link in html.select('link[rel="stylesheet"]'))


def test_moved_pages_redirect(site):
    html = (site / "skills" / "postgres.html").read_text(encoding="utf-8")
    assert "url=postgresql.html" in html


def test_llms_txt_lists_every_page_and_the_full_text_has_them_all(site):
    listing = (site / "llms.txt").read_text(encoding="utf-8")
    full = (site / "llms-full.txt").read_text(encoding="utf-8")
    assert listing.startswith("# Back-end Engineering Handbook\n\n> ")
    for docname in pages(site):
        assert f"({BASE}_sources/{docname}.md.txt)" in listing, docname
        assert f"<!-- {docname}: " in full, docname
        assert (site / "_sources" / f"{docname}.md.txt").is_file()
    assert "-->\n\n---\n" not in full, "front matter is stripped"


@pytest.mark.browser
def test_copy_buttons_skip_prompts_and_outputs(page, served_site):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"{served_site}/essays/schema-design.html")
    page.wait_for_selector("button.copybtn", state="attached")
    assert page.locator(".handbook-example-output button.copybtn").count() == 0
    assert page.locator(".handbook-example > div[class*='highlight-'] button.copybtn").count() > 3

    page.goto(f"{served_site}/skills/linux.html")
    console = page.locator("div.highlight-console").first
    console.scroll_into_view_if_needed()
    console.hover()
    console.locator("button.copybtn").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    source = console.locator("pre").inner_text()
    commands = [line[2:] for line in source.splitlines() if line.startswith("$ ")]
    assert len(commands) >= 2 and len(source.splitlines()) > len(commands), "the block has output too"
    assert copied.strip().splitlines() == commands, "only the commands, without prompts or output"


@pytest.mark.browser
def test_diagrams_render_from_the_site_itself(page, served_site):
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    for docname in ("essays/extracting-services", "skills/kafka", "engineering-practices/environments-and-promotion"):
        page.goto(f"{served_site}/{docname}.html")
        diagrams = page.locator("pre.mermaid")
        assert diagrams.count() >= 1, docname
        page.wait_for_function(
            "() => [...document.querySelectorAll('pre.mermaid')].every(d => d.querySelector('svg'))", timeout=30_000
        )
        svg = diagrams.first.locator(":scope > svg")
        assert svg.get_attribute("aria-roledescription"), "rendered by Mermaid"
        assert svg.locator("desc").count() == 1, "accDescr gives the text alternative"
    hosts = {urlparse(url).hostname for url in requests if not url.startswith("data:")}
    assert hosts == {"127.0.0.1"}, hosts


def test_epub_builds_clean(site, tmp_path):
    doctrees = site.parent / "doctrees"  # shared with the HTML build: examples are not re-run
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "epub", *STRICT, "-d", str(doctrees), str(ROOT), str(tmp_path / "epub")],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert "WARNING" not in result.stderr, result.stderr
    epub = list((tmp_path / "epub").glob("*.epub"))
    assert len(epub) == 1 and epub[0].stat().st_size > 200_000


@pytest.mark.browser
def test_pdf_has_internal_links_and_rendered_diagrams(site, tmp_path):
    require(CHROMIUM.exists(), f"{CHROMIUM} not found (apt-get install chromium)")
    from pypdf import PdfReader

    single = tmp_path / "singlehtml"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-b",
            "singlehtml",
            *STRICT,
            "-d",
            str(site.parent / "doctrees"),
            str(ROOT),
            str(single),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    # As `make pdf` runs it (a separate process: Playwright's sync API cannot nest in the
    # browser fixture's event loop).
    printed = subprocess.run(
        [sys.executable, "-m", "handbook.pdf", str(single), str(tmp_path / "handbook.pdf")],
        env={**os.environ, "PYTHONPATH": str(ROOT / "_ext")},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert printed.returncode == 0, printed.stderr[-4000:]
    assert int(re.search(r"(\d+) diagrams", printed.stdout).group(1)) >= 12, printed.stdout

    reader = PdfReader(tmp_path / "handbook.pdf")
    assert len(reader.pages) > 100
    internal = 0
    for pdf_page in reader.pages:
        for annotation in pdf_page.get("/Annots") or []:
            annotation = annotation.get_object()
            action = annotation.get("/A")
            goes_inside = "/Dest" in annotation or (action and action.get("/S") == "/GoTo")
            if annotation.get("/Subtype") == "/Link" and goes_inside:
                internal += 1
    assert internal > 500, "cross-references stay clickable inside the PDF"
    text = reader.pages[0].extract_text() + reader.pages[1].extract_text()
    assert re.search(r"Back-end\s+Engineering\s+Handbook", text)


def assets(site, docname):
    html = soup(site, docname)
    return {link["href"].split("?")[0].rsplit("/", 1)[-1] for link in html.select('link[rel="stylesheet"]')} | {
        script["src"].split("?")[0].rsplit("/", 1)[-1] for script in html.select("script[src]")
    }


def test_sphinx_design_assets_load_only_where_cards_are_used(site):
    assert {"sphinx-design.min.css", "design-tabs.js"} <= assets(site, "index")
    assert not {"sphinx-design.min.css", "design-tabs.js"} & assets(site, "essays/velocity-and-trust")


def test_code_colours_and_copy_buttons_load_only_where_there_is_code(site):
    code_assets = {"pygments.css", "copybutton.css", "copybutton.js"}
    assert code_assets <= assets(site, "essays/velocity-and-trust")
    for docname in ("search", "tags/postgresql", "tags/index", "essays/index"):
        assert not code_assets & assets(site, docname), docname


def test_mermaid_loads_only_on_pages_with_diagrams(site):
    def loads_mermaid(docname):
        return "mermaid" in " ".join(str(script) for script in soup(site, docname).select("script"))

    assert loads_mermaid("essays/extracting-services")
    for docname in ("essays/velocity-and-trust", "search", "genindex", "tags/postgresql", "404"):
        assert not loads_mermaid(docname), docname


def test_scripts_handbook_js_stands_in_for_are_left_off(site):
    """handbook.js loads sphinx_highlight.js and doctools.js only after a search (tested in
    tests/test_search.py), and has the keyboard shortcuts and the part of clipboard.js the copy
    buttons use (tested in the browser below and above)."""
    page = assets(site, "essays/velocity-and-trust")
    assert "handbook.js" in page and "copybutton.js" in page
    assert not {"sphinx_highlight.js", "doctools.js", "clipboard.min.js"} & page
    assert (site / "_static" / "sphinx_highlight.js").is_file() and (site / "_static" / "doctools.js").is_file()


def test_our_own_css_and_scripts_are_served_minified(site):
    for name, source in (
        ("handbook.css", ROOT / "_static" / "handbook.css"),
        ("search.css", ROOT / "_static" / "search.css"),
        ("handbook.js", ROOT / "_ext" / "handbook" / "static" / "handbook.js"),
    ):
        served = (site / "_static" / name).read_text(encoding="utf-8")
        assert "/*" not in served and "\n// " not in served, f"{name} still has its comments"
        assert len(served) < 0.8 * len(source.read_text(encoding="utf-8")), name
    # The pages' cache-busting checksum is the served (minified) file's.
    html = (site / "essays" / "velocity-and-trust.html").read_text(encoding="utf-8")
    checksum = re.search(r"handbook\.css\?v=([0-9a-f]{8})", html).group(1)
    assert checksum == f"{zlib.crc32((site / '_static' / 'handbook.css').read_bytes()):08x}"


@pytest.mark.browser
def test_arrow_keys_go_to_the_next_and_previous_page_and_slash_to_search(page, served_site):
    page.goto(f"{served_site}/essays/velocity-and-trust.html")
    page.wait_for_load_state("load")
    following = page.get_attribute('link[rel="next"]', "href")
    page.keyboard.press("ArrowRight")
    page.wait_for_url(f"**/essays/{following}")
    page.keyboard.press("ArrowLeft")
    page.wait_for_url("**/essays/velocity-and-trust.html")
    page.wait_for_load_state("load")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.name") == "q"
    page.keyboard.press("ArrowLeft")  # in the search box, an arrow key moves the caret only
    page.wait_for_timeout(500)
    assert page.url.endswith("/essays/velocity-and-trust.html")


def test_vendored_files_are_copied_when_they_change_and_left_out_of_sphinxs_copy(build, tmp_path):
    """``_static/vendor`` (Mermaid, PGlite) is the extension's to copy: excluded from Sphinx's
    static copy, which compares every file byte by byte on every build, and copied again when
    its size or modification time changes."""
    src = shutil.copytree(ROOTS / "test-small", tmp_path / "src")
    (src / "conf.py").write_text(
        (src / "conf.py").read_text() + 'html_static_path = ["_static"]\nexclude_patterns += ["**/vendor"]\n'
    )
    vendored = src / "_static" / "vendor" / "tool" / "tool.js"
    vendored.parent.mkdir(parents=True)
    vendored.write_text("one();\n")
    out = build(src)
    assert (out / "_static" / "vendor" / "tool" / "tool.js").read_text() == "one();\n"
    vendored.write_text("two();\n")  # the same size, a later time
    os.utime(vendored, ns=(vendored.stat().st_atime_ns, vendored.stat().st_mtime_ns + 10**9))
    build(src)
    assert (out / "_static" / "vendor" / "tool" / "tool.js").read_text() == "two();\n"
    single = build(src, builder="singlehtml")  # what `make pdf` prints, diagrams and all
    assert (single / "_static" / "vendor" / "tool" / "tool.js").read_text() == "two();\n"
    epub = build(src, builder="epub", copyright="2026", version="1")
    assert not (epub / "_static" / "vendor").exists()
