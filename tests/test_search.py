"""Site search (Pagefind, _ext/handbook/search.py) in Debian's Chromium, the way a reader uses it:
type into the sidebar box on the home page, press Enter, read the results on search.html.

* ranking: tests/test_reader_questions.py searches for every question of the reader-questions
  corpus (the answering page in the top 3 for at least 90% of the queries); here, the
  behaviours of the search page itself:
* results show a page title and an excerpt, and a query word that no page contains (a typo)
  does not empty the results;
* a result lands on the section that answers (its heading under the title, the link to its
  anchor); abbreviations find what the full names find; no result offers the glossary and tags;
* offline: the search page asks no host but 127.0.0.1, and still works with the network cut;
* weight: a first query downloads less than 300 KB from _pagefind/;
* start-up: Pagefind's gzipped files reach it inflated by the browser, not by its JavaScript,
  and its wait for the index is 2 ms, not 50 (a line of pagefind.js rewritten at build time);
* the index itself: article bodies only, reproducible, and a failed run is a typed warning.

Run with ``-s`` to see the figures.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup

from conftest import STRICT, sphinx_build
from handbook.search import BUNDLE_DIR, INDEX_WAIT, pagefind_command, wait_less

TOP = 3
FIRST_QUERY_BUDGET = 300_000  # bytes (300 KB) fetched from _pagefind/ for one query on a fresh visit
TIMEOUT_MS = 20_000

# The results list (Sphinx's markup, filled from Pagefind by _templates/search.html): the
# title link of each result, in rank order.
RESULT_LINKS = "#search-results ul.search > li > a"
SEARCH_DONE = '#search-results[data-state="done"], #search-results[data-state="error"]'


def docname(href: str) -> str:
    """``/skills/kafka.html?x#y`` (or a full URL) -> ``skills/kafka``."""
    path = urlsplit(href).path.lstrip("/")
    return path.removesuffix(".html")


def search_from_home(page, served_site: str, query: str) -> list[str]:
    """Type ``query`` into the sidebar box on the home page, press Enter, return the result
    pages (docnames) in rank order."""
    page.goto(f"{served_site}/index.html")
    page.fill("input.sidebar-search", query)
    page.keyboard.press("Enter")
    page.wait_for_url("**/search.html?q=*")
    page.wait_for_selector(SEARCH_DONE, state="attached", timeout=TIMEOUT_MS)
    state = page.get_attribute("#search-results", "data-state")
    assert state == "done", page.inner_text("#search-results .search-summary")
    links = page.locator(RESULT_LINKS)
    return [docname(links.nth(i).get_attribute("href")) for i in range(links.count())]


@pytest.mark.browser
def test_results_show_a_title_and_an_excerpt(page, served_site):
    search_from_home(page, served_site, "kafka consumer groups")
    first = page.locator("#search-results ul.search > li").first
    title = first.locator(":scope > a").inner_text().strip()
    excerpt = first.locator("p.context").inner_text().strip()
    assert title == "Kafka", title  # the page's h1, without the "¶" header link
    assert len(excerpt.split()) >= 5, excerpt
    assert first.locator("p.context mark").count() >= 1  # the query words are marked


@pytest.mark.browser
def test_a_result_opens_with_the_query_words_marked(page, served_site):
    """Sphinx's sphinx_highlight.js marks the words, and loads only on such visits."""
    scripts = []
    page.on("request", lambda request: scripts.append(request.url) if request.url.endswith(".js") else None)
    page.goto(f"{served_site}/skills/kafka.html")
    page.wait_for_load_state("networkidle")
    assert not any("sphinx_highlight" in url for url in scripts), "loaded on a plain visit"
    search_from_home(page, served_site, "kafka consumer groups")
    page.locator(RESULT_LINKS).first.click()
    page.wait_for_url("**/skills/kafka.html*")
    page.wait_for_selector("article span.highlighted", timeout=TIMEOUT_MS)
    marked = [text.lower() for text in page.locator("article span.highlighted").all_inner_texts()]
    assert any("consumer" in text for text in marked), marked[:10]


