"""Knowledge-base features: tags, backlinks ("Referenced by") and related pages.

While a page is read we record what it says about itself (tags, word count) and the raw
cross-references it makes. Once every page is read (``env-updated``), the references are
resolved against the standard domain into page-to-page links, from which backlinks and related
pages follow. Pages whose backlinks, related pages or tag listings changed are returned for
rewriting, so an incremental build that re-read only page A still refreshes page B's
"Referenced by" when A gained or lost a link to B.

The per-page data lives in ``env.handbook_pages`` (purged and merged, so parallel reading and
incremental builds stay correct); the derived link graph in ``env.handbook_graph``.

Output, without writing anything into the source tree:

* each page's template context gets ``handbook_tags``, ``handbook_backlinks`` and
  ``handbook_related`` (rendered by ``_templates/page.html``);
* the ``{handbook-tag-index}`` directive (in ``tags/index.md``) lists every tag with its pages;
* one page per tag, ``tags/<tag>.html``, is generated through ``html-collect-pages``.
"""

from __future__ import annotations

import heapq
import html
import posixpath
from collections import Counter
from dataclasses import dataclass, field

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from .frontmatter import page_tags
from .shared import HTML_BUILDERS, page_title, page_uri, remove_nodes, when_enabled

logger = logging.getLogger(__name__)

MAX_RELATED = 5
TAG_INDEX = "tags/index"
TAG_LISTING_WEIGHT = 0.2  # Pagefind weight of a tag page's list of pages (1 is ordinary text)


@dataclass
class PageInfo:
    tags: list[str]
    words: int
    refs: list[tuple[str, str]] = field(default_factory=list)  # (kind, target) as written
    # The parts of the graph the page summarises (tag index, health report): it is rewritten
    # when one of them changes.
    summary: tuple[str, ...] = ()


class summary_placeholder(nodes.General, nodes.Element):
    """Base of the nodes that summarise every page; filled in after all pages are read."""

    shows: tuple[str, ...] = ()  # the Graph fields the summary is made of


@dataclass
class Graph:
    links: dict[str, set[str]]  # page -> pages it links to
    backlinks: dict[str, list[str]]  # page -> pages linking to it
    related: dict[str, list[str]]
    tagged: dict[str, list[str]]  # tag -> pages
    # page -> what the summaries (health report) show of it besides links and tags
    facts: dict[str, tuple] = field(default_factory=dict)
    order: dict[str, tuple[str, str]] = field(default_factory=dict)  # page -> its sort key (title)


# -- reading ------------------------------------------------------------------------------------


def _raw_refs(docname: str, doctree: nodes.document) -> list[tuple[str, str]]:
    refs = []
    for xref in doctree.findall(addnodes.pending_xref):
        kind, target = xref.get("reftype"), xref.get("reftarget", "")
        if kind == "doc":
            target = (
                target[1:]
                if target.startswith("/")
                else posixpath.normpath(posixpath.join(posixpath.dirname(docname), target))
            )
            refs.append(("doc", target))
        elif kind in ("ref", "term", "myst"):
            refs.append((kind, target))
    return refs


def _word_count(doctree: nodes.document) -> int:
    words = 0
    for text in doctree.findall(nodes.Text):
        if not isinstance(text.parent, (nodes.literal_block, nodes.raw, nodes.comment)):
            words += len(text.astext().split())
    return words


def _page_read(app: Sphinx, doctree: nodes.document) -> None:
    env = app.env
    env.handbook_pages[env.docname] = PageInfo(
        tags=page_tags(env.metadata[env.docname]),
        words=_word_count(doctree),
        refs=_raw_refs(env.docname, doctree),
        summary=tuple(sorted({part for node in doctree.findall(summary_placeholder) for part in node.shows})),
    )


def _builder_inited(app: Sphinx) -> None:
    if not hasattr(app.env, "handbook_pages"):
        app.env.handbook_pages = {}


def _purge(app: Sphinx, env, docname: str) -> None:
    env.handbook_pages.pop(docname, None)


def _merge(app: Sphinx, env, docnames: set[str], other) -> None:
    for docname in docnames:
        if docname in other.handbook_pages:  # none with -D handbook_knowledge=0
            env.handbook_pages[docname] = other.handbook_pages[docname]


# -- the link graph -----------------------------------------------------------------------------


