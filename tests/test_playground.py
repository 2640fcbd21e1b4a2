"""The playground: PostgreSQL examples readers edit and run in their browser on PGlite.

Fast: which examples the build marks editable and why, the buttons and the per-page chain
files, and the browser's statement splitter against the build's on every example of the
handbook. Slow: the parity check (every editable example, unedited, on PGlite under Node.js with
the browser's own formatter, against the build's output) and the editor in Chromium.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlparse

import pytest
from bs4 import BeautifulSoup

from conftest import ROOT, ROOTS, build_here, require
from handbook.examples import playground
from handbook.examples.engines import split_sql

NODE = shutil.which("node")
STATIC = ROOT / "_ext" / "handbook" / "static"
VENDOR = ROOT / "_static" / "vendor" / "pglite"
PAGE = "essays/schema-design"  # a page with many editable examples


def node(*args: str, timeout: float = 120, cwd: Path | None = None) -> subprocess.CompletedProcess:
    require(NODE is not None, "node not found (apt-get install nodejs)")
    assert NODE is not None
    return subprocess.run(
        [NODE, "--no-warnings", *args], capture_output=True, text=True, timeout=timeout, cwd=cwd, check=False
    )


# -- the build's rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "session", "why"),
    [
        ("SELECT 1;", "other", "second connection"),
        ("CREATE ROLE reporting;", "main", "roles"),
        ("SELECT rolname FROM pg_roles;", "main", "roles"),
        ("CREATE EXTENSION IF NOT EXISTS dblink;", "main", "extension dblink"),
        ("SELECT query FROM pg_stat_statements;", "main", "pg_stat_statements"),
        ("COPY t TO PROGRAM 'gzip > t.gz';", "main", "program"),
        ("COPY t FROM '/tmp/t.csv' WITH (FORMAT csv);", "main", "file"),
    ],
)
def test_blocks_that_cannot_run_in_the_browser_say_why(code, session, why):
    reason = playground.cannot_run(code, session)
    assert reason is not None and why in reason


@pytest.mark.parametrize(
    "code", ["SELECT 1;", "COPY t TO STDOUT;", "CREATE TABLE roles_history (id int);", "EXPLAIN ANALYZE SELECT 1;"]
)
def test_ordinary_blocks_can_run_in_the_browser(code):
    assert playground.cannot_run(code, "main") is None


def test_a_declared_block_names_its_reason_from_conf():
    exclude = [{"page": "essays/x", "code": "CALL slow_one(", "reason": "takes 12 s in PGlite"}]
    assert "takes 12 s" in (playground.declared("CALL slow_one(10);", exclude, "essays/x") or "")
    assert playground.declared("CALL slow_one(10);", exclude, "essays/y") is None
    assert playground.declared("SELECT 1;", exclude, "essays/x") is None


@pytest.fixture(scope="module")
def built(examples_built):
    return examples_built


def test_editable_examples_get_a_button_and_the_others_none(built):
    page = BeautifulSoup((built / "postgres.html").read_text(encoding="utf-8"), "html.parser")
    examples = page.select("div.handbook-example-postgresql")
    buttons = [example.select_one("button.handbook-playground-edit") for example in examples]
    # index (after the hidden :setup:), the aggregate, the expected error: editable; the
    # :session: block and the one after it (whose chain holds the other session) are not.
    assert [button is not None for button in buttons] == [True, True, True, False, False]
    first = buttons[0]
    assert first is not None
    assert first.get("type") == "button" and first.get_text() == "Edit and run"
    assert first["data-page"] == "postgres" and first["data-block"] == "1"
    assert not page.select("script[src*=playground]"), "the page loads nothing of the playground"


def test_the_chain_file_holds_every_block_in_order_with_the_build_output(built):
    data = json.loads((built / "_playground" / "postgres.json").read_text(encoding="utf-8"))
    blocks = data["blocks"]
    assert blocks[0]["setup"] and blocks[0]["code"].startswith("CREATE TABLE orders")
    assert [block.get("editable", False) for block in blocks] == [False, True, True, True]  # up to the last editable
    assert blocks[2]["expected"]["outputs"][0]["table"][0] == ["customer_id", "orders", "revenue"]
    assert "orders_pkey" in blocks[3]["expected"]["error"]
    assert any("actual time" in mask for mask in blocks[1]["masks"])
    assert "PGlite" in data["note"] and f"PostgreSQL {playground.build_postgres_major()}" in data["note"]
    index = json.loads((built / "_playground" / "index.json").read_text(encoding="utf-8"))
    assert index["pglite"] == (VENDOR / "VERSION").read_text(encoding="utf-8").strip()
    assert index["pages"]["postgres"] == {"editable": 3, "blocks": 5}
    assert "second connection" in index["not_editable"]["postgres:32"]
    assert "earlier example" in index["not_editable"]["postgres:38"]


def test_no_button_in_the_epub(tmp_path):
    app, warnings = build_here(ROOTS / "test-examples", tmp_path / "epub", "epub", copyright="2026", version="1")
    assert warnings == "", warnings
    text = (Path(app.outdir) / "postgres.xhtml").read_text(encoding="utf-8")
    assert "handbook-example-postgresql" in text and "Edit and run" not in text
    assert not (Path(app.outdir) / "_playground").exists()


# -- the browser's statement splitter against the build's --------------------------------------

_BLOCK = re.compile(r"^(`{3,})\{run\}\s+postgresql[^\n]*\n(.*?)^\1\s*$", re.M | re.S)


def _handbook_blocks() -> list[str]:
    blocks = []
    for path in sorted(ROOT.glob("**/*.md")):
        if any(
            part.startswith((".", "_")) or part in {"node_modules", "tests"} for part in path.relative_to(ROOT).parts
        ):
            continue
        for match in _BLOCK.finditer(path.read_text(encoding="utf-8")):
            lines = match.group(2).splitlines()
            if lines and lines[0].strip() == "---":  # options as YAML between --- lines
                lines = lines[lines.index("---", 1) + 1 :]
            while lines and re.match(r"^:[\w-]+:", lines[0]):
                lines.pop(0)
            blocks.append("\n".join(lines).strip("\n"))
    return blocks


def test_the_browser_splits_every_example_as_the_build_does(tmp_path):
    blocks = _handbook_blocks()
    assert len(blocks) > 100
    (tmp_path / "blocks.json").write_text(json.dumps(blocks), encoding="utf-8")
    script = (
        f"import {{ splitSql }} from {json.dumps((STATIC / 'playground' / 'pgformat.mjs').as_uri())};"
        "import { readFileSync } from 'node:fs';"
        "const blocks = JSON.parse(readFileSync(process.argv[1], 'utf-8'));"
        "process.stdout.write(JSON.stringify(blocks.map(splitSql)));"
    )
    result = node("--input-type=module", "-e", script, str(tmp_path / "blocks.json"))
    assert result.returncode == 0, result.stderr
    browser = json.loads(result.stdout)
    for code, statements in zip(blocks, browser, strict=True):
        build = [statement.strip() for statement in split_sql(code)]
        assert statements == build, f"the browser splits this block differently from the build:\n{code}"


# -- parity: each editable example, unedited, in PGlite under Node.js ----------------------------


def test_every_editable_example_shows_the_build_output_in_pglite(site):
    result = node(str(ROOT / "tests" / "playground_parity.mjs"), str(site), timeout=900)
    assert result.returncode == 0, (
        f"the parity check stopped at {result.stderr.splitlines()[-1:]}: {result.stderr[-2000:]}"
    )
    report = json.loads(result.stdout)
    assert report["postgres"][:-4] == playground.build_postgres_major(), (
        "PGlite's PostgreSQL major differs from the build's: review the editor's note and the rules"
    )
    index = json.loads((site / "_playground" / "index.json").read_text(encoding="utf-8"))
    assert report["checked"] == sum(page["editable"] for page in index["pages"].values()) > 40
    assert not report["slow"], f"editable examples too slow for the editor's 10 s limit: {report['slow']}"
    problems = [
        f"{d['page']}.md:{d['line']}: the browser's output differs from the build's\n"
        f"build:   {d['build']}\nbrowser: {d['browser']}"
        for d in report["differences"]
    ]
    assert not problems, (
        "\n\n".join(problems) + "\n\nFix the formatter (static/playground/pgformat.mjs), declare the difference "
        "with its reason (handbook_playground_differences in conf.py), or mark the example not editable "
        "(handbook_playground_exclude)."
    )


# -- the editor in Chromium -----------------------------------------------------------------------

PLAYGROUND_FILES = ("/_playground/", "/_static/playground/", "/_static/vendor/pglite/")


@pytest.fixture
def watched(page, served_site):
    """The page's every request (workers' included), recorded on the context."""
    seen: list[str] = []
    page.context.on("request", lambda request: seen.append(request.url))
    return page, seen


def open_editor(page, served: str, index: int = 0):
    page.goto(f"{served}/{PAGE}.html", wait_until="networkidle")
    example = page.locator("div.handbook-example-postgresql", has=page.locator("button.handbook-playground-edit")).nth(
        index
    )
    example.locator("button.handbook-playground-edit").click()
    area = example.get_by_label("SQL to run in your browser")
    area.wait_for()
    return example, area


def run(page, example, area, code: str | None = None, keyboard: bool = False) -> str:
    if code is not None:
        area.fill(code)
    if keyboard:
        area.press("Control+Enter")
    else:
        example.get_by_role("button", name="Run", exact=True).click()
    state = example.locator(".handbook-playground-actions span")
    page.wait_for_function(
        "(element) => /^(Done|Error)/.test(element.textContent)", arg=state.element_handle(), timeout=90_000
    )
    return example.locator(".handbook-example-output").inner_text()


def test_edit_run_and_reset_an_example_offline(watched, served_site):
    page, seen = watched
    host = urlparse(served_site).netloc
    page.context.route(lambda url: urlparse(url).netloc != host, lambda route: route.abort())  # network cut
    page.goto(f"{served_site}/{PAGE}.html", wait_until="networkidle")
    assert not [url for url in seen if any(part in url for part in PLAYGROUND_FILES)], "fetched before the click"
    buttons = page.locator("button.handbook-playground-edit")
    index = json.loads(page.evaluate("() => fetch('/_playground/index.json').then((r) => r.text())"))
    assert buttons.count() == index["pages"][PAGE]["editable"] > 3
    seen.clear()

    example, area = open_editor(page, served_site, 1)
    assert not example.locator("div.highlight-sql").is_visible(), "the code became the editor"
    assert run(page, example, area) == example.locator(".handbook-example-output").inner_text()
    example.get_by_role("button", name="Reset").click()
    original_code = area.input_value()
    original_output = example.locator(".handbook-example-output").inner_text()
    assert page.locator(".handbook-playground-note").count() == 1
    assert "PGlite" in page.locator(".handbook-playground-note").inner_text()

    output = run(page, example, area, "SELECT 6 * 7 AS answer, 'edited' AS what;", keyboard=True)
    assert "answer" in output and "42" in output and "edited" in output and "(1 row)" in output
    assert page.locator("[role=status]").inner_text() == "Done"

    output = run(page, example, area, "SELECT * FROM no_such_table;")
    assert 'ERROR:  relation "no_such_table" does not exist' in output
    assert page.locator("[role=status]").inner_text() == "Error"

    example.get_by_role("button", name="Reset").click()
    assert area.input_value() == original_code
    assert example.locator(".handbook-example-output").inner_text() == original_output

    # The unedited example, after the page's chain: the build's output, from a database started by
    # initdb (the first run above) or from the snapshot of one (every run since).
    assert run(page, example, area) == original_output
    assert any("/_static/vendor/pglite/pglite.wasm" in url for url in seen)
    foreign = [url for url in seen if urlparse(url).netloc != host]
    assert not foreign, foreign

    area.press("Escape")
    assert page.evaluate("document.activeElement.textContent") == "Run"


def test_a_long_statement_stops_at_the_time_limit(page, served_site):
    example, area = open_editor(page, served_site)
    output = run(page, example, area, "SELECT pg_sleep(60);")
    assert "Stopped after 10 seconds" in output
    assert page.evaluate("1 + 1") == 2  # the page answers
    output = run(page, example, area, "SELECT 'again' AS next;")  # and the editor runs again
    assert "again" in output


def test_no_axe_violations_with_the_editor_open(page, served_site):
    from test_accessibility import AUDIT_IN_PAGE, AXE, AXE_OPTIONS, THEMES, VIEWPORTS

    require(AXE.is_file(), "axe-core not installed (make node_modules/.installed)")
    page.context.add_init_script(path=str(AXE))
    example, area = open_editor(page, served_site)
    run(page, example, area, "SELECT 1 AS one;")
    for theme in THEMES:
        for width in VIEWPORTS:
            page.set_viewport_size(VIEWPORTS[width])
            result = page.evaluate(AUDIT_IN_PAGE, {"theme": theme, "options": AXE_OPTIONS})
            assert result["violations"] == [], f"{theme}, {width}: {result['violations']}"


def test_printing_shows_no_button_or_editor(page, served_site):
    example, _ = open_editor(page, served_site)
    page.emulate_media(media="print")
    assert not page.locator("button.handbook-playground-edit").first.is_visible()
    assert not example.locator(".handbook-playground").is_visible()
    assert example.locator("div.highlight-sql").is_visible(), "the printed page shows the code, not the editor"
