"""Freshness and ownership: stale-page notices and the "Handbook health" report.

Every page declares when it was last ``reviewed`` (and optionally its ``owner``). A page not
reviewed for ``handbook_stale_after_days`` (default 365) shows a notice at the top, and the
``{handbook-health}`` directive renders a table of every page: reviewed date, last change from
git (sphinx-last-updated-by-git's data), owner, words, inbound and outbound links, and flags for
stale pages and pages nothing links to.

Pages that declare which versions their facts were ``verified`` against (the skill pages, see
:mod:`handbook.frontmatter`) show it in a line under their title, and the report gathers those
declarations in a second table, oldest verification first.

"Today" is the build date, or ``SOURCE_DATE_EPOCH`` when set, so a reproducible build can pin it.
"""

from __future__ import annotations

import datetime as dt
import html
import os

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from .frontmatter import page_verified, parse_date
from .knowledge import summary_placeholder
from .shared import page_title, page_uri, remove_nodes, when_enabled

STALE = "stale"
# The report is made from the knowledge graph: it needs both switches on.
SWITCHES = ("handbook_knowledge", "handbook_health_report")
ORPHAN = "no inbound links"


def today() -> dt.date:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
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
    return dt.datetime.fromtimestamp(int(data[0]), dt.UTC).date().isoformat()  # git gives bytes


class health_report(summary_placeholder):
    """Placeholder for the health table."""

    # In and out links, words, review date, owner; and the verified versions, which
    # _env_updated below watches (knowledge.py watches the first two).
    shows = ("links", "facts", "verified")


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
        date = reviewed[page]
        link = (
            f'<a class="reference internal" href="{html.escape(page_uri(app, docname, page))}">'
            f"{html.escape(page_title(env, page))}</a>"
        )
        rows.append(
            _cells(
                "td",
                [
                    link,
                    date.isoformat() if date else "missing",
                    last_change(env, page),
                    html.escape(str(env.metadata.get(page, {}).get("owner", "")) or "-"),
                    str(env.handbook_pages[page].words),
                    str(len(graph.backlinks.get(page, []))),
                    str(len(graph.links.get(page, []))),
                    ", ".join(flagged[page]) or "-",
                ],
            )
        )
    counts = {flag: sum(flag in found for found in flagged.values()) for flag in (STALE, ORPHAN)}
    summary = (
        f"{len(env.handbook_pages)} pages; {counts[STALE]} not reviewed for more than "
        f"{app.config.handbook_stale_after_days} days; {counts[ORPHAN]} with no inbound links. "
        f"Computed on {today().isoformat()}."
    )
    header = _cells("th", columns, cell_class=' class="head"')
    report = (
        '<div class="handbook-health-report docutils container">\n'
        f"<p>{summary}</p>\n"
        '<div class="handbook-table-scroll docutils container">\n'
        '<table class="handbook-health docutils align-default">\n'
        f"<thead>\n{header}</thead>\n<tbody>\n{''.join(rows)}</tbody>\n</table>\n</div>\n</div>\n"
    )
    return nodes.raw("", report + _verified_table(app, docname), format="html")


def verified_pages(env) -> dict[str, tuple[dt.date, dict[str, str]]]:
    """Every page that declares a valid ``verified``: page -> (date, versions)."""
    found = {}
    for page in getattr(env, "handbook_pages", {}):
        verified = page_verified(env.metadata.get(page, {}))
        if verified is not None:
            found[page] = verified
    return found


def versions_text(versions: dict[str, str]) -> str:
    """``{"PostgreSQL": "18.1", "PgBouncer": "1.25"}`` -> "PostgreSQL 18.1 and PgBouncer 1.25"."""
    named = [f"{name} {version}" for name, version in versions.items()]
    return named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"


MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def long_date(date: dt.date) -> str:
    """4 December 2026, whatever the build machine's locale (``%B`` would follow LC_TIME)."""
    return f"{date.day} {MONTHS[date.month - 1]} {date.year}"


def _verified_table(app: Sphinx, docname: str) -> str:
    env = app.env
    verified = verified_pages(env)
    if not verified:
        return ""
    rows = []
    for page, (date, versions) in sorted(verified.items(), key=lambda item: (item[1][0], item[0])):
        link = (
            f'<a class="reference internal" href="{html.escape(page_uri(app, docname, page))}">'
            f"{html.escape(page_title(env, page))}</a>"
        )
        stale = (today() - date).days > app.config.handbook_stale_after_days
        rows.append(
            _cells("td", [link, html.escape(versions_text(versions)), date.isoformat(), STALE if stale else "-"])
        )
    header = _cells("th", ["Page", "Verified against", "On", "Flags"], cell_class=' class="head"')
    summary = (
        f"{len(verified)} pages say which versions their facts were verified against, oldest "
        f"first; a verification more than {app.config.handbook_stale_after_days} days old is stale."
    )
    return (
        '<div class="handbook-verified-report docutils container" id="verified-versions">\n'
        f"<p>{summary}</p>\n"
        '<div class="handbook-table-scroll docutils container">\n'
        '<table class="handbook-verified-versions docutils align-default">\n'
        f"<thead>\n{header}</thead>\n<tbody>\n{''.join(rows)}</tbody>\n</table>\n</div>\n</div>\n"
    )


def _doctree_resolved(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    for placeholder in list(doctree.findall(health_report)):
        placeholder.replace_self(_table(app, docname))


def _page_context(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    env = app.env
    if pagename not in getattr(env, "handbook_pages", {}):
        return
    reviewed, age = reviewed_age(env, pagename)
    if reviewed is not None and age is not None and age > app.config.handbook_stale_after_days:
        context["handbook_stale"] = {
            "reviewed": reviewed.isoformat(),
            "days": age,
            "health": page_uri(app, pagename, app.config.handbook_health_page),
        }
    verified = page_verified(env.metadata.get(pagename, {}))
    if verified is not None:
        date, versions = verified
        context["handbook_verified"] = {
            "versions": versions_text(versions),
            "date": date.isoformat(),
            "long_date": long_date(date),
            "health": page_uri(app, pagename, app.config.handbook_health_page),
        }


def _env_updated(app: Sphinx, env) -> list[str]:
    """The pages showing the verified-versions table, when any page's declaration changed (an
    incremental build re-reads only the edited page; the report must follow it)."""
    current = verified_pages(env)
    previous, env.handbook_verified = getattr(env, "handbook_verified", {}), current
    if previous == current:
        return []
    # "facts" too: a health page read before the report showed versions does not list "verified".
    return sorted(doc for doc, info in env.handbook_pages.items() if {"facts", "verified"} & set(info.summary))


def setup_health(app: Sphinx) -> None:
    app.add_config_value("handbook_stale_after_days", 365, "html", types=[int])
    app.add_config_value("handbook_health_page", "handbook-health", "html", types=[str])
    # The stale-page notices, the verified-versions line and the health report.
    app.add_config_value("handbook_health_report", True, "env", types=[bool])
    app.add_node(health_report)
    app.add_directive("handbook-health", HealthDirective)
    app.connect("doctree-resolved", when_enabled(SWITCHES, _doctree_resolved, remove_nodes(health_report)))
    app.connect("html-page-context", when_enabled(SWITCHES, _page_context))
    app.connect("env-updated", when_enabled(SWITCHES, _env_updated, lambda *args: []))
