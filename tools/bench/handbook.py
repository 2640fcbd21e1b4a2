"""A. The real handbook: cold builds (examples cached, empty cache, examples in-process), the
incremental rebuilds after a prose edit and after adding a page, whether the sidebars then list
the new page, and `make livehtml` in it (livehtml.py)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from devkit import checkout_files, commit_all, copy_files

from .common import EXAMPLES_CACHE, ROOT, Build, Figure, Report, fresh, limit_check, log, record, sphinx_build
from .livehtml import LIVE_EDITS, LIVEHTML_LIMITS, bench_livehtml

# The pages the benchmark edits and measures.
PROSE_PAGE = "essays/scaling-next-10x.md"
PRACTICE_TEMPLATE = "engineering-practices/adding-a-cache.md"  # front matter format to copy
PRACTICES_INDEX = "engineering-practices/index.md"
NEW_PAGE = "engineering-practices/bench-new-page.md"
NEW_PAGE_TITLE = "Bench new page"
INLINE_EXAMPLES = "HANDBOOK_BENCH_INLINE_EXAMPLES"  # handbook.examples.worker.INLINE_FOR_BENCHMARK
ISOLATION_LIMIT = 1.10  # isolated examples: within 10% of the in-process build (issue #22)


class Handbook:
    """A temporary copy of the handbook and the builds made from it."""

    def __init__(self, work: Path, timeout: float):
        self.src = work / "handbook"
        self.builds = work / "handbook-builds"
        self.timeout = timeout
        self.originals: dict[str, str] = {}

    def prepare(self) -> None:
        names = checkout_files(ROOT)
        copy_files(ROOT, names, self.src)
        commit_all(self.src, "bench snapshot")
        log(f"copied {len(names)} files of the working tree into {self.src}")

    def build(self, name: str, with_cache: Path | None, env: dict[str, str] | None = None) -> tuple[Build, Path]:
        """A cold build into fresh folders, optionally seeded with an examples cache."""
        folder = self.builds / name
        fresh(folder)
        if with_cache is not None:
            shutil.copytree(with_cache, folder / "doctrees" / EXAMPLES_CACHE)
        return self.rebuild(folder, name, env), folder

    def rebuild(self, folder: Path, name: str, env: dict[str, str] | None = None) -> Build:
        return sphinx_build(self.src, folder / "html", folder / "doctrees", f"handbook-{name}", self.timeout, env=env)

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
    front = [
        ("description: A page the build benchmark adds, to time an incremental build that adds a page to a toctree.")
        if line.startswith("description:")
        else line
        for line in lines[1:end]
    ]
    return "\n".join(
        [
            "---",
            *front,
            "---",
            "",
            "(bench-new-page)=",
            f"# {NEW_PAGE_TITLE}",
            "",
            "This page exists only inside the benchmark's temporary copy of the handbook.",
            "",
        ]
    )


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
    closed_branch = re.compile(
        rf'href="[^"]*{re.escape(section)}/index\.html">[^<]*</a>'
        r'<input aria-label="[^"]*" class="toctree-checkbox"[^>]*>'
        r"<label[^>]*>.*?</label>\s*</li>",
        re.S,
    )
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8", errors="replace")
        start = html.find('<div class="sidebar-tree">')
        if start < 0:
            continue
        pages += 1
        sidebar = html[start : html.find("</div>", start)]
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
        "examples_cost": Figure(
            "time the examples add to a cold build", "s", note="empty minus cached, per repetition"
        ),
        "examples_run": Figure(
            "examples run by an empty-cache build", "count", note="example-cache entries the build wrote"
        ),
        "inline": Figure(
            "cold build, empty examples cache, examples in the build's process",
            "s",
            note="the unisolated baseline (HANDBOOK_BENCH_INLINE_EXAMPLES=1)",
        ),
        "isolation": Figure(
            "isolation's cost: empty-cache build, isolated / in-process",
            "x",
            note="each example page and engine in a forked worker; per repetition",
        ),
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
    report.checks.append(
        limit_check(figures["isolation"], ISOLATION_LIMIT, "examples isolated in workers cost an empty-cache build")
    )
    latency = bench_livehtml(
        report, report.handbook, "", handbook.src, PROSE_PAGE, max(repeat, LIVE_EDITS), timeout, cache
    )
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
    check = Figure(
        "sidebars fresh after adding a page",
        "count",
        list(stale.samples),
        note=("yes" if stale.samples and not any(stale.samples) else "no")
        + f": pages lacking the new page, {stale.note}, in each repetition",
    )
    if not stale.samples:
        check.status = "not measured: the page-added build failed"
    return check
