"""sitemap.xml: one <url> per published page, and a <lastmod> that is the date of the last
commit to the page's source (sitemap_show_lastmod, from sphinx-last-updated-by-git).

Built from a copied checkout with two commits at known dates: everything at the first, then one
page changed at the second. Generated tag pages (tags/<tag>.html) have no source and so no date:
they are the only <url>s without a <lastmod>.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import xml.etree.ElementTree as ElementTree

import pytest

from conftest import ROOT, STRICT, copy_sources, sphinx_build

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
EDITED = "essays/schema-design.md"
LATER = "2026-12-01T09:30:00+00:00"


def commit_time(checkout, path: str) -> str:
    seconds = subprocess.run(
        ["git", "log", "-1", "--format=%ct", "--", path], cwd=checkout, capture_output=True, text=True, check=True
    ).stdout.strip()
    return dt.datetime.fromtimestamp(int(seconds), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.slow
def test_every_page_has_the_date_of_its_last_commit(tmp_path):
    checkout = copy_sources(ROOT, tmp_path / "checkout")  # one commit, 2026-11-28T12:00:00Z
    source = checkout / EDITED
    source.write_text(source.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Handbook tests",
        "GIT_AUTHOR_EMAIL": "tests@localhost",
        "GIT_COMMITTER_NAME": "Handbook tests",
        "GIT_COMMITTER_EMAIL": "tests@localhost",
        "GIT_AUTHOR_DATE": LATER,
        "GIT_COMMITTER_DATE": LATER,
    }
    subprocess.run(["git", "commit", "-q", "-am", "edit one page"], cwd=checkout, env=env, check=True)

    out = tmp_path / "html"
    result = sphinx_build(
        checkout,
        out,
        "--jobs",
        "auto",
        *STRICT,
        "-d",
        str(tmp_path / "doctrees"),
        "-D",
        "handbook_search_index=0",
        cwd=checkout,
    )
    assert result.returncode == 0, result.stderr[-6000:]
    urls = ElementTree.parse(out / "sitemap.xml").getroot().findall("s:url", NS)
    assert len(urls) > 80

    dated, generated = {}, []
    for url in urls:
        loc = url.findtext("s:loc", namespaces=NS)
        assert loc.startswith("http://127.0.0.1:8000/"), loc
        docname = loc.removeprefix("http://127.0.0.1:8000/").removesuffix(".html")
        lastmod = url.findtext("s:lastmod", namespaces=NS)
        if (checkout / f"{docname}.md").is_file():
            assert lastmod == commit_time(checkout, f"{docname}.md"), (docname, lastmod)
            dated[docname] = lastmod
        else:
            assert lastmod is None, (docname, lastmod)
            generated.append(docname)

    assert dated[EDITED.removesuffix(".md")] == "2026-12-01T09:30:00Z"
    assert dated["index"] == dated["glossary"] == "2026-11-28T12:00:00Z"
    # The generated tag pages, and nothing else, have no source.
    tag_pages = sorted(f"tags/{path.stem}" for path in (out / "tags").glob("*.html") if path.stem != "index")
    assert len(tag_pages) > 10 and sorted(generated) == tag_pages