@pytest.mark.browser
def test_a_page_with_only_some_of_the_words_is_found(page, served_site):
    """Unlike Sphinx's search (and Pagefind's own UI), a word that no page contains, such as a
    typo, does not empty the results, and the reader is told that no page has every word."""
    found = search_from_home(page, served_site, "memcached slab alocator")
    assert found[:1] == ["skills/memcached"], found
    assert "some of them" in page.inner_text("#search-results .handbook-search-note")


def results(page) -> list[dict]:
    """The results on the search page: the title link's href, the section line, the excerpt."""
    return page.evaluate("""() => [...document.querySelectorAll('#search-results ul.search > li')].map(li => ({
        href: li.querySelector(':scope > a').getAttribute('href'),
        section: li.querySelector('p.handbook-search-section')?.textContent ?? null,
        excerpt: li.querySelector('p.context').textContent}))""")


def heading(site: Path, href: str) -> str:
    """The heading text of the section ``href``'s fragment names, in the built page."""
    path, fragment = href.lstrip("/").split("#")
    section = BeautifulSoup((site / path).read_text(encoding="utf-8"), "html.parser").find(id=fragment)
    assert section is not None and section.name == "section", f"{href}: no <section id={fragment!r}>"
    title = section.find(re.compile(r"h[1-6]"))
    title.find("a", class_="headerlink").decompose()
    return title.get_text().strip()


@pytest.mark.browser
def test_a_result_lands_on_the_section_that_answers(page, served_site, site):
    """A result links to the section of its page whose matches score best, and shows that
    section's heading under the page's title; following it scrolls the section into view."""
    search_from_home(page, served_site, "keyset pagination offset")
    found = results(page)
    first = found[0]
    assert first["href"] == "/essays/schema-design.html#schema-design-keyset-pagination", found
    assert first["section"] == heading(site, first["href"]) == "Pagination: keyset, not OFFSET"
    assert "offset" in first["excerpt"].lower()
    sections = [result for result in found if result["section"]]
    assert len(sections) >= 3, found  # the other results land on their sections too
    for result in sections:
        assert result["section"] == heading(site, result["href"]), result
    page.locator(RESULT_LINKS).first.click()
    page.wait_for_url("**/essays/schema-design.html#schema-design-keyset-pagination")
    page.wait_for_function(
        "(() => { const top = document.getElementById('schema-design-keyset-pagination')"
        ".getBoundingClientRect().top; return top >= 0 && top < 200; })()",
        timeout=TIMEOUT_MS,
    )


def test_back_matter_is_never_a_landing(site):
    """The sections metadata gives back matter (References, Further reading...: lists of links,
    dense with the words of their titles) an empty heading, so a result never lands there."""
    tag = BeautifulSoup((site / "skills/kafka.html").read_text(encoding="utf-8"), "html.parser").find(
        attrs={"data-pagefind-meta": "sections[data-sections]"}
    )
    sections = json.loads(tag["data-sections"])
    assert sections["references"] == "" and sections["related"] == ""
    assert sections["operating-it"] == "Operating it"


@pytest.mark.browser
def test_a_result_does_not_land_on_its_references(page, served_site):
    """'no silver bullet brooks': the words cluster in the essay's further reading (the paper's
    title), but the result lands on the section that discusses the paper."""
    search_from_home(page, served_site, "no silver bullet brooks")
    first = results(page)[0]
    assert docname(first["href"]) == "essays/accidental-complexity", first
    assert "#" in first["href"] and "further-reading" not in first["href"], first


@pytest.mark.browser
def test_abbreviations_find_what_the_full_names_find(page, served_site):
    """conf.py's handbook_search_synonyms: what a reader types for a thing finds the pages that
    use the thing's own name."""
    for typed, written in (
        ("pg autovacuum", "postgresql autovacuum"),
        ("k8s rollout", "kubernetes rollout"),
        ("ddb partition key", "dynamodb partition key"),
    ):
        assert search_from_home(page, served_site, typed)[:TOP] == search_from_home(page, served_site, written)[:TOP]
    assert "skills/postgresql" in search_from_home(page, served_site, "pg autovacuum")[:TOP]


