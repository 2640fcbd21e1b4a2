"""Page weight: each page loads only the assets it uses, and the extension's own scripts.

* sphinx-design adds about 62 KB (11 KB compressed) of CSS and JS to every page, but only the
  navigation pages (the landing page, section maps) use its cards and grids; an essay does not.
* Pygments' colours and the copy buttons (6 KB compressed) serve code blocks: pages without
  any (the search page, tag pages, most section indexes) go without them.
* sphinxcontrib-mermaid leaves Mermaid out of pages whose doctree has no diagram, but puts it on
  every page without a doctree (search, index, tag pages, 404): about 160 KB compressed that
  the search page, above all, must not wait for, and it compiles three Jinja templates for each
  such page (0.5 s of an incremental build at 1,000 pages). Such pages have no diagrams: its
  handler is wrapped to skip them.
* Sphinx's ``sphinx_highlight.js`` (2 KB compressed) marks the words of a search on the page a
  search result opens. Most visits do not come from the search page, so ``handbook.js`` loads
  it only when there are words to mark, with ``doctools.js`` (1.6 KB), which it needs. Nothing
  else on our pages uses doctools.js but its keyboard shortcuts, which ``handbook.js`` has.
* sphinx-copybutton puts clipboard.js (3.2 KB compressed) on every page; ``handbook.js`` has
  the part of its API that copybutton.js uses, on the browser's Clipboard API.
* Pygments wraps every run of spaces in a code block in ``<span class="w">`` (a colour no one
  can see): a tenth of the elements of a page with many examples (177 of 1,850 on
  skills/postgresql.html), and the style and layout work the browser does for them was most of
  that page's Total Blocking Time in Lighthouse (80-100 ms with them, 0-10 ms without, measured
  on the same build). The HTML builders' highlighter writes spaces as plain text instead.
* The vendored scripts (``_static/vendor``: Mermaid and PGlite, 20 MB) are left out of Sphinx's
  static copy (``conf.py``'s ``exclude_patterns``), which compares every file byte by byte on
  every build (40-50 ms of each save in a preview), and copied here when their size or time
  differs, for every HTML builder but the EPUB's (an e-reader can run neither).
* Our own CSS and scripts are served minified (rcssmin, rjsmin): their comments are for the
  people who edit them, and were half of their compressed size. The readable sources stay
  where they are; the minified copies are written into the doctree folder and put last on
  ``html_static_path``, so they are what the output gets.

Sphinx shares one list of assets between pages, so we give each page its own, filtered copy
instead of editing the shared list. The extension's script, ``handbook/static/handbook.js``
(the above, and the sidebar's closed branches: see ``handbook.navigation``), is served from
``_static`` like the site's own files, on every page of the HTML builders.
"""

from __future__ import annotations

import shutil
import weakref
from pathlib import Path

from docutils import nodes
from pygments.formatters import HtmlFormatter
from pygments.token import Token
from sphinx.application import Sphinx
from sphinx.builders.html import StandaloneHTMLBuilder
from sphinx.highlighting import PygmentsBridge

from .shared import HTML_BUILDERS, upstream_changed

STATIC = Path(__file__).parent / "static"
VENDORED = Path("_static", "vendor")  # under the configuration folder, and the output's
DESIGN_ASSETS = ("sphinx-design.min.css", "design-tabs.js")
CODE_ASSETS = ("pygments.css", "copybutton.css", "copybutton.js")
# Left off the pages that load handbook.js, which stands in for them.
REPLACED = ("sphinx_highlight.js", "doctools.js", "clipboard.min.js")
# Who registers each asset we leave off some pages (None: Sphinx itself). If an upgrade renames
# one, the filter would silently keep it everywhere: the first page written checks they exist.
PROVIDED_BY = {
    "sphinx-design.min.css": "sphinx_design",
    "design-tabs.js": "sphinx_design",
    "pygments.css": None,
    "copybutton.css": "sphinx_copybutton",
    "copybutton.js": "sphinx_copybutton",
    "clipboard.min.js": "sphinx_copybutton",
    "sphinx_highlight.js": None,
    "doctools.js": None,
}
_checked_builders: weakref.WeakSet = weakref.WeakSet()
# The site's own assets, from html_static_path and static/, served minified.
MINIFIED = ("handbook.css", "search.css", "handbook.js")


def uses_design(doctree: nodes.document | None) -> bool:
    if doctree is None:
        return False
    return any(cls.startswith("sd-") for node in doctree.findall(nodes.Element) for cls in node.get("classes", []))


def has_code(doctree: nodes.document | None) -> bool:
    return doctree is not None and any(True for _ in doctree.findall(nodes.literal_block))


def _check_assets_exist(app: Sphinx, context: dict) -> None:
    """Every asset named in PROVIDED_BY is still registered by whoever provides it."""
    names = [
        str(getattr(asset, "filename", asset))
        for key in ("css_files", "script_files")
        for asset in context.get(key, [])
    ]
    for name, extension in PROVIDED_BY.items():
        if (extension is None or extension in app.extensions) and not any(n.endswith(name) for n in names):
            raise upstream_changed(
                extension or "Sphinx",
                f"no page asset named {name!r} any more",
                "Find what replaced it and update the names in _ext/handbook/assets.py",
            )


