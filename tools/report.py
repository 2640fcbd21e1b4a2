"""Print the quality gates' figures as one table: `make report`.

Each gate test records its figures (pages checked, violations, broken links, search top-3 rate,
files compared...) with ``record_gate`` in ``tests/conftest.py``, into ``_build/reports/<gate>.json``,
before it asserts. This script reads them back; it runs no check itself. A gate passes when each
of its failure counts is zero, its rate meets its target and every Lighthouse score is 100.
Exit status: 0 when every gate recorded passes, 1 otherwise (or when none was recorded).

    python tools/report.py [REPORTS_DIR]
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "_build" / "reports"

# The gates in the order the quality issue lists them, with a readable name.
GATES = {
    "accessibility": "Accessibility (axe-core)",
    "internal_links": "Internal links and fragments",
    "external_urls": "External URLs well-formed and public",
    "third_party_requests": "No third-party requests",
    "reader_questions": "Reader questions: answered, and found by search (top 3)",
    "reproducible_build": "Reproducible builds",
    "spelling": "Spelling (codespell)",
    "markdown_lint": "Markdown lint (pymarkdownlnt)",
    "lighthouse": "Lighthouse",
    "html_validity": "Valid HTML (Nu HTML checker)",
}
# Figures that count failures: a gate passes only when all of its are zero.
FAILURE_KEYS = {"violations", "errors", "broken", "problems", "differences", "findings", "to_other_hosts"}
# Detail kept in the JSON for whoever investigates, left out of the table.
DETAIL_KEYS = {"metrics", "cpu"}


def verdict(figures: dict) -> bool:
    if any(figures.get(key) for key in FAILURE_KEYS):
        return False
    # A rate with a target (answered_rate and answered_target, ...) must meet it.
    if any(
        value < figures[f"{key.removesuffix('_rate')}_target"]
        for key, value in figures.items()
        if key.endswith("_rate") and f"{key.removesuffix('_rate')}_target" in figures
    ):
        return False
    scores = figures.get("pages")
    if isinstance(scores, dict):
        return all(score == 100 for page in scores.values() for score in page.values())
    return True


def describe(figures: dict) -> str:
    parts = []
    for key, value in sorted(figures.items()):
        if key in DETAIL_KEYS:
            continue
        if isinstance(value, dict):  # Lighthouse: {page: {category: score}}
            value = "; ".join(
                f"{page} (" + ", ".join(f"{name} {score}" for name, score in scores.items()) + ")"
                if isinstance(scores, dict)
                else f"{page} {scores}"
                for page, scores in value.items()
            )
        elif isinstance(value, list):
            value = ", ".join(map(str, value)) or "none"
        elif isinstance(value, float):
            value = f"{value:.1%}" if key.endswith(("rate", "target")) else f"{value:.1f}"
        parts.append(f"{key.replace('_', ' ')}: {value}")
    return "; ".join(parts)


def main(reports: Path) -> int:
    rows, all_pass = [], True
    for gate, title in GATES.items():
        path = reports / f"{gate}.json"
        if not path.is_file():
            rows.append((title, "not run", "-", "no figures recorded: run `make test` (or the gate's test)"))
            all_pass = False
            continue
        figures = json.loads(path.read_text(encoding="utf-8"))
        passed = verdict(figures)
        all_pass &= passed
        when = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).strftime("%Y-%m-%d %H:%M")
        rows.append((title, "pass" if passed else "FAIL", when, describe(figures)))
    widths = [max(len(row[i]) for row in rows + [("gate", "result", "recorded (UTC)", "")]) for i in range(3)]
    print(f"Quality gates, from {reports.relative_to(ROOT) if reports.is_relative_to(ROOT) else reports}\n")
    header = ("gate", "result", "recorded (UTC)", "figures")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths + [0], strict=True)).rstrip())
    print("  ".join("-" * w for w in widths + [7]))
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths + [0], strict=True)).rstrip())
    return 0 if all_pass else 1


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else REPORTS))
