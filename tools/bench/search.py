"""A6 and B2. Search: the size of a build's search index (searchindex.js, _pagefind/), and how
soon a reader sees results in a generated handbook, in headless Chromium."""

from __future__ import annotations

from pathlib import Path

from .common import CHROMIUM, Figure, Report, directory_bytes, gzip_size, limit_check, site_in_browser

SEARCH_TARGET_PAGES = 1000  # the generated handbook that the search targets are for
SEARCH_LIMITS = {"first": 0.3, "done": 1.0, "fetched": 300_000}  # s, s, bytes (300 KB)
SEARCH_QUERIES = ["connection pool", "consumer group lag", "schema migration rollback", "canary release"]
SEARCH_ROUNDS = 3  # each query this many times, in turn: one search is a few hundred ms and noisy
SEARCH_DONE = '#search-results[data-state="done"], #search-results[data-state="error"]'


# Marks, in the page's own clock (ms since navigation start), when the first result and the whole
# list appear in the search page's results element.
SEARCH_TIMER = """
window.__search = {};
document.addEventListener("DOMContentLoaded", () => {
  const results = document.getElementById("search-results");
  if (!results) return;
  const mark = () => {
    if (!__search.first && results.querySelector("ul.search > li")) __search.first = performance.now();
    if (!__search.done && results.dataset.state) __search.done = performance.now();
  };
  new MutationObserver(mark).observe(results, {subtree: true, childList: true, attributes: true});
});
"""
SEARCH_TIMES = """() => {
  const script = performance.getEntriesByType("resource").find(e => e.name.includes("/_pagefind/pagefind.js"));
  return {start: script ? script.startTime : null, first: __search.first, done: __search.done};
}"""


def bench_search(report: Report, pages: int, site: Path, timeout: float) -> None:
    """B2: how soon the search page shows its first result and its whole list once it starts
    searching (it requests Pagefind's script), and what a first query downloads from _pagefind/
    (compressed, as a web host sends it), in a generated handbook of ``pages`` pages. Each query
    is a reader's first: a fresh browser profile opens the home page, types the query into the
    sidebar's search box and presses Enter (so the site's own CSS and scripts are cached, and
    nothing of Pagefind's is)."""
    first = Figure(f"{pages} pages: first result, from the start of the search", "s")
    done = Figure(f"{pages} pages: every result with its excerpt, from the start of the search", "s")
    whole = Figure(f"{pages} pages: every result, from pressing Enter", "s")
    fetched = Figure(f"{pages} pages: downloaded from _pagefind/ by a first query", "bytes")
    report.search += [first, done, whole, fetched]
    if not CHROMIUM.exists():
        for figure in (first, done, whole, fetched):
            figure.status = f"not measured: needs Chromium at {CHROMIUM}"
        return
    with site_in_browser(site) as (origin, browser):
        for _ in range(SEARCH_ROUNDS):
            for query in SEARCH_QUERIES:
                context = browser.new_context()
                context.add_init_script(SEARCH_TIMER)
                page = context.new_page()
                page.goto(f"{origin}index.html", wait_until="networkidle", timeout=timeout * 1000)
                sizes: list[int] = []
                page.on(
                    "requestfinished",
                    lambda request, sizes=sizes: (
                        sizes.append(max(request.sizes()["responseBodySize"], 0))
                        if "/_pagefind/" in request.url
                        else None
                    ),
                )
                page.fill("input.sidebar-search", query)
                page.keyboard.press("Enter")
                page.wait_for_url("**/search.html?q=*", timeout=timeout * 1000)
                page.wait_for_selector(SEARCH_DONE, state="attached", timeout=timeout * 1000)
                page.wait_for_load_state("networkidle")
                times = page.evaluate(SEARCH_TIMES)
                first.samples.append((times["first"] - times["start"]) / 1000)
                done.samples.append((times["done"] - times["start"]) / 1000)
                whole.samples.append(times["done"] / 1000)
                fetched.samples.append(sum(sizes))
                context.close()
    whole.note = "includes loading the search page itself (its CSS and scripts come from the cache)"
    for figure, key, question in (
        (first, "first", "first search result"),
        (done, "done", "every search result"),
        (fetched, "fetched", "first query's download (300 KB)"),
    ):
        figure.note = f"target: under {SEARCH_LIMITS[key]:g} {figure.unit} at {SEARCH_TARGET_PAGES} pages"
        if pages == SEARCH_TARGET_PAGES:
            report.checks.append(limit_check(figure, SEARCH_LIMITS[key], f"{question}, {pages} pages"))


def search_sizes(site: Path) -> list[Figure]:
    figures = []
    index = site / "searchindex.js"
    if index.exists():
        data = index.read_bytes()
        figures.append(Figure("searchindex.js, raw", "bytes", [len(data)]))
        figures.append(Figure("searchindex.js, gzip -6", "bytes", [gzip_size(data)]))
    else:
        figures.append(Figure("searchindex.js", "bytes", status="not present in the build"))
    pagefind = site / "_pagefind"
    if pagefind.is_dir():
        files = [p for p in pagefind.rglob("*") if p.is_file()]
        figures.append(Figure("_pagefind/ (du -sb)", "bytes", [directory_bytes(pagefind)], note=f"{len(files)} files"))
    else:
        figures.append(Figure("_pagefind/", "bytes", status="not present in the build"))
    return figures