def _page_context(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    if app.builder.name in HTML_BUILDERS and app.builder not in _checked_builders:
        _check_assets_exist(app, context)
        _checked_builders.add(app.builder)
    dropped: tuple[str, ...] = () if uses_design(doctree) else DESIGN_ASSETS
    if not has_code(doctree):
        dropped += CODE_ASSETS
    if app.builder.name in HTML_BUILDERS:  # where handbook.js is
        dropped += REPLACED
    for key in ("css_files", "script_files"):
        if key in context:
            context[key] = [
                asset for asset in context[key] if not str(getattr(asset, "filename", asset)).endswith(dropped)
            ]


def _mermaid_only_where_drawn(app: Sphinx) -> None:
    if "sphinxcontrib.mermaid" not in app.extensions:
        return
    from sphinxcontrib.mermaid import install_js

    listeners = [
        listener for listener in app.events.listeners.get("html-page-context", []) if listener.handler is install_js
    ]
    if len(listeners) != 1:
        raise upstream_changed(
            "sphinxcontrib-mermaid",
            "its html-page-context handler install_js was not found",
            "Check how it adds Mermaid to pages, and update _mermaid_only_where_drawn in _ext/handbook/assets.py",
        )
    listener = listeners[0]
    app.disconnect(listener.id)

    def install_where_drawn(app, pagename, templatename, context, doctree):
        if doctree is not None:
            install_js(app, pagename, templatename, context, doctree)

    app.connect("html-page-context", install_where_drawn, priority=listener.priority)


def _minified_copies(app: Sphinx) -> Path:
    """Minified copies of MINIFIED from html_static_path and static/, rewritten only when their
    text changes (a new mtime would make Sphinx copy them again)."""
    import rcssmin
    import rjsmin

    target = Path(app.doctreedir) / "handbook-minified"
    target.mkdir(parents=True, exist_ok=True)
    folders = [Path(app.confdir, folder) for folder in app.config.html_static_path] + [STATIC]
    for name in MINIFIED:
        source = next((folder / name for folder in reversed(folders) if (folder / name).is_file()), None)
        if source is None:
            continue
        text = source.read_text(encoding="utf-8")
        minified = (rcssmin.cssmin(text) if name.endswith(".css") else rjsmin.jsmin(text)).strip() + "\n"
        copy = target / name
        if not copy.is_file() or copy.read_text(encoding="utf-8") != minified:
            copy.write_text(minified, encoding="utf-8")
    return target


class SpacesAsText(HtmlFormatter):
    """Pygments' HTML formatter, with whitespace tokens written as plain text, not in spans."""

    def format(self, tokensource, outfile):
        plain = ((Token.Text if ttype in Token.Text.Whitespace else ttype, value) for ttype, value in tokensource)
        return super().format(plain, outfile)


def _plain_spaces(app: Sphinx) -> None:
    highlighter = getattr(app.builder, "highlighter", None)
    if highlighter is None:
        return  # a builder that does not highlight code as HTML
    if not isinstance(highlighter, PygmentsBridge) or highlighter.formatter is not HtmlFormatter:
        raise upstream_changed(
            "Sphinx",
            "the HTML builder's highlighter is no longer a PygmentsBridge with Pygments' HtmlFormatter",
            "Update _plain_spaces in _ext/handbook/assets.py",
        )
    highlighter.formatter = SpacesAsText


def _builder_inited(app: Sphinx) -> None:
    _mermaid_only_where_drawn(app)
    if app.builder.name in HTML_BUILDERS:
        _plain_spaces(app)
    if app.builder.name in HTML_BUILDERS:
        app.config.html_static_path.append(str(STATIC))
        app.config.html_static_path.append(str(_minified_copies(app)))  # last: these win
        app.add_js_file("handbook.js", loading_method="defer")


def _copy_vendored(app: Sphinx, exception) -> None:
    """``build-finished``: the vendored files whose copy in the output is missing or differs in
    size or modification time (``copy2`` keeps the time). Every HTML builder (``make pdf``
    prints the single-page one, diagrams included) but the EPUB's."""
    if exception is not None or not isinstance(app.builder, StandaloneHTMLBuilder) or app.builder.name == "epub":
        return
    source, target = Path(app.confdir, VENDORED), Path(app.outdir, VENDORED)
    for path in source.rglob("*"):
        if not path.is_file():
            continue
        copy = target / path.relative_to(source)
        wanted = path.stat()
        have = copy.stat() if copy.exists() else None
        if have is None or (have.st_size, have.st_mtime_ns) != (wanted.st_size, wanted.st_mtime_ns):
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, copy)


def setup_assets(app: Sphinx) -> None:
    app.connect("builder-inited", _builder_inited)
    app.connect("build-finished", _copy_vendored)
    # After the extensions that add assets per page (sphinxcontrib-mermaid).
    app.connect("html-page-context", _page_context, priority=900)
