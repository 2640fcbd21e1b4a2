"""The tables the benchmark prints and the JSON it writes (bench.json)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from .common import OUTPUT, Figure, Report, show
from .livehtml import LIVEHTML_PAGES
from .peers import growth
from .search import SEARCH_QUERIES, SEARCH_ROUNDS
from .weight import TYPICAL_PAGE


def figures_table(figures: list) -> str:
    """The figure, median, min - max, n, note table of one part of the report."""
    rows = [[f.name, median_cell(f), spread_cell(f), str(len(f.samples)), f.status or f.note] for f in figures]
    return table(["figure", "median", "min - max", "n", "note"], rows, "lrrrl")


def to_json(report: Report) -> dict:
    return {
        "meta": report.meta,
        "handbook": [f.to_json() for f in report.handbook],
        "first_visit": {"page": TYPICAL_PAGE, "rows": [asdict(r) for r in report.weight], "notes": report.weight_notes},
        "generated": [
            {"pages": r.pages, "variant": r.variant, "figures": [f.to_json() for f in r.figures()]}
            for r in report.generated
        ],
        "search": [f.to_json() for f in report.search],
        "livehtml_generated": [f.to_json() for f in report.live],
        "peers": [
            {
                "pages": r.pages,
                "tool": r.key,
                "label": r.label,
                "note": r.note,
                "growth_exponent": growth(report, r.key),
                "figures": [f.to_json() for f in r.figures()],
            }
            for r in report.peers
        ],
        "checks": [f.to_json() for f in report.checks],
        "not_measured": report.not_measured,
    }


def save(report: Report) -> Path:
    OUTPUT.folder.mkdir(parents=True, exist_ok=True)
    path = OUTPUT.folder / "bench.json"
    path.write_text(json.dumps(to_json(report), indent=2) + "\n", encoding="utf-8")
    return path


def median_cell(figure: Figure | None) -> str:
    if figure is None:
        return ""
    if figure.status and not figure.samples:
        return figure.status
    return show(figure.median, figure.unit) + (" (failed runs)" if figure.status == "failed" else "")


def spread_cell(figure: Figure | None) -> str:
    if figure is None or not figure.samples:
        return ""
    low, high = min(figure.samples), max(figure.samples)
    return f"{show(low, figure.unit)} - {show(high, figure.unit)}"


def cell(figure: Figure | None) -> str:
    """'median [min - max]' in one cell, or why there is no value."""
    if figure is None:
        return ""
    if not figure.samples:
        return figure.status
    text = median_cell(figure)
    if len(figure.samples) > 1:
        text += f" [{spread_cell(figure)}]"
    return text


def table(headers: list[str], rows: list[list[str]], align: str) -> str:
    """Plain-text columns; ``align`` has one letter per column, l(eft) or r(ight)."""
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]

    def line(cells):
        return "  ".join(
            str(c).rjust(w) if a == "r" else str(c).ljust(w) for c, w, a in zip(cells, widths, align, strict=True)
        ).rstrip()

    return "\n".join([line(headers), "  ".join("-" * w for w in widths), *map(line, rows)])


def render(report: Report) -> str:
    parts = [f"Handbook benchmark, {report.meta['started']} on {report.meta['machine']}", ""]
    if report.handbook:
        parts.append("A. The real handbook (-W --keep-going -n -j 1)")
        parts.append(
            table(
                ["figure", "median", "min - max", "n", "note"],
                [[f.name, median_cell(f), spread_cell(f), str(len(f.samples)), f.note] for f in report.handbook],
                "lrrrl",
            )
        )
    if report.weight:
        parts += ["", f"First visit to {TYPICAL_PAGE} (no cache)"]
        parts.append(
            table(
                ["type", "files", "raw", "gzip -6"],
                [[r.kind, str(len(r.files)), show(r.raw, "bytes"), show(r.gzip, "bytes")] for r in report.weight],
                "lrrr",
            )
        )
        parts += [f"  {note}" for note in report.weight_notes]
    if report.generated:
        parts += [
            "",
            "B. Generated handbooks (-W --keep-going -n -j 1); each cell: median [min - max]",
            "   x basic: the build's time over the basic theme's in the same repetition; "
            "Pagefind: the part of the full build it reports spending in Pagefind",
        ]
        rows = [
            [
                str(r.pages),
                r.variant,
                str(len(r.full.samples)),
                cell(r.full),
                cell(r.vs_basic),
                cell(r.pagefind),
                cell(r.vs_basic_without_pagefind),
                cell(r.incremental),
                cell(r.page_html),
                cell(r.site_size),
                median_cell(r.peak_memory),
            ]
            for r in report.generated
        ]
        parts.append(
            table(
                [
                    "pages",
                    "build",
                    "n",
                    "full build",
                    "x basic",
                    "Pagefind",
                    "x basic w/o Pagefind",
                    "incremental",
                    "avg page HTML",
                    "site size",
                    "peak memory",
                ],
                rows,
                "llrrrrrrrrr",
            )
        )
    if report.search:
        parts += [
            "",
            f"B2. Search in the generated handbooks (fast build, Chromium; {len(SEARCH_QUERIES)} queries, "
            f"{SEARCH_ROUNDS} rounds, each typed into the home page's search box on a fresh profile)",
        ]
        parts.append(figures_table(report.search))
    if report.live:
        parts += ["", f"B3. make livehtml in the generated handbooks ({LIVEHTML_PAGES} pages, and --huge)"]
        parts.append(figures_table(report.live))
    if report.peers:
        parts += ["", *peers_tables(report)]
    if report.checks:
        parts += ["", "Checks"]
        parts.append(
            table(
                ["check", "answer", "values"],
                [[c.name, c.status or c.note, ", ".join(show(v, c.unit) for v in c.samples)] for c in report.checks],
                "lll",
            )
        )
    if report.not_measured:
        parts += ["", "Not measured"] + [f"  - {item}" for item in report.not_measured]
    return "\n".join(parts)


def peers_tables(report: Report) -> list[str]:
    """C: a row per tool and size, then the tools' cold builds side by side with their growth."""
    parts = [
        "C. The same generated pages built by other tools (each in its own venv, pinned; cold builds "
        "interleaved); each cell: median [min - max]",
        "   x ours: the tool's cold build over this handbook's (make html) in the same repetition; live: "
        "save-to-served in the tool's own server; memory: the largest process's peak",
    ]
    rows = [
        [
            r.label,
            str(r.pages),
            str(len(r.cold.samples)),
            cell(r.cold),
            cell(r.vs_handbook),
            cell(r.live),
            median_cell(r.page_html),
            median_cell(r.site_size),
            median_cell(r.peak_memory),
            r.note,
        ]
        for r in report.peers
    ]
    parts.append(
        table(
            ["tool", "pages", "n", "cold build", "x ours", "live", "avg page HTML", "output", "memory", "note"],
            rows,
            "lrrrrrrrrl",
        )
    )
    sizes = sorted({r.pages for r in report.peers})
    tools = list(dict.fromkeys(r.key for r in report.peers))
    by_key = {(r.key, r.pages): r for r in report.peers}
    summary = []
    for key in tools:
        first = next(r for r in report.peers if r.key == key)
        largest = by_key.get((key, sizes[-1]))
        exponent = growth(report, key)
        summary.append(
            [first.label]
            + [median_cell(by_key[key, size].cold) if (key, size) in by_key else "" for size in sizes]
            + [
                f"N^{exponent:.2f}" if exponent is not None else "-",
                median_cell(largest.page_html) if largest else "",
                median_cell(largest.live) if largest else "",
            ]
        )
    parts += ["", "C, side by side (cold build, median)"]
    parts.append(
        table(
            [
                "tool",
                *[f"{size} pages" for size in sizes],
                "growth",
                f"avg page at {sizes[-1]}",
                f"live at {sizes[-1]}",
            ],
            summary,
            "l" + "r" * (len(sizes) + 3),
        )
    )
    return parts
