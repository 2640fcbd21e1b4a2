"""The output folder holds this build's pages and nothing else, in an order that does not
depend on how the build was run.

* A page deleted or renamed since the last build leaves no HTML and no ``_sources`` copy
  behind (Sphinx forgets the page but leaves its files), so search does not index it and
  nobody lands on it.
* ``sitemap.xml`` lists pages sorted by address: sphinx-sitemap lists them in the order the
  writers finished, which varies with ``-j``.
"""

from __future__ import annotations

import queue
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

from .shared import HTML_BUILDERS


def _remember_removed(app: Sphinx, env, added, changed, removed) -> list[str]:
    app.handbook_removed_pages = set(removed)
    return []


def _remove_their_output(app: Sphinx, builder) -> None:
    if builder.name not in HTML_BUILDERS:
        return
    outdir = Path(builder.outdir)
    for docname in sorted(getattr(app, "handbook_removed_pages", ())):
        page = Path(builder.get_outfilename(docname))
        page.unlink(missing_ok=True)
        if builder.name == "dirhtml" and page.parent != outdir:
            try:
                page.parent.rmdir()  # its folder, if nothing else is in it
            except OSError:
                pass
        sources = outdir / "_sources" / Path(docname).parent
        for copy in sources.glob(Path(docname).name + ".*"):
            copy.unlink()


def _sort_sitemap(app: Sphinx, exception) -> None:
    """Before sphinx-sitemap writes the file (it drains its queue in build-finished at the
    default priority), put the queued pages back in address order."""
    if exception is not None or app.builder.name not in HTML_BUILDERS or "sphinx_sitemap" not in app.extensions:
        return
    links = getattr(app, "sitemap_links", None)  # sphinx-sitemap's queue of (link, lastmod)
    if links is None or not hasattr(links, "get_nowait"):
        raise ExtensionError(
            "handbook.output: sphinx-sitemap no longer keeps its pages in "
            "app.sitemap_links; update _sort_sitemap in _ext/handbook/output.py "
            "(contributing page, 'Upgrading dependencies')"
        )
    pages = []
    while True:
        try:
            pages.append(links.get_nowait())
        except queue.Empty:
            break
    for page in sorted(pages, key=lambda item: (item[0], item[1] or "")):
        links.put(page)


def setup_output(app: Sphinx) -> None:
    app.connect("env-get-outdated", _remember_removed)
    app.connect("write-started", _remove_their_output)
    app.connect("build-finished", _sort_sitemap, priority=400)
