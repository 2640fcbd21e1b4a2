"""Reading the handbook tells no third party: every page of the build, loaded in Chromium,
requests nothing from any host but the one serving it (no CDN, web font, analytics or
embedded image). Nothing is blocked; every request is recorded, then checked."""

from __future__ import annotations

import shutil
from urllib.parse import urlsplit

import pytest

from conftest import built_pages, record_gate, serve

pytestmark = pytest.mark.browser

LOCAL_SCHEMES = ("data", "blob", "about", "chrome-error")


def foreign_requests(page, served: str, names: list[str]) -> tuple[dict[str, list[str]], int]:
    """Load each page and return {page: [requests to anywhere but `served`]} and the number of
    requests seen in all."""
    origin = urlsplit(served)
    allowed = (origin.hostname, origin.port)
    current = {"name": None}
    seen: dict[str, list[str]] = {}
    total = {"requests": 0}

    def record(request) -> None:
        url = request.url
        parts = urlsplit(url)
        if parts.scheme in LOCAL_SCHEMES:
            return
        total["requests"] += 1
        if (parts.hostname, parts.port) != allowed:
            seen.setdefault(current["name"], []).append(f"{request.resource_type} {url}")

    # On the context, so that requests from workers and frames are recorded too.
    page.context.on("request", record)
    page.context.on("websocket", lambda ws: seen.setdefault(current["name"], []).append(f"websocket {ws.url}"))
    for name in names:
        current["name"] = name
        page.goto(f"{served}/{name}", wait_until="load")
        if name.startswith("search.html?"):
            # The search runs after load: its index, its WebAssembly and its results must all
            # come from the site too.
            page.wait_for_load_state("networkidle", timeout=30_000)
        # Mermaid imports its chunks once the page has loaded; wait until the diagrams are drawn.
        if page.locator("pre.mermaid").count():
            page.wait_for_function(
                "() => [...document.querySelectorAll('pre.mermaid')].every(d => d.querySelector('svg'))", timeout=30_000
            )
    return seen, total["requests"]


def test_no_page_requests_anything_from_another_host(page, site, served_site):
    names = built_pages(site)
    assert len(names) >= 60, names
    # Every page, and the search page answering a query.
    seen, requests = foreign_requests(page, served_site, [*names, "search.html?q=postgresql+index"])
    print(f"\nprivacy: {len(names)} pages loaded, {requests} requests, {sum(map(len, seen.values()))} to another host")
    record_gate(
        "third_party_requests", pages=len(names) + 1, requests=requests, to_other_hosts=sum(map(len, seen.values()))
    )
    assert not seen, "\n".join(f"{name}: {url}" for name, urls in seen.items() for url in urls)
    assert requests > len(names) * 5  # stylesheets, scripts and icons were really requested


def test_the_check_catches_a_page_that_calls_out(page, site, tmp_path):
    """A copy of the build with a third-party image, font and script on one page."""

    broken = tmp_path / "html"
    shutil.copytree(site, broken)
    target = broken / "glossary.html"
    html = target.read_text(encoding="utf-8")
    target.write_text(
        html.replace(
            "</head>",
            '<link rel="stylesheet" href="https://fonts.googleapis.com/css2?family=Inter">'
            '<script async src="https://cdn.jsdelivr.net/npm/mermaid@11/dist/mermaid.esm.min.mjs"'
            ' type="module"></script>'
            "</head>",
            1,
        ).replace("<article", '<img src="http://203.0.113.7/pixel.gif" alt=""><article', 1),
        encoding="utf-8",
    )
    with serve(broken) as served:
        seen, _ = foreign_requests(page, served, ["index.html", "glossary.html"])
    assert set(seen) == {"glossary.html"}, seen
    urls = " ".join(seen["glossary.html"])
    assert "fonts.googleapis.com" in urls and "cdn.jsdelivr.net" in urls and "203.0.113.7" in urls, seen
