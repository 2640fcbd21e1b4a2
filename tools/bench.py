"""Benchmark the handbook: build and rebuild times, live-preview latency, page weight, search size,
and how the build scales with the number of pages.

Run it with the handbook's venv: ``make bench``, or ``make bench BENCH_ARGS="--quick"`` for a
short smoke run. It prints three tables and writes the same figures (with every repetition's
value) to ``_build/bench/bench.json``; the log of every build is kept under ``_build/bench/logs``.

What it measures
----------------
A. The real handbook, copied into a temporary directory (the files ``git ls-files -co
   --exclude-standard`` lists, committed into a fresh repository so that the git-based "last
   updated" dates have history) and built with ``python -m sphinx -b html -W --keep-going -n -j 1``:

   1. a cold build (fresh output and doctrees) with the executable examples' cache present, and
      one with an empty cache; their difference is the time the examples add to a cold build.
      The examples' count is the number of cache entries the empty-cache build wrote. A third
      cold build runs the examples in the build's own process (HANDBOOK_BENCH_INLINE_EXAMPLES=1,
      for this comparison only): the empty-cache build over it is what isolating every page's
      examples in a forked worker costs.
   2. an incremental rebuild after appending a sentence to one page;
   3. an incremental rebuild after adding a page to a toctree, and whether every page's sidebar
      then lists the new page ("sidebars fresh");
   4. ``make livehtml``: seconds from saving an edit to the edit being served;
   5. the bytes a first visit to a typical essay downloads (the HTML and every stylesheet,
      script, font and image it loads), raw and gzip -6, and apart from it the Mermaid files a
      page with diagrams loads (recorded from headless Chromium, since Mermaid picks them at
      run time);
   6. the size of ``searchindex.js`` (the handbook builds none: Pagefind replaces it) and of
      ``_pagefind/`` when present.

B. Generated handbooks of N source pages (``--sizes``), with realistic ~600-word pages, shaped
   like the real one (sections that split into chapters of at most ``CHAPTER_PAGES`` pages as
   they grow), built four ways: "fast" (the handbook's conf, its fast navigation), "bare" (the
   same without the knowledge-base features: tags, backlinks, related pages, health;
   ``-D handbook_knowledge=0``, to measure what they cost), "stock" (Furo's own navigation,
   ``-D handbook_fast_navigation=0``) and "basic" (``-D html_theme=basic``). The basic theme warns
   about Furo's theme options, so the basic build may exit non-zero: it counts as a success when
   those are its only warnings.

   B2. Search in the fast build, in Chromium: a reader on the home page types a query into the
   search box and presses Enter; the time to the first result and to the whole first page of
   results with excerpts, from the search page's first request to Pagefind, and from Enter;
   and the bytes a first query downloads. The Checks table compares them, at
   ``SEARCH_TARGET_PAGES`` pages, with ``SEARCH_LIMITS``.
   B3. ``make livehtml`` in the generated handbook of ``LIVEHTML_PAGES`` pages, as in A4.

How to read the tables
----------------------
Every figure comes from runs made by this invocation; nothing is carried over or typed in.
"median" is the median of the repetitions, "min-max" their range and "n" their number.
Repetitions are interleaved (fast, stock, basic, fast, stock, basic, ...; cached, empty,
cached, empty, ...), and a ratio or difference is computed within one repetition before
taking the median, so that a noisy neighbour slows both sides of a comparison alike.
"x basic" is the build's time divided by the basic theme's time in the same repetition.
"skipped (quadratic; --stock-max-pages)" marks the stock-Furo builds left out above that size;
"failed" means a build did not succeed (its log is named in the note), and its time is not used.
Sizes in the tables are KiB (1024 bytes); the JSON has exact bytes.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import datetime as dt
import gzip
import http.client
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import asdict, dataclass, field
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "_ext"))
from handbook.localserver import serve  # noqa: E402  (the site served as a web host serves it)
OUT = ROOT / "_build" / "bench"
LOGS = OUT / "logs"
STRICT = ["-W", "--keep-going", "-n", "-j", "1"]

# The real handbook: the pages the benchmark edits and measures.
PROSE_PAGE = "essays/scaling-next-10x.md"
PRACTICE_TEMPLATE = "engineering-practices/adding-a-cache.md"  # front matter format to copy
PRACTICES_INDEX = "engineering-practices/index.md"
NEW_PAGE = "engineering-practices/bench-new-page.md"
NEW_PAGE_TITLE = "Bench new page"
TYPICAL_PAGE = "essays/velocity-and-trust.html"
DIAGRAM_PAGE = "essays/extracting-services.html"
MERMAID_DIR = "_static/vendor/mermaid/"
EXAMPLES_CACHE = "handbook-examples"

# The variants of the generated handbooks, in the order they are interleaved.
VARIANTS = {
    "fast": [],
    "bare": ["-D", "handbook_knowledge=0"],
    "stock": ["-D", "handbook_fast_navigation=0"],
    "basic": ["-D", "html_theme=basic"],
}
BASIC_WARNINGS = re.compile(r"unsupported theme option")  # Furo's options, meaningless to basic
FAST_VS_BASIC_LIMIT = 1.5
# One repetition per size above 500 pages: ratios within this of each other count as equal.
RATIO_NOISE = 0.05
KNOWLEDGE_COST_LIMIT = 1.15  # the full build with the knowledge-base features, over without
INLINE_EXAMPLES = "HANDBOOK_BENCH_INLINE_EXAMPLES"  # handbook.examples.worker.INLINE_FOR_BENCHMARK
ISOLATION_LIMIT = 1.10  # isolated examples: within 10% of the in-process build (issue #22)
LIVEHTML_PAGES = 1000  # the generated handbook that `make livehtml` is also timed in
LIVEHTML_LIMITS = (2.0, 3.0)  # s, save to served: the real handbook, and LIVEHTML_PAGES pages
SEARCH_TARGET_PAGES = 1000  # the generated handbook that the search targets are for
SEARCH_LIMITS = {"first": 0.3, "done": 1.0, "fetched": 300_000}  # s, s, bytes (300 KB)
LIVE_EDITS = 3  # edits timed per livehtml server
FIRST_VISIT_LIMIT = 40_000  # bytes gzip-compressed, 40 KB, for a first visit to TYPICAL_PAGE
CHROMIUM = Path(os.environ.get("HANDBOOK_CHROMIUM", "/usr/bin/chromium"))
STARTED = time.monotonic()


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
            self.note = (self.note + "; " if self.note else "") + f"see {log_path.relative_to(ROOT)}"

    def to_json(self) -> dict:
        data = asdict(self)
        data.update(median=self.median, min=min(self.samples, default=None),
                    max=max(self.samples, default=None))
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

    def figures(self) -> list[Figure]:
        return [f for f in (self.full, self.vs_basic, self.pagefind, self.vs_basic_without_pagefind,
                            self.vs_fast, self.incremental, self.page_html, self.site_size) if f]


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
    checks: list[Figure] = field(default_factory=list)
    not_measured: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "meta": self.meta,
            "handbook": [f.to_json() for f in self.handbook],
            "first_visit": {"page": TYPICAL_PAGE, "rows": [asdict(r) for r in self.weight],
                            "notes": self.weight_notes},
            "generated": [{"pages": r.pages, "variant": r.variant,
                           "figures": [f.to_json() for f in r.figures()]} for r in self.generated],
            "search": [f.to_json() for f in self.search],
            "livehtml_generated": [f.to_json() for f in self.live],
            "checks": [f.to_json() for f in self.checks],
            "not_measured": self.not_measured,
        }

    def save(self) -> Path:
        OUT.mkdir(parents=True, exist_ok=True)
        path = OUT / "bench.json"
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")
        return path


# -- processes ----------------------------------------------------------------------------------


@dataclass
class Build:
    """One sphinx-build process: wall-clock seconds from start to exit, and whether it succeeded."""

    seconds: float
    ok: bool
    log: Path
    pagefind: float | None = None  # seconds the build spent in Pagefind, as the build reports it


PAGEFIND_LINE = re.compile(r"Pagefind indexed \d+ pages in ([\d.]+) s")


def sphinx_build(src: Path, out: Path, doctrees: Path, name: str, timeout: float,
                 extra: list[str] = (), allowed_warnings: re.Pattern | None = None,
                 env: dict[str, str] | None = None) -> Build:
    """Run one strict HTML build in its own process and time it from start to exit."""
    command = [sys.executable, "-m", "sphinx", "-b", "html", *STRICT, *extra,
               "-d", str(doctrees), str(src), str(out)]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=src, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True, env={**build_env(), **(env or {})})
    try:
        output, _ = process.communicate(timeout=timeout)
        returncode = process.returncode
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        output += f"\n[bench] killed after the {timeout:.0f} s timeout\n"
        returncode = None
        stop_stray_postgres()
    seconds = time.perf_counter() - started
    ok = returncode == 0 or (returncode == 1 and allowed_warnings is not None
                             and _only_allowed_warnings(output, allowed_warnings))
    LOGS.mkdir(parents=True, exist_ok=True)
    log_path = LOGS / f"{name}.log"
    log_path.write_text(f"$ {' '.join(command)}\nexit: {returncode}, {seconds:.2f} s\n\n{output}",
                        encoding="utf-8")
    log(f"  {name}: {seconds:.1f} s" + ("" if ok else f"  FAILED (exit {returncode}, {log_path})"))
    pagefind = PAGEFIND_LINE.search(output)
    return Build(seconds, ok, log_path, float(pagefind.group(1)) if pagefind else None)


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
        wait_for(lambda: not pid_file.exists(), 30, step=0.2)


def fresh(*folders: Path) -> None:
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


def git_commit(project: Path) -> None:
    """Make ``project`` a repository with one commit, isolated from any user or system config."""
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_AUTHOR_NAME": "Handbook bench", "GIT_AUTHOR_EMAIL": "bench@localhost",
           "GIT_COMMITTER_NAME": "Handbook bench", "GIT_COMMITTER_EMAIL": "bench@localhost"}
    for command in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "bench snapshot"]):
        subprocess.run(["git", *command], cwd=project, env=env, check=True, capture_output=True)


def project_files(root: Path) -> list[str]:
    """What ``git ls-files -co --exclude-standard`` lists in ``root`` (tracked files, and untracked
    ones that are not ignored).

    git runs against a private copy of the repository's index with ``root`` as its working tree,
    so the benchmark only reads the repository: it never takes its index lock or rewrites its
    index while somebody else is committing.
    """
    found = subprocess.run(["git", "rev-parse", "--absolute-git-dir"], cwd=root, capture_output=True, text=True)
    git_dir = Path(found.stdout.strip()) if found.returncode == 0 else root / ".git"  # a worktree's too
    if not (git_dir / "index").is_file():
        raise SystemExit(f"{root} is not a git checkout with an index; the benchmark copies what git lists")
    with tempfile.TemporaryDirectory(prefix="handbook-bench-git-") as scratch:
        private = Path(scratch) / "repo"
        subprocess.run(["git", "init", "-q", str(private)], check=True, capture_output=True)
        shutil.copy2(git_dir / "index", private / ".git" / "index")
        for extra in [*git_dir.glob("sharedindex.*"), git_dir / "info" / "exclude"]:
            if extra.is_file():
                target = private / ".git" / extra.relative_to(git_dir)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(extra, target)
        listed = subprocess.run(
            ["git", f"--git-dir={private / '.git'}", f"--work-tree={root}",
             "ls-files", "-co", "--exclude-standard", "-z"],
            cwd=scratch, check=True, capture_output=True, text=True).stdout
    return sorted(name for name in set(listed.split("\0")) if name and (root / name).is_file())


def copy_files(root: Path, names: list[str], target: Path) -> None:
    for name in names:
        if not (root / name).is_file():
            continue  # removed since it was listed (others edit the tree meanwhile)
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, target / name)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy


def fetch(url: str) -> str | None:
    try:
        with LOCAL.open(url, timeout=5) as response:
            return response.read().decode("utf-8", "replace")
    except (OSError, urllib.error.URLError, http.client.HTTPException):
        return None  # not serving yet, or the file changed while it was being sent


def wait_for(predicate, timeout: float, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return None


def directory_bytes(folder: Path) -> int:
    """``du -sb``: the apparent size of everything under ``folder``."""
    return int(subprocess.run(["du", "-sb", str(folder)], check=True, capture_output=True,
                              text=True).stdout.split()[0])


def gzip_size(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6, mtime=0))


def append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)


# -- A. the real handbook -----------------------------------------------------------------------


class Handbook:
    """A temporary copy of the handbook and the builds made from it."""

    def __init__(self, work: Path, timeout: float):
        self.src = work / "handbook"
        self.builds = work / "handbook-builds"
        self.timeout = timeout
        self.originals: dict[str, str] = {}

    def prepare(self) -> None:
        names = project_files(ROOT)
        copy_files(ROOT, names, self.src)
        git_commit(self.src)
        log(f"copied {len(names)} files of the working tree into {self.src}")

    def build(self, name: str, with_cache: Path | None, env: dict[str, str] | None = None) -> tuple[Build, Path]:
        """A cold build into fresh folders, optionally seeded with an examples cache."""
        folder = self.builds / name
        fresh(folder)
        if with_cache is not None:
            shutil.copytree(with_cache, folder / "doctrees" / EXAMPLES_CACHE)
        return self.rebuild(folder, name, env), folder

    def rebuild(self, folder: Path, name: str, env: dict[str, str] | None = None) -> Build:
        return sphinx_build(self.src, folder / "html", folder / "doctrees", f"handbook-{name}", self.timeout,
                            env=env)

    # Edits are undone by writing the original text back, so every repetition starts alike.
    def edit(self, relative: str, change) -> None:
        path = self.src / relative
        original = path.read_text(encoding="utf-8")
        self.originals.setdefault(relative, original)
        path.write_text(change(original), encoding="utf-8")

    def restore(self) -> None:
        for relative, text in self.originals.items():
            (self.src / relative).write_text(text, encoding="utf-8")
        self.originals.clear()
        (self.src / NEW_PAGE).unlink(missing_ok=True)

    def add_page(self) -> None:
        """Create a practice page (front matter in another practice page's format) and list it."""
        (self.src / NEW_PAGE).write_text(new_practice_page(self.src / PRACTICE_TEMPLATE), encoding="utf-8")
        self.edit(PRACTICES_INDEX, lambda text: add_to_toctree(text, Path(NEW_PAGE).stem))


def new_practice_page(template: Path) -> str:
    lines = template.read_text(encoding="utf-8").splitlines()
    end = lines.index("---", 1)
    front = [("description: A page the build benchmark adds, to time an incremental build that "
              "adds a page to a toctree.") if line.startswith("description:") else line
             for line in lines[1:end]]
    return "\n".join(["---", *front, "---", "", "(bench-new-page)=", f"# {NEW_PAGE_TITLE}", "",
                      "This page exists only inside the benchmark's temporary copy of the handbook.", ""])


def add_to_toctree(text: str, entry: str) -> str:
    """Append ``entry`` to the first toctree of a MyST page."""
    lines = text.splitlines(keepends=True)
    opening = next(i for i, line in enumerate(lines) if re.match(r"^(`{3,}|:{3,})\{toctree\}", line))
    fence = re.match(r"^(`{3,}|:{3,})", lines[opening]).group(1)
    closing = next(i for i in range(opening + 1, len(lines)) if lines[i].strip() == fence)
    return "".join(lines[:closing] + [f"{entry}\n"] + lines[closing:])


def stale_sidebars(site: Path, title: str, section: str) -> tuple[int, int]:
    """How many pages have a Furo sidebar, and how many of those do not lead a reader to
    ``title``: a page lists it in its sidebar, or (handbook.navigation) shows the branch of
    ``section``, where it was added, closed and the shared tree it is filled in from lists it."""
    pages = stale = 0
    shared = site / "_static" / "handbook-navigation.html"
    in_shared_tree = shared.is_file() and f">{title}</a>" in shared.read_text(encoding="utf-8")
    closed_branch = re.compile(rf'href="[^"]*{re.escape(section)}/index\.html">[^<]*</a>'
                               r'<input aria-label="[^"]*" class="toctree-checkbox"[^>]*>'
                               r'<label[^>]*>.*?</label>\s*</li>', re.S)
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8", errors="replace")
        start = html.find('<div class="sidebar-tree">')
        if start < 0:
            continue
        pages += 1
        sidebar = html[start:html.find("</div>", start)]
        if f">{title}</a>" not in sidebar and not (in_shared_tree and closed_branch.search(sidebar)):
            stale += 1
    return pages, stale


def bench_handbook(report: Report, work: Path, repeat: int, timeout: float) -> Path | None:
    """Figures A1-A4; returns a pristine built site for the size figures (A5, A6)."""
    handbook = Handbook(work, timeout)
    handbook.prepare()
    figures = {
        "cached": Figure("cold build, examples cached", "s"),
        "empty": Figure("cold build, empty examples cache", "s"),
        "examples_cost": Figure("time the examples add to a cold build", "s",
                                note="empty minus cached, per repetition"),
        "examples_run": Figure("examples run by an empty-cache build", "count",
                               note="example-cache entries the build wrote"),
        "inline": Figure("cold build, empty examples cache, examples in the build's process", "s",
                         note="the unisolated baseline (HANDBOOK_BENCH_INLINE_EXAMPLES=1)"),
        "isolation": Figure("isolation's cost: empty-cache build, isolated / in-process", "x",
                            note="each example page and engine in a forked worker; per repetition"),
        "prose": Figure("incremental rebuild, one page's prose edited", "s", note=PROSE_PAGE),
        "added": Figure("incremental rebuild, one page added to a toctree", "s", note=NEW_PAGE),
        "stale": Figure("pages whose sidebar lacks the new page", "count"),
    }
    report.handbook += figures.values()

    log("handbook: warm-up build (empty examples cache; fills the cache and the OS caches, not reported)")
    warm, warm_folder = handbook.build("warm-up", with_cache=None)
    if not warm.ok:
        for figure in figures.values():
            figure.fail(warm.log)
        report.not_measured.append("make livehtml latency: the warm-up build of the handbook failed")
        return None
    cache = work / "examples-cache"
    cache.mkdir()
    if (warm_folder / "doctrees" / EXAMPLES_CACHE).is_dir():
        shutil.copytree(warm_folder / "doctrees" / EXAMPLES_CACHE, cache, dirs_exist_ok=True)
    fresh(warm_folder)

    site = None
    for rep in range(1, repeat + 1):
        log(f"handbook: repetition {rep}/{repeat}")
        cached = cold_and_incremental_builds(handbook, figures, cache, rep)
        inline, inline_folder = handbook.build(f"inline-{rep}", with_cache=None, env={INLINE_EXAMPLES: "1"})
        record(figures["inline"], inline)
        fresh(inline_folder)
        empty, folder = handbook.build(f"empty-{rep}", with_cache=None)
        record(figures["empty"], empty)
        if empty.ok and inline.ok:
            figures["isolation"].samples.append(empty.seconds / inline.seconds)
        if empty.ok:
            figures["examples_run"].samples.append(len(list((folder / "doctrees" / EXAMPLES_CACHE).glob("*.json"))))
            if cached.ok:
                figures["examples_cost"].samples.append(empty.seconds - cached.seconds)
            if site is not None:
                fresh(site.parent)
            site = folder / "html"  # the newest pristine build, for the size figures
        else:
            fresh(folder)

    report.checks.append(sidebar_check(figures["stale"]))
    report.checks.append(limit_check(figures["isolation"], ISOLATION_LIMIT,
                                     "examples isolated in workers cost an empty-cache build"))
    latency = bench_livehtml(report, report.handbook, "", handbook.src, PROSE_PAGE, max(repeat, LIVE_EDITS),
                             timeout, cache)
    report.checks.append(limit_check(latency, LIVEHTML_LIMITS[0], "make livehtml shows an edit of the handbook"))
    return site


def cold_and_incremental_builds(handbook: Handbook, figures: dict[str, Figure], cache: Path, rep: int) -> Build:
    """A cold build with the examples cached, then the two incremental rebuilds on top of it."""
    cached, folder = handbook.build(f"cached-{rep}", with_cache=cache)
    record(figures["cached"], cached)
    if cached.ok:
        handbook.edit(PROSE_PAGE, lambda text: text + "\nThe build benchmark appended this sentence.\n")
        record(figures["prose"], handbook.rebuild(folder, f"prose-edit-{rep}"))
        handbook.add_page()
        added = handbook.rebuild(folder, f"page-added-{rep}")
        record(figures["added"], added)
        if added.ok:
            sidebar_pages, lacking = stale_sidebars(folder / "html", NEW_PAGE_TITLE, Path(NEW_PAGE).parent.name)
            figures["stale"].samples.append(lacking)
            figures["stale"].note = f"of {sidebar_pages} pages with a sidebar"
        handbook.restore()
    fresh(folder)
    return cached


def sidebar_check(stale: Figure) -> Figure:
    check = Figure("sidebars fresh after adding a page", "count", list(stale.samples),
                   note=("yes" if stale.samples and not any(stale.samples) else "no")
                   + f": pages lacking the new page, {stale.note}, in each repetition")
    if not stale.samples:
        check.status = "not measured: the page-added build failed"
    return check


def record(figure: Figure, build: Build) -> None:
    if build.ok:
        figure.samples.append(build.seconds)
    else:
        figure.fail(build.log)


# -- A4. make livehtml --------------------------------------------------------------------------


def bench_livehtml(report: Report, figures: list[Figure], label: str, src: Path, page: str, edits: int,
                   timeout: float, cache: Path | None = None) -> Figure:
    """Start ``make livehtml`` in the project copy ``src``, then time save-to-served for ``edits``
    edits of ``page``; adds the figures to ``figures`` and returns the latency figure. ``cache``
    seeds the examples cache, so that the first build does not run every example."""
    first_serve = Figure(f"{label}make livehtml: start to first page served", "s",
                         note="examples cache present; one start" if cache else "one start")
    latency = Figure(f"{label}make livehtml: save-to-served latency", "s", note=f"appending a line to {page}")
    figures += [first_serve, latency]
    venv = Path(sys.prefix)
    if not (venv / "bin" / "sphinx-autobuild").exists():
        for figure in (first_serve, latency):
            figure.status = f"not measured: no sphinx-autobuild in {venv} (make bench installs it)"
        report.not_measured.append(f"livehtml latency: {latency.status}")
        return latency

    if cache is not None:  # make livehtml shares make html's doctrees (and examples cache)
        shutil.copytree(cache, src / "_build" / "doctrees" / EXAMPLES_CACHE)
    port = free_port()
    # -o: never let make refresh the venv from here (that would need the network).
    command = ["make", "-o", f"{venv}/.installed-runtime", "-o", f"{venv}/.installed-dev",
               "livehtml", f"VENV={venv}", f"PORT={port}"]
    log_path = LOGS / f"livehtml-{re.sub(r'[^a-z0-9]+', '-', label.lower()).strip('-') or 'handbook'}.log"
    url = f"http://127.0.0.1:{port}/{Path(page).with_suffix('.html').as_posix()}"
    log(f"livehtml: {' '.join(command)} in {src}")
    with log_path.open("w", encoding="utf-8") as output:
        started = time.perf_counter()
        server = subprocess.Popen(command, cwd=src, stdout=output, stderr=subprocess.STDOUT,
                                  start_new_session=True, env={**build_env(), "PYTHONUNBUFFERED": "1"})
        try:
            if not wait_for(lambda: fetch(url), timeout, step=0.5):
                first_serve.fail(log_path)
                latency.fail(log_path)
                return latency
            first_serve.samples.append(time.perf_counter() - started)
            for number in range(1, edits + 1):
                # Each edit starts from an idle server: the previous build has finished.
                wait_for(lambda: finished_builds(log_path) >= number, timeout, step=0.2)
                time.sleep(1)
                seconds = timed_edit(src / page, url, timeout)
                if seconds is None:
                    latency.fail(log_path)
                    break
                latency.samples.append(seconds)
                log(f"  livehtml edit {number}: {seconds:.2f} s")
            wait_for(lambda: finished_builds(log_path) > edits, timeout, step=0.2)
        finally:
            stop(server)
            stop_stray_postgres()
    return latency


def finished_builds(log_path: Path) -> int:
    """Builds that sphinx-autobuild has seen exit: it says "Serving on" after each one."""
    return log_path.read_text(encoding="utf-8", errors="replace").count("Serving on http")


def timed_edit(page: Path, url: str, timeout: float) -> float | None:
    token = f"benchtoken{uuid.uuid4().hex}"
    append(page, f"\nLive edit {token}.\n")
    saved = time.perf_counter()
    if wait_for(lambda: token in (fetch(url) or ""), timeout):
        return time.perf_counter() - saved
    return None


def stop(process: subprocess.Popen) -> None:
    """Stop a process started in its own session, and everything it started."""
    for sig, grace in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


# -- A5, A6. page weight and search ---------------------------------------------------------------


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
    total = WeightRow("total", [f for r in ordered for f in r.files], sum(r.raw for r in ordered),
                      sum(r.gzip for r in ordered))
    return ordered + [total]


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


def browser_requests(site: Path, pages: list[str], timeout: float) -> dict[str, list[str]]:
    """The site files headless Chromium requests for each page, in a fresh profile, once every
    Mermaid diagram on it has rendered."""
    seen: dict[str, list[str]] = {}
    with site_in_browser(site) as (origin, browser):
        for page_path in pages:
            context = browser.new_context()
            page = context.new_page()
            requested: list[str] = []
            page.on("request", lambda request: requested.append(request.url))
            page.goto(origin + page_path, wait_until="networkidle", timeout=timeout * 1000)
            page.wait_for_function(
                "() => [...document.querySelectorAll('pre.mermaid')].every(d => d.querySelector('svg'))",
                timeout=timeout * 1000)
            page.wait_for_load_state("networkidle")
            seen[page_path] = sorted({urllib.parse.urlsplit(u).path.lstrip("/")
                                      for u in requested if u.startswith(origin)})
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
    report.weight_notes.append(f"of which everything but the page's HTML: {show(total.gzip - report.weight[0].gzip, 'bytes')}"
                               " (the same on every page)")
    essays = [path.relative_to(site).as_posix() for path in sorted((site / "essays").glob("*.html"))
              if path.name != "index.html" and "<article" in path.read_text(encoding="utf-8")]
    totals = [weigh(site, first_visit_assets(site, essay)[0])[-1].gzip for essay in essays]
    if totals:
        report.weight_notes.append(f"the {len(totals)} essays, for comparison: median {show(statistics.median(totals), 'bytes')}, "
                                   f"{show(min(totals), 'bytes')} - {show(max(totals), 'bytes')} (their articles differ)")

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
        mermaid.note = (f"{len(loaded)} of {len(vendored)} vendored files "
                        f"({sum(p.stat().st_size for p in vendored)} bytes), as Chromium requested them")
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


def search_sizes(site: Path) -> list[Figure]:
    figures = []
    index = site / "searchindex.js"
    if index.exists():
        data = index.read_bytes()
        figures.append(Figure("searchindex.js, raw", "bytes", [len(data)]))
        figures.append(Figure("searchindex.js, gzip -6", "bytes", [gzip_size(data)]))
    else:
        figures.append(Figure("searchindex.js", "bytes", status="not present in the build"))
    pagefind = site / "_pagefind"
    if pagefind.is_dir():
        files = [p for p in pagefind.rglob("*") if p.is_file()]
        figures.append(Figure("_pagefind/ (du -sb)", "bytes", [directory_bytes(pagefind)],
                              note=f"{len(files)} files"))
    else:
        figures.append(Figure("_pagefind/", "bytes", status="not present in the build"))
    return figures


# -- B. generated handbooks ---------------------------------------------------------------------

SECTIONS = [  # slug, title, preferred tags
    ("architecture", "Architecture", ["architecture", "scaling"]),
    ("storage", "Data storage", ["databases", "postgresql", "nosql"]),
    ("caching", "Caching", ["caching", "performance"]),
    ("messaging", "Messaging", ["messaging", "reliability"]),
    ("pipelines", "Data pipelines", ["data", "databases"]),
    ("observability", "Observability", ["observability", "reliability"]),
    ("delivery", "Delivery", ["delivery", "testing"]),
    ("operations", "Operations", ["ops", "aws", "web"]),
    ("security", "Security", ["security", "ops"]),
    ("teamwork", "Team practices", ["collaboration", "ownership", "culture"]),
]
TOPICS = ["connection pool", "read replica", "write-ahead log", "consumer group", "circuit breaker",
          "feature flag", "deployment pipeline", "error budget", "covering index", "cache key",
          "rate limiter", "schema migration", "dead-letter queue", "health check", "load balancer",
          "retry budget", "batch export", "partition key", "trace span", "runbook",
          "service boundary", "message schema", "queue depth", "latency budget", "backfill job",
          "access policy", "secret rotation", "container image", "canary release", "on-call rotation",
          "design review", "data contract", "materialised view", "idempotency key", "outbox table",
          "lock timeout", "vacuum schedule", "capacity plan", "alert rule", "dashboard"]
GLOSSARY_TERMS = TOPICS[:24]
TITLES = ["{T} in practice", "Sizing the {t}", "When the {t} fails", "Reviewing a {t}",
          "Operating the {t}", "Choosing a {t}", "Testing the {t}", "Migrating the {t}",
          "Monitoring the {t}", "A checklist for the {t}", "Owning the {t}", "Debugging the {t}"]
AREAS = ["the orders service", "billing", "search", "the data platform", "payments",
         "the API gateway", "reporting", "notifications", "identity", "the catalogue"]
HEADINGS = ["Why it matters", "How it works", "Sizing it", "Failure modes", "Operating it",
            "Anti-patterns", "A checklist"]
SENTENCES = [
    "The {t} is where many of our incidents in {a} started, so we treat it as part of the design and not as a detail.",
    "Before changing the {t}, write down what you expect to happen to p99 latency and the error rate, and check both afterwards.",
    "A {t} that nobody owns drifts: its settings stay at the defaults of the day it was created while the traffic grows tenfold.",
    "We size the {t} from measured load rather than from a guess: about {n} requests per second at the evening peak, with headroom for a failover.",
    "The {o} and the {t} interact, so a change to one is reviewed together with the other by someone who knows both.",
    "In {a} the {t} handles roughly {n} operations per second on a normal weekday and three times that during a sale.",
    "When the {t} misbehaves, the first question is what changed, and the deployment log answers it more often than the code does.",
    "Keep the configuration of the {t} in the repository, next to the code that depends on it, and review it like code.",
    "Alerts on the {t} page a person only when users are affected; everything else becomes a ticket for working hours.",
    "A load test against a copy of production data shows whether the {t} holds at twice today's peak before the peak arrives.",
    "Document each failure mode of the {t} in the runbook, with the command that confirms it and the one that mitigates it.",
    "The cheapest fix is often to remove work: fewer calls through the {t}, smaller payloads and no duplicate reads of the same rows.",
    "New engineers learn the {t} fastest by pairing on a real change, with a reviewer who explains why each setting is what it is.",
    "We retire a {t} the way we introduce one: behind a flag, with metrics on both paths, one small step at a time.",
    "A timeout on every call through the {t} keeps one slow dependency from taking the whole request path down with it.",
    "Measure before and after: a change to the {t} that cannot be measured cannot be reviewed, and will not be trusted.",
    "The defaults of the {t} were chosen for a laptop, not for {n} concurrent clients, so we set every limit explicitly.",
    "Most surprises with the {t} come from the interaction with the {o}, which is why the two share one dashboard.",
    "Write the decision about the {t} down in a short record, with the options we rejected and the numbers that decided it.",
    "Capacity for the {t} is planned a quarter ahead from the growth curve, not the week the graphs turn red.",
]


@dataclass
class GeneratedPage:
    docname: str
    title: str
    label: str
    topic: str
    tags: list[str]


def with_articles(text: str) -> str:
    """'a access policy' -> 'an access policy'."""
    return re.sub(r"\b([Aa]) (?=[aeiou])", r"\1n ", text)


def handbook_vocabulary(conf: Path) -> list[str]:
    """The tag vocabulary (``handbook_tags``) from conf.py, read without executing it."""
    for node in ast.parse(conf.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "handbook_tags" for t in node.targets):
            return sorted(ast.literal_eval(node.value))
    raise SystemExit("conf.py has no handbook_tags vocabulary to tag generated pages with")


# A section or chapter lists at most this many pages before it is split, as the authors of a real
# handbook split a growing section into chapters: a sidebar branch of hundreds of pages is not read.
CHAPTER_PAGES = 25
CHAPTERS = ["In depth", "Operations", "Failure and recovery", "Migrations", "Case studies", "Tooling",
            "Reviews", "Capacity planning", "Checklists", "Reference"]


@dataclass
class Chapter:
    docname: str  # of its index page
    title: str
    label: str
    pages: list[GeneratedPage] = field(default_factory=list)


class HandbookGenerator:
    """Writes a handbook of exactly ``pages`` source pages, shaped like the real one: a root index
    with captioned toctrees, ten sections with an index each, a glossary, the tag index and the
    health report. Each section lists its first pages itself and the rest in chapters (folders
    with an index each), at least one, none listing more than ``CHAPTER_PAGES``: as the handbook
    grows it gains chapters, not ever longer lists."""

    FIXED = 1 + 3 + len(SECTIONS)  # root, glossary + tags + health, section indexes

    def __init__(self, target: Path, pages: int, vocabulary: list[str], seed: int):
        smallest = self.FIXED + 3 * len(SECTIONS)  # a chapter index and two pages per section
        if pages < smallest:
            raise SystemExit(f"--sizes: a generated handbook needs at least {smallest} pages")
        self.target = target
        self.total = pages
        self.vocabulary = vocabulary
        self.rng = random.Random(seed)
        self.today = dt.date.today()
        per_section = self._chapters_per_section(pages)
        self.pages = self._plan(pages - self.FIXED - per_section * len(SECTIONS))
        self.chapters = self._group(per_section)
        self.words: list[int] = []  # prose words of each content page
        self.written = 0

    def _chapters_per_section(self, pages: int) -> int:
        """Chapters per section such that no section or chapter lists more than CHAPTER_PAGES."""
        chapters = 1
        while True:
            per_section = (pages - self.FIXED - chapters * len(SECTIONS)) / len(SECTIONS)
            if per_section <= (chapters + 1) * CHAPTER_PAGES:
                return chapters
            chapters += 1

    def _plan(self, count: int) -> list[GeneratedPage]:
        combos = [(title, topic, area) for title in TITLES for topic in TOPICS for area in AREAS]
        self.rng.shuffle(combos)
        pages = []
        for number in range(count):
            _, _, preferred = SECTIONS[number % len(SECTIONS)]
            title_pattern, topic, area = combos[number % len(combos)]
            title = with_articles(title_pattern.format(t=topic, T=topic.capitalize()) + f" for {area}")
            if number >= len(combos):
                title += f" ({number // len(combos) + 1})"
            name = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
            tags = [t for t in preferred if t in self.vocabulary][:2] or self.rng.sample(self.vocabulary, 2)
            pages.append(GeneratedPage(name, title, f"gen-{name}", topic, tags))
        return pages

    def _group(self, per_section: int) -> dict[str, list[Chapter]]:
        """Deal each section's pages out to the section itself (group 0) and its chapters, in turn,
        and give every page its docname; returns each section's chapters."""
        chapters = {}
        for slug, title, _ in SECTIONS:
            names = [CHAPTERS[n % len(CHAPTERS)] + (f" {n // len(CHAPTERS) + 1}" if n >= len(CHAPTERS) else "")
                     for n in range(per_section)]
            chapters[slug] = [Chapter(f"{slug}/{self._slug(name)}/index", f"{title}: {name.lower()}",
                                      f"gen-{slug}-{self._slug(name)}") for name in names]
        for number, page in enumerate(self.pages):
            slug = SECTIONS[number % len(SECTIONS)][0]
            group = (number // len(SECTIONS)) % (per_section + 1)
            if group == 0:
                page.docname = f"{slug}/{page.docname}"
            else:
                chapter = chapters[slug][group - 1]
                chapter.pages.append(page)
                page.docname = f"{chapter.docname.removesuffix('/index')}/{page.docname}"
        return chapters

    @staticmethod
    def _slug(text: str) -> str:
        return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")

    def docnames(self) -> list[str]:
        """Every source page, whose HTML the average page size is taken over."""
        fixed = ["index", "glossary", "tags/index", "handbook-health"] + [f"{slug}/index" for slug, _, _ in SECTIONS]
        fixed += [chapter.docname for chapters in self.chapters.values() for chapter in chapters]
        return fixed + [page.docname for page in self.pages]

    def write(self) -> None:
        self._file("index.md", self._root())
        self._file("glossary.md", self._glossary())
        self._file("tags/index.md", self._front("Every tag with the pages that carry it, for browsing "
                                                "the generated handbook by topic.", ["handbook"])
                   + "(tags)=\n# Tags\n\n```{handbook-tag-index}\n```\n")
        self._file("handbook-health.md", self._front("Every page with its review date, last change, owner, "
                                                     "size and links.", ["handbook", "ownership"])
                   + "(handbook-health)=\n# Handbook health\n\n```{handbook-health}\n```\n")
        for slug, title, preferred in SECTIONS:
            self._section(slug, title, preferred)
        for page in self.pages:
            self._file(page.docname + ".md", self._page(page))
        assert self.written == self.total, (self.written, self.total)

    def _file(self, name: str, text: str) -> None:
        self.written += name.endswith(".md")
        path = self.target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def _front(self, description: str, tags: list[str], extra: str = "") -> str:
        reviewed = self.today - dt.timedelta(days=self.rng.randint(1, 300))  # never future, never stale
        return (f"---\ndescription: {json.dumps(description)}\ntags: [{', '.join(tags)}]\n"
                f"reviewed: {reviewed.isoformat()}\n{extra}---\n\n")

    def _root(self) -> str:
        groups = [("Foundations", SECTIONS[:4]), ("Running systems", SECTIONS[4:8]), ("People", SECTIONS[8:])]
        text = self._front("A generated handbook of back-end engineering practice, shaped like the real "
                           "one, for measuring how the build scales.", ["handbook"], "hide-toc: true\n")
        text += "(home)=\n# Generated handbook\n\nStart from a section:\n\n"
        text += "".join(f"- {{doc}}`{slug}/index`\n" for slug, _, _ in SECTIONS)
        for caption, sections in groups:
            text += f"\n```{{toctree}}\n:hidden:\n:caption: {caption}\n\n"
            text += "".join(f"{slug}/index\n" for slug, _, _ in sections) + "```\n"
        text += "\n```{toctree}\n:hidden:\n:caption: Reference\n\nglossary\ntags/index\nhandbook-health\n```\n"
        return text

    def _section(self, slug: str, title: str, preferred: list[str]) -> None:
        tags = [t for t in preferred if t in self.vocabulary][:2] or ["handbook"]
        chapters = self.chapters[slug]
        in_chapters = {id(page) for chapter in chapters for page in chapter.pages}
        top = [p for p in self.pages if p.docname.startswith(f"{slug}/") and id(p) not in in_chapters]
        self._file(f"{slug}/index.md",
                   self._front(f"How we work on {title.lower()}: the pages of this section, from first "
                               "principles to the checklists we use.", tags)
                   + f"(gen-{slug})=\n# {title}\n\n{self._paragraph(title.lower(), 3)}\n\n"
                   + "```{toctree}\n:maxdepth: 1\n\n"
                   + "".join(p.docname.split("/", 1)[1] + "\n" for p in top)
                   + "".join(c.docname.split("/", 1)[1] + "\n" for c in chapters) + "```\n")
        for chapter in chapters:
            self._file(f"{chapter.docname}.md",
                       self._front(f"The pages on {chapter.title.lower()}, for engineers who run these "
                                   "systems day to day.", tags)
                       + f"({chapter.label})=\n# {chapter.title}\n\n{self._paragraph(title.lower(), 2)}\n\n"
                       + "```{toctree}\n:maxdepth: 1\n\n"
                       + "".join(p.docname.rsplit("/", 1)[1] + "\n" for p in chapter.pages) + "```\n")

    def _glossary(self) -> str:
        text = self._front("Definitions of the terms the generated handbook uses, from connection pools "
                           "to data contracts.", ["handbook"]) + "(glossary)=\n# Glossary\n\n```{glossary}\n:sorted:\n\n"
        for term in GLOSSARY_TERMS:
            text += f"{term}\n  {self._sentence(term)} {self._sentence(term)}\n\n"
        return text + "```\n"

    def _sentence(self, topic: str, template: str | None = None) -> str:
        text = (template or self.rng.choice(SENTENCES)).format(
            t=topic, o=self.rng.choice(TOPICS), a=self.rng.choice(AREAS),
            n=self.rng.choice([40, 120, 350, 800, 1500, 4000]))
        return with_articles(text)

    def _paragraph(self, topic: str, sentences: int) -> str:
        return " ".join(self._sentence(topic, t) for t in self.rng.sample(SENTENCES, sentences))

    def _page(self, page: GeneratedPage) -> str:
        others = self.rng.sample([p for p in self.pages if p is not page], 3)
        term = page.topic if page.topic in GLOSSARY_TERMS else self.rng.choice(GLOSSARY_TERMS)
        headings = self.rng.sample(HEADINGS[:-1], 4) + [HEADINGS[-1]]
        text = self._front(f"How we approach the {page.topic} in practice: sizing, failure modes, "
                           "operations and the checks we run before a change.", page.tags)
        prose = [self._paragraph(page.topic, 3) + f" The term {{term}}`{term}` is defined in the glossary."]
        text += f"({page.label})=\n# {page.title}\n\n{prose[0]}\n\n"
        for number, heading in enumerate(headings):
            prose.append(self._paragraph(page.topic, 4 + number % 2))
            text += f"## {heading}\n\n{prose[-1]}\n\n"
            if number == 1:
                text += self._code(page) + "\n"
            if number == 2:
                text += self._table(page) + "\n"
        prose.append(f"Related reading: {{doc}}`/{others[0].docname}`, {{doc}}`the {others[1].topic} page "
                     f"</{others[1].docname}>` and {{ref}}`{others[2].label}`.")
        self.words.append(sum(len(paragraph.split()) for paragraph in prose))
        return text + prose[-1] + "\n"

    def _code(self, page: GeneratedPage) -> str:
        name = re.sub(r"[^a-z0-9]+", "_", page.topic)
        if self.rng.random() < 0.5:
            return (f"```python\ndef call_{name}(client, timeout_s=2.0, attempts=2):\n"
                    f'    """Call the {page.topic} with a deadline and one retry."""\n'
                    "    for attempt in range(attempts):\n        try:\n"
                    "            return client.call(timeout=timeout_s)\n        except TimeoutError:\n"
                    "            if attempt == attempts - 1:\n                raise\n```\n")
        return (f"```sql\nSELECT date_trunc('hour', created_at) AS hour, count(*) AS events\n"
                f"FROM {name}_events\nWHERE created_at > now() - interval '1 day'\n"
                "GROUP BY 1\nORDER BY 1;\n```\n")

    def _table(self, page: GeneratedPage) -> str:
        rows = [("timeout", "30 s", f"{self.rng.choice([200, 500, 800])} ms"),
                ("retries", "3", "1, with jitter"),
                ("pool size", "10", str(self.rng.choice([20, 40, 80]))),
                ("alert", "none", "p99 over budget for 10 min")]
        return ("| Setting | Default | Ours |\n|---|---|---|\n"
                + "".join(f"| {a} | {b} | {c} |\n" for a, b, c in rows))


SUPPORT = ("conf.py", "_ext/", "_static/", "_templates/", "requirements.txt", "requirements-dev.txt", ".gitignore",
           "Makefile")  # for `make livehtml`


def generate(work: Path, pages: int, vocabulary: list[str], support: list[str]) -> tuple[Path, HandbookGenerator]:
    src = work / f"generated-{pages}" / "src"
    copy_files(ROOT, [name for name in support if name.startswith(SUPPORT)], src)
    generator = HandbookGenerator(src, pages, vocabulary, seed=pages)
    generator.write()
    git_commit(src)
    return src, generator


def bench_generated(report: Report, work: Path, pages: int, repeat: int, stock_max: int,
                    timeout: float, support: list[str]) -> None:
    """Figures B for one size: the variants built in turn, ``repeat`` times."""
    src, generator = generate(work, pages, handbook_vocabulary(ROOT / "conf.py"), support)
    words = statistics.mean(generator.words)
    report.meta.setdefault("generated_prose_words_per_content_page", {})[pages] = round(words)
    log(f"generated {pages} pages ({len(generator.pages)} content pages of {words:.0f} prose words on "
        f"average) in {src}; {repeat} repetition(s)")
    results = site_results(pages, stock_max)
    for rep in range(1, repeat + 1):
        builds = {}
        for result in results.values():
            if not result.full.status.startswith("skipped"):
                build = build_variant(report, result, src, generator, work / f"generated-{pages}" / result.variant,
                                      rep, timeout)
                if build.ok:
                    builds[result.variant] = build
        record_ratios(results, builds)
    report.generated += results.values()
    if pages == LIVEHTML_PAGES:
        latency = bench_livehtml(report, report.live, f"{pages} pages: ", src, generator.pages[0].docname + ".md",
                                 LIVE_EDITS, timeout)
        report.checks.append(limit_check(latency, LIVEHTML_LIMITS[1], f"make livehtml shows an edit at {pages} pages"))
    fresh(src.parent)


def record_ratios(results: dict[str, SiteResult], builds: dict[str, Build]) -> None:
    """Each variant's time over the basic theme's, within one repetition, with and without Pagefind."""
    basic = builds.get("basic")
    if "fast" in builds and "bare" in builds:
        results["bare"].vs_fast.samples.append(builds["fast"].seconds / builds["bare"].seconds)
    for name, build in builds.items():
        if build.pagefind is not None:
            results[name].pagefind.samples.append(build.pagefind)
        if basic is None:
            continue
        results[name].vs_basic.samples.append(build.seconds / basic.seconds)
        if build.pagefind is not None and basic.pagefind is not None:
            results[name].vs_basic_without_pagefind.samples.append(
                (build.seconds - build.pagefind) / (basic.seconds - basic.pagefind))


def site_results(pages: int, stock_max: int) -> dict[str, SiteResult]:
    results = {name: SiteResult(pages, name, Figure(f"{pages} pages, {name}: full build", "s"),
                                Figure(f"{pages} pages, {name}: x basic", "x"),
                                Figure(f"{pages} pages, {name}: of which Pagefind", "s"),
                                Figure(f"{pages} pages, {name}: x basic, both without Pagefind", "x"))
               for name in VARIANTS}
    for name in ("fast", "basic"):
        results[name].incremental = Figure(f"{pages} pages, {name}: incremental rebuild", "s")
        results[name].page_html = Figure(f"{pages} pages, {name}: average page HTML", "bytes")
        results[name].site_size = Figure(f"{pages} pages, {name}: site size (du -sb)", "bytes")
    results["bare"].vs_fast = Figure(f"{pages} pages, bare: fast / bare (knowledge-base cost)", "x")
    if pages > stock_max:
        results["stock"].full.status = "skipped (quadratic; --stock-max-pages)"
    return results


def build_variant(report: Report, result: SiteResult, src: Path, generator: HandbookGenerator, folder: Path,
                  rep: int, timeout: float) -> Build:
    """A full build of one variant (then, for the variants that report them, its sizes and an
    incremental rebuild after a prose edit); returns the full build."""
    extra = VARIANTS[result.variant]
    allowed = BASIC_WARNINGS if result.variant == "basic" else None
    name = f"gen{result.pages}-{result.variant}"
    fresh(folder)
    full = sphinx_build(src, folder / "html", folder / "doctrees", f"{name}-{rep}", timeout, extra, allowed)
    record(result.full, full)
    if full.ok and result.incremental:
        sizes = [(folder / "html" / f"{doc}.html").stat().st_size for doc in generator.docnames()]
        result.page_html.samples.append(statistics.mean(sizes))
        result.site_size.samples.append(directory_bytes(folder / "html"))
        edited = src / (generator.pages[0].docname + ".md")
        original = edited.read_text(encoding="utf-8")
        append(edited, "\nThe build benchmark appended this sentence.\n")
        record(result.incremental, sphinx_build(src, folder / "html", folder / "doctrees",
                                                f"{name}-incremental-{rep}", timeout, extra, allowed))
        edited.write_text(original, encoding="utf-8")
        if result.variant == "fast" and rep == 1:
            bench_search(report, result.pages, folder / "html", timeout)
    fresh(folder)
    return full


SEARCH_QUERIES = ["connection pool", "consumer group lag", "schema migration rollback", "canary release"]
SEARCH_ROUNDS = 3  # each query this many times, in turn: one search is a few hundred ms and noisy
SEARCH_DONE = '#search-results[data-state="done"], #search-results[data-state="error"]'


# Marks, in the page's own clock (ms since navigation start), when the first result and the whole
# list appear in the search page's results element.
SEARCH_TIMER = """
window.__search = {};
document.addEventListener("DOMContentLoaded", () => {
  const results = document.getElementById("search-results");
  if (!results) return;
  const mark = () => {
    if (!__search.first && results.querySelector("ul.search > li")) __search.first = performance.now();
    if (!__search.done && results.dataset.state) __search.done = performance.now();
  };
  new MutationObserver(mark).observe(results, {subtree: true, childList: true, attributes: true});
});
"""
SEARCH_TIMES = """() => {
  const script = performance.getEntriesByType("resource").find(e => e.name.includes("/_pagefind/pagefind.js"));
  return {start: script ? script.startTime : null, first: __search.first, done: __search.done};
}"""


def bench_search(report: Report, pages: int, site: Path, timeout: float) -> None:
    """B2: how soon the search page shows its first result and its whole list once it starts
    searching (it requests Pagefind's script), and what a first query downloads from _pagefind/
    (compressed, as a web host sends it), in a generated handbook of ``pages`` pages. Each query
    is a reader's first: a fresh browser profile opens the home page, types the query into the
    sidebar's search box and presses Enter (so the site's own CSS and scripts are cached, and
    nothing of Pagefind's is)."""
    first = Figure(f"{pages} pages: first result, from the start of the search", "s")
    done = Figure(f"{pages} pages: every result with its excerpt, from the start of the search", "s")
    whole = Figure(f"{pages} pages: every result, from pressing Enter", "s")
    fetched = Figure(f"{pages} pages: downloaded from _pagefind/ by a first query", "bytes")
    report.search += [first, done, whole, fetched]
    if not CHROMIUM.exists():
        for figure in (first, done, whole, fetched):
            figure.status = f"not measured: needs Chromium at {CHROMIUM}"
        return
    with site_in_browser(site) as (origin, browser):
        for _ in range(SEARCH_ROUNDS):
            for query in SEARCH_QUERIES:
                context = browser.new_context()
                context.add_init_script(SEARCH_TIMER)
                page = context.new_page()
                page.goto(f"{origin}index.html", wait_until="networkidle", timeout=timeout * 1000)
                sizes: list[int] = []
                page.on("requestfinished", lambda request, sizes=sizes: sizes.append(
                    max(request.sizes()["responseBodySize"], 0)) if "/_pagefind/" in request.url else None)
                page.fill("input.sidebar-search", query)
                page.keyboard.press("Enter")
                page.wait_for_url("**/search.html?q=*", timeout=timeout * 1000)
                page.wait_for_selector(SEARCH_DONE, state="attached", timeout=timeout * 1000)
                page.wait_for_load_state("networkidle")
                times = page.evaluate(SEARCH_TIMES)
                first.samples.append((times["first"] - times["start"]) / 1000)
                done.samples.append((times["done"] - times["start"]) / 1000)
                whole.samples.append(times["done"] / 1000)
                fetched.samples.append(sum(sizes))
                context.close()
    whole.note = "includes loading the search page itself (its CSS and scripts come from the cache)"
    for figure, key, question in ((first, "first", "first search result"), (done, "done", "every search result"),
                                  (fetched, "fetched", "first query's download (300 KB)")):
        figure.note = f"target: under {SEARCH_LIMITS[key]:g} {figure.unit} at {SEARCH_TARGET_PAGES} pages"
        if pages == SEARCH_TARGET_PAGES:
            report.checks.append(limit_check(figure, SEARCH_LIMITS[key], f"{question}, {pages} pages"))


def limit_check(figure: Figure, limit: float, question: str) -> Figure:
    """Is ``figure``'s median within ``limit`` (of the figure's own unit)?"""
    check = Figure(f"{question} within {show(limit, figure.unit)}", figure.unit)
    if figure.median is None:
        check.status = f"not measured: {figure.status or 'no value'}"
    else:
        check.samples.append(figure.median)
        check.note = "yes" if figure.median <= limit else "no"
    return check


def scaling_checks(report: Report) -> Figure:
    """The scaling questions; returns the first (is the fast build within the limit at 1000)."""
    fast = {r.pages: r for r in report.generated if r.variant == "fast"}

    def ratio(pages: int, without_pagefind: bool = False) -> float | None:
        result = fast.get(pages)
        if result is None:
            return None
        return (result.vs_basic_without_pagefind if without_pagefind else result.vs_basic).median

    within = Figure(f"fast build within {FAST_VS_BASIC_LIMIT}x basic at 1000 pages", "x")
    within_core = Figure("the same, both builds without their Pagefind time", "x")
    for figure, value in ((within, ratio(1000)), (within_core, ratio(1000, without_pagefind=True))):
        if value is None:
            figure.status = "not measured: 1000 not in --sizes (or its builds failed)"
        else:
            figure.samples.append(value)
            figure.note = "yes" if value <= FAST_VS_BASIC_LIMIT else "no"

    flat = Figure(f"fast/basic ratio at 2000 not larger than at 1000 (within {RATIO_NOISE:.0%})", "x")
    if ratio(1000) is not None and ratio(2000) is not None:
        flat.samples = [ratio(1000), ratio(2000)]
        flat.note = ("yes" if ratio(2000) <= ratio(1000) * (1 + RATIO_NOISE) else "no") \
            + " (values: at 1000, at 2000 pages)"
    else:
        flat.status = "not measured: needs 1000 and 2000 in --sizes"
    report.checks += [within, within_core, flat]
    for result in report.generated:
        if result.variant == "bare" and result.vs_fast.samples:
            cost = Figure(f"knowledge-base features cost at {result.pages} pages (fast / bare)", "x",
                          [statistics.median(result.vs_fast.samples)])
            cost.note = "yes" if cost.median <= KNOWLEDGE_COST_LIMIT else "no"
            cost.note += f": within {KNOWLEDGE_COST_LIMIT}x"
            report.checks.append(cost)
    return within


# -- profiling ----------------------------------------------------------------------------------


def profile_fast_build(work: Path, pages: int, timeout: float, support: list[str]) -> str:
    """cProfile a full fast-navigation build of a generated handbook; the top 15 by cumulative time."""
    import io
    import pstats

    src, _ = generate(work, pages, handbook_vocabulary(ROOT / "conf.py"), support)
    folder = work / f"generated-{pages}" / "profile"
    profile = OUT / f"profile-fast-{pages}.prof"
    command = [sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "sphinx", "-b", "html", *STRICT,
               "-d", str(folder / "doctrees"), str(src), str(folder / "html")]
    log(f"profiling the fast build of {pages} generated pages")
    result = subprocess.run(command, cwd=src, capture_output=True, text=True, timeout=timeout * 3,
                            env=build_env())
    if result.returncode != 0 or not profile.exists():
        fresh(src.parent)
        return f"profiled build failed (exit {result.returncode}):\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
    stream = io.StringIO()
    stats = pstats.Stats(str(profile), stream=stream).sort_stats("cumulative")
    stats.print_stats(15)
    stream.write("The same, only the handbook extension's and Furo's functions:\n")
    stats.print_stats(r"_ext/handbook/|/furo/", 15)
    fresh(src.parent)
    return stream.getvalue()


# -- output -------------------------------------------------------------------------------------


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
        return "  ".join(str(c).rjust(w) if a == "r" else str(c).ljust(w)
                         for c, w, a in zip(cells, widths, align)).rstrip()

    return "\n".join([line(headers), "  ".join("-" * w for w in widths), *map(line, rows)])


def render(report: Report) -> str:
    parts = [f"Handbook benchmark, {report.meta['started']} on {report.meta['machine']}", ""]
    if report.handbook:
        parts.append("A. The real handbook (-W --keep-going -n -j 1)")
        parts.append(table(["figure", "median", "min - max", "n", "note"],
                           [[f.name, median_cell(f), spread_cell(f), str(len(f.samples)), f.note]
                            for f in report.handbook], "lrrrl"))
    if report.weight:
        parts += ["", f"First visit to {TYPICAL_PAGE} (no cache)"]
        parts.append(table(["type", "files", "raw", "gzip -6"],
                           [[r.kind, str(len(r.files)), show(r.raw, "bytes"), show(r.gzip, "bytes")]
                            for r in report.weight], "lrrr"))
        parts += [f"  {note}" for note in report.weight_notes]
    if report.generated:
        parts += ["", "B. Generated handbooks (-W --keep-going -n -j 1); each cell: median [min - max]",
                  "   x basic: the build's time over the basic theme's in the same repetition; "
                  "Pagefind: the part of the full build it reports spending in Pagefind"]
        rows = [[str(r.pages), r.variant, str(len(r.full.samples)), cell(r.full), cell(r.vs_basic),
                 cell(r.pagefind), cell(r.vs_basic_without_pagefind), cell(r.incremental),
                 cell(r.page_html), cell(r.site_size)] for r in report.generated]
        parts.append(table(["pages", "build", "n", "full build", "x basic", "Pagefind", "x basic w/o Pagefind",
                            "incremental", "avg page HTML", "site size"], rows, "llrrrrrrrr"))
    if report.search:
        parts += ["", f"B2. Search in the generated handbooks (fast build, Chromium; {len(SEARCH_QUERIES)} queries, "
                  f"{SEARCH_ROUNDS} rounds, each typed into the home page's search box on a fresh profile)"]
        parts.append(table(["figure", "median", "min - max", "n", "note"],
                           [[f.name, median_cell(f), spread_cell(f), str(len(f.samples)), f.status or f.note]
                            for f in report.search], "lrrrl"))
    if report.live:
        parts += ["", f"B3. make livehtml in the generated handbook of {LIVEHTML_PAGES} pages"]
        parts.append(table(["figure", "median", "min - max", "n", "note"],
                           [[f.name, median_cell(f), spread_cell(f), str(len(f.samples)), f.status or f.note]
                            for f in report.live], "lrrrl"))
    if report.checks:
        parts += ["", "Checks"]
        parts.append(table(["check", "answer", "values"],
                           [[c.name, c.status or c.note, ", ".join(show(v, c.unit) for v in c.samples)]
                            for c in report.checks], "lll"))
    if report.not_measured:
        parts += ["", "Not measured"] + [f"  - {item}" for item in report.not_measured]
    return "\n".join(parts)


# -- main ---------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,500,1000,2000",
                        help="page counts of the generated handbooks (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="repetitions of every figure (default: 3 for the real handbook and for "
                             "generated sizes up to 500, 2 above)")
    parser.add_argument("--stock-max-pages", type=int, default=500,
                        help="skip stock Furo navigation above this size: it is quadratic, ~860 s at "
                             "1000 pages on a 2-core machine (default: %(default)s)")
    parser.add_argument("--quick", action="store_true", help="sizes 100 only, one repetition")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per build (default: %(default)s)")
    parser.add_argument("--skip-handbook", action="store_true", help="only the generated handbooks")
    parser.add_argument("--profile", type=int, metavar="PAGES",
                        help="cProfile the fast build of a generated handbook of PAGES pages (done at "
                             "500 pages anyway when the fast build is not within 1.5x basic at 1000)")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.repeat = "100", 1
    args.sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    return args


def repeats(args: argparse.Namespace, pages: int | None) -> int:
    if args.repeat is not None:
        return args.repeat
    return 3 if pages is None or pages <= 500 else 2


def run_benchmarks(args: argparse.Namespace, report: Report, work: Path) -> None:
    support = project_files(ROOT)
    if not args.skip_handbook:
        site = bench_handbook(report, work, repeats(args, None), args.timeout)
        if site is not None:
            bench_page_weight(report, site, args.timeout)
        else:
            report.not_measured.append("page weight and search sizes: no successful build of the handbook")
        report.save()
    for pages in args.sizes:
        bench_generated(report, work, pages, repeats(args, pages), args.stock_max_pages, args.timeout, support)
        report.save()
    within = scaling_checks(report)
    profile_pages = args.profile or (500 if within.note.startswith("no") else None)
    if profile_pages:
        report.meta["profile"] = profile_fast_build(work, profile_pages, args.timeout, support)
        report.meta["profile_pages"] = profile_pages


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    fresh(LOGS)
    report = Report(meta={
        "started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": f"{platform.node()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "load_average_at_start": os.getloadavg(),
        "args": {k: v for k, v in vars(args).items()},
        "command": STRICT,
    })
    with tempfile.TemporaryDirectory(prefix="handbook-bench-") as scratch:
        work = Path(scratch)
        use_tmpdir(work / "tmp")
        try:
            run_benchmarks(args, report, work)
        finally:
            stop_stray_postgres()
    report.meta["load_average_at_end"] = os.getloadavg()
    path = report.save()
    print(render(report))
    if "profile" in report.meta:
        print(f"\ncProfile of the fast build, {report.meta['profile_pages']} generated pages "
              f"(top 15, cumulative; {OUT.relative_to(ROOT)}/profile-fast-{report.meta['profile_pages']}.prof):\n")
        print(report.meta["profile"])
    print(f"\nJSON: {path.relative_to(ROOT)}; build logs: {LOGS.relative_to(ROOT)}/")
    failed = any(f.status == "failed" for f in report.handbook + [x for r in report.generated for x in r.figures()])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
