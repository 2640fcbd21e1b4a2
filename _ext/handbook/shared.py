"""What several features of the extension use: the builders that write HTML pages, and a
page's title and address as other pages show them."""

from __future__ import annotations

from sphinx.application import Sphinx

HTML_BUILDERS = ("html", "dirhtml")  # the builders whose pages carry the handbook's features


def page_title(env, docname: str) -> str:
    """The page's title as plain text (escape it wherever it is written into markup)."""
    return env.titles[docname].astext() if docname in env.titles else docname


def page_uri(app: Sphinx, fromdoc: str, todoc: str) -> str:
    return app.builder.get_relative_uri(fromdoc, todoc)
