"""A5. The bytes a first visit to a typical page downloads, by kind of file, raw and gzip -6 (from
the page's HTML and its stylesheets, cross-checked with what headless Chromium requests), and the
Mermaid files a page with diagrams loads."""

from __future__ import annotations

import re
import statistics
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

from .common import CHROMIUM, Figure, Report, WeightRow, gzip_size, limit_check, show, site_in_browser
from .search import search_sizes

TYPICAL_PAGE = "essays/velocity-and-trust.html"
DIAGRAM_PAGE = "essays/extracting-services.html"
MERMAID_DIR = "_static/vendor/mermaid/"
FIRST_VISIT_LIMIT = 40_000  # bytes gzip-compressed, 40 KB, for a first visit to TYPICAL_PAGE


class AssetParser(HTMLParser):
    """The files a page asks for before first paint: stylesheets, scripts, images and icons."""

    def __init__(self):
        super().__init__()
        self.assets: list[tuple[str, str]] = []  # (kind, url)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        rel = set((attrs.get("rel") or "").lower().split())
        if tag == "link" and "stylesheet" in rel:
            self.assets.append(("css", attrs.get("href")))
        elif tag == "link" and "icon" in rel:
            self.assets.append(("image", attrs.get("href")))
        elif tag == "link" and rel & {"preload", "modulepreload"}:
            kind = {"style": "css", "script": "js", "font": "font", "image": "image"}.get(attrs.get("as"), "js")
            self.assets.append((kind, attrs.get("href")))
        elif tag == "script" and attrs.get("src"):
            self.assets.append(("js", attrs.get("src")))
        elif tag == "img" and attrs.get("src"):
            self.assets.append(("image", attrs.get("src")))


CSS_IMPORT = re.compile(r"@import\s+(?:url\()?\s*['\"]?([^'\")\s;]+)")
FONT_FACE = re.compile(r"@font-face\s*{([^}]*)}", re.S)
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")


def site_path(base: str, url: str | None) -> str | None:
    """The site-relative path of a same-site URL, or None for data: and external URLs."""
    if not url or url.startswith("data:") or re.match(r"^[a-z]+:", url) or url.startswith("//"):
        return None
    path = urllib.parse.urlsplit(urllib.parse.urljoin(base, url)).path
    return path.lstrip("/")


def first_visit_assets(site: Path, page: str) -> tuple[dict[str, str], list[str]]:
    """Map every file a first visit loads to its kind; also list external URLs (not counted)."""
    parser = AssetParser()
    parser.feed((site / page).read_text(encoding="utf-8"))
    base = "/" + page
    files: dict[str, str] = {page: "html"}
    external: list[str] = []
    stylesheets = []
    for kind, url in parser.assets:
        path = site_path(base, url)
        if path is None:
            if url and not url.startswith("data:"):
                external.append(url)
            continue
        files.setdefault(path, kind)
        if kind == "css":
            stylesheets.append(path)
    while stylesheets:  # stylesheets bring @imports, fonts and images
        css_path = stylesheets.pop()
        css = (site / css_path).read_text(encoding="utf-8", errors="replace")
        for url in CSS_IMPORT.findall(css):
            path = site_path("/" + css_path, url)
            if path and path not in files:
                files[path] = "css"
                stylesheets.append(path)
        for block in FONT_FACE.findall(css):
            urls = [u for u in CSS_URL.findall(block) if not u.startswith("data:")]
            if urls:  # a browser downloads the first format it supports: woff2 is listed first
                files.setdefault(site_path("/" + css_path, urls[0]), "font")
        for url in CSS_URL.findall(FONT_FACE.sub("", css)):
            path = site_path("/" + css_path, url)
            if path:
                files.setdefault(path, "image")
    return files, external


def weigh(site: Path, files: dict[str, str]) -> list[WeightRow]:
    rows: dict[str, WeightRow] = {}
    for path, kind in files.items():
        data = (site / path).read_bytes()
        row = rows.setdefault(kind, WeightRow(kind, [], 0, 0))
        row.files.append(path)
        row.raw += len(data)
        row.gzip += gzip_size(data)
    order = ["html", "css", "js", "font", "image"]
    ordered = [rows.get(kind, WeightRow(kind, [], 0, 0)) for kind in order]
    total = WeightRow(
        "total", [f for r in ordered for f in r.files], sum(r.raw for r in ordered), sum(r.gzip for r in ordered)
    )
    return ordered + [total]


