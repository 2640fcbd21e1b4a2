"""Page weight: sphinx-design's stylesheet and script only on the pages that use it.

sphinx-design adds about 62 KB (11 KB compressed) of CSS and JS to every page, but only the
navigation pages (the landing page, section maps) use its cards and grids; an essay does not
need them. Sphinx shares one list of assets between pages, so we give each page its own,
filtered copy instead of editing the shared list.
"""

from __future__ import annotations

from docutils import nodes
from sphinx.application import Sphinx

DESIGN_ASSETS = ("sphinx-design.min.css", "design-tabs.js")


def uses_design(doctree: nodes.document | None) -> bool:
    if doctree is None:
        return False
    return any(cls.startswith("sd-") for node in doctree.findall(nodes.Element)
               for cls in node.get("classes", []))


def _page_context(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    if uses_design(doctree):
        return
    for key in ("css_files", "script_files"):
        if key in context:
            context[key] = [asset for asset in context[key]
                            if not str(getattr(asset, "filename", asset)).endswith(DESIGN_ASSETS)]


def setup_assets(app: Sphinx) -> None:
    app.connect("html-page-context", _page_context)
