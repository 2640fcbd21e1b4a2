"""Furo's sidebar navigation at linear cost, served once, and never stale.

Furo renders the sidebar of every page by resolving the whole global toctree for that page
(Sphinx deep-copies it) and re-parsing the HTML with BeautifulSoup, so a full build grows with
the square of the page count, and every page carries the whole tree. The tree is the same on
every page; only three things differ: which entries are ``current`` (the page and its
ancestors), the ``href`` of each entry (relative to the page), and which checkboxes are checked.
So we let Furo render the tree once per build, for the root page (where nothing is current), cut
that HTML into a template at exactly those places, and fill the template in for each page with
plain string operations.

Each page carries only the part of the tree a reader sees: every branch on the way to the page
is open, exactly as Furo shows it; a closed branch keeps its link and its toggle but not its
hidden list of children. The whole tree is written once, to ``_static/handbook-navigation.html``,
and ``static/handbook.js`` fills a closed branch in from it when a reader opens one. So a
page's HTML, and the cost of writing it, depend on what the page shows, not on the size of the
handbook. Before a reader opens anything, the sidebar is Furo's own HTML minus the hidden lists
(``tests/test_navigation.py`` compares every page of a test project with stock Furo, and, in
the browser, the filled-in tree with Furo's whole tree). If a Furo upgrade changes the HTML this
relies on, the template no longer lines up with the toctree, and the build stops with a
``handbook.navigation`` warning instead of guessing; Furo is pinned exactly for that reason.

The second fix: Sphinx rewrites only the pages it re-read, so after a page is added, removed or
retitled every other page would keep a sidebar without it. When the toctree's shape or titles
change, ``env-updated`` returns every page for rewriting, which is cheap now.

``handbook_fast_navigation = False`` switches back to Furo's own computation (for the
benchmark and the equivalence test).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import furo
from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.environment.adapters.toctree import global_toctree_for_doc
from sphinx.errors import ExtensionError

from .shared import HTML_BUILDERS, upstream_changed, warn

FURO_VERSION = "2025.12.19"  # the HTML structure below was checked against this release

# The pieces of Furo's navigation HTML that differ from page to page.
_SLOT = re.compile(
    r'(?P<li><li class="(?P<li_classes>[^"]*)">)'
    r'|(?P<a><a class="reference (?P<a_kind>internal|external)" href="(?P<href>[^"]*)">)'
    r'|(?P<input><input aria-label="(?P<aria>[^"]*)" class="toctree-checkbox"(?P<rest>[^>]*)>)'
    r"|(?P<ul><ul>)"
)


@dataclass
class Entry:
    level: int  # the N of toctree-lN
    docname: str | None  # None for an external link
    parent: int | None  # index of the parent entry
    parent_list: int  # index of the <ul> that holds it
    children: bool = False


@dataclass
class Template:
    parts: list  # strings, and ("li"|"a"|"input"|"ul", index, ...) slots
    entries: list[Entry]
    list_owner: list[int | None]  # for each <ul>: the entry it is the children of (None: top level)
    root: str
    by_doc: dict[str, list[int]] = field(default_factory=dict)
    # For the part that opens an entry's child list: the part just after the list closes.
    list_end: dict[int, int] = field(default_factory=dict)


def _entries(env, builder, toctree: nodes.Element, root: str) -> tuple[list[Entry], list[int | None]]:
    """The entries of the resolved global toctree in document order, and the owner of each list."""
    uri_to_doc = {builder.get_relative_uri(root, docname): docname for docname in env.all_docs}
    entries: list[Entry] = []
    list_owner: list[int | None] = []

    def walk_list(node: nodes.bullet_list, parent: int | None, level: int) -> None:
        index = len(list_owner)
        list_owner.append(parent)
        for item in node.children:
            if not isinstance(item, nodes.list_item):
                continue
            reference = next(item.findall(nodes.reference))
            internal = reference.get("internal", False) or not re.match(r"^[a-z]+://", reference["refuri"])
            entry = Entry(level, uri_to_doc.get(reference["refuri"]) if internal else None, parent, index)
            entries.append(entry)
            me = len(entries) - 1
            for child in item.children:
                if isinstance(child, nodes.bullet_list):
                    entry.children = True
                    walk_list(child, me, level + 1)

    for child in toctree.children:
        if isinstance(child, nodes.bullet_list):
            walk_list(child, None, 1)
    return entries, list_owner


def _build_template(app: Sphinx) -> Template | None:
    env, builder = app.env, app.builder
    root = app.config.root_doc
    # Exactly what Furo asks Sphinx for, once, for the root page (not in its own toctree).
    resolved = global_toctree_for_doc(
        env, root, builder, tags=builder.tags, collapse=False, titles_only=True, maxdepth=-1, includehidden=True
    )
    if resolved is None:
        return None
    html = furo.navigation.get_navigation_tree(builder.render_partial(resolved)["fragment"])
    entries, list_owner = _entries(env, builder, resolved, root)

    parts: list = []
    counts = {"li": 0, "a": 0, "input": 0, "ul": 0}
    checkbox_owner = [i for i, entry in enumerate(entries) if entry.children]
    open_lists: list[int] = []  # parts that opened the lists not closed yet
    list_end: dict[int, int] = {}

    def text(chunk: str) -> None:
        # Each "</ul>" is a part of its own, so that a closed branch's list can be skipped whole.
        for piece in re.split(r"(</ul>)", chunk):
            if piece == "</ul>" and open_lists:
                parts.append(piece)
                list_end[open_lists.pop()] = len(parts)
            elif piece:
                parts.append(piece)

    position = 0
    for match in _SLOT.finditer(html):
        text(html[position : match.start()])
        position = match.end()
        kind = next(k for k in counts if match.group(k))
        index = counts[kind]
        counts[kind] += 1
        if kind == "input":
            parts.append(
                (
                    "input",
                    checkbox_owner[index] if index < len(checkbox_owner) else -1,
                    match.group("aria"),
                    match.group("rest"),
                )
            )
        elif kind == "a":
            parts.append(("a", index, match.group("a_kind"), match.group("href")))
        else:
            if kind == "ul":
                open_lists.append(len(parts))
            parts.append((kind, index))
    text(html[position:])

    expected = {"li": len(entries), "a": len(entries), "input": len(checkbox_owner), "ul": len(list_owner)}
    if counts != expected or open_lists or len(list_end) != len(list_owner):
        warn(
            "navigation",
            f"Furo's navigation HTML no longer matches the toctree (found {counts}, expected {expected}); "
            f"the fast navigation was written for Furo {FURO_VERSION} and is switched off for this build. "
            "Update handbook/navigation.py for the new Furo, or pin Furo back.",
        )
        return None
    template = Template(parts, entries, list_owner, root, list_end=list_end)
    for index, entry in enumerate(entries):
        if entry.docname:
            template.by_doc.setdefault(entry.docname, []).append(index)
    return template


def render(template: Template, builder, pagename: str, whole: bool = False) -> str:
    """The sidebar of ``pagename``: Furo's HTML, without the lists of closed branches unless
    ``whole``. The work is proportional to the entries written, not to the whole tree."""
    entries = template.entries
    current: set[int] = set()
    for first in template.by_doc.get(pagename, []):
        index: int | None = first
        while index is not None and index not in current:
            current.add(index)
            index = entries[index].parent
    current_lists = {entries[index].parent_list for index in current}
    last_current = max(current) if current else None

    out = []
    parts = template.parts
    position = 0
    while position < len(parts):
        part = parts[position]
        position += 1
        if isinstance(part, str):
            out.append(part)
            continue
        kind = part[0]
        if kind == "li":
            index = part[1]
            entry = entries[index]
            classes = [f"toctree-l{entry.level}"]
            if index in current:
                classes.append("current")
            if entry.children:
                classes.append("has-children")
            if index == last_current:
                classes.append("current-page")
            out.append(f'<li class="{" ".join(classes)}">')
        elif kind == "a":
            _, index, link_kind, href = part
            docname = entries[index].docname
            if docname is None:
                out.append(f'<a class="reference {link_kind}" href="{href}">')
            elif docname == pagename:
                out.append('<a class="current reference internal" href="#">')
            else:
                out.append(f'<a class="reference {link_kind}" href="{builder.get_relative_uri(pagename, docname)}">')
        elif kind == "input":
            _, index, aria, rest = part
            checked = ' checked=""' if index in current else ""
            out.append(f'<input aria-label="{aria}"{checked} class="toctree-checkbox"{rest}>')
        else:  # ul
            owner = template.list_owner[part[1]]
            if not whole and owner is not None and owner not in current:
                position = template.list_end[position - 1]  # a closed branch: skip its hidden list
                continue
            out.append('<ul class="current">' if part[1] in current_lists else "<ul>")
    return "".join(out)


# -- wiring ----------------------------------------------------------------------------------

_TEMPLATES: dict[int, Template | None] = {}
_furo_compute: Callable[[dict], str] | None = getattr(furo, "_compute_navigation_tree", None)


def _page_part(env, docname: str) -> bytes:
    """What one page adds to the sidebar: its name, its title's markup (a title's <code> shows in
    the sidebar) and its toctrees' captions and entries."""
    digest = hashlib.sha256(docname.encode() + b"\0")
    if docname in env.titles:
        digest.update(env.titles[docname].pformat().encode() + b"\0")
    for toctree in env.tocs.get(docname, nodes.Element()).findall(addnodes.toctree):
        digest.update(repr((toctree.get("caption"), toctree.get("entries"), toctree.get("hidden"))).encode())
    return digest.digest()


