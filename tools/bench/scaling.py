"""B. The generated handbooks built four ways (VARIANTS), in interleaved repetitions: full and
incremental builds, their ratios to the basic theme's, page and site sizes; search (search.py)
and `make livehtml` (livehtml.py) at their sizes; the scaling checks; a cProfile on request."""

from __future__ import annotations

import io
import os
import pstats
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import devkit

from .common import (
    ANSI_COLOURS,
    OUTPUT,
    PAGEFIND_LINE,
    ROOT,
    STRICT,
    Build,
    Figure,
    Report,
    SiteResult,
    append,
    build_env,
    directory_bytes,
    fresh,
    limit_check,
    log,
    record,
    show,
    sphinx_build,
)
from .generator import HandbookGenerator, generate, handbook_vocabulary
from .livehtml import LIVE_EDITS, LIVEHTML_LIMITS, LIVEHTML_PAGES, bench_livehtml
from .search import SEARCH_LIMITS, bench_search

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


def bench_generated(
    report: Report,
    work: Path,
    pages: int,
    repeat: int,
    stock_max: int,
    timeout: float,
    support: list[str],
    variants: tuple[str, ...] = tuple(VARIANTS),
    live_limit: float | None = None,
) -> None:
    """Figures B for one size: the ``variants`` built in turn, ``repeat`` times; `make livehtml`
    at LIVEHTML_PAGES, or at any size with ``live_limit`` (its Checks row's limit)."""
    src, generator = generate(work, pages, handbook_vocabulary(ROOT / "conf.py"), support)
    words = statistics.mean(generator.words)
    report.meta.setdefault("generated_prose_words_per_content_page", {})[pages] = round(words)
    log(
        f"generated {pages} pages ({len(generator.pages)} content pages of {words:.0f} prose words on "
        f"average) in {src}; {repeat} repetition(s)"
    )
    results = {name: result for name, result in site_results(pages, stock_max).items() if name in variants}
    for rep in range(1, repeat + 1):
        builds = {}
        for result in results.values():
            if not result.full.status.startswith("skipped"):
                build = build_variant(
                    report, result, src, generator, work / f"generated-{pages}" / result.variant, rep, timeout
                )
                if build.ok:
                    builds[result.variant] = build
        record_ratios(results, builds)
    report.generated += results.values()
    if pages == LIVEHTML_PAGES or live_limit is not None:
        latency = bench_livehtml(
            report, report.live, f"{pages} pages: ", src, generator.pages[0].docname + ".md", LIVE_EDITS, timeout
        )
        limit = live_limit if live_limit is not None else LIVEHTML_LIMITS[1]
        report.checks.append(limit_check(latency, limit, f"make livehtml shows an edit at {pages} pages"))
    fresh(src.parent)


def record_ratios(results: dict[str, SiteResult], builds: dict[str, Build]) -> None:
    """Each variant's time over the basic theme's, within one repetition, with and without Pagefind."""
    basic = builds.get("basic")
    if "fast" in builds and "bare" in builds and results["bare"].vs_fast:
        results["bare"].vs_fast.samples.append(builds["fast"].seconds / builds["bare"].seconds)
    for name, build in builds.items():
        if build.pagefind is not None:
            results[name].pagefind.samples.append(build.pagefind)
        if basic is None:
            continue
        results[name].vs_basic.samples.append(build.seconds / basic.seconds)
        if build.pagefind is not None and basic.pagefind is not None:
            results[name].vs_basic_without_pagefind.samples.append(
                (build.seconds - build.pagefind) / (basic.seconds - basic.pagefind)
            )