@pytest.mark.browser
def test_a_query_with_no_result_offers_the_glossary_and_the_tag_index(page, served_site):
    assert search_from_home(page, served_site, "wxyzzyxw") == []
    note = page.locator("#search-results .handbook-search-note")
    assert note.is_visible()
    links = {a.inner_text(): a.get_attribute("href") for a in note.locator("a").all()}
    assert links == {"glossary": "glossary.html", "tag index": "tags/index.html"}, links


@pytest.mark.browser
def test_search_page_asks_no_other_host(page, served_site):
    """Every request stays on the local server, and search works with anything else blocked."""
    local = urlsplit(served_site).hostname
    asked = []

    def route(request_route):
        asked.append(request_route.request.url)
        if urlsplit(request_route.request.url).hostname == local:
            request_route.continue_()
        else:
            request_route.abort()

    page.context.route("**/*", route)
    found = search_from_home(page, served_site, "idempotency key")
    page.wait_for_load_state("networkidle")
    foreign = sorted({url for url in asked if urlsplit(url).hostname != local and not url.startswith("data:")})
    assert not foreign, foreign
    assert found, "no results with every other host blocked"
    assert any("/_pagefind/" in url for url in asked)
    assert not any(url.split("?")[0].endswith("searchindex.js") for url in asked), "Sphinx's index still loads"


@pytest.mark.browser
def test_first_query_downloads_little(page, served_site):
    """A reader's first search, from a fresh browser: the bytes fetched from _pagefind/."""
    fetched: dict[str, int] = {}

    def finished(request):
        if "/_pagefind/" not in request.url:
            return
        size = request.sizes()["responseBodySize"]
        if size <= 0:  # not reported: count the decoded body instead
            response = request.response()
            size = len(response.body()) if response else 0
        fetched[request.url] = size

    page.on("requestfinished", finished)
    search_from_home(page, served_site, "kafka consumer lag")
    page.wait_for_load_state("networkidle")
    total = sum(fetched.values())
    print(
        f"\nfirst query: {total / 1000:.0f} KB from _pagefind/ in {len(fetched)} requests "
        f"(budget {FIRST_QUERY_BUDGET / 1000:.0f} KB)"
    )
    for url, size in sorted(fetched.items(), key=lambda item: -item[1]):
        print(f"  {size / 1000:7.1f} KB  {url.split('/_pagefind/', 1)[1]}")
    assert total < FIRST_QUERY_BUDGET, f"{total / 1000:.0f} KB"


# Pagefind skips its own (JavaScript) inflater for a file that starts with this signature.
INFLATED_SIGNATURE = b"pagefind_dcd"


@pytest.mark.browser
def test_pagefind_gets_its_files_inflated_by_the_browser(page, served_site, site):
    """The search page inflates Pagefind's gzipped files with the browser's zlib (a fetch
    wrapper in _templates/search.html), so Pagefind's JavaScript inflater has nothing to do.
    Fails if a Pagefind upgrade stops gzipping its files or drops the signature check."""
    bundle = (site / BUNDLE_DIR / "pagefind.js").read_bytes()
    assert INFLATED_SIGNATURE in bundle, "Pagefind no longer checks for inflated files"
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url) if "/_pagefind/" in request.url else None)
    assert search_from_home(page, served_site, "kafka consumer lag")
    kinds = {
        kind: next((url for url in asked if kind in url.split("/_pagefind/", 1)[1]), None)
        for kind in ("wasm.", ".pf_meta", ".pf_index", ".pf_fragment")
    }
    assert all(kinds.values()), kinds
    for kind, url in kinds.items():
        on_disk = (site / urlsplit(url).path.lstrip("/")).read_bytes()
        assert on_disk[:2] == b"\x1f\x8b", f"{kind}: Pagefind no longer gzips its files"
        head = page.evaluate(
            """async (url) => {
            const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
            return Array.from(bytes.slice(0, 12));
        }""",
            url,
        )
        assert bytes(head) == INFLATED_SIGNATURE, f"{kind} reaches Pagefind still compressed: {bytes(head)!r}"


