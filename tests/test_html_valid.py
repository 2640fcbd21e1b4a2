"""Valid HTML: the Nu HTML checker (vnu, the engine of validator.w3.org/nu) reports no error on
any page of the built handbook, the CSS in its style attributes included.

vnu comes from the vnu-jar npm package, pinned in package-lock.json (`make node_modules/.installed`;
its install script, which would download a Java, is not run) and runs on Debian's Java. It checks
every page in one JVM, a few seconds for the whole site, plus the sidebar's whole navigation
tree (_static/handbook-navigation.html, which handbook.js inserts into pages). Its warnings (advice such as "consider
using h1 only as a top-level heading", which docutils' nested sections cannot follow) are
counted for the report but do not fail the gate; info messages are not asked for.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections import Counter
from pathlib import Path
from urllib.parse import unquote, urlsplit

from conftest import ROOT, built_pages, record_gate, require
from handbook.navigation import TREE_FILE

VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
# HTML fragments that scripts insert into pages (asset folders are otherwise not checked).
FRAGMENTS = (f"_static/{TREE_FILE}",)
# Errors that are vnu's mistakes, not the handbook's: (message start, why it is ignored).
# Empty: add an entry only with the reason, and never for an error the handbook can fix.
IGNORED: tuple[tuple[str, str], ...] = ()


def sidebar_fragments(site: Path, folder: Path) -> dict[str, Path]:
    """The HTML that handbook.js inserts into every page's sidebar (the whole navigation tree,
    _ext/handbook/navigation.py), wrapped into a document of its own so that vnu can check it."""
    wrapped = {}
    for name in FRAGMENTS:
        if (site / name).is_file():
            document = folder / name
            document.parent.mkdir(parents=True, exist_ok=True)
            # On the fragment's first line, so that vnu's line numbers are the fragment's.
            document.write_text(
                '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sidebar</title>'
                '</head><body><div class="sidebar-tree">'
                + (site / name).read_text(encoding="utf-8")
                + "</div></body></html>\n",
                encoding="utf-8",
            )
            wrapped[name] = document
    return wrapped


def check(files: dict[str, Path]) -> list[dict]:
    """vnu's errors and warnings for ``files`` (name: path), in one run, each message with the
    ``page`` name it is about."""
    java = shutil.which("java")
    require(java is not None, "java not found (apt-get install default-jre-headless)")
    require(VNU.is_file(), f"{VNU.relative_to(ROOT)} not found (make node_modules/.installed)")
    command = [
        java,
        "-jar",
        str(VNU),
        "--format",
        "json",
        "--stdout",
        "--exit-zero-always",
        "--skip-info-messages",
        "--also-check-css",
        *map(str, files.values()),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    messages = json.loads(result.stdout)["messages"]
    names = {path.resolve(): name for name, path in files.items()}
    for message in messages:
        path = Path(unquote(urlsplit(message.get("url", "")).path)).resolve()
        message["page"] = names.get(path, str(path))
    return messages


def errors_in(messages: list[dict]) -> list[dict]:
    """Errors (and files vnu could not read), less the IGNORED false positives."""
    return [
        message
        for message in messages
        if message["type"] != "info" and not any(message["message"].startswith(start) for start, _why in IGNORED)
    ]


def report(messages: list[dict], shown: int = 8) -> str:
    """Per message: how many times, on how many pages, and the first few places."""
    grouped: dict[str, list[dict]] = {}
    for message in messages:
        grouped.setdefault(message["message"], []).append(message)
    lines = [f"{len(messages)} errors:"]
    for text, found in sorted(grouped.items(), key=lambda item: -len(item[1])):
        pages = Counter(message["page"] for message in found)
        lines.append(f"- {text} ({len(found)} times on {len(pages)} pages)")
        for message in found[:shown]:
            extract = " ".join(message.get("extract", "").split())[:160]
            lines.append(f"    {message['page']}:{message.get('lastLine', '?')}: {extract}")
    return "\n".join(lines)


def test_every_page_is_valid_html(site, tmp_path):
    pages = {name: site / name for name in built_pages(site)}  # redirect stubs included
    assert len(pages) >= 60, pages
    start = time.monotonic()
    fragments = sidebar_fragments(site, tmp_path)
    messages = check(pages | fragments)
    seconds = round(time.monotonic() - start, 1)
    errors = errors_in(messages)
    warnings = [message for message in messages if message.get("subType") == "warning"]
    print(
        f"\nhtml validity: {len(pages)} pages and {len(fragments)} fragment in {seconds} s, {len(errors)} errors, "
        f"{len(warnings)} warnings: {dict(Counter(w['message'][:60] for w in warnings))}"
    )
    record_gate("html_validity", pages=len(pages), errors=len(errors), warnings=len(warnings), seconds=seconds)
    assert not errors, report(errors)


def test_the_checker_catches_broken_html(site, tmp_path):
    """A copy of a page with a duplicate id, a <div> in a <span> and a stray end tag: each error
    is reported on the broken copy, and none on the page it was copied from."""
    html = (site / "glossary.html").read_text(encoding="utf-8")
    assert 'id="furo-main-content"' in html
    (tmp_path / "glossary.html").write_text(html, encoding="utf-8")
    (tmp_path / "broken.html").write_text(
        html.replace(
            "<article",
            (
                '<p id="furo-main-content">duplicate id</p>'
                "<span><div>a block in a phrase</div></span>"
                "</p>"  # no <p> is open here
                "<article"
            ),
            1,
        ),
        encoding="utf-8",
    )
    errors = errors_in(check({name: tmp_path / name for name in ("glossary.html", "broken.html")}))
    print("\n" + report(errors))
    assert {message["page"] for message in errors} == {"broken.html"}, report(errors)
    found = {message["message"] for message in errors}
    for expected in (
        "Duplicate ID “furo-main-content”.",
        "Element “div” not allowed as child of element “span” in this context.",
        "No “p” element in scope but a “p” end tag seen.",
    ):
        assert any(message.startswith(expected) for message in found), (expected, report(errors))
