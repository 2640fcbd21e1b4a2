"""Tags, backlinks, related pages and the health report: correct on a full build, after
incremental edits and deletions, in parallel builds, and without touching the sources."""

from __future__ import annotations

import shutil

import pytest
from bs4 import BeautifulSoup

from conftest import ROOTS, STRICT, build_cli, sphinx_build


@pytest.fixture
def project(tmp_path):
    return shutil.copytree(ROOTS / "test-knowledge", tmp_path / "src")


def page(out, name) -> BeautifulSoup:
    return BeautifulSoup((out / f"{name}.html").read_text(encoding="utf-8"), "html.parser")


def listed(html: BeautifulSoup, block: str) -> list[str]:
    return [a.get_text() for a in html.select(f".handbook-{block} li a")]


def test_backlinks_come_from_doc_ref_and_term_references(build, project, tmp_path):
    out = build(project)
    assert listed(page(out, "beta"), "backlinks") == ["Alpha"]  # {doc}
    assert listed(page(out, "alpha"), "backlinks") == ["Gamma"]  # {ref}
    assert listed(page(out, "glossary"), "backlinks") == ["Alpha"]  # {term}
    assert page(out, "gamma").select(".handbook-backlinks") == []


def test_related_pages_share_the_most_tags(build, project, tmp_path):
    out = build(project)
    assert listed(page(out, "alpha"), "related") == ["Gamma", "Beta"]  # two shared tags, then one
    assert listed(page(out, "beta"), "related") == ["Alpha", "Gamma"]


def test_tags_are_links_to_generated_tag_pages_and_an_index(build, project, tmp_path):
    out = build(project)
    tags = page(out, "alpha").select(".handbook-page-tags a.handbook-tag")
    assert [(a.get_text(), a["href"]) for a in tags] == [
        ("caching", "tags/caching.html"),
        ("databases", "tags/databases.html"),
    ]
    caching = page(out, "tags/caching")
    assert [a.get_text() for a in caching.select(".handbook-tag-pages a")] == ["Alpha", "Beta", "Gamma"]
    assert "shares the caching tag with alpha" in caching.get_text()  # descriptions are listed
    index = page(out, "tags/index")
    assert "caching (3 pages)" in index.get_text()
    assert [a.get_text() for a in index.select("#tag-databases li a")] == ["Alpha", "Gamma"]


def test_tag_pages_are_searchable_with_their_listing_weighted_low(build, project, tmp_path):
    out = build(project)
    body = page(out, "tags/caching").select_one("[data-pagefind-body]")
    assert body is not None and body.find("h1").get_text() == "Pages tagged “caching”"
    assert body.select_one("ul.handbook-tag-pages")["data-pagefind-weight"] == "0.2"
    assert body["data-pagefind-meta"].startswith("description:")


def test_the_features_can_be_switched_off_for_the_benchmark(build, project):
    """``-D handbook_knowledge=0``: what `make bench` builds to measure the features' cost."""
    out = build(project, handbook_knowledge=0)
    alpha = page(out, "alpha")
    assert alpha.select(".handbook-neighbourhood") == [] and alpha.select(".handbook-page-tags") == []
    assert not (out / "tags" / "caching.html").exists()
    assert page(out, "health").select("table.handbook-health") == []
    assert page(out, "gamma").select_one(".handbook-stale-notice") is None
    assert page(out, "skills/delta").select_one(".handbook-verified") is None


def test_the_health_report_has_a_switch_of_its_own(build, project):
    """``-D handbook_health_report=0`` leaves out the report, the stale notices and the verified
    line, and nothing of the tags and links."""
    out = build(project, handbook_health_report=0)
    assert page(out, "health").select("table.handbook-health") == []
    assert page(out, "gamma").select_one(".handbook-stale-notice") is None
    assert page(out, "skills/delta").select_one(".handbook-verified") is None
    assert listed(page(out, "beta"), "backlinks") == ["Alpha"]
    assert "caching (3 pages)" in page(out, "tags/index").get_text()


def test_a_preview_without_llms_files_leaves_no_stale_ones(build, project):
    """`make livehtml` passes ``-D handbook_llms=0``: llms.txt and llms-full.txt are not written,
    and those of an earlier build into the same folder are removed."""
    out = build(project)
    assert "# Alpha" in (out / "llms-full.txt").read_text(encoding="utf-8")
    build(project, handbook_llms=0)
    assert not (out / "llms.txt").exists() and not (out / "llms-full.txt").exists()


def test_health_report_flags_stale_and_unlinked_pages(build, project, tmp_path):
    out = build(project)
    rows = {
        tr.select("td")[0].get_text(): [td.get_text() for td in tr.select("td")]
        for tr in page(out, "health").select("table.handbook-health tbody tr")
    }
    assert set(rows) == {"Home", "Alpha", "Beta", "Gamma", "Delta", "Glossary", "Tags", "Health"}
    assert rows["Gamma"][1] == "2020-01-01"
    assert rows["Gamma"][7] == "stale, no inbound links"
    assert rows["Alpha"][3] == "platform-team"
    assert rows["Alpha"][5:7] == ["1", "2"]  # in from gamma; out to beta and the glossary
    assert rows["Beta"][7] == "-"
    notice = page(out, "gamma").select_one(".handbook-stale-notice")
    assert notice is not None and "2020-01-01" in notice.get_text()
    assert page(out, "alpha").select_one(".handbook-stale-notice") is None


