"""What the parts of the benchmark share: the records of what it measured (Figure, Report,
Build...), running sphinx-build, the output folder, and small helpers (sizes, logging, a browser)."""

from __future__ import annotations

import contextlib
import gzip
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import devkit  # tools/devkit.py, shared with the tests (on sys.path: __init__.py)
from devkit import wait_for
from handbook.localserver import serve  # the site served as a web host serves it

ROOT = Path(__file__).resolve().parents[2]
STRICT = [*devkit.STRICT, "-j", "1"]  # serial: the figures compare like with like
EXAMPLES_CACHE = "handbook-examples"  # the executable examples' cache, in the doctrees folder
CHROMIUM = Path(os.environ.get("HANDBOOK_CHROMIUM", "/usr/bin/chromium"))
STARTED = time.monotonic()


@dataclass
class Output:
    """Where bench.json, the build logs and a profile go: _build/bench unless --out says."""

    folder: Path

    @property
    def logs(self) -> Path:
        return self.folder / "logs"


OUTPUT = Output(ROOT / "_build" / "bench")


def shown(path: Path) -> str:
    """``path`` as the report names it: relative to the repository when it is inside."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def log(message: str) -> None:
    elapsed = time.monotonic() - STARTED
    print(f"[{time.strftime('%H:%M:%S')} +{elapsed:6.0f}s] {message}", file=sys.stderr, flush=True)


# -- results ------------------------------------------------------------------------------------


@dataclass
class Figure:
    """One reported figure: the value of every repetition, and why there is none if so."""

    name: str
    unit: str  # "s", "bytes", "count", "x" (a ratio)
    samples: list[float] = field(default_factory=list)
    status: str = ""  # "skipped (...)", "not measured: ...", "failed ..." (no or partial values)
    note: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None

    def fail(self, log_path: Path) -> None:
        if self.status != "failed":  # name the first failing build's log
            self.status = "failed"
            self.note = (self.note + "; " if self.note else "") + f"see {shown(log_path)}"

    def to_json(self) -> dict:
        data = asdict(self)
        data.update(median=self.median, min=min(self.samples, default=None), max=max(self.samples, default=None))
        return data


@dataclass
class WeightRow:
    """What one kind of file costs a first visit."""

    kind: str
    files: list[str]
    raw: int
    gzip: int


@dataclass
class SiteResult:
    """One build variant of one generated handbook."""

    pages: int
    variant: str
    full: Figure
    vs_basic: Figure
    pagefind: Figure  # the part of the full build spent in Pagefind
    vs_basic_without_pagefind: Figure
    incremental: Figure | None = None
    page_html: Figure | None = None
    site_size: Figure | None = None
    vs_fast: Figure | None = None  # "bare" only: the fast build's time over this one's
    peak_memory: Figure | None = None

    def figures(self) -> list[Figure]:
        return [
            f
            for f in (
                self.full,
                self.vs_basic,
                self.pagefind,
                self.vs_basic_without_pagefind,
                self.vs_fast,
                self.incremental,
                self.page_html,
                self.site_size,
                self.peak_memory,
            )
            if f
        ]


@dataclass
class PeerResult:
    """One tool (this handbook or a peer) building one generated handbook (peers.py)."""

    pages: int
    key: str
    label: str
    cold: Figure
    vs_handbook: Figure  # its cold build over this handbook's (make html), in the same repetition
    live: Figure
    page_html: Figure
    site_size: Figure
    peak_memory: Figure
    note: str = ""

    def figures(self) -> list[Figure]:
        return [self.cold, self.vs_handbook, self.live, self.page_html, self.site_size, self.peak_memory]


@dataclass
class Report:
    """Everything one invocation measured, as printed and as written to bench.json."""

    meta: dict
    handbook: list[Figure] = field(default_factory=list)
    weight: list[WeightRow] = field(default_factory=list)
    weight_notes: list[str] = field(default_factory=list)
    generated: list[SiteResult] = field(default_factory=list)
    search: list[Figure] = field(default_factory=list)  # B2: search in the generated handbooks
    live: list[Figure] = field(default_factory=list)  # B3: make livehtml in a generated handbook
    peers: list[PeerResult] = field(default_factory=list)  # C: the same pages built by other tools
    checks: list[Figure] = field(default_factory=list)
    not_measured: list[str] = field(default_factory=list)


# -- processes ----------------------------------------------------------------------------------


@dataclass
class Build:
    """One build process: wall-clock seconds from start to exit, and whether it succeeded."""

    seconds: float
    ok: bool
    log: Path
    pagefind: float | None = None  # seconds the build spent in Pagefind, as the build reports it
    peak_memory: int | None = None  # bytes: the largest resident set of the process or a child it waited for


PAGEFIND_LINE = re.compile(r"Pagefind indexed \d+ pages in ([\d.]+) s")


ANSI_COLOURS = re.compile(r"\x1b\[[0-9;]*m")


def sphinx_build(
    src: Path,
    out: Path,
    doctrees: Path,
    name: str,
    timeout: float,
    extra: list[str] = (),
    allowed_warnings: re.Pattern | None = None,
    env: dict[str, str] | None = None,
) -> Build:
    """Run one strict HTML build in its own process and time it from start to exit."""
    command = devkit.sphinx_command(src, out, *STRICT, *extra, "-d", str(doctrees))

    def accept(returncode: int | None, output: str) -> bool:
        return returncode == 1 and allowed_warnings is not None and _only_allowed_warnings(output, allowed_warnings)

    return run_build(command, src, name, timeout, env, accept)


def run_build(
    command: list[str],
    cwd: Path,
    name: str,
    timeout: float,
    env: dict[str, str] | None = None,
    accept: Callable[[int | None, str], bool] | None = None,
) -> Build:
    """Run one build command in its own session, time it from start to exit, record its peak
    memory (wait4's rusage) and write its output to logs/NAME.log; ok when it exits 0 or
    ``accept(exit code, output)`` says so."""
    OUTPUT.logs.mkdir(parents=True, exist_ok=True)
    log_path = OUTPUT.logs / f"{name}.log"
    raw = log_path.with_suffix(".raw")
    with raw.open("w", encoding="utf-8") as sink:
        started = time.perf_counter()
        process = start_in_session(command, cwd, sink, env)
        returncode, peak_memory = wait_with_rusage(process, timeout)
        seconds = time.perf_counter() - started
    output = ANSI_COLOURS.sub("", raw.read_text(encoding="utf-8", errors="replace"))  # CI asks for colours
    raw.unlink()
    if returncode is None:
        output += f"\n[bench] killed after the {timeout:.0f} s timeout\n"
        stop_stray_postgres()
    ok = returncode == 0 or (accept is not None and accept(returncode, output))
    log_path.write_text(f"$ {' '.join(command)}\nexit: {returncode}, {seconds:.2f} s\n\n{output}", encoding="utf-8")
    log(f"  {name}: {seconds:.1f} s" + ("" if ok else f"  FAILED (exit {returncode}, {log_path})"))
    pagefind = PAGEFIND_LINE.search(output)
    return Build(seconds, ok, log_path, float(pagefind.group(1)) if pagefind else None, peak_memory)


def wait_with_rusage(process: subprocess.Popen, timeout: float) -> tuple[int | None, int | None]:
    """Wait for ``process`` with os.wait4, which also returns its resource usage: (exit code, or
    None when killed at the timeout; peak resident set in bytes). On Linux the child's ru_maxrss
    covers the largest of it and the children it waited for (Sphinx's -j workers)."""
    waited: dict[str, tuple[int, int]] = {}

    def reap() -> None:
        _, status, usage = os.wait4(process.pid, 0)
        waited["result"] = (os.waitstatus_to_exitcode(status), usage.ru_maxrss * 1024)  # KiB on Linux

    reaper = threading.Thread(target=reap, daemon=True)
    reaper.start()
    reaper.join(timeout)
    if reaper.is_alive():
        os.killpg(process.pid, signal.SIGKILL)
        reaper.join()
        process.returncode = -signal.SIGKILL
        return None, None
    code, peak = waited["result"]
    process.returncode = code  # reaped here: Popen must not wait for it again
    return code, peak


def _only_allowed_warnings(output: str, allowed: re.Pattern) -> bool:
    problems = [line for line in output.splitlines() if re.search(r"\b(WARNING|ERROR|CRITICAL)\b", line)]
    return bool(problems) and all(allowed.search(line) for line in problems)


# Builds and the live server get their own TMPDIR, so that the PostgreSQL clusters the examples
# start (in tempfile.mkdtemp()) are recognisably ours: a build killed mid-way (timeout, or the
# live server stopped) leaves its cluster running, and stop_stray_postgres() ends exactly those.
TMPDIR: Path | None = None


def use_tmpdir(folder: Path) -> None:
    global TMPDIR
    folder.mkdir(parents=True, exist_ok=True)
    for level in (folder.parent, folder):
        os.chmod(level, 0o755)  # the cluster runs as its own user and must reach its data folder
    TMPDIR = folder


def start_in_session(command: list[str], cwd, output, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start ``command`` in a session of its own (so that it and everything it starts can be
    stopped together), its output and errors to the open file ``output``."""
    return subprocess.Popen(
        command,
        cwd=cwd,
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**build_env(), **(env or {})},
    )


def build_env() -> dict[str, str]:
    return {**os.environ, "TMPDIR": str(TMPDIR)} if TMPDIR else dict(os.environ)


def stop_stray_postgres() -> None:
    """Fast-shutdown the example clusters still running under our TMPDIR, by their postmaster pid."""
    if TMPDIR is None:
        return
    for pid_file in TMPDIR.glob("handbook-build-*/handbook-pg-*/data/postmaster.pid"):
        try:
            pid = int(pid_file.read_text().split()[0])
            os.kill(pid, signal.SIGINT)
        except (OSError, ValueError, IndexError):
            continue
        log(f"stopped a PostgreSQL cluster a killed build left running (pid {pid})")
        wait_for(lambda pid_file=pid_file: not pid_file.exists(), 30, step=0.2)


def fresh(*folders: Path) -> None:
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


def directory_bytes(folder: Path) -> int:
    """``du -sb``: the apparent size of everything under ``folder``."""
    return int(subprocess.run(["du", "-sb", str(folder)], check=True, capture_output=True, text=True).stdout.split()[0])


def gzip_size(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6, mtime=0))


def append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)


def record(figure: Figure, build: Build) -> None:
    if build.ok:
        figure.samples.append(build.seconds)
    else:
        figure.fail(build.log)


def limit_check(figure: Figure, limit: float, question: str) -> Figure:
    """Is ``figure``'s median within ``limit`` (of the figure's own unit)?"""
    check = Figure(f"{question} within {show(limit, figure.unit)}", figure.unit)
    if figure.median is None:
        check.status = f"not measured: {figure.status or 'no value'}"
    else:
        check.samples.append(figure.median)
        check.note = "yes" if figure.median <= limit else "no"
    return check


def show(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "s":
        return f"{value:.1f} s" if value >= 10 else f"{value:.2f} s"
    if unit == "bytes":
        return f"{value / 1024:,.1f} KiB"
    if unit == "x":
        return f"{value:.2f}x"
    return f"{value:,.0f}"


@contextlib.contextmanager
def site_in_browser(site: Path):
    """``site`` served on loopback (handbook.localserver) and headless Chromium: yields
    (origin URL with a trailing slash, Playwright browser)."""
    from playwright.sync_api import sync_playwright

    with serve(site) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        try:
            yield f"{base}/", browser
        finally:
            browser.close()