def site_results(pages: int, stock_max: int) -> dict[str, SiteResult]:
    results = {
        name: SiteResult(
            pages,
            name,
            Figure(f"{pages} pages, {name}: full build", "s"),
            Figure(f"{pages} pages, {name}: x basic", "x"),
            Figure(f"{pages} pages, {name}: of which Pagefind", "s"),
            Figure(f"{pages} pages, {name}: x basic, both without Pagefind", "x"),
        )
        for name in VARIANTS
    }
    for name in ("fast", "basic"):
        results[name].incremental = Figure(f"{pages} pages, {name}: incremental rebuild", "s")
        results[name].page_html = Figure(f"{pages} pages, {name}: average page HTML", "bytes")
        results[name].site_size = Figure(f"{pages} pages, {name}: site size (du -sb)", "bytes")
        results[name].peak_memory = Figure(f"{pages} pages, {name}: peak memory of the full build", "bytes")
    results["bare"].vs_fast = Figure(f"{pages} pages, bare: fast / bare (knowledge-base cost)", "x")
    if pages > stock_max:
        results["stock"].full.status = "skipped (quadratic; --stock-max-pages)"
    return results


def build_variant(
    report: Report, result: SiteResult, src: Path, generator: HandbookGenerator, folder: Path, rep: int, timeout: float
) -> Build:
    """A full build of one variant (then, for the variants that report them, its sizes and an
    incremental rebuild after a prose edit); returns the full build."""
    extra = VARIANTS[result.variant]
    allowed = BASIC_WARNINGS if result.variant == "basic" else None
    name = f"gen{result.pages}-{result.variant}"
    fresh(folder)
    full = sphinx_build(src, folder / "html", folder / "doctrees", f"{name}-{rep}", timeout, extra, allowed)
    record(result.full, full)
    if full.ok and result.peak_memory and full.peak_memory:
        result.peak_memory.samples.append(full.peak_memory)
    if full.ok and result.incremental:
        sizes = [(folder / "html" / f"{doc}.html").stat().st_size for doc in generator.docnames()]
        result.page_html.samples.append(statistics.mean(sizes))
        result.site_size.samples.append(directory_bytes(folder / "html"))
        edited = src / (generator.pages[0].docname + ".md")
        original = edited.read_text(encoding="utf-8")
        append(edited, "\nThe build benchmark appended this sentence.\n")
        record(
            result.incremental,
            sphinx_build(
                src, folder / "html", folder / "doctrees", f"{name}-incremental-{rep}", timeout, extra, allowed
            ),
        )
        edited.write_text(original, encoding="utf-8")
        if result.variant == "fast" and rep == 1:
            bench_search(report, result.pages, folder / "html", timeout)
    fresh(folder)
    return full


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
        flat.note = (
            "yes" if ratio(2000) <= ratio(1000) * (1 + RATIO_NOISE) else "no"
        ) + " (values: at 1000, at 2000 pages)"
    else:
        flat.status = "not measured: needs 1000 and 2000 in --sizes"
    report.checks += [within, within_core, flat]
    for result in report.generated:
        if result.variant == "bare" and result.vs_fast.samples:
            cost = Figure(
                f"knowledge-base features cost at {result.pages} pages (fast / bare)",
                "x",
                [statistics.median(result.vs_fast.samples)],
            )
            cost.note = "yes" if cost.median <= KNOWLEDGE_COST_LIMIT else "no"
            cost.note += f": within {KNOWLEDGE_COST_LIMIT}x"
            report.checks.append(cost)
    return within


# -- 10,000 pages on demand ----------------------------------------------------------------------

HUGE_PAGES = 10_000
HUGE_LIMITS = {"build": 1.2, "memory": 1.5, "page": 1.10, "search": SEARCH_LIMITS["first"], "live": 1.0}