def _glossary_terms(env) -> dict[str, str]:
    """Each glossary term, lowercased as {term} resolves it, -> the page that defines it (from the
    standard domain's public object list)."""
    return {
        name.lower(): docname
        for name, _, kind, docname, _, _ in env.domains.standard_domain.get_objects()
        if kind == "term"
    }


def _resolve(env, kind: str, target: str, terms: dict[str, str]) -> str | None:
    """The page a raw reference points to, or None (external, unknown or broken)."""
    std = env.domains.standard_domain
    if kind == "doc":
        return target if target in env.all_docs else None
    if kind == "ref":
        label = std.labels.get(target.lower()) or std.anonlabels.get(target.lower())
        return label[0] if label else None
    if kind == "term":
        return terms.get(target.lower())
    if kind == "myst":  # [text](page.md) or [text](page.md#anchor)
        path = target.split("#", 1)[0]
        for suffix in (".md", ".rst"):
            path = path.removesuffix(suffix)
        candidate = path.lstrip("/")
        return candidate if candidate in env.all_docs else None
    return None


def build_graph(env, old: Graph | None = None) -> Graph:
    """The graph of the pages as read; what did not change is taken over from ``old``."""
    pages = env.handbook_pages
    links: dict[str, set[str]] = {}
    terms = _glossary_terms(env)
    for docname, info in pages.items():
        resolved = (_resolve(env, kind, target, terms) for kind, target in info.refs)
        links[docname] = {target for target in resolved if target is not None and target != docname}

    incoming: dict[str, set[str]] = {docname: set() for docname in pages}
    for source, targets in links.items():
        for target in targets:
            incoming.setdefault(target, set()).add(source)

    # Sort keys, computed once: a title's text is walked out of its node tree on every call.
    order = {doc: (page_title(env, doc).lower(), doc) for doc in env.all_docs}

    def key(docname: str) -> tuple[str, str]:
        return order.get(docname, (docname, docname))

    backlinks = {doc: sorted(sources, key=key) for doc, sources in incoming.items()}

    tagged: dict[str, list[str]] = {}
    for docname in sorted(pages):
        for tag in pages[docname].tags:
            tagged.setdefault(tag, []).append(docname)

    if old is not None and old.tagged == tagged and old.order == order:
        related = old.related  # the same tags and titles give the same related pages
    else:
        related = {}
        for docname, info in pages.items():
            shared = Counter(other for tag in info.tags for other in tagged.get(tag, []) if other != docname)
            related[docname] = heapq.nsmallest(MAX_RELATED, shared, key=lambda other: (-shared[other], key(other)))
    facts = {
        doc: (info.words, *(str(env.metadata.get(doc, {}).get(key, "")) for key in ("reviewed", "owner")))
        for doc, info in pages.items()
    }
    return Graph(links, backlinks, related, tagged, facts, order)


def _env_updated(app: Sphinx, env) -> list[str]:
    """Recompute the graph; return the unchanged pages whose rendered neighbourhood changed."""
    old = getattr(env, "handbook_graph", None)
    env.handbook_graph = new = build_graph(env, old)
    if old is None:
        return []
    changed = {
        doc
        for doc in env.handbook_pages
        if old.backlinks.get(doc) != new.backlinks.get(doc) or old.related.get(doc) != new.related.get(doc)
    }
    # Generated listings (tags, health) summarise every page.
    moved = {part for part in ("tagged", "links", "facts") if getattr(old, part) != getattr(new, part)}
    changed |= {doc for doc, info in env.handbook_pages.items() if moved & set(info.summary)}
    return sorted(changed)


# -- output ------------------------------------------------------------------------------------


