"""Shared fixtures: the real handbook built once per session, small test projects, and the
rule that browser and server tests skip here but fail in CI (HANDBOOK_REQUIRE_ALL=1)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from sphinx.testing.util import SphinxTestApp
from sphinx.util.console import strip_colors

pytest_plugins = ["sphinx.testing.fixtures"]
collect_ignore = ["roots"]

ROOT = Path(__file__).resolve().parent.parent
ROOTS = Path(__file__).resolve().parent / "roots"
CHROMIUM = Path(os.environ.get("HANDBOOK_CHROMIUM", "/usr/bin/chromium"))
# Folders of a build that hold assets, not pages.
ASSET_FOLDERS = ("_static", "_sources", "_pagefind", "_images", "_downloads")
REPORTS = Path(os.environ.get("HANDBOOK_REPORTS", ROOT / "_build" / "reports"))

# Test projects load the handbook extension from the repository, wherever they are copied.
sys.path.insert(0, str(ROOT / "_ext"))
sys.path.insert(0, str(ROOT / "tools"))  # devkit, shared with the benchmark (tools/bench)

from devkit import STRICT, copy_checkout, sphinx_command  # noqa: E402  (needs the path above)
from handbook.localserver import serve  # noqa: E402  (needs the path above)
from handbook.pdf import CHROMIUM_ARGS  # noqa: E402


def require(condition: bool, reason: str) -> None:
    """Skip when ``condition`` is false, or fail when CI asked for every test to run."""
    if condition:
        return
    if os.environ.get("HANDBOOK_REQUIRE_ALL") == "1":
        pytest.fail(f"required in CI but unavailable: {reason}")
    pytest.skip(reason)


def built_pages(site: Path) -> list[str]:
    """Every HTML page of a build (site-relative names, sorted), outside the asset folders."""
    return [
        path.relative_to(site).as_posix()
        for path in sorted(site.rglob("*.html"))
        if path.relative_to(site).parts[0] not in ASSET_FOLDERS
    ]


def record_gate(gate: str, **figures) -> None:
    """Keep a quality gate's figures (pages checked, violations, rates...) for `make report`,
    which prints every gate's latest figures as one table (tools/report.py)."""
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / f"{gate}.json").write_text(json.dumps(figures, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def sphinx_build(srcdir: Path, outdir: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run sphinx-build from this venv as a separate process, as a user would."""
    command = sphinx_command(srcdir, outdir, *args)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "_ext")}
    return subprocess.run(command, cwd=cwd or srcdir, env=env, capture_output=True, text=True, timeout=900)


def build_here(srcdir: Path, builddir: Path | None = None, builder: str = "html", **confoverrides):
    """Build ``srcdir`` in this process, as the fast loop does (about five times quicker than
    sphinx_build for a small project; nitpicky, like the strict build): the application and its
    warnings, one per line. A second call with the same ``builddir`` builds incrementally."""
    app = SphinxTestApp(
        builder,
        srcdir=srcdir,
        builddir=builddir,
        status=StringIO(),
        warning=StringIO(),
        confoverrides={"nitpicky": True, **confoverrides},
    )
    try:
        app.build()
    finally:
        app.cleanup()  # unregister its nodes and directives, so that the next application starts clean
    return app, strip_colors(app.warning.getvalue())


@pytest.fixture
def build(tmp_path):
    """Build a test project in this process, strict (no warnings): its output folder. Called
    again with the same ``name``, it builds incrementally, as `make html` after an edit does."""

    def run(project: Path, name: str = "build", builder: str = "html", **confoverrides) -> Path:
        app, warnings = build_here(project, tmp_path / name, builder, **confoverrides)
        assert warnings == "", warnings
        return app.outdir

    return run


def build_cli(project: Path, out: Path, *extra: str) -> Path:
    """`sphinx-build -W --keep-going -n` as a separate process, as a user runs it: ``out``,
    after checking that it succeeded without a warning."""
    result = sphinx_build(project, out, *STRICT, *extra)
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    return out


def copy_sources(source: Path, target: Path) -> Path:
    """A checkout of the working tree as a clone would see it: the tracked and untracked (not
    ignored) files, committed into a fresh repository so that git-based features have history."""
    return copy_checkout(source, target, "checkout", date="2026-11-28T12:00:00+00:00")


# Fixtures that make a test part of the slow loop: the whole handbook built, served, or a browser.
SLOW_FIXTURES = {"site", "served_site", "browser", "page"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that needs the whole site, a browser or a server `slow`: `make test-fast`
    (pytest -m "not slow") leaves them out; `make test` runs everything."""
    for item in items:
        if (
            SLOW_FIXTURES & set(item.fixturenames)
            or item.get_closest_marker("browser")
            or item.get_closest_marker("server")
        ):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def rootdir() -> Path:
    return ROOTS


@pytest.fixture(scope="session")
def examples_built(tmp_path_factory) -> Path:
    """tests/roots/test-examples built once, strict: its pages' examples, their output and the
    playground files (tests/test_examples.py, tests/test_playground.py)."""
    app, warnings = build_here(ROOTS / "test-examples", tmp_path_factory.mktemp("examples"))
    assert warnings == "", warnings
    return app.outdir


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The real handbook, built once as `make html` builds it (strict, parallel)."""
    out = tmp_path_factory.mktemp("site")
    result = sphinx_build(ROOT, out / "html", "--jobs", "auto", *STRICT, "-d", str(out / "doctrees"))
    assert result.returncode == 0, f"strict build failed:\n{result.stderr[-6000:]}"
    assert "WARNING" not in result.stderr, result.stderr
    return out / "html"


@pytest.fixture(scope="session")
def served_site(site):
    """The built handbook served over HTTP on a free loopback port."""
    with serve(site) as base:
        yield base


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, driven by Playwright (never a downloaded browser)."""
    require(CHROMIUM.exists(), f"{CHROMIUM} not found (apt-get install chromium)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()