def bench_huge(report: Report, work: Path, pages: int, repeat: int, timeout: float, support: list[str]) -> None:
    """``--huge``: the fast and basic builds of ``pages`` generated pages (interleaved), their peak
    memory, search in the fast build, `make livehtml`; then the Checks rows of HUGE_LIMITS."""
    bench_generated(report, work, pages, repeat, 0, timeout, support, ("fast", "basic"), HUGE_LIMITS["live"])
    rows = {(r.pages, r.variant): r for r in report.generated}
    fast, basic = rows[pages, "fast"], rows[pages, "basic"]
    report.checks.append(
        ratio_check(
            f"fast build within {HUGE_LIMITS['build']}x basic at {pages} pages",
            fast.vs_basic.median,
            HUGE_LIMITS["build"],
        )
    )
    memory = None
    if fast.peak_memory and basic.peak_memory and fast.peak_memory.median and basic.peak_memory.median:
        memory = fast.peak_memory.median / basic.peak_memory.median
    check = ratio_check(
        f"peak memory of the fast build within {HUGE_LIMITS['memory']}x basic's at {pages} pages",
        memory,
        HUGE_LIMITS["memory"],
    )
    if memory is not None:
        check.note += f" ({show(fast.peak_memory.median, 'bytes')} and {show(basic.peak_memory.median, 'bytes')})"
    report.checks.append(check)
    smaller = sorted(p for (p, v), r in rows.items() if v == "fast" and p < pages and r.page_html.median)
    reference = 1000 if 1000 in smaller else (smaller[-1] if smaller else None)
    page_ratio = None
    if reference is not None and fast.page_html.median:
        page_ratio = fast.page_html.median / rows[reference, "fast"].page_html.median
    report.checks.append(
        ratio_check(
            f"average page HTML at {pages} pages within {HUGE_LIMITS['page']}x of {reference or 1000} pages'",
            page_ratio,
            HUGE_LIMITS["page"],
            "" if reference else "not measured: needs a smaller size in --sizes",
        )
    )
    first = next((f for f in report.search if f.name.startswith(f"{pages} pages: first result")), None)
    if first is not None:
        report.checks.append(limit_check(first, HUGE_LIMITS["search"], f"first search result, {pages} pages"))


def ratio_check(question: str, value: float | None, limit: float, why_not: str = "") -> Figure:
    check = Figure(question, "x")
    if value is None:
        check.status = why_not or "not measured: a build failed"
    else:
        check.samples.append(value)
        check.note = "yes" if value <= limit else "no"
    return check


# -- profiling ----------------------------------------------------------------------------------

# Sphinx's progress messages that open each phase of an HTML build, in order (the phase runs
# until the next one's message); "finishing" runs to the exit (indices, search, Pagefind, the
# build-finished handlers).
PHASES = [
    ("start-up (config, extensions)", None),
    ("reading: parsing (MyST) and read transforms", re.compile(r"^reading sources\.\.\.")),
    ("env-updated handlers", re.compile(r"^looking for now-outdated files")),
    ("pickling the environment", re.compile(r"^pickling environment")),
    ("consistency, preparing, assets", re.compile(r"^checking consistency")),
    ("writing: resolving, post-transforms, HTML, templates", re.compile(r"^writing output\.\.\.")),
    ("finishing: indices, search, Pagefind", re.compile(r"^generating indices")),
]
PROFILE_JOBS = ("1", "2")
# What a switch of the configuration wins on the same cold build (-j 2): each leaves out one
# cost (none changes what a page says, except where the label says so).
SWITCHES = [
    ("docutils' smart quotes off (typography changes)", ["-D", "smartquotes=0"]),
    ("no Pagefind index (-D handbook_search_index=0)", ["-D", "handbook_search_index=0"]),
    ("no llms.txt, llms-full.txt (-D handbook_llms=0)", ["-D", "handbook_llms=0"]),
    ("no copies of the sources (-D html_copy_source=0)", ["-D", "html_copy_source=0"]),
    ("no tags, backlinks, health (-D handbook_knowledge=0)", ["-D", "handbook_knowledge=0"]),
]
SWITCHES.append(("all of the above", [option for _, options in SWITCHES for option in options]))

# Whose code a function is, by its file; builtins count as their caller's, except these.
PACKAGES = [
    ("ours (_ext/handbook)", re.compile(r"/_ext/handbook/")),
    ("MyST-Parser, markdown-it", re.compile(r"/(myst_parser|markdown_it|mdit_py_plugins)/")),
    ("docutils", re.compile(r"/docutils/")),
    ("Jinja2, MarkupSafe", re.compile(r"/(jinja2|markupsafe)/")),
    ("Furo, sphinx-design and the other extensions", re.compile(r"/site-packages/(?!sphinx/)")),
    ("Sphinx", re.compile(r"/sphinx/")),
]
BUILTINS = [
    ("pickling", re.compile(r"pickle|marshal")),
    ("waiting for child processes (Pagefind, git)", re.compile(r"waitpid|poll|select|posix\.read\b")),
]


