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
import os

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from .frontmatter import parse_date
from .knowledge import _title, _uri, drop_summaries, summary_placeholder, when_enabled

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


class HealthDirective(SphinxDirective):
    def run(self) -> list[nodes.Node]:
        return [health_report()]


def _row(cells: list[nodes.Node | str], header: bool = False) -> nodes.row:
    row = nodes.row()
    for cell in cells:
        entry = nodes.entry()
        entry += cell if isinstance(cell, nodes.Node) else nodes.paragraph(cell, cell)
        row += entry
    return row


def _table(app: Sphinx, docname: str) -> nodes.Node:
    env = app.env
    graph = env.handbook_graph
    columns = ["Page", "Reviewed", "Last change", "Owner", "Words", "In", "Out", "Flags"]
    table = nodes.table(classes=["handbook-health"])
    group = nodes.tgroup(cols=len(columns))
    table += group
    group.extend(nodes.colspec(colwidth=1) for _ in columns)
    group += nodes.thead("", _row(columns))
    body = nodes.tbody()

    def order(page: str):
        reviewed, _ = reviewed_age(env, page)
        return (not flags(app, page), reviewed or dt.date.min, page)

    for page in sorted(env.handbook_pages, key=order):
        reviewed, _ = reviewed_age(env, page)
        link = nodes.paragraph()
        link += nodes.reference("", _title(env, page), internal=True, refuri=_uri(app, docname, page))
        body += _row([
            link,
            reviewed.isoformat() if reviewed else "missing",
            last_change(env, page),
            str(env.metadata.get(page, {}).get("owner", "")) or "-",
            str(env.handbook_pages[page].words),
            str(len(graph.backlinks.get(page, []))),
            str(len(graph.links.get(page, []))),
            ", ".join(flags(app, page)) or "-",
        ])
    group += body

    counts = {flag: sum(flag in flags(app, page) for page in env.handbook_pages) for flag in (STALE, ORPHAN)}
    summary = (f"{len(env.handbook_pages)} pages; {counts[STALE]} not reviewed for more than "
               f"{app.config.handbook_stale_after_days} days; {counts[ORPHAN]} with no inbound links. "
               f"Computed on {today().isoformat()}.")
    container = nodes.container(classes=["handbook-health-report"])
    container += nodes.paragraph(summary, summary)
    wrapper = nodes.container(classes=["handbook-table-scroll"])
    wrapper += table
    container += wrapper
    return container


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
                                     "health": _uri(app, pagename, app.config.handbook_health_page)}


def setup_health(app: Sphinx) -> None:
    app.add_config_value("handbook_stale_after_days", 365, "html", types=[int])
    app.add_config_value("handbook_health_page", "handbook-health", "html", types=[str])
    app.add_node(health_report)
    app.add_directive("handbook-health", HealthDirective)
    app.connect("doctree-resolved", when_enabled(_doctree_resolved, drop_summaries))
    app.connect("html-page-context", when_enabled(_page_context))
