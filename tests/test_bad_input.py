"""Bad input stops the strict build with the file, the line where known, and what to do.

Each case is built in this process (fast); one case also runs `sphinx-build -W` as a user does,
to show that the warning ends the build with a failure."""

from __future__ import annotations

import re
import shutil

import pytest

from conftest import ROOTS, STRICT, build_here, sphinx_build

GUIDE = "guide.md"
SKILL = "skills/tool.md"  # under skills/, so it must declare `verified`


def mutate(text: str, old: str, new: str) -> str:
    assert old in text, f"test setup: {old!r} not in page"
    return text.replace(old, new, 1)


CASES = {
    "broken-ref": (
        GUIDE,
        lambda t: mutate(t, "Text.", "See {ref}`no-such-label`."),
        r"guide\.md:\d+: WARNING: undefined label: 'no-such-label'",
    ),
    "bad-date": (
        GUIDE,
        lambda t: mutate(t, "reviewed: 2026-02-01", "reviewed: 01/02/2026"),
        r"guide\.md:4: WARNING: 'reviewed' must be a date written YYYY-MM-DD \(got '01/02/2026'\)",
    ),
    "impossible-date": (
        GUIDE,
        lambda t: mutate(t, "reviewed: 2026-02-01", "reviewed: 2026-13-45"),
        r"guide\.md:4: WARNING: 'reviewed' is not a real date \(2026-13-45: month must be in "
        r"1\.\.12\); write it as YYYY-MM-DD \[handbook\.frontmatter\]",
    ),
    "malformed-yaml": (
        GUIDE,
        lambda t: mutate(t, "[databases, testing]", "[databases, testing] ]"),
        r"guide\.md:3: WARNING: the front matter is not valid YAML \(expected <block end>, "
        r"but found '\]'\); quote text ",
    ),
    "future-date": (
        GUIDE,
        lambda t: mutate(t, "reviewed: 2026-02-01", "reviewed: 2999-01-01"),
        r"guide\.md:4: WARNING: 'reviewed' is in the future",
    ),
    "missing-description": (
        GUIDE,
        lambda t: re.sub(r"description: .*\n", "", t),
        r"guide\.md:1: WARNING: front matter is missing 'description'",
    ),
    "no-front-matter": (
        GUIDE,
        lambda t: t.split("---\n", 2)[2],
        r"guide\.md:1: WARNING: front matter is missing 'tags'",
    ),
    "unknown-tag": (
        GUIDE,
        lambda t: mutate(t, "[databases, testing]", "[databases, kubernetes]"),
        r"guide\.md:3: WARNING: unknown tag 'kubernetes'; use one of databases, testing",
    ),
    "unknown-key": (
        GUIDE,
        lambda t: mutate(t, "owner: data-team", "owner: data-team\ntag: testing"),
        r"guide\.md:\d+: WARNING: unknown front-matter key 'tag'",
    ),
    "verified-missing": (
        SKILL,
        lambda t: re.sub(r"verified:\n(  .*\n)+", "", t),
        r"skills/tool\.md:1: WARNING: front matter is missing 'verified': this page must say "
        r"which versions",
    ),
    "verified-not-a-mapping": (
        SKILL,
        lambda t: re.sub(r"verified:\n(  .*\n)+", "verified: 2026-02-01\n", t),
        r"skills/tool\.md:5: WARNING: 'verified' must be a mapping with 'date' and 'versions'",
    ),
    "verified-bad-date": (
        SKILL,
        lambda t: mutate(t, "  date: 2026-02-01", "  date: 01/02/2026"),
        r"skills/tool\.md:6: WARNING: 'verified\.date' must be a date written YYYY-MM-DD "
        r"\(got '01/02/2026'\)",
    ),
    "verified-future-date": (
        SKILL,
        lambda t: mutate(t, "  date: 2026-02-01", "  date: 2999-01-01"),
        r"skills/tool\.md:6: WARNING: 'verified\.date' is in the future",
    ),
    "verified-unquoted-version": (
        SKILL,
        lambda t: mutate(t, 'PgBouncer: "1.25"', "PgBouncer: 1.25"),
        r"skills/tool\.md:7: WARNING: 'verified\.versions' gives 'PgBouncer' the version "
        r"1\.25; write each version as quoted text",
    ),
    "verified-no-versions": (
        SKILL,
        lambda t: mutate(t, '{PostgreSQL: "18.1", PgBouncer: "1.25"}', "{}"),
        r"skills/tool\.md:7: WARNING: 'verified\.versions' must be a non-empty mapping",
    ),
    "verified-unknown-key": (
        SKILL,
        lambda t: mutate(t, "  date: 2026-02-01", "  date: 2026-02-01\n  by: me"),
        r"skills/tool\.md:5: WARNING: unknown key 'by' in 'verified'",
    ),
    "not-in-toctree": (
        "index.md",
        lambda t: mutate(t, "```{toctree}\nguide\n", "```{toctree}\n"),
        r"guide\.md: WARNING: document isn't included in any toctree",
    ),
    "duplicate-label": (
        GUIDE,
        lambda t: mutate(t, "(guide-section)=", "(home)="),
        r"WARNING: duplicate label home, other instance in .*(guide|index)",
    ),
}


# Faults that used to give one warning per front-matter key, none at the faulty line.
ONE_WARNING = {"impossible-date", "malformed-yaml"}


def broken_copy(case: str, tmp_path) -> tuple[str, str, object]:
    """A copy of the small project with ``case``'s fault: the page, the expected message, the copy."""
    page, change, expected = CASES[case]
    src = shutil.copytree(ROOTS / "test-small", tmp_path / "src")
    (src / page).write_text(change((src / page).read_text(encoding="utf-8")), encoding="utf-8")
    return page, expected, src


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_gives_a_warning_naming_file_and_problem(case, tmp_path):
    page, expected, src = broken_copy(case, tmp_path)
    _, warnings = build_here(src)
    assert re.search(expected, warnings), f"{case}: message not found:\n{warnings}"
    if case in ONE_WARNING:
        assert warnings.count(f"{page}:") == 1, f"{case}: one warning, at the fault:\n{warnings}"


@pytest.mark.slow
def test_bad_input_fails_the_strict_build_on_the_command_line(tmp_path):
    _, expected, src = broken_copy("unknown-tag", tmp_path)
    result = sphinx_build(src, tmp_path / "out", *STRICT)
    assert result.returncode != 0, f"the build succeeded:\n{result.stderr}"
    assert re.search(expected, result.stderr), f"message not found:\n{result.stderr}"


def test_the_unchanged_small_project_builds_clean(tmp_path):
    app, warnings = build_here(shutil.copytree(ROOTS / "test-small", tmp_path / "src"))
    assert warnings == ""
    html = (app.outdir / "guide.html").read_text(encoding="utf-8")
    assert '<meta name="description" content="A guide page that the home page links to' in html
    assert (app.outdir / "skills" / "tool.html").is_file()  # its `verified` is valid


def test_the_contributing_page_lists_every_warning_subtype():
    from conftest import ROOT
    from handbook.shared import WARNING_SUBTYPES

    listed = set(re.findall(r"^\| `handbook\.([a-z]+)` \|", (ROOT / "contributing.md").read_text(), re.M))
    assert listed == set(WARNING_SUBTYPES)
    used = set()
    for module in (ROOT / "_ext" / "handbook").rglob("*.py"):
        used |= set(re.findall(r'\bwarn\(\s*"([a-z]+)"', module.read_text()))
    assert used == set(WARNING_SUBTYPES), "every declared subtype is used, and only those"
