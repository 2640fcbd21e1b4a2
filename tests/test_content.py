"""The content keeps its promises: page shapes, the glossary, executable examples and
cross-links between sections (numbers from the content issues)."""

from __future__ import annotations

import re

import pytest
from test_handbook import environment

from conftest import ROOT

FENCE = re.compile(r"^(`{3,}|~{3,})[^\n]*\n.*?^\1[ \t]*$", re.S | re.M)


def section_pages(section: str) -> list:
    return sorted(p for p in (ROOT / section).rglob("*.md") if p.name != "index.md")


def prose(text: str) -> str:
    return FENCE.sub("", text)


@pytest.mark.parametrize("page", section_pages("essays"), ids=lambda p: p.stem)
def test_essay_shape(page):
    text = page.read_text(encoding="utf-8")
    body = prose(text)
    assert re.search(r"^## Failure modes", body, re.M), "a failure-modes section"
    assert re.search(r"^## Checklist", body, re.M) and "- [ ]" in body, "a checklist"
    assert re.search(r"^\|.*\|\n\|[ :|-]+\|$", body, re.M), "a trade-off table"
    examples = len(re.findall(r"^(`{3,})\{run\}", text, re.M)) + len(re.findall(r"^```(?:console|text)$", text, re.M))
    assert examples >= 2, "at least two worked examples with output"
    assert len(set(re.findall(r"https?://[^\s)>\]`\"']+", body))) >= 4, "four external sources"


@pytest.mark.parametrize("page", section_pages("engineering-practices"), ids=lambda p: p.stem)
def test_practice_shape(page):
    body = prose(page.read_text(encoding="utf-8"))
    assert re.search(r"^## Checklist", body, re.M) and "- [ ]" in body
    assert re.search(r"^## Anti-patterns", body, re.M)


@pytest.mark.parametrize("page", section_pages("skills"), ids=lambda p: p.stem)
def test_skill_shape(page):
    text = page.read_text(encoding="utf-8")
    assert FENCE.search(text), "at least one code or command block"
    links = re.findall(r"\{doc\}`[^`]*?/(essays|engineering-practices)/[^`]+`", text)
    assert len(links) >= 2, "links to at least two essays or practices"


@pytest.mark.parametrize("page", section_pages("case-studies"), ids=lambda p: p.stem)
def test_case_study_shape(page):
    """One real incident: a timeline from the operator's own account (linked), the mechanism,
    what our practices change, questions, sources; about 1,200 words of prose or more."""
    text = page.read_text(encoding="utf-8")
    body = prose(text)
    headings = re.findall(r"^## (.+)$", body, re.M)
    for expected in (
        "What happened",
        "The mechanism",
        "What our practices change",
        "Questions for your own system",
        "Sources",
    ):
        assert any(h.startswith(expected) for h in headings), f"a section '{expected}'"
    happened = body[body.index("## What happened") : body.index("## The mechanism")]
    assert re.search(r"\]\(https?://", happened), "the timeline links the operator's account"
    assert re.search(r"^\|.*\|\n\|[ :|-]+\|$", happened, re.M), "the timeline is a table"
    assert "incidents" in text.split("---", 2)[1], "tagged incidents"
    assert re.search(r"\{doc\}`/essays/", body), "links the essay whose theme it tests"
    assert len(body.split()) >= 1200


def test_case_studies_reproduce_their_mechanism():
    pages = section_pages("case-studies")
    reproduced = [p.stem for p in pages if re.search(r"^`{3,}\{run\} (postgresql|duckdb|python)", p.read_text(), re.M)]
    assert len(pages) >= 14 and len(reproduced) >= 8, reproduced


def test_every_essay_links_at_least_two_case_studies():
    for page in section_pages("essays"):
        linked = set(re.findall(r"\{doc\}`(?:[^`<]*<)?/case-studies/([a-z0-9-]+)", page.read_text(encoding="utf-8")))
        assert len(linked) >= 2, f"{page.name} links {sorted(linked)}"


def test_sections_have_their_pages():
    assert len(section_pages("essays")) >= 14
    assert len(section_pages("skills")) >= 25
    assert len(section_pages("engineering-practices")) >= 20


def test_at_least_25_executed_examples_across_the_handbook():
    blocks = sum(
        len(re.findall(r"^`{3,}\{run\} (postgresql|duckdb|python)", p.read_text(encoding="utf-8"), re.M))
        for p in ROOT.glob("**/*.md")
        if ".venv" not in p.parts and "tests" not in p.parts
    )
    assert blocks >= 25


def test_every_glossary_term_is_used_and_every_used_term_is_defined(site):
    env = environment(site)
    defined = {name.lower() for (kind, name) in env.domaindata["std"]["objects"] if kind == "term"}
    used = {
        target.lower()
        for docname, info in env.handbook_pages.items()
        if docname != "glossary"
        for kind, target in info.refs
        if kind == "term"
    }
    assert len(defined) >= 80
    assert sorted(defined - used) == [], "defined in the glossary but never referenced with {term}"
    assert sorted(used - defined) == [], "referenced with {term} but not defined"
