"""The real handbook: the strict build succeeds, every page is produced, reachable from a
toctree, and carries valid front matter that ends up in its <meta name="description">."""

from __future__ import annotations

import datetime as dt
import pickle

from bs4 import BeautifulSoup

from conftest import ROOT
from handbook.frontmatter import check_front_matter, needs_verified

SECTIONS = ("essays", "skills", "engineering-practices", "case-studies")


def source_pages() -> list[str]:
    """Every Markdown page of the handbook, as a docname."""
    pages = [
        p
        for p in ROOT.rglob("*.md")
        if not any(
            part.startswith((".", "_")) or part in {"tests", "tools", "node_modules", "venv"}
            for part in p.relative_to(ROOT).parts
        )
    ]
    return sorted(str(p.relative_to(ROOT).with_suffix("")) for p in pages if p.name != "README.md")


def environment(site):
    with open(site.parent / "doctrees" / "environment.pickle", "rb") as handle:
        return pickle.load(handle)


def test_every_source_page_produces_html(site):
    pages = source_pages()
    assert len(pages) > 60
    missing = [page for page in pages if not (site / f"{page}.html").is_file()]
    assert missing == []


def test_sections_have_an_index_and_pages(site):
    for section in SECTIONS:
        assert (site / section / "index.html").is_file()
        assert len(list((ROOT / section).rglob("*.md"))) > 10, section


def test_every_page_is_reachable_from_a_toctree(site):
    env = environment(site)
    included = {env.config.root_doc}
    for children in env.toctree_includes.values():
        included.update(children)
    assert sorted(set(env.found_docs) - included) == []


def test_every_page_has_valid_front_matter_and_a_meta_description(site):
    env = environment(site)
    today = dt.date.today()
    for docname in sorted(env.found_docs):
        meta = env.metadata[docname]
        required = needs_verified(docname, env.config.handbook_verified_sections)
        assert check_front_matter(meta, env.config.handbook_tags, today, verified_required=required) == [], docname
        html = BeautifulSoup((site / f"{docname}.html").read_text(encoding="utf-8"), "html.parser")
        description = html.find("meta", attrs={"name": "description"})
        assert description is not None, docname
        assert description["content"] == str(meta["description"]).strip(), docname


def test_landing_page_has_cards_into_the_three_sections(site):
    html = BeautifulSoup((site / "index.html").read_text(encoding="utf-8"), "html.parser")
    links = {a["href"] for a in html.select(".sd-card a.sd-stretched-link")}
    assert {"essays/index.html", "skills/index.html", "engineering-practices/index.html"} <= links
    assert html.select_one("img.sidebar-logo")["src"].endswith("_static/logo.svg")
    assert html.select_one("link[rel~=icon]")["href"] == html.select_one("img.sidebar-logo")["src"]


def test_glossary_exists_and_is_linked(site):
    html = BeautifulSoup((site / "glossary.html").read_text(encoding="utf-8"), "html.parser")
    assert len(html.select("dl.glossary > dt")) >= 80
