"""Page weight: each page loads only the assets it uses, and the extension's own scripts.

* sphinx-design adds about 62 KB (11 KB compressed) of CSS and JS to every page, but only the
  navigation pages (the landing page, section maps) use its cards and grids; an essay does not.
* sphinxcontrib-mermaid leaves Mermaid out of pages whose doctree has no diagram, but puts it on
  every page without a doctree (search, index, tag pages, 404): about 160 KB compressed that
  the search page, above all, must not wait for, and it compiles three Jinja templates for each
  such page (0.5 s of an incremental build at 1,000 pages). Such pages have no diagrams: its
  handler is wrapped to skip them.
* Sphinx's ``sphinx_highlight.js`` (2 KB compressed) marks the words of a search on the page a
  search result opens. Most visits do not come from the search page, so ``handbook.js`` loads
  it only when there are words to mark.

Sphinx shares one list of assets between pages, so we give each page its own, filtered copy
instead of editing the shared list. The extension's script, ``handbook/static/handbook.js``
(the above, and the sidebar's closed branches: see ``handbook.navigation``), is served from
``_static`` like the site's own files, on every page of the HTML builders.
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx

STATIC = Path(__file__).parent / "static"
DESIGN_ASSETS = ("sphinx-design.min.css", "design-tabs.js")
ON_DEMAND = ("sphinx_highlight.js",)  # loaded by handbook.js when needed


def uses_design(doctree: nodes.document | None) -> bool:
    if doctree is None:
        return False
    return any(cls.startswith("sd-") for node in doctree.findall(nodes.Element)
               for cls in node.get("classes", []))


def _page_context(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    dropped = () if uses_design(doctree) else DESIGN_ASSETS
    if app.builder.name in ("html", "dirhtml"):  # where handbook.js is
        dropped += ON_DEMAND
    for key in ("css_files", "script_files"):
        if key in context:
            context[key] = [asset for asset in context[key]
                            if not str(getattr(asset, "filename", asset)).endswith(dropped)]


def _mermaid_only_where_drawn(app: Sphinx) -> None:
    try:
        from sphinxcontrib.mermaid import install_js
    except ImportError:
        return
    for listener in list(app.events.listeners.get("html-page-context", [])):
        if listener.handler is install_js:
            app.disconnect(listener.id)

            def install_where_drawn(app, pagename, templatename, context, doctree):
                if doctree is not None:
                    install_js(app, pagename, templatename, context, doctree)

            app.connect("html-page-context", install_where_drawn, priority=listener.priority)


def _builder_inited(app: Sphinx) -> None:
    _mermaid_only_where_drawn(app)
    if app.builder.name in ("html", "dirhtml"):
        app.config.html_static_path.append(str(STATIC))
        app.add_js_file("handbook.js", loading_method="defer")


def setup_assets(app: Sphinx) -> None:
    app.connect("builder-inited", _builder_inited)
    # After the extensions that add assets per page (sphinxcontrib-mermaid).
    app.connect("html-page-context", _page_context, priority=900)
