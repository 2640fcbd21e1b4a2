"""Site search with Pagefind, indexed while Sphinx builds.

Sphinx's own search needs every query word on a page, has no fuzzy matching, downloads the
whole ``searchindex.js`` and fetches each result page to build its excerpt. Pagefind instead
splits the index into small chunks and fetches only those a query needs, with excerpts stored
at indexing time, and it is served entirely from the site (no third-party host).

At the end of a successful ``html`` or ``dirhtml`` build, :func:`index_site` runs the Pagefind
binary (shipped in the ``pagefind[bin]`` wheel) over the output folder and writes the bundle to
``_pagefind/``. So ``make html``, ``make livehtml`` and Read the Docs all get the index with no
extra step. What is indexed:

* only each page's ``data-pagefind-body`` element, which ``_templates/page.html`` puts around the
  article alone (never the sidebar, the stale notice or the "Referenced by"/"Related pages"
  block), on pages that have a source, and on the generated tag pages (``handbook.knowledge``
  marks their article, with the list of pages weighted low); once any page has one, Pagefind
  skips pages without it (the search page, the index, the 404 page);
* minus :data:`EXCLUDE_SELECTORS`: header links (the "¶") and lists that are navigation, not
  article text;
* with the page title (its first ``h1``) and its front-matter description as searchable
  metadata; ``_templates/search.html`` sets how much a match in each counts (``metaWeights``).

``_templates/search.html`` replaces Sphinx's search page: it loads Pagefind's search API from
``_pagefind/pagefind.js`` and lists the results (title and excerpt) in the markup Sphinx's
search used. It ranks every page that contains any of the query words, pages
with all of them first, instead of Pagefind's default of only pages with every word (the rule
that made Sphinx's search miss), and it ignores stop words. Pagefind's ready-made UI
(``pagefind-ui.js``, also in the bundle) is not used: it adds 134 KB before the first result.
Pagefind needs the site served over HTTP; a copy opened from disk (file://) cannot search.
One line of the bundle's ``pagefind.js`` is rewritten after indexing (:func:`wait_less`), so that
a first search starts as soon as the index has loaded.

Sphinx's own index is not built: no page loads ``searchindex.js`` now, and feeding every page
written to Sphinx's indexer and writing the whole index out again cost a few tenths of a second of
every build, more than a third of an edit's rebuild at 1,000 pages. :func:`_without_sphinx_index`
keeps Sphinx from creating its indexer (every later use of it checks for ``None``); Sphinx
still writes its search page, which ``_templates/search.html`` turns into ours.

A failure to index is a typed warning (``handbook.search``), so a strict build fails on it.
The index is byte-identical between builds of the same sources (file names are content hashes).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

from .shared import HTML_BUILDERS, upstream_changed, warn

logger = logging.getLogger(__name__)

#: The folder, inside the HTML output, that holds the index and Pagefind's UI.
BUNDLE_DIR = "_pagefind"

#: What is inside ``data-pagefind-body`` but is not article text.
EXCLUDE_SELECTORS = (
    ".headerlink",  # the "¶" after every heading (would end every result title)
    ".toctree-wrapper",  # a section index's list of its pages: navigation, and every title again
    ".handbook-tag-index",  # tags/index: every tag with every page title under it
    ".handbook-health-report",  # the health report's table of every page
    "pre.mermaid",  # diagram source code ("sequenceDiagram", "-->>"), not prose
)

BUILDERS = HTML_BUILDERS
TIMEOUT_S = 600

#: Pagefind's first search waits for the index to load by checking every 50 ms (``getPtr()`` in
#: ``pagefind.js``, Pagefind 1.5.2: there is no promise to await), so it loses up to 50 ms of a
#: first result that takes about 0.1-0.3 s. :func:`wait_less` rewrites that one wait to 2 ms.
#: (old, new) text; the pinned Pagefind version has it once.
INDEX_WAIT = ("await asyncSleep(50);}if(!this.raw_ptr)", "await asyncSleep(2);}if(!this.raw_ptr)")


def pagefind_command(outdir: Path, builder: str) -> list[str]:
    """The Pagefind command line that indexes ``outdir`` (also used by the tests)."""
    command = [sys.executable, "-m", "pagefind", "--site", str(outdir), "--output-subdir", BUNDLE_DIR]
    for selector in EXCLUDE_SELECTORS:
        command += ["--exclude-selectors", selector]
    if builder == "html":
        # Sphinx links to "essays/index.html", not "essays/": keep the file name in result URLs,
        # so that they work on any static host (dirhtml keeps Pagefind's clean URLs).
        command.append("--keep-index-url")
    return command


def wait_less(bundle: Path) -> str | None:
    """Shorten Pagefind's wait for its index (:data:`INDEX_WAIT`) in ``bundle/pagefind.js``;
    returns what is wrong if the script does not have that wait exactly once."""
    script = bundle / "pagefind.js"
    text = script.read_text(encoding="utf-8")
    old, new = INDEX_WAIT
    copies = text.count(old)
    if copies != 1:
        return (
            f"{script} has {copies} copies of the wait for its index that "
            f"handbook.search shortens ({old!r}; Pagefind changed?): find getPtr() in the new "
            "pagefind.js and update INDEX_WAIT in _ext/handbook/search.py, or drop wait_less()"
        )
    script.write_text(text.replace(old, new), encoding="utf-8")
    return None


def _warn(message: str) -> None:
    warn("search", f"site search: {message}")


def index_site(app: Sphinx, exception: Exception | None) -> None:
    """``build-finished``: index the HTML output with Pagefind (HTML builders, successful builds)."""
    if exception is not None or app.builder.name not in BUILDERS:
        return
    outdir = Path(app.outdir)
    bundle = outdir / BUNDLE_DIR
    if not app.config.handbook_search_index:
        # No index rather than a stale one: the search page then says to build with make html.
        shutil.rmtree(bundle, ignore_errors=True)
        return
    # Pagefind's file names carry content hashes; clear the previous run's, or they pile up.
    shutil.rmtree(bundle, ignore_errors=True)
    started = time.monotonic()
    try:
        result = subprocess.run(
            pagefind_command(outdir, app.builder.name),
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        _warn(f"could not run Pagefind: {error}")
        return
    seconds = time.monotonic() - started
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0:
        detail = output[-2000:] or f"exit status {result.returncode}"
        if "No module named pagefind" in output:
            detail = "the 'pagefind[bin]' package is not installed (see requirements.txt)"
        _warn(f"Pagefind failed to index {outdir}: {detail}")
        return
    pages = re.search(r"Indexed (\d+) pages?", output)
    if not pages or int(pages.group(1)) == 0 or not (bundle / "pagefind-ui.js").is_file():
        _warn(f"Pagefind indexed no pages in {outdir} (is data-pagefind-body in page.html?):\n{output[-2000:]}")
        return
    problem = wait_less(bundle)
    if problem:
        _warn(problem)
        return
    size = sum(path.stat().st_size for path in bundle.rglob("*") if path.is_file())
    logger.info(
        f"site search: Pagefind indexed {pages.group(1)} pages in {seconds:.1f} s "
        f"({size / 1024:.0f} KB in {BUNDLE_DIR}/)"
    )


def _without_sphinx_index(app: Sphinx) -> None:
    """``builder-inited``: no Sphinx search index for the HTML builders (Pagefind's replaces it)."""
    builder = app.builder
    if builder.name not in BUILDERS:
        return
    if not hasattr(builder, "search") or not hasattr(builder, "searchindex_filename"):
        raise upstream_changed(
            "Sphinx",
            "the HTML builder has no 'search' switch or 'searchindex_filename'",
            "Find how Sphinx now decides to build its search index, and update "
            "_without_sphinx_index in _ext/handbook/search.py",
        )
    prepare_writing = builder.prepare_writing

    def prepare_writing_without_index(docnames):
        builder.search = False  # Sphinx creates (and loads) its indexer here only when this is set
        try:
            prepare_writing(docnames)
        finally:
            builder.search = True  # the search page is still written
        if getattr(builder, "indexer", None) is not None:
            raise upstream_changed(
                "Sphinx",
                "the HTML builder made its search indexer outside prepare_writing's 'search' switch",
                "Update _without_sphinx_index in _ext/handbook/search.py",
            )

    builder.prepare_writing = prepare_writing_without_index  # type: ignore[method-assign]  # guarded above
    Path(app.outdir, builder.searchindex_filename).unlink(missing_ok=True)  # an earlier build's


def section_titles(doctree, back_matter: frozenset[str] = frozenset()) -> dict[str, str]:
    """Each section of a page below its title: its element id -> its heading as text. The search
    page shows the heading of the section a result matches best: Pagefind records where each
    <section id> starts, not its heading (Sphinx puts the id on the section, not the heading).
    Sections headed by a ``back_matter`` heading (lists of links: references, related pages) get
    an empty heading: they still end the section before them, but a result never lands there."""
    titles = {}
    for section in doctree.findall(nodes.section):
        if (
            section.get("ids")
            and section.parent is not doctree
            and section.children
            and isinstance(section[0], nodes.title)
        ):
            heading = section[0].astext()
            titles[section["ids"][0]] = "" if heading.lower() in back_matter else heading
    return titles


def _search_page_context(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Every page: its sections' headings as JSON, for Pagefind's metadata (_templates/page.html).
    The search page: the synonyms as JSON (lowercased, as queries are)."""
    if doctree is not None and app.builder.name in BUILDERS:
        back_matter = frozenset(heading.lower() for heading in app.config.handbook_search_back_matter)
        sections = section_titles(doctree, back_matter)
        context["handbook_sections"] = json.dumps(sections, ensure_ascii=False, separators=(",", ":"))
    if pagename == "search":
        synonyms = {word.lower(): meaning.lower() for word, meaning in app.config.handbook_search_synonyms.items()}
        context["handbook_search_synonyms"] = json.dumps(synonyms, sort_keys=True)


def setup_search(app: Sphinx) -> None:
    # Indexing adds about a second to every build, incremental ones included; a preview server
    # may pass -D handbook_search_index=0 (and then has no index: an old one would be stale).
    app.add_config_value("handbook_search_index", True, "", types=[bool])
    # Abbreviations and other names a reader types -> the words the pages use ("pg": "postgresql").
    app.add_config_value("handbook_search_synonyms", {}, "html", types=[dict])
    # Headings of sections that list links rather than answer (a result never lands on one).
    app.add_config_value(
        "handbook_search_back_matter", ["References", "Further reading", "Related", "Sources"], "html", types=[list]
    )
    app.connect("html-page-context", _search_page_context)
    # After the other build-finished handlers (llms.txt, sitemap): they write no HTML pages,
    # but indexing last means it sees the finished site.
    app.connect("build-finished", index_site, priority=900)
    app.connect("builder-inited", _without_sphinx_index)
