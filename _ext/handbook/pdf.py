"""Print the single-page HTML build to PDF with Debian's Chromium (``make pdf``).

Why this route: Chromium renders the Mermaid diagrams exactly as the site does and keeps every
cross-reference as an internal PDF link, with no TeX installation or Mermaid CLI. The pages are
served over loopback HTTP, because browsers refuse ES-module imports (Mermaid) from file:// URLs.

Run as ``python -m handbook.pdf SINGLEHTML_DIR OUTPUT.pdf`` with ``_ext`` on the path.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from .localserver import serve

CHROMIUM = os.environ.get("HANDBOOK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def print_pdf(site: Path, output: Path, timeout_s: float = 120) -> dict:
    from playwright.sync_api import sync_playwright

    output.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with serve(site) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        # Count the diagram sources in the HTML as written, before any script touches it.
        sources = (site / "index.html").read_text(encoding="utf-8").count('class="mermaid"')
        page.goto(f"{base}/index.html", wait_until="networkidle", timeout=timeout_s * 1000)
        # Mermaid renders asynchronously; wait until every source has become an SVG.
        page.wait_for_function(
            f"() => document.querySelectorAll('svg[aria-roledescription]').length >= {sources}",
            timeout=timeout_s * 1000,
        )
        diagrams = page.locator("svg[aria-roledescription]").count()
        page.emulate_media(media="print")
        page.pdf(
            path=str(output),
            format="A4",
            print_background=True,
            outline=True,
            tagged=True,
            margin={"top": "16mm", "bottom": "16mm", "left": "14mm", "right": "14mm"},
        )
        browser.close()
    return {"diagrams": diagrams, "bytes": output.stat().st_size, "seconds": time.monotonic() - started}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path, help="the singlehtml build folder")
    parser.add_argument("output", type=Path)
    args = parser.parse_args(argv)
    if not (args.site / "index.html").is_file():
        print(f"make pdf: {args.site}/index.html not found; run `make singlehtml` first", file=sys.stderr)
        return 2
    if not Path(CHROMIUM).exists():
        print(f"make pdf: {CHROMIUM} not found; install Debian's chromium", file=sys.stderr)
        return 2
    result = print_pdf(args.site, args.output)
    print(
        f"wrote {args.output}: {result['bytes'] / 1e6:.1f} MB, {result['diagrams']} diagrams, {result['seconds']:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
