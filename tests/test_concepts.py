"""One home per concept. Every glossary term names the page that explains it (the entry's last
"See {doc}`...`"); another page that uses the term links to it (with {term} or to the home page)
instead of explaining it again under a heading of its own (a short section that points to the
home, such as a worked example, is allowed: POINTER_WORDS).

The checks read the Markdown sources, so they run in the fast part of `make test`.
"""

from __future__ import annotations

import re
from functools import cache

import pytest
from test_handbook import source_pages

from conftest import ROOT

FENCE = re.compile(r"^(`{3,}|~{3,}|:{3,})[^\n]*\n.*?^\1[ \t]*$", re.S | re.M)
# A section may carry a concept homed elsewhere in its heading only as a short pointer that links
# the home: a worked example or a summary of a few sentences, not a second explanation.
POINTER_WORDS = 250
HOME = re.compile(r"See \{doc\}`(?:[^`<]*<)?/([^`>]+)>?`")


@cache
def homes() -> dict[str, str | None]:
    """Each glossary term (aliases included) -> the docname of its home page."""
    text = (ROOT / "glossary.md").read_text(encoding="utf-8")
    block = text[text.index("```{glossary}") :]
    found = {}
    for names, definition in re.findall(r"^((?:[^\s:`][^\n]*\n)+)((?:  [^\n]*\n?)+)", block, re.M):
        links = HOME.findall(definition)
        for name in names.splitlines():
            found[name.strip()] = links[-1] if links else None
    return found


def mentions(term: str, text: str) -> bool:
    # An acronym matches in capitals only: "GIL" is Python's lock, "Gil" is a person.
    flags = 0 if term.isupper() else re.I
    # ...and a whole word: "p99" is not in "p99.9" or "per-p99".
    return re.search(r"(?<![\w-])" + re.escape(term) + r"(?![\w-]|\.\d)", text, flags) is not None


def links(term: str, home: str, text: str) -> bool:
    """``text`` links the concept: the glossary term, or its home page."""
    return bool(re.search(r"\{term\}`(?:[^`<]*<)?" + re.escape(term) + r">?`", text, re.I)) or any(
        f"/{home}{end}" in text for end in ("`", ">`", "#")
    )


def sections(prose: str) -> list[tuple[str, str]]:
    """(heading, its text up to the next heading of any level) for every ## to #### heading."""
    parts = re.split(r"^(#{2,4} .+)$", prose, flags=re.M)
    return [(parts[i].lstrip("#").strip(), parts[i + 1]) for i in range(1, len(parts) - 1, 2)]


def pages() -> list[str]:
    return [page for page in source_pages() if page != "glossary"]


def test_every_glossary_term_names_its_home_page():
    assert len(homes()) >= 80
    assert [term for term, home in homes().items() if home is None] == []
    missing = {term: home for term, home in homes().items() if not (ROOT / f"{home}.md").is_file()}
    assert missing == {}, "a home that is not a page"


@pytest.mark.parametrize("page", pages())
def test_a_concept_is_explained_at_its_home_and_linked_elsewhere(page):
    text = (ROOT / f"{page}.md").read_text(encoding="utf-8")
    prose = FENCE.sub("", text.split("---", 2)[2] if text.startswith("---") else text)
    own_sections, unlinked = [], []
    for term, home in homes().items():
        if home == page:
            continue
        for heading, section in sections(prose):
            if mentions(term, heading) and not (len(section.split()) <= POINTER_WORDS and links(term, home, section)):
                own_sections.append(
                    f"'{heading}' ({len(section.split())} words) explains {term!r}, whose home is {home}"
                )
        if mentions(term, re.sub(r"\{[a-z]+\}`[^`]*`|\([^)]*\)=|\]\([^)]*\)", " ", prose)) and not links(
            term, home, prose
        ):
            unlinked.append(f"{term!r} (home: {home})")
    assert not own_sections, (
        "a section of its own on a concept homed elsewhere: link to the home instead, "
        "or make this page the home in glossary.md:\n" + "\n".join(own_sections)
    )
    assert not unlinked, "uses a concept without linking it: write {term}`...` at its first use:\n" + "\n".join(
        unlinked
    )