def phase_times(
    src: Path, folder: Path, jobs: str, timeout: float, extra: tuple[str, ...] = ()
) -> tuple[list[float], float | None, float]:
    """A cold fast build with ``-j jobs`` (and ``extra`` options), timed phase by phase from its
    progress messages as they arrive (unbuffered): (seconds per phase of PHASES, Pagefind's own
    seconds, total)."""
    fresh(folder)
    command = devkit.sphinx_command(
        src, folder / "html", *STRICT, "--jobs", jobs, "-d", str(folder / "doctrees"), *extra
    )
    marks: list[float | None] = [0.0] + [None] * (len(PHASES) - 1)
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=src, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**build_env(), "PYTHONUNBUFFERED": "1"}
    )
    assert process.stdout is not None
    output, pending = [], b""
    while chunk := os.read(process.stdout.fileno(), 65536):
        now = time.perf_counter() - started
        pending += chunk
        *lines, pending = re.split(rb"[\r\n]", pending)
        for line in (ANSI_COLOURS.sub("", raw.decode("utf-8", "replace")) for raw in lines):
            output.append(line)
            for number, (_, opens) in enumerate(PHASES):
                # a phase opens once, after the one before it (Sphinx says "writing output" twice)
                if opens and marks[number] is None and marks[number - 1] is not None and opens.search(line):
                    marks[number] = now
    process.wait(timeout)
    total = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"the profiled build failed (exit {process.returncode}):\n" + "\n".join(output[-30:]))
    known = [(n, mark) for n, mark in enumerate(marks) if mark is not None] + [(len(PHASES), total)]
    seconds = [0.0] * len(PHASES)
    for (number, mark), (_, following) in zip(known, known[1:], strict=False):
        seconds[number] = following - mark
    pagefind = PAGEFIND_LINE.search("\n".join(output))
    return seconds, float(pagefind.group(1)) if pagefind else None, total


def package_of(function: tuple[str, int, str], stats: dict, seen: frozenset = frozenset()) -> str:
    """Whose code ``function`` is; a builtin or standard-library function counts as its main
    caller's (re's or yaml's time is the time of whoever asked for it), except BUILTINS."""
    filename, _, name = function
    for package, pattern in BUILTINS:
        if filename == "~" and pattern.search(name):
            return package
    if "importlib._bootstrap" in filename:
        return "imports (start-up)"
    standard = filename == "~" or ("/lib/python3" in filename and "site-packages" not in filename)
    if not standard:
        for package, pattern in PACKAGES:
            if pattern.search(filename):
                return package
        return "other"
    callers = stats[function][4]
    caller = max(callers, key=lambda c: callers[c][2], default=None)
    if caller is None or caller in seen or len(seen) > 50:
        return "Python's standard library"
    return package_of(caller, stats, seen | {function})


def self_time_by_package(profile: Path) -> list[tuple[str, float]]:
    """Every function's own time (not its callees'), summed by whose code it is."""
    stats = pstats.Stats(str(profile)).stats  # type: ignore[attr-defined]
    totals: dict[str, float] = {}
    for function, (_, _, own, _, _) in stats.items():
        package = package_of(function, stats)
        totals[package] = totals.get(package, 0.0) + own
    return sorted(totals.items(), key=lambda item: -item[1])