def _fingerprint(env, root: str) -> str:
    """What the sidebar depends on: the toctree structure, captions and the titles in it. Each
    page's part is kept in the environment and computed again only after the page was read again
    (_forget_page), so a rebuild of one page does not walk a thousand titles and toctrees."""
    parts = env.__dict__.setdefault("handbook_navigation_parts", {})
    digest = hashlib.sha256()

    def visit(docname: str, seen: set[str]) -> None:
        if docname in seen:
            return
        seen.add(docname)
        if docname not in parts:
            parts[docname] = _page_part(env, docname)
        digest.update(parts[docname])
        for child in env.toctree_includes.get(docname, []):
            visit(child, seen)

    visit(root, set())
    return digest.hexdigest()


def _forget_page(app: Sphinx, env, docname: str) -> None:
    """A page about to be read again, or removed: its part of the fingerprint is stale."""
    env.__dict__.get("handbook_navigation_parts", {}).pop(docname, None)


def _env_updated(app: Sphinx, env) -> list[str]:
    """Rewrite every page when the sidebar's content changed, so no page keeps a stale one."""
    fingerprint = _fingerprint(env, app.config.root_doc)
    previous = getattr(env, "handbook_navigation_fingerprint", None)
    env.handbook_navigation_fingerprint = fingerprint
    if previous is not None and previous != fingerprint:
        return sorted(env.found_docs)
    return []


