"""Sphinx configuration for the back-end engineering handbook.

The handbook's own features (front-matter checks, executable examples, ...) live in the
local extension package ``_ext/handbook``. Everything here is plain configuration, grouped by
purpose; no network access, no files written at import time.
"""

import contextlib
import io
import os
import sys
from pathlib import Path

# The local extension package sits next to this file; resolve it from __file__, not the cwd,
# so builds started from anywhere (tests, Read the Docs) find it.
HERE = Path(__file__).parent.resolve()
sys.path.insert(0, str(HERE / "_ext"))

# -- Project information ------------------------------------------------------------------

project = "Back-end Engineering Handbook"
author = "The handbook authors"
copyright = "2026, the handbook authors"
version = release = "living edition"  # one edition, always current (EPUB needs a value)
html_title = "Back-end Engineering Handbook"

# Set once for your fork: the repository that "Edit this page" links point into.
# Read the Docs passes its clone URL; locally, export HANDBOOK_REPOSITORY_URL or edit here.
repository_url = os.environ.get("HANDBOOK_REPOSITORY_URL", "")
if not repository_url and os.environ.get("READTHEDOCS_GIT_CLONE_URL", "").startswith("https://"):
    repository_url = os.environ["READTHEDOCS_GIT_CLONE_URL"].removesuffix(".git")
repository_branch = os.environ.get("HANDBOOK_REPOSITORY_BRANCH", "main")

# -- General configuration ----------------------------------------------------------------

extensions = [
    # Third party: authoring
    "myst_parser",
    "sphinx_design",
    "sphinxcontrib.mermaid",
    # Third party: what readers expect of a documentation site
    "sphinx_copybutton",
    "sphinxext.opengraph",
    "sphinx_sitemap",
    "notfound.extension",
    "sphinx_reredirects",
    "sphinx_last_updated_by_git",
    # Local: the handbook's own features
    "handbook",
]

# conf.py lives at the repository root, so everything that is not content must be excluded,
# or Sphinx reads test fixtures and READMEs as pages.
exclude_patterns = [
    "_build",
    ".*",  # .venv, .git, .ci, .pytest_cache, ...
    "venv",
    "node_modules",
    "tests",
    "_ext",
    "tools",  # the benchmark and the reports for upstream projects (tools/upstream)
    "README.md",
    # Also the static copy's: the vendored scripts (_static/vendor, 20 MB) are copied by the
    # extension when they change, not compared byte by byte on every build (handbook.assets).
    "**/vendor",
]
templates_path = ["_templates"]

nitpicky = True  # Read the Docs never passes -n; broken references must still fail there.
show_warning_types = True
suppress_warnings = []
if os.environ.get("HANDBOOK_ALLOW_SHALLOW_GIT") == "1":
    # Only set by .ci/run when a shallow clone cannot be deepened (see .readthedocs.yaml).
    suppress_warnings.append("git.too_shallow")
today_fmt = "%Y-%m-%d"

# -- Options for MyST ---------------------------------------------------------------------

myst_enable_extensions = [
    "attrs_block",
    "attrs_inline",
    "colon_fence",
    "deflist",
    "fieldlist",
    "substitution",
    "tasklist",
]
myst_heading_anchors = 3

# -- Options for HTML output (Furo) -------------------------------------------------------

html_theme = "furo"
html_static_path = ["_static"]
html_css_files = ["handbook.css"]
html_logo = "_static/logo.svg"
html_favicon = "_static/logo.svg"  # the same file: one download for both
html_copy_source = True  # llms.txt links to the Markdown sources under _sources/
html_show_sourcelink = False
html_last_updated_fmt = "%Y-%m-%d"  # filled per page from git by sphinx-last-updated-by-git
git_untracked_show_sourcelink = True  # keep _sources (llms.txt links there) for pages not yet committed

# The published address, for canonical links, the sitemap and link previews. Read the Docs
# passes it; a local build points at `make livehtml`'s server.
html_baseurl = os.environ.get("READTHEDOCS_CANONICAL_URL") or os.environ.get(
    "HANDBOOK_SITE_URL", "http://127.0.0.1:8000/"
)

