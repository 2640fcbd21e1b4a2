"""What several features of the extension use: the builders that write HTML pages, a page's
title and address as other pages show them, the extension's warnings, and the switches that turn
a feature's event handlers off."""

from __future__ import annotations

import functools

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

_logger = logging.getLogger("handbook")

#: Every warning the extension gives is ``handbook.<subtype>``, one of these. A strict build
#: fails on any of them; ``suppress_warnings = ["handbook.<subtype>"]`` silences one (the
#: contributing page lists them for authors).
WARNING_SUBTYPES = {
    "frontmatter": "a page's front matter is missing, malformed or invalid",
    "examples": "an executable example failed, exited, hung, printed too much or broke its promise",
    "encoding": "a page is not UTF-8",
    "navigation": "Furo's navigation HTML changed, and the fast navigation is off for the build",
    "search": "Pagefind could not index the site",
}


def warn(subtype: str, message: str, location=None) -> None:
    """Report a problem as the typed warning ``handbook.<subtype>``, at ``location`` (a docname,
    or ``(docname, line)``) when it has one."""
    if subtype not in WARNING_SUBTYPES:
        raise ValueError(f"unknown warning subtype {subtype!r}; declare it in WARNING_SUBTYPES")
    _logger.warning(message, location=location, type="handbook", subtype=subtype)


HTML_BUILDERS = ("html", "dirhtml")  # the builders whose pages carry the handbook's features


def page_title(env, docname: str) -> str:
    """The page's title as plain text (escape it wherever it is written into markup)."""
    return env.titles[docname].astext() if docname in env.titles else docname


def page_uri(app: Sphinx, fromdoc: str, todoc: str) -> str:
    return app.builder.get_relative_uri(fromdoc, todoc)


def when_enabled(switches: str | tuple[str, ...], handler, otherwise=lambda *args: None):
    """``handler`` when every configuration value named in ``switches`` is true; else
    ``otherwise``. A feature's switch (``-D handbook_knowledge=0``) turns its handlers off: the
    benchmark builds with features off to measure what they cost."""
    names = (switches,) if isinstance(switches, str) else switches

    @functools.wraps(handler)
    def run(app: Sphinx, *args):
        return (handler if all(getattr(app.config, name) for name in names) else otherwise)(app, *args)

    return run


def remove_nodes(node_class):
    """A ``doctree-resolved`` handler that takes the ``node_class`` placeholders out of the page:
    a switched-off feature's summaries are left out, not left half-made."""

    def remove(app: Sphinx, doctree, docname: str) -> None:
        for placeholder in list(doctree.findall(node_class)):
            placeholder.parent.remove(placeholder)

    return remove


def upstream_changed(package: str, what: str, check: str) -> ExtensionError:
    """The error that stops a build when ``package`` no longer works the way a part of the
    extension relies on. Every such place is listed in contributing.md ("Upgrading
    dependencies") with what to check; nothing that relies on another package's insides may
    silently do nothing."""
    return ExtensionError(f"{package} changed: {what}. {check} (contributing.md, 'Upgrading dependencies')")