def verified_rows(out) -> dict[str, list[str]]:
    return {
        tr.select("td")[0].get_text(): [td.get_text() for td in tr.select("td")]
        for tr in page(out, "health").select("table.handbook-verified-versions tbody tr")
    }


def test_skill_pages_show_the_versions_they_were_verified_against(build, project, tmp_path):
    out = build(project)
    stamp = page(out, "skills/delta").select_one("p.handbook-verified")
    assert stamp is not None
    assert " ".join(stamp.get_text().split()) == (
        "Verified against PostgreSQL 18.1 and PgBouncer 1.25 on 15 October 2026 (all pages' versions)."
    )
    assert stamp.find("time")["datetime"] == "2026-10-15"
    assert stamp.find_previous_sibling("h1").get_text().startswith("Delta")  # right under the title
    assert stamp.has_attr("data-pagefind-ignore")
    assert stamp.find("a")["href"] == "../health.html#verified-versions"
    assert page(out, "alpha").select_one("p.handbook-verified") is None  # declares no versions
    # The health page gathers every declaration.
    assert page(out, "health").select_one("#verified-versions table") is not None
    assert verified_rows(out) == {"Delta": ["Delta", "PostgreSQL 18.1 and PgBouncer 1.25", "2026-10-15", "-"]}


def test_incremental_build_updates_the_verified_versions_on_the_health_page(build, project, tmp_path):
    out = build(project)
    delta = project / "skills" / "delta.md"
    delta.write_text(
        delta.read_text()
        .replace('PgBouncer: "1.25"', 'PgBouncer: "1.25.1"')
        .replace("date: 2026-10-15", "date: 2026-11-02")
    )
    out = build(project)  # re-reads delta only; the health page must follow
    assert verified_rows(out)["Delta"][1:3] == ["PostgreSQL 18.1 and PgBouncer 1.25.1", "2026-11-02"]
    stamp = page(out, "skills/delta").select_one("p.handbook-verified").get_text()
    assert "PgBouncer 1.25.1 on 2 November 2026" in " ".join(stamp.split())


def test_incremental_build_updates_backlinks_of_pages_it_did_not_reread(build, project, tmp_path):
    out = build(project)
    beta_before = (out / "beta.html").stat().st_mtime_ns

    gamma = project / "gamma.md"
    gamma.write_text(gamma.read_text().replace("Gamma refers to", "Gamma uses {doc}`beta` and refers to"))
    out = build(project)
    assert listed(page(out, "beta"), "backlinks") == ["Alpha", "Gamma"]
    assert (out / "beta.html").stat().st_mtime_ns != beta_before, "beta was rewritten"


def test_incremental_build_updates_the_health_report_of_an_edited_page(build, project, tmp_path):

    def beta_row():
        return next(
            [td.get_text() for td in tr.select("td")]
            for tr in page(out, "health").select("table.handbook-health tbody tr")
            if tr.select_one("td").get_text() == "Beta"
        )

    out = build(project)
    before = beta_row()
    tag_index_written = (out / "tags" / "index.html").stat().st_mtime_ns
    beta = project / "beta.md"
    text = beta.read_text()
    reviewed = next(line for line in text.splitlines() if line.startswith("reviewed:"))
    beta.write_text(text.replace(reviewed, "reviewed: 2026-02-02") + "\nFour more words here.\n")
    out = build(project)  # re-reads beta only; the report must follow
    after = beta_row()
    assert after[1] == "2026-02-02" != before[1]
    assert int(after[4]) == int(before[4]) + 4
    # The tag index shows no words or dates: it is not rewritten for them (at 1,000 pages that
    # is a page of 2,000 links).
    assert (out / "tags" / "index.html").stat().st_mtime_ns == tag_index_written


def test_deleted_page_disappears_from_tags_backlinks_and_health(build, project, tmp_path):
    out = build(project)
    (project / "alpha.md").unlink()
    (project / "gamma.md").write_text((project / "gamma.md").read_text().replace("{ref}`alpha`", "nothing"))
    index = project / "index.md"
    index.write_text(index.read_text().replace("alpha\n", ""))
    out = build(project)
    assert listed(page(out, "beta"), "backlinks") == []
    assert [a.get_text() for a in page(out, "tags/caching").select(".handbook-tag-pages a")] == ["Beta", "Gamma"]
    health = page(out, "health").get_text()
    assert "Alpha" not in health
    assert listed(page(out, "glossary"), "backlinks") == []


