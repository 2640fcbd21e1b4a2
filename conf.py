"""Sphinx configuration for the back-end engineering handbook.

The handbook's own features (front-matter checks, executable examples, ...) live in the
local extension package ``_ext/handbook``. Everything here is plain configuration, grouped by
purpose; no network access, no files written at import time.
"""

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
html_title = "Back-end Engineering Handbook"

# Set once for your fork: the repository that "Edit this page" links point into.
# Read the Docs passes its clone URL; locally, export HANDBOOK_REPOSITORY_URL or edit here.
repository_url = os.environ.get("HANDBOOK_REPOSITORY_URL", "")
if not repository_url and os.environ.get("READTHEDOCS_GIT_CLONE_URL", "").startswith("https://"):
    repository_url = os.environ["READTHEDOCS_GIT_CLONE_URL"].removesuffix(".git")
repository_branch = os.environ.get("HANDBOOK_REPOSITORY_BRANCH", "main")

# -- General configuration ----------------------------------------------------------------

extensions = [
    # Third party
    "myst_parser",
    "sphinx_design",
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
    "README.md",
]
templates_path = ["_templates"]

nitpicky = True  # Read the Docs never passes -n; broken references must still fail there.
show_warning_types = True
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
html_favicon = "_static/favicon.svg"
html_copy_source = False
html_show_sourcelink = False
html_last_updated_fmt = None

# Canonical URLs: Read the Docs passes the published address; locally nothing is assumed.
html_baseurl = os.environ.get("READTHEDOCS_CANONICAL_URL", "")

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
    "handbook": "About the handbook itself: how to read it and write for it.",
}
