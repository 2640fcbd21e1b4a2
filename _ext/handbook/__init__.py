"""The handbook's own Sphinx extension.

One module per feature, each with a ``setup_*`` function called from :func:`setup`:

* :mod:`handbook.frontmatter` validates every page's front matter and turns its
  ``description`` into ``<meta name="description">``.
* :mod:`handbook.examples` runs the SQL and Python examples at build time and shows their
  real output.
* :mod:`handbook.knowledge` gives every page its tags, backlinks ("Referenced by") and related
  pages, and generates the tag pages.
* :mod:`handbook.health` flags stale pages and renders the "Handbook health" report.
* :mod:`handbook.llms` writes ``llms.txt`` and ``llms-full.txt``.
* :mod:`handbook.navigation` renders Furo's sidebar at linear cost and keeps it fresh.
* :mod:`handbook.assets` loads each page's assets only where they are used, and serves
  the extension's own script.
* :mod:`handbook.templatecache` keeps the compiled theme templates between builds.
* :mod:`handbook.strictness` makes every rebuild report the warnings of pages that still have
  them, so a strict build never says "succeeded" over a broken page.
* :mod:`handbook.output` removes deleted pages' output and keeps ``sitemap.xml`` in one order.
* :mod:`handbook.shared` holds what several features use (HTML builders, page titles, URIs).

Warnings are typed ``handbook.<feature>`` so that ``-W`` fails the build on them and a
narrow ``suppress_warnings`` entry can silence one feature if ever needed.
"""

from sphinx.application import Sphinx

from .assets import setup_assets
from .examples import setup_examples
from .frontmatter import setup_frontmatter
from .health import setup_health
from .knowledge import setup_knowledge
from .llms import setup_llms
from .navigation import setup_navigation
from .output import setup_output
from .search import setup_search
from .strictness import setup_strictness
from .templatecache import setup_templatecache

__version__ = "0.1.0"


def setup(app: Sphinx) -> dict:
    setup_strictness(app)
    setup_output(app)
    setup_frontmatter(app)
    setup_examples(app)
    setup_knowledge(app)
    setup_health(app)
    setup_llms(app)
    setup_search(app)
    setup_navigation(app)
    setup_assets(app)
    setup_templatecache(app)
    return {
        "version": __version__,
        # Bump when the shape of data pickled into the environment changes.
        "env_version": 5,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
