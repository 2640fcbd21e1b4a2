"""A7. The playground (PostgreSQL examples readers edit and run in their browser on PGlite): the
bytes the first "Edit and run" and run fetch, the time from the click to the first result on
loopback (goal: under 3 s), the bytes the vendored PGlite adds to the repository (budget:
20 MB), and the playground's files a first visit fetches before any click (budget: none)."""

from __future__ import annotations

import time
from pathlib import Path

from .common import CHROMIUM, ROOT, Figure, Report, limit_check, site_in_browser

PLAYGROUND_PAGE = "essays/schema-design.html"
VENDOR = ROOT / "_static" / "vendor" / "pglite"
REPOSITORY_BUDGET = 20_000_000  # bytes the vendored files may add to the repository
FIRST_RESULT_GOAL = 3.0  # seconds from the click to the first result
# What only the playground loads: PGlite, the examples' chains, the editor's modules.
PLAYGROUND_FILES = ("/_static/vendor/pglite/", "/_playground/", "/playground/")


def vendored_bytes() -> int:
    return sum(path.stat().st_size for path in VENDOR.rglob("*") if path.is_file())


def first_run(site: Path, timeout: float) -> tuple[float, int, int, list[str]]:
    """(seconds from the click to the first result, bytes fetched on the wire, files fetched,
    the playground's files the page fetched before the click)."""
    with site_in_browser(site) as (base, browser):
        context = browser.new_context()
        page = context.new_page()
        visit: list[str] = []
        page.on("request", lambda request: visit.append(request.url))
        page.goto(f"{base}{PLAYGROUND_PAGE}", wait_until="networkidle")
        before_click = [url for url in visit if any(part in url for part in PLAYGROUND_FILES)]
        fetched: list = []
        context.on("requestfinished", lambda request: fetched.append(request))  # the page's and its workers' requests
        started = time.monotonic()
        page.locator("button.handbook-playground-edit").first.click()
        area = page.locator(".handbook-playground textarea")
        area.wait_for(timeout=timeout * 1000)
        area.press("Control+Enter")
        page.wait_for_function(
            "() => /^(Done|Error)/.test(document.querySelector('.handbook-playground-actions span').textContent)",
            timeout=timeout * 1000,
        )
        elapsed = time.monotonic() - started
        fetched = list(fetched)  # until the first result (the editor then warms the next run's worker)
        wire = 0
        for request in fetched:
            sizes = request.sizes()
            wire += sizes["responseBodySize"] + sizes["responseHeadersSize"]
        context.close()
    return elapsed, wire, len(fetched), before_click


def bench_playground(report: Report, site: Path, timeout: float) -> None:
    repository = Figure("vendored PGlite (_static/vendor/pglite), repository bytes", "bytes", [vendored_bytes()])
    report.handbook.append(repository)
    report.checks.append(limit_check(repository, REPOSITORY_BUDGET, "vendored PGlite (20 MB)"))
    click = Figure(f"first 'Edit and run' and run on {PLAYGROUND_PAGE}, click to first result", "s")
    wire = Figure(f"first 'Edit and run' and run on {PLAYGROUND_PAGE}, bytes fetched", "bytes")
    visit = Figure(f"first visit to {PLAYGROUND_PAGE}: the playground's files fetched before a click", "count")
    if not CHROMIUM.exists():
        for figure in (click, wire, visit):
            figure.status = f"not measured: needs Chromium at {CHROMIUM}"
    else:
        try:
            seconds, fetched, files, before_click = first_run(site, timeout)
            click.samples.append(seconds)
            wire.samples.append(fetched)
            wire.note = f"{files} files; JavaScript and JSON gzipped, the wasm and data files (15.4 MB) as they are"
            visit.samples.append(len(before_click))
            visit.note = ", ".join(before_click)
        except Exception as exc:  # a browser that cannot start must not lose the other figures
            for figure in (click, wire, visit):
                figure.status = f"not measured: {exc.__class__.__name__}: {str(exc).splitlines()[0]}"
    report.handbook += [click, wire, visit]
    report.checks.append(limit_check(visit, 0, "editable examples add nothing to a first visit: files"))
    report.checks.append(limit_check(click, FIRST_RESULT_GOAL, "click to first result in the playground (3 s)"))