html_theme_options = {
    "light_css_variables": {
        "color-brand-primary": "#1f5f8b",
        "color-brand-content": "#1f5f8b",
        "color-brand-visited": "#5a3d8a",
    },
    "dark_css_variables": {
        "color-brand-primary": "#7cc4f4",
        "color-brand-content": "#7cc4f4",
        "color-brand-visited": "#c3a6f0",
    },
    "navigation_with_keys": True,
}
if repository_url:
    html_theme_options |= {
        "source_repository": repository_url + "/",
        "source_branch": repository_branch,
        "source_directory": "",
    }

# -- Options for reader features -------------------------------------------------------

# Copy buttons: skip prompts and console output, and never put one on an example's output.
copybutton_selector = "div.highlight > pre:not(.handbook-example-output *)"  # CSS Selectors 4 :not()
copybutton_prompt_text = r"\$ |>>> |\.\.\. |# "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True

# Link previews. The page's front-matter description becomes og:description (set by the
# extension); <meta name="description"> is written by the extension too, so not twice here.
ogp_site_url = html_baseurl
ogp_site_name = project
ogp_image = "_static/og-image.png"
ogp_image_alt = "Back-end Engineering Handbook"
ogp_social_cards = {"enable": False}  # needs matplotlib fonts and network-free rendering we don't need
# sphinxext-opengraph imports matplotlib for those cards whenever it is installed (the Python
# examples install it): 0.4-0.9 s of every build, a third of a `make livehtml` rebuild. Import it
# as if matplotlib were absent (it then prints a notice, which we swallow).
sys.modules.setdefault("sphinxext.opengraph._social_cards", None)
with contextlib.redirect_stdout(io.StringIO()):
    import sphinxext.opengraph  # noqa: E402, F401
ogp_enable_meta_description = False
ogp_custom_meta_tags = ['<meta name="twitter:card" content="summary_large_image" />']

# Sitemap with clean, version-free URLs (html_baseurl already carries language/version).
sitemap_url_scheme = "{link}"
# <lastmod> per page: the date of the last commit that changed the page or a file it includes,
# from sphinx-last-updated-by-git (the dates pages show as "Last updated"). Generated tag pages
# have no source, so no date.
sitemap_show_lastmod = True
sitemap_excludes = ["search.html", "genindex.html", "404.html"]

# Site search: what readers type for a thing, and the word the pages use for it. The search page
# searches for the page's word instead (_ext/handbook/search.py, _templates/search.html).
handbook_search_synonyms = {
    "pg": "postgresql",
    "postgres": "postgresql",
    "psql": "postgresql",
    "k8s": "kubernetes",
    "es": "elasticsearch",
    "elastic": "elasticsearch",
    "ddb": "dynamodb",
    "dynamo": "dynamodb",
    "mongo": "mongodb",
    "rmq": "rabbitmq",
    "memcache": "memcached",
    "httpd": "apache",
    "post-mortem": "postmortem",
    "99th": "p99",
}

# The 404 page: absolute asset URLs, so it renders at any depth. On Read the Docs pages live
# under /<language>/<version>/.
notfound_urls_prefix = (
    f"/{os.environ['READTHEDOCS_LANGUAGE']}/{os.environ['READTHEDOCS_VERSION']}/"
    if "READTHEDOCS_VERSION" in os.environ
    else "/"
)
notfound_context = {
    "title": "Page not found",
    "body": """
<h1>Page not found</h1>
<p>The page you asked for is not in the handbook, or it has moved. Try the search box, or start
from one of the sections:</p>
<ul>
  <li><a href="{prefix}essays/index.html">Essays</a>: the long-form arguments</li>
  <li><a href="{prefix}skills/index.html">Skills</a>: one page per technology</li>
  <li><a href="{prefix}engineering-practices/index.html">Engineering practices</a>: how we work</li>
  <li><a href="{prefix}case-studies/index.html">Case studies</a>: real incidents, analysed</li>
  <li><a href="{prefix}glossary.html">Glossary</a></li>
</ul>
""".replace("{prefix}", notfound_urls_prefix),
}

# Pages that moved: old docname -> new page, relative to the old page. Add a line, with the
# reason, whenever a page is renamed, so that old links and bookmarks keep working.
redirects = {
    "skills/postgres": "postgresql.html",  # the short name readers type
    "essays/caching": "nosql-caches.html",  # the caching essay's working title
}
# The stub each old name gets: sphinx-reredirects' default has no doctype, title or body (invalid
# HTML, and a blank page when scripts and meta refresh are off); ours links to the new page.
redirect_html_template_file = "_templates/redirect.html"