@pytest.mark.slow
def test_parallel_build_gives_the_same_neighbourhoods(build, project, tmp_path):
    serial = build_cli(project, tmp_path / "serial", "-d", str(tmp_path / "d1"))
    parallel = build_cli(project, tmp_path / "parallel", "-j", "2", "-d", str(tmp_path / "d2"))
    for name in ("alpha", "beta", "gamma", "glossary", "tags/index", "tags/caching", "health"):
        for block in ("backlinks", "related"):
            assert listed(page(serial, name), block) == listed(page(parallel, name), block), name
    assert page(serial, "health").select("table") and str(page(serial, "health").select_one("table")) == str(
        page(parallel, "health").select_one("table")
    )


def test_a_parallel_build_with_the_features_off_merges_its_readers(project, tmp_path):
    """``-D handbook_knowledge=0 -j 2`` (the benchmark's switch): the readers record no pages, and
    merging them must not fail (it did, and Sphinx then hung on a large site)."""
    out = build_cli(project, tmp_path / "html", "-j", "2", "-d", str(tmp_path / "d"), "-D", "handbook_knowledge=0")
    assert page(out, "alpha").select(".handbook-neighbourhood") == []


def test_a_build_writes_nothing_into_the_source_tree(build, project, tmp_path):
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    build(project)
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before


def git(cwd, *args, date="2026-03-01T12:00:00+00:00"):
    import subprocess

    env = {
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.com",
        "PATH": "/usr/bin:/bin",
        "HOME": str(cwd),
    }
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True)


@pytest.fixture
def repository(project):
    """The project as a git repository with two commits on different days."""
    conf = project / "conf.py"
    conf.write_text(
        conf.read_text().replace(
            'extensions = ["myst_parser", "handbook"]',
            'extensions = ["myst_parser", "handbook", "sphinx_last_updated_by_git"]',
        )
        + 'html_last_updated_fmt = "%Y-%m-%d"\n'
    )
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "first", date="2026-03-01T12:00:00+00:00")
    beta = project / "beta.md"
    beta.write_text(beta.read_text() + "\nEdited later.\n")
    git(project, "commit", "-q", "-am", "second", date="2026-04-15T12:00:00+00:00")
    return project


def test_pages_show_their_last_change_from_git(build, repository, tmp_path):
    out = build(repository)
    assert "2026-04-15" in page(out, "beta").select_one(".last-updated").get_text()
    assert "2026-03-01" in page(out, "alpha").select_one(".last-updated").get_text()
    rows = {
        tr.select("td")[0].get_text(): [td.get_text() for td in tr.select("td")]
        for tr in page(out, "health").select("table.handbook-health tbody tr")
    }
    assert rows["Beta"][2] == "2026-04-15" and rows["Alpha"][2] == "2026-03-01"


@pytest.mark.slow
def test_a_shallow_clone_fails_the_strict_build_until_it_is_unshallowed(build, repository, tmp_path):
    """What Read the Docs would do without `git fetch --unshallow` in .readthedocs.yaml."""
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repository}", str(clone))
    result = sphinx_build(clone, tmp_path / "shallow", *STRICT)
    assert result.returncode != 0
    assert "too shallow" in result.stderr and "[git.too_shallow]" in result.stderr

    git(clone, "fetch", "-q", "--unshallow")
    build(clone, "full")


HOSTILE = "Loading `<script>window.pwned = 1</script>` tags late, Q&A `<details>`"
HOSTILE_TEXT = "Loading <script>window.pwned = 1</script> tags late, Q&A <details>"


@pytest.fixture
def hostile_site(build, project):
    """test-knowledge with beta titled like a page about script tags: every listing of it must
    show the title as text, never as markup."""
    beta = project / "beta.md"
    beta.write_text(beta.read_text().replace("# Beta", f"# {HOSTILE}"))
    return build(project, html_baseurl="https://handbook.example/")


def test_a_title_with_markup_is_text_in_every_listing(hostile_site):
    listings = {
        "alpha": ".handbook-backlinks, .handbook-related",  # beta: related to alpha
        "gamma": ".handbook-related",
        "tags/caching": ".handbook-tag-pages",
        "tags/index": "#tag-caching",
        "health": "table",
    }
    for name, selector in listings.items():
        html = page(hostile_site, name)
        assert not [s for s in html.find_all("script") if "pwned" in s.get_text()], f"{name}: a live <script>"
        assert not html.select(f"{selector.split(',')[0]} details"), f"{name}: a live <details>"
        texts = [a.get_text() for block in html.select(selector) for a in block.select("a")]
        assert HOSTILE_TEXT in texts, f"{name}: {texts}"
    llms = (hostile_site / "llms.txt").read_text()
    assert r"- [Loading \<script\>window.pwned = 1\</script\> tags late, Q&A \<details\>](" in llms


@pytest.mark.browser
def test_a_title_with_markup_is_text_in_search_results(hostile_site, page):
    from conftest import serve

    with serve(hostile_site) as base:
        page.goto(f"{base}/search.html?q=beta+stands+alone")
        page.wait_for_selector("#search-results[data-state=done]")
        titles = page.locator("ul.search li > a").all_inner_texts()
        assert HOSTILE_TEXT in titles, titles
        assert page.evaluate("window.pwned") is None
        assert page.locator("ul.search details").count() == 0
