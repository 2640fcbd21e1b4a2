"""``llms.txt`` and ``llms-full.txt``, for tools and assistants that read the handbook.

``llms.txt`` follows the llmstxt.org layout: the title, a one-paragraph summary, then one list
per section with a link to each page's Markdown source and its front-matter description.
``llms-full.txt`` is every page's Markdown, front matter removed, in reading (toctree) order.

Both are written once at the end of an HTML build from the environment, so they are the same
for serial and parallel builds. Why not sphinx-llms-txt (0.7.1, parallel-safe): its llms.txt is
one flat "Docs" list of titles, with no description per link and no sections, and its
llms-full.txt keeps each page's front matter.
"""

from __future__ import annotations

import re
from pathlib import Path

from sphinx.application import Sphinx

from .shared import HTML_BUILDERS, page_title

FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.S)


def reading_order(env, root: str) -> list[str]:
    """Every document in toctree order, depth first, starting at ``root``."""
    seen: dict[str, None] = {}  # an ordered set

    def visit(docname: str) -> None:
        if docname in seen or docname not in env.all_docs:
            return
        seen[docname] = None
        for child in env.toctree_includes.get(docname, []):
            visit(child)

    visit(root)
    return [*seen, *sorted(set(env.all_docs) - seen.keys())]


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>])")


def _markdown_text(text: str) -> str:
    """Page text as literal Markdown (a title such as "Loading `<script>` tags" stays text)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _source_url(app: Sphinx, docname: str, source: Path) -> str:
    return f"{app.config.html_baseurl.rstrip('/')}/_sources/{docname}{source.suffix}.txt"


def write_llms_files(app: Sphinx, exception) -> None:
    if exception is not None or app.builder.name not in HTML_BUILDERS:
        return
    if not app.config.handbook_llms:  # none rather than stale ones
        for name in ("llms.txt", "llms-full.txt"):
            Path(app.outdir, name).unlink(missing_ok=True)
        return
    env = app.env
    order = reading_order(env, app.config.root_doc)
    sources = {docname: env.doc2path(docname) for docname in order}
    summary = str(env.metadata[app.config.root_doc].get("description", "")).strip()

    groups: dict[str, list[str]] = {}  # top-level folder ("" for the root) -> its pages, in order
    for docname in order:
        groups.setdefault(docname.split("/", 1)[0] if "/" in docname else "", []).append(docname)

    lines = [f"# {app.config.project}", "", f"> {summary}"]
    for folder, docnames in groups.items():
        heading = page_title(env, f"{folder}/index") if folder else "Start here and reference"
        lines += ["", f"## {_markdown_text(heading)}", ""]
        for docname in docnames:
            description = str(env.metadata[docname].get("description", "")).strip()
            lines.append(
                f"- [{_markdown_text(page_title(env, docname))}]"
                f"({_source_url(app, docname, sources[docname])}): {_markdown_text(description)}"
            )
    Path(app.outdir, "llms.txt").write_text("\n".join(lines).strip() + "\n", encoding="utf-8")

    parts = []
    for docname in order:
        text = sources[docname].read_text(encoding="utf-8")
        source = _source_url(app, docname, sources[docname])
        parts.append(f"<!-- {docname}: {source} -->\n\n" + FRONT_MATTER.sub("", text).strip())
    Path(app.outdir, "llms-full.txt").write_text("\n\n".join(parts) + "\n", encoding="utf-8")


def setup_llms(app: Sphinx) -> None:
    # llms-full.txt reads every page's source again: 50 ms of each save in a preview of 1,000
    # pages, which may pass -D handbook_llms=0.
    app.add_config_value("handbook_llms", True, "", types=[bool])
    app.connect("build-finished", write_llms_files)