# Mermaid diagrams, served from the site itself (a vendored copy from npm), never a CDN.
mermaid_use_local = "vendor/mermaid/mermaid.esm.min.mjs"
# The vendored copy's version, written by `make vendor-mermaid` (the Makefile reads the same file).
mermaid_version = (HERE / "_static" / "vendor" / "mermaid" / "VERSION").read_text(encoding="utf-8").strip()
mermaid_height = "auto"  # the default 500px box squashes tall diagrams and pads flat ones
mermaid_fullscreen = False  # its button glyph renders as a missing-glyph box in common fonts
myst_fence_as_directive = ["mermaid"]


# -- Options for EPUB ----------------------------------------------------------------------

epub_title = project
epub_author = author
epub_publisher = author
epub_copyright = copyright
epub_show_urls = "no"

# -- Options for linkcheck ----------------------------------------------------------------

linkcheck_timeout = 15
linkcheck_retries = 2
linkcheck_anchors = False  # many primary sources render their anchors with JavaScript

# -- Options for the handbook extension ---------------------------------------------------

# The tag vocabulary: every page's front-matter `tags` must come from here.
handbook_tags = {
    "architecture": "System and service design: boundaries, coupling, evolution.",
    "scaling": "Growing a working system by the next order of magnitude.",
    "reliability": "Timeouts, retries, redundancy, graceful degradation and incidents.",
    "observability": "Metrics, logs, traces, dashboards, SLOs and alerts.",
    "databases": "Relational and non-relational storage, schemas and queries.",
    "postgresql": "PostgreSQL in particular.",
    "nosql": "Key-value, document, wide-column and search stores.",
    "caching": "Caches in front of slower systems, and keeping them honest.",
    "messaging": "Queues, topics, streams and event-driven integration.",
    "data": "Extraction, pipelines, warehouses, lakes and reporting.",
    "ops": "Servers, provisioning, containers, deployment and infrastructure.",
    "aws": "Amazon Web Services as we use them.",
    "python": "Python as a back-end language and its tooling.",
    "performance": "Latency, throughput, profiling and efficiency.",
    "testing": "Tests at every level and the feedback they give.",
    "delivery": "Branching, CI, environments, releases and rollbacks.",
    "collaboration": "Reviews, documentation, decisions and knowledge transfer.",
    "ownership": "Who owns code, services, alerts and their lifetime.",
    "culture": "Team, mentoring, learning and working as one 'we'.",
    "security": "Secrets, access, dependencies and least privilege.",
    "web": "HTTP servers, proxies and the request path.",
    "incidents": "Real public incidents, analysed from the operator's own account.",
    "handbook": "About the handbook itself: how to read it and write for it.",
}

# -- The playground: PostgreSQL examples readers edit and run in their browser (PGlite) ------

# The vendored PGlite's version, written by `make vendor-pglite` (the Makefile reads the same file).
handbook_pglite_version = (HERE / "_static" / "vendor" / "pglite" / "VERSION").read_text(encoding="utf-8").strip()

# Examples the build's rules leave editable but that cannot run, or not the same way, in the
# browser's PostgreSQL: the page, a piece of the block's code, and why. See contributing.md,
# "Examples readers can edit". The rules (a second connection, roles, extensions) need no entry.
handbook_playground_exclude: list[dict[str, str]] = [
    {
        "page": "engineering-practices/bulk-export-and-backfills",
        "code": "CALL backfill_email_normalized(10000);",
        "reason": "20 batches of 10,000 updates take 12 s in PGlite, past the editor's 10 s limit",
    },
]

# Where the browser's output may differ from the build's for an unedited example: each pattern
# (a JavaScript regular expression) is replaced in both outputs before the parity check compares
# them (tests/test_playground.py), with the reason it is allowed.
handbook_playground_differences: list[dict[str, str]] = [
    {
        "pattern": r"Memory: \d+kB",
        "replace": "Memory: …kB",
        "reason": "PGlite is a 32-bit build: the tuples a sort or hash holds take less memory",
    },
    {
        "pattern": r"^(\s*)Planning:\n(\s*)Buffers: [^\n]*",
        "replace": "$1Planning:\n$2Buffers: …",
        "reason": "planning reads the catalogue, which a fresh single-user PGlite caches differently from a server",
    },
]
