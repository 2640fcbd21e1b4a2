"""B. The generated handbooks built four ways (VARIANTS), in interleaved repetitions: full and
incremental builds, their ratios to the basic theme's, page and site sizes; search (search.py)
and `make livehtml` (livehtml.py) at their sizes; the scaling checks; a cProfile on request."""

from __future__ import annotations

import io
import pstats
import re
import statistics
import subprocess
import sys
from pathlib import Path

from .common import (
    OUTPUT,
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
    sphinx_build,
)
from .generator import HandbookGenerator, generate, handbook_vocabulary
from .livehtml import LIVE_EDITS, LIVEHTML_LIMITS, LIVEHTML_PAGES, bench_livehtml
from .search import bench_search

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
    report: Report, work: Path, pages: int, repeat: int, stock_max: int, timeout: float, support: list[str]
) -> None:
    """Figures B for one size: the variants built in turn, ``repeat`` times."""
    src, generator = generate(work, pages, handbook_vocabulary(ROOT / "conf.py"), support)
    words = statistics.mean(generator.words)
    report.meta.setdefault("generated_prose_words_per_content_page", {})[pages] = round(words)
    log(
        f"generated {pages} pages ({len(generator.pages)} content pages of {words:.0f} prose words on "
        f"average) in {src}; {repeat} repetition(s)"
    )
    results = site_results(pages, stock_max)
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
    if pages == LIVEHTML_PAGES:
        latency = bench_livehtml(
            report, report.live, f"{pages} pages: ", src, generator.pages[0].docname + ".md", LIVE_EDITS, timeout
        )
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


# -- profiling ----------------------------------------------------------------------------------


def profile_fast_build(work: Path, pages: int, timeout: float, support: list[str]) -> str:
    """cProfile a full fast-navigation build of a generated handbook; the top 15 by cumulative time."""
    src, _ = generate(work, pages, handbook_vocabulary(ROOT / "conf.py"), support)
    folder = work / f"generated-{pages}" / "profile"
    OUTPUT.folder.mkdir(parents=True, exist_ok=True)
    profile = OUTPUT.folder / f"profile-fast-{pages}.prof"
    command = [
        sys.executable,
        "-m",
        "cProfile",
        "-o",
        str(profile),
        "-m",
        "sphinx",
        "-b",
        "html",
        *STRICT,
        "-d",
        str(folder / "doctrees"),
        str(src),
        str(folder / "html"),
    ]
    log(f"profiling the fast build of {pages} generated pages")
    result = subprocess.run(command, cwd=src, capture_output=True, text=True, timeout=timeout * 3, env=build_env())
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