def profile_fast_build(work: Path, pages: int, timeout: float, support: list[str]) -> str:
    """Where a cold fast build of ``pages`` generated pages spends its time: each phase's wall
    clock with -j 1 and -j 2 (no profiler), then a cProfile of the serial build, its functions'
    own time by package (ours, MyST-Parser, docutils, Sphinx...) and our ten costliest functions."""
    src, _ = generate(work, pages, handbook_vocabulary(ROOT / "conf.py"), support)
    folder = work / f"generated-{pages}" / "profile"
    OUTPUT.folder.mkdir(parents=True, exist_ok=True)
    profile = OUTPUT.folder / f"profile-fast-{pages}.prof"
    try:
        log(f"profiling the fast build of {pages} generated pages: phases with -j {' and -j '.join(PROFILE_JOBS)}")
        timed = {jobs: phase_times(src, folder, jobs, timeout) for jobs in PROFILE_JOBS}
        log(f"the same build (-j 2) with each of {len(SWITCHES)} switches of the configuration")
        switched = [(label, phase_times(src, folder, "2", timeout, tuple(extra))[2]) for label, extra in SWITCHES]
        command = [sys.executable, "-m", "cProfile", "-o", str(profile)]
        command += devkit.sphinx_command(src, folder / "html", *STRICT, "-d", str(folder / "doctrees"))[1:]
        fresh(folder)
        log("profiling the serial build under cProfile")
        result = subprocess.run(command, cwd=src, capture_output=True, text=True, timeout=timeout * 3, env=build_env())
        if result.returncode != 0 or not profile.exists():
            raise RuntimeError(f"cProfile build failed (exit {result.returncode}):\n{result.stdout[-3000:]}")
    except (RuntimeError, subprocess.TimeoutExpired) as problem:
        return f"profiled build failed: {problem}"
    finally:
        fresh(src.parent)
    return profile_tables(pages, timed, switched, self_time_by_package(profile), profile)


def profile_tables(
    pages: int,
    timed: dict[str, tuple[list[float], float | None, float]],
    switched: list[tuple[str, float]],
    packages: list[tuple[str, float]],
    profile: Path,
) -> str:
    from .report import table  # the report's column layout (report imports this module)

    per_page = 1000 / pages  # ms per page from seconds
    rows = []
    for number, (name, _) in enumerate(PHASES):
        cells = [name]
        for jobs in PROFILE_JOBS:
            seconds = timed[jobs][0][number]
            cells += [f"{seconds:.1f} s", f"{seconds * per_page:.1f} ms"]
        rows.append(cells)
    rows.append(
        ["of which Pagefind (as it reports)"]
        + [
            c
            for jobs in PROFILE_JOBS
            for c in (f"{timed[jobs][1] or 0:.1f} s", f"{(timed[jobs][1] or 0) * per_page:.1f} ms")
        ]
    )
    rows.append(
        ["whole build"]
        + [c for jobs in PROFILE_JOBS for c in (f"{timed[jobs][2]:.1f} s", f"{timed[jobs][2] * per_page:.1f} ms")]
    )
    headers = ["phase (wall clock, no profiler)"] + [h for jobs in PROFILE_JOBS for h in (f"-j {jobs}", "per page")]
    parts = [f"Phases of a cold fast build of {pages} generated pages", table(headers, rows, "l" + "r" * 4)]
    whole = timed["2"][2]
    total = sum(seconds for _, seconds in packages)
    for title, headers, cells in (
        (
            f"What a switch of the configuration wins, the same cold build with -j 2 "
            f"({whole:.1f} s above; one run each)",
            ["switch", "build", "saved", "share"],
            [[label, f"{s:.1f} s", f"{whole - s:.1f} s", f"{(whole - s) / whole:.0%}"] for label, s in switched],
        ),
        (
            f"Own time by package, serial build under cProfile "
            f"({total:.1f} s profiled; builtins count as their caller's)",
            ["package", "own time", "share", "per page"],
            [[name, f"{s:.1f} s", f"{s / total:.0%}", f"{s * per_page:.1f} ms"] for name, s in packages],
        ),
    ):
        parts += ["", title, table(headers, cells, "lrrr")]
    stream = io.StringIO()
    pstats.Stats(str(profile), stream=stream).sort_stats("tottime").print_stats(r"_ext/handbook/", 10)
    ours = [line for line in stream.getvalue().splitlines() if "_ext/handbook/" in line]
    parts += ["", "Our ten costliest functions (own time; ncalls tottime percall cumtime percall):", *ours]
    return "\n".join(parts)
