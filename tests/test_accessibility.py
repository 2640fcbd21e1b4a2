"""Accessibility: axe-core finds no violation, of any impact, on any built page, in the light and
the dark theme, at desktop and phone widths.

axe-core is the npm package pinned in package.json and package-lock.json (`make
node_modules/.installed`), injected into Debian's Chromium. (Not the copy bundled in the
axe-playwright-python wheel: its axe-core 4.12.1 needed about 1.5 times the CPU of 4.14.1 for
the same audit.) Redirect stubs (sphinx-reredirects) are left out: a browser never shows them,
it lands on the page they point to, which is audited in its own right.

Every page is audited four times (two themes x two widths) with every rule axe runs by default.
What makes that fast enough is not repeating what a reader would not repeat either:

- each page loads once: it is audited at both widths by resizing the viewport, and in both
  themes by switching the theme as Furo's toggle does (``body[data-theme]``; the Mermaid
  plugin redraws its diagrams for the new theme, and the audit waits for them);
- a few pages are audited at once, each in its own browser context (its own renderer process),
  so that one page's axe run overlaps another's loading and waiting;
- a page is audited once its ``load`` event has fired and the network has been quiet for half a
  second, so that what scripts add after loading (the diagrams) is there; the sidebar's closed
  branches, which handbook.js fills in when a reader reaches for the sidebar, are filled in
  first too (``handbookNavigation.fill()``).

The browser is driven by Playwright's async API, from a thread of its own: other tests of the
session hold Playwright's sync API, and its event loop, on the main thread.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import CHROMIUM, ROOT, built_pages, record_gate, require, serve

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
THEMES = ("light", "dark")
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
AXE_OPTIONS = {"resultTypes": ["violations"]}  # every rule axe runs by default, any impact
# Pages audited at once. axe is CPU-bound, so more than the machine's cores only helps to fill
# the time a page spends loading and waiting for the network to settle.
WORKERS = int(os.environ.get("HANDBOOK_AXE_WORKERS", "3"))

# Runs in the page: switch to `theme` as Furo's toggle does, wait until Mermaid has drawn every
# diagram for it, run axe. Timings are in milliseconds.
AUDIT_IN_PAGE = """async ({theme, options}) => {
  const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  // Mermaid draws only the diagrams on show, and marks the hidden ones deferred (axe skips them).
  const drawn = () => [...document.querySelectorAll("pre.mermaid")]
    .every((d) => d.dataset.processed === "true" || d.dataset.mermaidDeferred === "true");
  const start = performance.now();
  if (document.body.dataset.theme !== theme) {
    document.body.dataset.theme = theme;
    await pause(0);  // the Mermaid plugin's MutationObserver clears the diagrams it will redraw
  }
  while (!drawn()) {
    if (performance.now() - start > 30000) throw new Error("Mermaid diagrams not drawn after 30 s");
    await pause(25);
  }
  const ready = performance.now();
  const result = await axe.run(document, options);
  return {violations: result.violations, wait: ready - start, axe: performance.now() - ready};
}"""


# Fill in the sidebar's closed branches as handbook.js does when a reader reaches for the
# sidebar; returns the branches still without their list of pages.
FILL_SIDEBAR = """async () => {
  // handbook.js is deferred: on a slow machine "networkidle" can come before it has run.
  if (document.readyState !== "complete") await new Promise((done) => addEventListener("load", done, { once: true }));
  if (window.handbookNavigation) await window.handbookNavigation.fill();
  return [...document.querySelectorAll(".sidebar-tree li.has-children:not(:has(> ul)) > a")]
    .map((link) => link.textContent);
}"""


def audited_pages(site: Path) -> list[str]:
    """Every HTML page of the build, less asset folders and redirect stubs."""
    # A redirect stub (_templates/redirect.html) refreshes to the page it names.
    return [
        name for name in built_pages(site) if 'http-equiv="refresh"' not in (site / name).read_text(encoding="utf-8")
    ]


async def _audit(served: str, names: list[str], workers: int) -> tuple[list[dict], Counter]:
    from playwright.async_api import async_playwright

    from handbook.pdf import CHROMIUM_ARGS

    origin = urlsplit(served).netloc
    foreign: list[str] = []
    found: list[dict] = []
    counts: Counter = Counter()
    queue = list(names)

    async def worker(browser) -> None:
        context = await browser.new_context(viewport=VIEWPORTS["desktop"])
        await context.add_init_script(path=str(AXE))  # axe-core in every page
        context.on(
            "request", lambda request: urlsplit(request.url).netloc in ("", origin) or foreign.append(request.url)
        )
        page = await context.new_page()
        while queue:
            name = queue.pop(0)
            start = time.monotonic()
            await page.set_viewport_size(VIEWPORTS["desktop"])
            await page.goto(f"{served}/{name}", wait_until="networkidle", timeout=120_000)
            empty = await page.evaluate(FILL_SIDEBAR)
            assert not empty, f"{name}: sidebar branches without their pages after filling in: {empty}"
            counts["load_s"] += time.monotonic() - start
            # Light at desktop then phone width, dark at phone then desktop: one theme switch.
            for theme, widths in zip(THEMES, (tuple(VIEWPORTS), tuple(reversed(VIEWPORTS))), strict=True):
                for width in widths:
                    await page.set_viewport_size(VIEWPORTS[width])
                    result = await page.evaluate(AUDIT_IN_PAGE, {"theme": theme, "options": AXE_OPTIONS})
                    counts["audits"] += 1
                    counts["wait_s"] += result["wait"] / 1000
                    counts["axe_s"] += result["axe"] / 1000
                    for violation in result["violations"]:
                        found.append({"page": name, "theme": theme, "viewport": width, **violation})
            counts["pages"] += 1

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        cpu = descendants_cpu_seconds()
        try:
            await asyncio.gather(*(worker(browser) for _ in range(min(workers, len(names)))))
            counts["cpu_s"] = descendants_cpu_seconds() - cpu  # before the renderers exit
        finally:
            await browser.close()
    assert not foreign, f"requests to another host during the audit: {foreign[:5]}"
    return found, counts


def audit(served: str, names: list[str], workers: int = WORKERS) -> tuple[list[dict], Counter]:
    """Run axe on every page in every theme and viewport: (violations, what was audited and
    how long it took: wall-clock ``seconds``, the browser's ``cpu_s``, and summed per-phase times)."""
    require(CHROMIUM.exists(), f"{CHROMIUM} not found (apt-get install chromium)")
    require(AXE.is_file(), f"{AXE.relative_to(ROOT)} not found (make node_modules/.installed)")
    pytest.importorskip("playwright.async_api")
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=1) as thread:
        found, counts = thread.submit(asyncio.run, _audit(served, names, workers)).result()
    counts["seconds"] = time.monotonic() - start
    return found, counts