def _page_context(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    env = app.env
    graph = getattr(env, "handbook_graph", None)
    if graph is None or pagename not in env.handbook_pages:
        return
    context["handbook_tags"] = [
        (tag, page_uri(app, pagename, f"tags/{tag}")) for tag in env.handbook_pages[pagename].tags
    ]
    context["handbook_backlinks"] = [
        (page_title(env, doc), page_uri(app, pagename, doc)) for doc in graph.backlinks.get(pagename, [])
    ]
    context["handbook_related"] = [
        (page_title(env, doc), page_uri(app, pagename, doc)) for doc in graph.related.get(pagename, [])
    ]


def _description(env, docname: str) -> str:
    return str(env.metadata.get(docname, {}).get("description", "")).strip()


class tag_index(summary_placeholder):
    """Placeholder for the tag index."""

    shows = ("tagged",)


class TagIndexDirective(SphinxDirective):
    def run(self) -> list[nodes.Node]:
        return [tag_index()]


def _link(app: Sphinx, fromdoc: str, todoc: str, text: str) -> nodes.reference:
    return nodes.reference("", text, internal=True, refuri=page_uri(app, fromdoc, todoc))


def _fill_tag_index(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    env = app.env
    vocabulary = app.config.handbook_tags
    for placeholder in list(doctree.findall(tag_index)):
        graph = env.handbook_graph
        container = nodes.container(classes=["handbook-tag-index"])
        for tag in sorted(vocabulary):
            pages = graph.tagged.get(tag, [])
            # A container, not a section: a <section> needs a heading, and a rubric is not one.
            section = nodes.container(ids=[f"tag-{tag}"], classes=["handbook-tag-entry"])
            heading = nodes.rubric("", "", classes=["handbook-tag-heading"])
            heading += _link(app, docname, f"tags/{tag}", tag)
            heading += nodes.Text(f" ({len(pages)} page{'s' if len(pages) != 1 else ''})")
            section += heading
            section += nodes.paragraph(vocabulary[tag], vocabulary[tag])
            items = nodes.bullet_list()
            for page in sorted(pages, key=lambda d: page_title(env, d).lower()):
                paragraph = nodes.paragraph()
                paragraph += _link(app, docname, page, page_title(env, page))
                items += nodes.list_item("", paragraph)
            if pages:
                section += items
            container += section
        placeholder.replace_self(container)


def _tag_pages(app: Sphinx):
    """One generated page per tag (HTML builders only: they have no source to read)."""
    if app.builder.name not in HTML_BUILDERS:
        return
    env = app.env
    graph = env.handbook_graph
    for tag, description in sorted(app.config.handbook_tags.items()):
        pagename = f"tags/{tag}"
        rows = []
        for page in sorted(graph.tagged.get(tag, []), key=lambda d: page_title(env, d).lower()):
            rows.append(
                f'<li><a class="reference internal" href="{html.escape(page_uri(app, pagename, page))}">'
                f"{html.escape(page_title(env, page))}</a>"
                f'<br><span class="handbook-tag-description">{html.escape(_description(env, page))}</span></li>'
            )
        # Searchable like a page with a source (page.html marks those), with the listing weighted
        # low so that a search for a topic finds the tag page without outranking the pages in it.
        body = (
            f'<div data-pagefind-body data-pagefind-meta="description:{html.escape(description)}">'
            f'<section id="tag-{html.escape(tag)}"><h1>Pages tagged “{html.escape(tag)}”</h1>'
            f"<p>{html.escape(description)}</p>"
            + (
                f'<ul class="handbook-tag-pages" data-pagefind-weight="{TAG_LISTING_WEIGHT}">{"".join(rows)}</ul>'
                if rows
                else "<p>No pages yet.</p>"
            )
            + f'<p><a class="reference internal" href="{html.escape(page_uri(app, pagename, TAG_INDEX))}">'
            "All tags</a></p></section></div>"
        )
        yield (
            pagename,
            {
                "title": f"Pages tagged “{tag}”",
                "body": body,
                "parents": [],
                "metatags": f'<meta name="description" content="{html.escape(description)}" />',
            },
            "page.html",
        )


def _doctree_resolved(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    _fill_tag_index(app, doctree, docname)


def setup_knowledge(app: Sphinx) -> None:
    # Tags, backlinks, related pages, the tag pages and index (and the health report, built on them).
    app.add_config_value("handbook_knowledge", True, "env", types=[bool])
    app.add_node(tag_index)
    app.add_directive("handbook-tag-index", TagIndexDirective)
    app.connect("builder-inited", _builder_inited)
    app.connect("doctree-read", when_enabled("handbook_knowledge", _page_read))
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("env-updated", when_enabled("handbook_knowledge", _env_updated, lambda *args: []))
    app.connect("html-page-context", when_enabled("handbook_knowledge", _page_context))
    app.connect("doctree-resolved", when_enabled("handbook_knowledge", _doctree_resolved, remove_nodes(tag_index)))
    app.connect("html-collect-pages", when_enabled("handbook_knowledge", _tag_pages, lambda *args: []))
