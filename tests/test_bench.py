"""The benchmark (tools/bench, `make bench`) runs to the end in its smallest mode and prints its
tables, and its generator writes the handbook it documents. No timing is checked here: the
benchmark's own Checks table compares its figures with their limits."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.__main__ import parse_args
from bench.generator import CHAPTER_PAGES, SECTIONS, HandbookGenerator, handbook_vocabulary
from conftest import CHROMIUM, ROOT

VOCABULARY = handbook_vocabulary(ROOT / "conf.py")
SMALLEST = HandbookGenerator.SMALLEST
# The smallest run that still generates a handbook, builds it the four ways, searches it and
# reports: one size, the smallest the generator makes, once; not the real handbook.
SMOKE = ["--quick", "--skip-handbook", "--sizes", str(SMALLEST), "--timeout", "300"]


@pytest.mark.slow
def test_the_benchmark_runs_to_the_end_in_its_smallest_mode(tmp_path):
    out = tmp_path / "bench"
    result = subprocess.run(
        [sys.executable, "-m", "tools.bench", *SMOKE, "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr[-6000:]}"
    printed = result.stdout
    # Part B's table: a row for every variant, each with its full build measured.
    assert "B. Generated handbooks (-W --keep-going -n -j 1)" in printed, printed
    for variant in ("fast", "bare", "stock", "basic"):
        assert re.search(rf"^{SMALLEST}\s+{variant}\s+1\s+\d+\.\d+ s\s", printed, re.M), (variant, printed)
    # B2: measured where there is a Chromium, or said why not.
    search = printed[printed.index("\nB2. Search") : printed.index("\nChecks\n")]
    for row in (
        "first result, from the start of the search",
        "every result with its excerpt, from the start of the search",
        "every result, from pressing Enter",
        "downloaded from _pagefind/ by a first query",
    ):
        assert f"{SMALLEST} pages: {row}" in search, (row, search)
    assert ("not measured" not in search) == CHROMIUM.exists(), search
    # The Checks table answers the scaling questions (those that need 1000 pages: not measured).
    checks = printed[printed.index("\nChecks\n") :]
    for row in (
        "fast build within 1.5x basic at 1000 pages",
        "the same, both builds without their Pagefind time",
        "fast/basic ratio at 2000 not larger than at 1000 (within 5%)",
        f"knowledge-base features cost at {SMALLEST} pages (fast / bare)",
    ):
        assert row in checks, (row, checks)
    assert "A. The real handbook" not in printed  # --skip-handbook
    # The same figures as JSON, and a log of every build, in --out (not in the checkout's _build).
    assert f"JSON: {out / 'bench.json'}" in printed
    report = json.loads((out / "bench.json").read_text(encoding="utf-8"))
    assert [(r["pages"], r["variant"]) for r in report["generated"]] == [
        (SMALLEST, v) for v in ("fast", "bare", "stock", "basic")
    ]
    assert all(r["figures"][0]["samples"] for r in report["generated"])
    logs = {path.name for path in (out / "logs").iterdir()}
    assert {f"gen{SMALLEST}-{v}-1.log" for v in ("fast", "bare", "stock", "basic")} <= logs, logs


def test_quick_keeps_the_sizes_it_is_given():
    assert (parse_args(["--quick"]).sizes, parse_args(["--quick"]).repeat) == ([100], 1)
    assert parse_args(["--quick", "--sizes", "44,60"]).sizes == [44, 60]
    assert parse_args([]).sizes == [100, 500, 1000, 2000] and parse_args([]).repeat is None
    with pytest.raises(SystemExit):
        parse_args(["--sizes", str(SMALLEST - 1)])


def generated(target: Path, pages: int, seed: int) -> HandbookGenerator:
    generator = HandbookGenerator(target, pages, VOCABULARY, seed)
    generator.today = dt.date(2026, 11, 28)  # the review dates count back from it
    generator.write()
    return generator


def tree(folder: Path) -> dict[str, str]:
    return {path.relative_to(folder).as_posix(): path.read_text(encoding="utf-8") for path in folder.rglob("*.md")}


def test_the_generator_writes_the_same_handbook_for_the_same_seed(tmp_path):
    first = tree(generated(tmp_path / "a", 80, seed=80).target)
    assert first == tree(generated(tmp_path / "b", 80, seed=80).target)
    assert first != tree(generated(tmp_path / "c", 80, seed=81).target)


@pytest.mark.parametrize("pages", [SMALLEST, 300])
def test_generated_pages_are_shaped_as_documented(tmp_path, pages):
    generator = generated(tmp_path, pages, seed=pages)
    files = tree(tmp_path)
    assert len(files) == pages  # exactly the pages asked for
    assert sorted(files) == sorted(f"{doc}.md" for doc in generator.docnames())
    for name in ["index.md", "glossary.md", "tags/index.md", "handbook-health.md"]:
        assert name in files
    for slug, _, _ in SECTIONS:
        assert f"{slug}/index.md" in files and generator.chapters[slug], slug  # a section, and a chapter at least
    for name, text in files.items():
        assert re.match(r"---\ndescription: .+\ntags: \[.+\]\nreviewed: \d{4}-\d\d-\d\d\n", text), name
        for toctree in re.findall(r"```\{toctree\}\n(.*?)```", text, re.S):
            entries = [line for line in toctree.splitlines() if line and not line.startswith(":")]
            assert len(entries) <= CHAPTER_PAGES, (name, len(entries))  # sections split into chapters
    for page in generator.pages:
        text = files[f"{page.docname}.md"]
        assert f"({page.label})=\n# {page.title}\n" in text
        assert len(re.findall(r"^## ", text, re.M)) == 5 and "{term}`" in text
        assert set(page.tags) <= set(VOCABULARY)
    assert 500 <= sum(generator.words) / len(generator.words) <= 700  # realistic ~600-word pages


def test_the_generator_refuses_a_size_it_cannot_shape(tmp_path):
    with pytest.raises(SystemExit, match=f"at least {SMALLEST} pages"):
        HandbookGenerator(tmp_path, SMALLEST - 1, VOCABULARY, seed=1)


# -- C: the peers ---------------------------------------------------------------------------------


def test_a_generated_page_becomes_plain_markdown_for_mkdocs(tmp_path):
    from bench.peers import Site, mkdocs_nav, nav_tree, slug, to_markdown

    generator = generated(tmp_path, SMALLEST, seed=SMALLEST)
    site = Site.read(tmp_path, generator)
    pages = {doc: to_markdown(site, doc) for doc in site.texts}
    glossary_anchors = {slug(term) for term in re.findall(r"^### (.+)$", pages["glossary"], re.M)}
    assert glossary_anchors and "{glossary}" not in pages["glossary"]
    for docname, text in pages.items():
        assert not re.search(r"\{(doc|ref|term)\}`|^\([\w-]+\)=$|```\{", text, re.M), (docname, text)
        for target in re.findall(r"\]\(([^)]+)\)", text):
            path, _, anchor = target.partition("#")
            assert (tmp_path / docname).parent.joinpath(path).resolve().is_file(), (docname, target)
            if anchor:
                assert path.endswith("glossary.md") and anchor in glossary_anchors, (docname, target)
    page = generator.pages[0]
    text = pages[page.docname]
    assert text.startswith("---\ndescription:") and f"\n# {page.title}\n" in text
    assert "](" in text.split("Related reading:")[1]  # {doc} and {ref} became links with titles
    listed = json.dumps(mkdocs_nav(nav_tree(site, generator)))
    for docname in generator.docnames():  # the nav holds every page, once
        assert listed.count(f'"{docname}.md"') == 1, docname


def test_the_peer_tables_show_each_tool_and_its_growth():
    from bench.common import Figure, PeerResult, Report
    from bench.peers import growth_exponent
    from bench.report import render

    def result(pages, key, label, seconds, note=""):
        def figure(unit, *samples):
            return Figure(label, unit, list(samples))

        return PeerResult(
            pages,
            key,
            label,
            figure("s", *seconds),
            figure("x"),
            figure("s", 0.4),
            figure("bytes", 40_000),
            figure("bytes", 9_000_000),
            figure("bytes", 200_000_000),
            note,
        )

    report = Report(meta={"started": "now", "machine": "here"})
    report.peers = [
        result(200, "handbook", "this handbook (make html)", [6.0, 6.2]),
        result(200, "material", "MkDocs Material 9.8.2", [3.0]),
        result(1000, "handbook", "this handbook (make html)", [30.0]),
        result(1000, "material", "MkDocs Material 9.8.2", [40.0]),
        result(1000, "jupyterbook", "Jupyter Book 2.1.7", [], "left out: no network"),
    ]
    printed = render(report)
    assert "C. The same generated pages built by other tools" in printed
    assert re.search(r"^this handbook \(make html\)\s+200\s+2\s+6\.10 s \[6\.00 s - 6\.20 s\]", printed, re.M)
    assert re.search(r"^Jupyter Book 2\.1\.7\s+1000\s+0\s.*left out: no network", printed, re.M)
    side = printed[printed.index("C, side by side") :]
    assert re.search(r"^MkDocs Material 9\.8\.2\s+3\.00 s\s+40\.0 s\s+N\^1\.61\s+39\.1 KiB\s+0\.40 s$", side, re.M), (
        side
    )
    assert round(growth_exponent((200, 3.0), (1000, 40.0)), 2) == 1.61


def test_peers_are_chosen_and_skipped_by_the_options():
    from bench.peers import PEER_KEYS

    assert parse_args([]).peers == PEER_KEYS and parse_args(["--quick"]).peers == []
    assert parse_args(["--quick", "--peers", "material,zensical"]).peers == ["material", "zensical"]
    assert parse_args(["--peers", "none"]).peers == [] and parse_args(["--sizes", "none"]).sizes == []
    assert parse_args(["--huge"]).huge == 10_000 and parse_args(["--huge", "300"]).huge == 300
    with pytest.raises(SystemExit):
        parse_args(["--peers", "hugo"])


@pytest.mark.slow
def test_the_benchmark_installs_and_measures_one_peer(tmp_path):
    """MkDocs Material (the quickest to install and build) at the smallest size: its row filled."""
    out = tmp_path / "bench"
    command = [sys.executable, "-m", "tools.bench", "--quick", "--skip-handbook", "--sizes", "none"]
    command += ["--peers", "material", "--peer-sizes", str(SMALLEST), "--peer-cache", str(tmp_path / "venvs")]
    result = subprocess.run(
        [*command, "--timeout", "120", "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr[-6000:]}"
    row = re.search(rf"^MkDocs Material 9\.8\.2\s+{SMALLEST}\s+1\s+(.*)$", result.stdout, re.M)
    assert row, result.stdout
    # cold build, no "x ours" (this handbook not built), live [min - max], page, output, memory
    cells = r"\d+\.\d+ s\s+\d+\.\d+ s \[[^]]+\]\s+[\d.]+ KiB\s+[\d,.]+ KiB\s+[\d,.]+ KiB"
    assert re.match(cells, row.group(1)), row.group(1)
    report = json.loads((out / "bench.json").read_text(encoding="utf-8"))
    (peer,) = report["peers"]
    assert peer["tool"] == "material" and all(f["samples"] for f in peer["figures"] if f["unit"] != "x")