def descendants_cpu_seconds() -> float:
    """CPU time used so far by this process's live descendants and the children they reaped
    (Linux /proc; 0 elsewhere). The audit's browser CPU is the difference between two readings:
    unlike wall-clock time, it does not grow when other work shares the machine."""
    parent, cpu = {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        parent[int(stat.parent.name)] = int(fields[1])
        cpu[int(stat.parent.name)] = sum(map(int, fields[11:15]))  # utime stime cutime cstime
    me, total = os.getpid(), 0
    for pid, ticks in cpu.items():
        ancestor = parent.get(pid, 0)
        while ancestor > 1 and ancestor != me:
            ancestor = parent.get(ancestor, 0)
        total += ticks if ancestor == me else 0
    return total / os.sysconf("SC_CLK_TCK")


def report(found: list[dict], pages_shown: int = 12) -> str:
    """Per rule: how many elements, on which pages, in which themes and widths, and an example."""
    rules: dict[tuple[str, str], dict] = {}
    for violation in found:
        entry = rules.setdefault(
            (violation["id"], violation["impact"]),
            {"elements": 0, "pages": {}, "where": set(), "help": violation["help"], "example": violation["nodes"][0]},
        )
        entry["elements"] += len(violation["nodes"])
        entry["pages"][violation["page"]] = entry["pages"].get(violation["page"], 0) + len(violation["nodes"])
        entry["where"].add(f"{violation['theme']}/{violation['viewport']}")
    lines = [f"{sum(entry['elements'] for entry in rules.values())} violating elements:"]
    for (rule, impact), entry in sorted(rules.items(), key=lambda item: -item[1]["elements"]):
        pages = sorted(entry["pages"])
        more = f" and {len(pages) - pages_shown} more" if len(pages) > pages_shown else ""
        shown = ", ".join(pages[:pages_shown]) + more
        example = entry["example"]
        lines.append(
            f"- {rule} ({impact}): {entry['help']}. {entry['elements']} elements on {len(pages)} pages "
            f"[{', '.join(sorted(entry['where']))}]: {shown}\n    e.g. "
            f"{' '.join(map(str, example['target']))}: {example['html'][:200]}"
        )
    return "\n".join(lines)


def timings(counts: Counter) -> str:
    return (
        f"{counts['seconds']:.0f} s wall clock with {WORKERS} pages at once, browser CPU "
        f"{counts['cpu_s']:.0f} s; summed over pages: loading {counts['load_s']:.0f} s, "
        f"waiting for diagrams {counts['wait_s']:.0f} s, axe {counts['axe_s']:.0f} s"
    )


def test_no_axe_violations_on_any_page_theme_or_width(site, served_site):
    names = audited_pages(site)
    assert len(names) >= 60, names
    found, counts = audit(served_site, names)
    violations = sum(len(violation["nodes"]) for violation in found)
    print(
        f"\naccessibility: {counts['pages']} pages, {counts['audits']} axe runs "
        f"({len(THEMES)} themes x {len(VIEWPORTS)} widths), {violations} violating elements; " + timings(counts)
    )
    record_gate(
        "accessibility",
        pages=counts["pages"],
        audits=counts["audits"],
        themes=len(THEMES),
        widths=len(VIEWPORTS),
        violations=violations,
        seconds=round(counts["seconds"]),
    )
    assert counts["pages"] == len(names) and counts["audits"] == len(names) * len(THEMES) * len(VIEWPORTS)
    assert not found, report(found)


def test_the_audit_catches_broken_pages(site, tmp_path):
    """A copy of the build with problems axe must report, in both themes and at both widths."""
    broken = tmp_path / "html"
    shutil.copytree(site, broken)
    target = broken / "glossary.html"
    html = target.read_text(encoding="utf-8")
    # Inside the article, under its heading: above it, Furo's floating page icons overlap the
    # text, and axe leaves the contrast of partly covered text "incomplete", not violated.
    target.write_text(
        html.replace(
            "</h1>",
            (
                "</h1>"
                '<img src="_static/logo.svg">'  # no alt text
                '<p style="color:#999;background:#fff">low contrast</p>'
                '<input type="text">'  # no label
            ),
            1,
        ),
        encoding="utf-8",
    )
    with serve(broken) as base:
        found, counts = audit(base, ["glossary.html", "index.html"])
    print("\n" + report(found))
    assert counts["audits"] == 2 * len(THEMES) * len(VIEWPORTS)
    assert {violation["page"] for violation in found} == {"glossary.html"}, report(found)
    rules = {(v["id"], v["theme"], v["viewport"]) for v in found}
    for rule in ("image-alt", "color-contrast", "label"):
        for theme in THEMES:
            for viewport in VIEWPORTS:
                assert (rule, theme, viewport) in rules, (rule, theme, viewport, report(found))
