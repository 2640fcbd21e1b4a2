"""Freshness and ownership: stale-page notices and the "Handbook health" report.

Every page declares when it was last ``reviewed`` (and optionally its ``owner``). A page not
reviewed for ``handbook_stale_after_days`` (default 365) shows a notice at the top, and the
``{handbook-health}`` directive renders a table of every page: reviewed date, last change from
git (sphinx-last-updated-by-git's data), owner, words, inbound and outbound links, and flags for
stale pages and pages nothing links to.

"Today" is the build date, or ``SOURCE_DATE_EPOCH`` when set, so a reproducible build can pin it.
"""

from __future__ import annotations

import datetime as dt
import html
import os

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from .frontmatter import parse_date
from .knowledge import drop_summaries, summary_placeholder, when_enabled
from .shared import page_title, page_uri

STALE = "stale"
ORPHAN = "no inbound links"


def today() -> dt.date:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date()
    return dt.date.today()


def reviewed_age(env, docname: str) -> tuple[dt.date | None, int | None]:
    reviewed = parse_date(env.metadata.get(docname, {}).get("reviewed"))
    return reviewed, (today() - reviewed).days if reviewed else None


def flags(app: Sphinx, docname: str) -> list[str]:
    env = app.env
    found = []
    _, age = reviewed_age(env, docname)
    if age is not None and age > app.config.handbook_stale_after_days:
        found.append(STALE)
    if docname != app.config.root_doc and not env.handbook_graph.backlinks.get(docname):
        found.append(ORPHAN)
    return found


def last_change(env, docname: str) -> str:
    data = getattr(env, "git_last_updated", {}).get(docname)
    if not data or data[0] is None:
        return "not committed"
    return dt.datetime.fromtimestamp(int(data[0]), dt.timezone.utc).date().isoformat()  # git gives bytes


class health_report(summary_placeholder):
    """Placeholder for the health table."""

    shows = ("links", "facts")  # in and out links, words, review date, owner


class HealthDirective(SphinxDirective):
    def run(self) -> list[nodes.Node]:
        return [health_report()]


def _cells(tag: str, cells: list[str], cell_class: str = "") -> str:
    """One table row; ``cells`` are HTML already."""
    return "<tr>" + "".join(f"<{tag}{cell_class}><p>{cell}</p></{tag}>" for cell in cells) + "</tr>\n"


def _table(app: Sphinx, docname: str) -> nodes.Node:
    """The report as one raw HTML node: as docutils nodes, a table of every page cost more than a
    second to build and write at 1,000 pages, and the health page is rewritten whenever a page's
    words or links change (the HTML is what docutils wrote for the same table)."""
    env = app.env
    graph = env.handbook_graph
    columns = ["Page", "Reviewed", "Last change", "Owner", "Words", "In", "Out", "Flags"]
    flagged = {page: flags(app, page) for page in env.handbook_pages}
    reviewed = {page: reviewed_age(env, page)[0] for page in env.handbook_pages}
    rows = []
    for page in sorted(env.handbook_pages, key=lambda p: (not flagged[p], reviewed[p] or dt.date.min, p)):
        link = (f'<a class="reference internal" href="{html.escape(page_uri(app, docname, page))}">'
                f"{html.escape(page_title(env, page))}</a>")
        rows.append(_cells("td", [
            link,
            reviewed[page].isoformat() if reviewed[page] else "missing",
            last_change(env, page),
            html.escape(str(env.metadata.get(page, {}).get("owner", "")) or "-"),
            str(env.handbook_pages[page].words),
            str(len(graph.backlinks.get(page, []))),
            str(len(graph.links.get(page, []))),
            ", ".join(flagged[page]) or "-",
        ]))
    counts = {flag: sum(flag in found for found in flagged.values()) for flag in (STALE, ORPHAN)}
    summary = (f"{len(env.handbook_pages)} pages; {counts[STALE]} not reviewed for more than "
               f"{app.config.handbook_stale_after_days} days; {counts[ORPHAN]} with no inbound links. "
               f"Computed on {today().isoformat()}.")
    header = _cells("th", columns, cell_class=' class="head"')
    report = ('<div class="handbook-health-report docutils container">\n'
              f"<p>{summary}</p>\n"
              '<div class="handbook-table-scroll docutils container">\n'
              '<table class="handbook-health docutils align-default">\n'
              f"<thead>\n{header}</thead>\n<tbody>\n{''.join(rows)}</tbody>\n</table>\n</div>\n</div>\n")
    return nodes.raw("", report, format="html")


def _doctree_resolved(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    for placeholder in list(doctree.findall(health_report)):
        placeholder.replace_self(_table(app, docname))


def _page_context(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    env = app.env
    if pagename not in getattr(env, "handbook_pages", {}):
        return
    reviewed, age = reviewed_age(env, pagename)
    if age is not None and age > app.config.handbook_stale_after_days:
        context["handbook_stale"] = {"reviewed": reviewed.isoformat(), "days": age,
                                     "health": page_uri(app, pagename, app.config.handbook_health_page)}


def setup_health(app: Sphinx) -> None:
    app.add_config_value("handbook_stale_after_days", 365, "html", types=[int])
    app.add_config_value("handbook_health_page", "handbook-health", "html", types=[str])
    app.add_node(health_report)
    app.add_directive("handbook-health", HealthDirective)
    app.connect("doctree-resolved", when_enabled(_doctree_resolved, drop_summaries))
    app.connect("html-page-context", when_enabled(_page_context))