def accessible(navigation_html: str) -> str:
    """Give toctree captions the heading level ARIA requires of role="heading" (axe:
    aria-required-attr); applied to the fast and the stock navigation alike."""
    caption = '<p class="caption" role="heading">'
    if 'class="caption"' in navigation_html and caption not in navigation_html:
        raise upstream_changed(
            "Furo",
            "its toctree captions are no longer written as " + caption,
            "Update accessible() in _ext/handbook/navigation.py",
        )
    return navigation_html.replace(caption, '<p aria-level="2" class="caption" role="heading">')


def _patched_compute(app: Sphinx):
    furo_compute = _furo_compute
    assert furo_compute is not None  # _builder_inited checked it

    def compute(context: dict) -> str:
        builder = app.builder
        if not app.config.handbook_fast_navigation or "toctree" not in context or builder.name not in HTML_BUILDERS:
            return accessible(furo_compute(context))
        template = _template(app)
        if template is None:
            return accessible(furo_compute(context))
        return accessible(render(template, builder, context["pagename"]))

    return compute


def _template(app: Sphinx) -> Template | None:
    """This build's template: built once per process, or loaded from the previous build's when
    the toctree has not changed since (at 1,000 pages, building it takes about a second of an
    incremental build that writes two pages)."""
    key = id(app.env)
    if key not in _TEMPLATES:
        cache = Path(app.doctreedir) / f"handbook-navigation-{app.builder.name}.pickle"
        identity = (
            FURO_VERSION,
            getattr(app.env, "handbook_navigation_fingerprint", None),
            app.config.root_doc,
            app.config.html_file_suffix,
            app.config.html_link_suffix,
        )
        try:
            cached_identity, template = pickle.loads(cache.read_bytes())
        except (OSError, pickle.PickleError, EOFError, ValueError, AttributeError, TypeError):
            cached_identity, template = None, None
        if cached_identity != identity or identity[1] is None:
            template = _build_template(app)
            if template is not None and identity[1] is not None:
                temporary = cache.with_suffix(f".{os.getpid()}.tmp")  # parallel writers race here
                temporary.write_bytes(pickle.dumps((identity, template)))
                os.replace(temporary, cache)
        _TEMPLATES[key] = template
    return _TEMPLATES[key]


TREE_FILE = "handbook-navigation.html"  # the whole tree, hrefs relative to the root, in _static


def _uses_fast_navigation(app: Sphinx) -> bool:
    return app.config.html_theme == "furo" and app.config.handbook_fast_navigation and app.builder.name in HTML_BUILDERS


def _builder_inited(app: Sphinx) -> None:
    _TEMPLATES.clear()  # a new build (or a rebuild in the same process) starts afresh
    if app.config.html_theme != "furo":
        return
    if furo.__version__ != FURO_VERSION or not callable(_furo_compute):
        raise ExtensionError(
            f"handbook.navigation was written for Furo {FURO_VERSION}, found {furo.__version__}: "
            "check that its navigation HTML is unchanged (tests/test_navigation.py), then update FURO_VERSION"
        )
    # Furo's page-context handler looks this function up on its module at call time.
    furo._compute_navigation_tree = _patched_compute(app)


def _build_finished(app: Sphinx, exception: Exception | None) -> None:
    """Write the whole tree once, for the script to fill closed branches in from."""
    if exception is not None or not _uses_fast_navigation(app):
        return
    template = _template(app)  # parallel writers built theirs in other processes
    if template is not None:
        tree = accessible(render(template, app.builder, app.config.root_doc, whole=True))
        target = Path(app.outdir) / "_static" / TREE_FILE
        if not target.exists() or target.read_text(encoding="utf-8") != tree:
            target.write_text(tree, encoding="utf-8")


def setup_navigation(app: Sphinx) -> None:
    app.add_config_value("handbook_fast_navigation", True, "html", types=[bool])
    app.connect("builder-inited", _builder_inited)
    app.connect("env-purge-doc", _forget_page)
    app.connect("env-updated", _env_updated)
    app.connect("build-finished", _build_finished)