# -- The index, without a browser -----------------------------------------------------------


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_index_holds_the_articles_only(site):
    articles = [page for page in site.rglob("*.html") if "data-pagefind-body" in page.read_text(encoding="utf-8")]
    entry = json.loads((site / BUNDLE_DIR / "pagefind-entry.json").read_text(encoding="utf-8"))
    assert entry["languages"]["en"]["page_count"] == len(articles) > 60
    names = {str(page.relative_to(site)) for page in articles}
    assert {"skills/kafka.html", "glossary.html", "handbook-health.html", "tags/index.html"} <= names
    # Tag pages are generated but searchable; the search page, index and 404 page are not.
    assert "tags/postgresql.html" in names
    assert not {"search.html", "genindex.html", "404.html"} & names
    kafka = BeautifulSoup((site / "skills/kafka.html").read_text(encoding="utf-8"), "html.parser")
    body = kafka.select_one("[data-pagefind-body]")
    assert body.find("h1") and body.find(string="Failure modes and gotchas")
    assert body["data-pagefind-meta"].startswith("description:How we run Apache Kafka")
    # The page's neighbourhood (tags, "Referenced by", related pages) is outside the body.
    assert kafka.select_one(".handbook-neighbourhood") and not body.select_one(".handbook-neighbourhood")


def test_index_is_reproducible(site, tmp_path):
    """Pagefind run again over the same pages writes the same bytes (file names included)."""
    copy = tmp_path / "html"
    for page in site.rglob("*.html"):
        target = copy / page.relative_to(site)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(page, target)
    subprocess.run(pagefind_command(copy, "html"), check=True, capture_output=True, timeout=300)
    assert wait_less(copy / BUNDLE_DIR) is None
    assert tree_digest(copy / BUNDLE_DIR) == tree_digest(site / BUNDLE_DIR)


@pytest.mark.slow
def test_pagefind_waits_briefly_for_its_index(site):
    """The built pagefind.js checks every 2 ms, not 50, whether its index has loaded."""
    script = (site / BUNDLE_DIR / "pagefind.js").read_text(encoding="utf-8")
    old, new = INDEX_WAIT
    assert script.count(new) == 1 and old not in script


def failed_build_with(tmp_path: Path, patch: str) -> str:
    """Strictly build a one-page project whose handbook.search has ``patch`` applied (Python
    statements on ``search``); the build must fail and return its error output, which must
    name the warning type."""
    (tmp_path / "index.rst").write_text("Title\n=====\n\nHello.\n", encoding="utf-8")
    (tmp_path / "conf.py").write_text(
        "import sys\n"
        "def setup(app):\n"
        "    import handbook.search as search\n"
        f"    {patch}\n"
        "    search.setup_search(app)\n",
        encoding="utf-8",
    )
    result = sphinx_build(tmp_path, tmp_path / "_build", *STRICT)
    assert result.returncode != 0
    assert "[handbook.search]" in result.stderr, result.stderr
    return result.stderr


def test_an_unexpected_pagefind_script_stops_the_build(tmp_path):
    """If a Pagefind upgrade moves the wait that wait_less() shortens, a strict build fails
    and says where to look."""
    errors = failed_build_with(tmp_path, "search.INDEX_WAIT = ('await somethingElse(50);', 'await somethingElse(2);')")
    assert "pagefind.js has 0 copies" in errors and "INDEX_WAIT" in errors, errors


def test_a_failed_index_is_a_typed_warning(tmp_path):
    errors = failed_build_with(
        tmp_path,
        "search.pagefind_command = lambda outdir, builder: "
        "[sys.executable, '-c', \"raise SystemExit('pagefind exploded')\"]",
    )
    assert "pagefind exploded" in errors, errors