def browser_requests(site: Path, pages: list[str], timeout: float) -> dict[str, list[str]]:
    """The site files headless Chromium requests for each page, in a fresh profile, once every
    Mermaid diagram on it has rendered."""
    seen: dict[str, list[str]] = {}
    with site_in_browser(site) as (origin, browser):
        for page_path in pages:
            context = browser.new_context()
            page = context.new_page()
            requested: list[str] = []
            page.on("request", lambda request, requested=requested: requested.append(request.url))
            page.goto(origin + page_path, wait_until="networkidle", timeout=timeout * 1000)
            page.wait_for_function(
                "() => [...document.querySelectorAll('pre.mermaid')].every(d => d.querySelector('svg'))",
                timeout=timeout * 1000,
            )
            page.wait_for_load_state("networkidle")
            seen[page_path] = sorted(
                {urllib.parse.urlsplit(u).path.lstrip("/") for u in requested if u.startswith(origin)}
            )
            context.close()
    return seen


def bench_page_weight(report: Report, site: Path, timeout: float) -> None:
    """Figures A5 and A6, from a pristine build of the handbook."""
    files, external = first_visit_assets(site, TYPICAL_PAGE)
    report.weight = weigh(site, files)
    if external:
        report.weight_notes.append(f"external URLs not counted: {', '.join(external)}")
    total = report.weight[-1]
    visit = Figure(f"first visit to {TYPICAL_PAGE}, gzip -6", "bytes", [total.gzip])
    report.checks.append(limit_check(visit, FIRST_VISIT_LIMIT, f"first visit to {TYPICAL_PAGE} (40 KB)"))
    beyond_html = show(total.gzip - report.weight[0].gzip, "bytes")
    report.weight_notes.append(f"of which everything but the page's HTML: {beyond_html} (the same on every page)")
    essays = [
        path.relative_to(site).as_posix()
        for path in sorted((site / "essays").glob("*.html"))
        if path.name != "index.html" and "<article" in path.read_text(encoding="utf-8")
    ]
    totals = [weigh(site, first_visit_assets(site, essay)[0])[-1].gzip for essay in essays]
    if totals:
        report.weight_notes.append(
            f"the {len(totals)} essays, for comparison: median "
            f"{show(statistics.median(totals), 'bytes')}, {show(min(totals), 'bytes')} - "
            f"{show(max(totals), 'bytes')} (their articles differ)"
        )

    mermaid = Figure(f"Mermaid files loaded by {DIAGRAM_PAGE}, raw", "bytes")
    mermaid_gz = Figure(f"Mermaid files loaded by {DIAGRAM_PAGE}, gzip -6", "bytes")
    seen, reason = None, f"needs Chromium at {CHROMIUM} (HANDBOOK_CHROMIUM) and Playwright"
    if CHROMIUM.exists():
        try:
            seen = browser_requests(site, [TYPICAL_PAGE, DIAGRAM_PAGE], timeout)
        except Exception as exc:  # a browser that cannot start must not lose the other figures
            reason = f"headless Chromium failed: {exc.__class__.__name__}: {str(exc).splitlines()[0]}"
    if seen is None:
        for figure in (mermaid, mermaid_gz):
            figure.status = f"not measured: {reason}"
        report.not_measured.append(f"Mermaid chunk bytes and the browser cross-check: {reason}")
    else:
        loaded = [path for path in seen[DIAGRAM_PAGE] if path.startswith(MERMAID_DIR)]
        data = [(site / path).read_bytes() for path in loaded]
        mermaid.samples.append(sum(len(d) for d in data))
        mermaid_gz.samples.append(sum(gzip_size(d) for d in data))
        vendored = [p for p in (site / MERMAID_DIR).rglob("*") if p.is_file()]
        mermaid.note = (
            f"{len(loaded)} of {len(vendored)} vendored files "
            f"({sum(p.stat().st_size for p in vendored)} bytes), as Chromium requested them"
        )
        report.weight_notes += cross_check(files, seen[TYPICAL_PAGE])
    report.handbook += [mermaid, mermaid_gz]
    report.handbook += search_sizes(site)


def cross_check(parsed: dict[str, str], fetched: list[str]) -> list[str]:
    """Compare the parsed first-visit list with what Chromium actually requested."""
    missed = sorted(set(fetched) - set(parsed))
    unused = sorted(set(parsed) - set(fetched))
    notes = [f"Chromium requested {len(fetched)} files for {TYPICAL_PAGE}; the parse lists {len(parsed)}"]
    if missed:
        notes.append(f"requested by Chromium but not in the parse: {', '.join(missed)}")
    if unused:
        notes.append(f"in the parse but not requested by headless Chromium: {', '.join(unused)}")
    return notes
