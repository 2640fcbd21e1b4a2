"""Site search (Pagefind, _ext/handbook/search.py) in Debian's Chromium, the way a reader uses it:
type into the sidebar box on the home page, press Enter, read the results on search.html.

* ranking: the expected page is in the top 3 for at least 90% of the realistic reader queries
  in search_queries.csv (the rate and every miss are printed, so a run shows where it stands);
* results show a page title and an excerpt, and a query word that no page contains (a typo)
  does not empty the results;
* offline: the search page asks no host but 127.0.0.1, and still works with the network cut;
* weight: a first query downloads less than 300 KB from _pagefind/.

Run with ``-s`` to see the figures. Improve a miss with better titles, descriptions or Pagefind
weights, never by editing the expectation to fit the result.
"""

from __future__ import annotations

import csv
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser

QUERIES_FILE = Path(__file__).with_name("search_queries.csv")
TOP = 3
TARGET_RATE = 0.90
FIRST_QUERY_BUDGET = 300 * 1024  # bytes fetched from _pagefind/ for one query on a fresh visit
TIMEOUT_MS = 20_000

# The results list (Sphinx's markup, filled from Pagefind by _templates/search.html): each
# result's title link, not the links to its sections.
RESULT_LINKS = "#search-results ul.search > li > a"
SEARCH_DONE = '#search-results[data-state="done"], #search-results[data-state="error"]'


def load_queries() -> list[tuple[str, str]]:
    with QUERIES_FILE.open(newline="", encoding="utf-8") as handle:
        return [(row["query"], row["expected_docname"]) for row in csv.DictReader(handle)]


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


def test_the_queries_cover_every_section():
    queries = load_queries()
    assert len(queries) >= 60
    sections = {expected.split("/", 1)[0] for _, expected in queries}
    assert {"essays", "skills", "engineering-practices", "glossary"} <= sections


def test_expected_pages_exist(site):
    for query, expected in load_queries():
        assert (site / f"{expected}.html").is_file(), f"{query!r}: no page {expected}"


def test_expected_page_is_in_the_top_3(page, served_site):
    queries = load_queries()
    misses = []
    for query, expected in queries:
        found = search_from_home(page, served_site, query)
        if expected not in found[:TOP]:
            misses.append((query, expected, found[:TOP]))
    rate = 1 - len(misses) / len(queries)
    print(f"\nsearch quality: expected page in the top {TOP} for {len(queries) - len(misses)}"
          f"/{len(queries)} queries ({rate:.1%}); target {TARGET_RATE:.0%}")
    for query, expected, found in misses:
        print(f"  miss: {query!r}: expected {expected}, got {found}")
    assert rate >= TARGET_RATE, f"top-{TOP} rate {rate:.1%} is under {TARGET_RATE:.0%}: {misses}"


def test_results_show_a_title_and_an_excerpt(page, served_site):
    search_from_home(page, served_site, "consumer groups")
    first = page.locator("#search-results ul.search > li").first
    title = first.locator(":scope > a").inner_text().strip()
    excerpt = first.locator("p.context").inner_text().strip()
    assert title == "Kafka", title  # the page's h1, without the "¶" header link
    assert len(excerpt.split()) >= 5, excerpt
    assert first.locator("p.context mark").count() >= 1  # the query words are marked


def test_a_page_with_only_some_of_the_words_is_found(page, served_site):
    """Unlike Sphinx's search (and Pagefind's own UI), a word that no page contains, such as a
    typo, does not empty the results; the reader is told which word matched nothing."""
    found = search_from_home(page, served_site, "memcached slab alocator")
    assert found[:1] == ["skills/memcached"], found
    assert "alocator" in page.inner_text("#search-results .handbook-search-note")


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
    print(f"\nfirst query: {total / 1024:.0f} KB from _pagefind/ in {len(fetched)} requests "
          f"(budget {FIRST_QUERY_BUDGET / 1024:.0f} KB)")
    for url, size in sorted(fetched.items(), key=lambda item: -item[1]):
        print(f"  {size / 1024:7.1f} KB  {url.split('/_pagefind/', 1)[1]}")
    assert total < FIRST_QUERY_BUDGET, f"{total / 1024:.0f} KB"
