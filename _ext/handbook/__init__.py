"""The handbook's own Sphinx extension.

One module per feature, each with a ``setup_*`` function called from :func:`setup`:

* :mod:`handbook.frontmatter` validates every page's front matter and turns its
  ``description`` into ``<meta name="description">``.
* :mod:`handbook.examples` runs the SQL and Python examples at build time and shows their
  real output.

Warnings are typed ``handbook.<feature>`` so that ``-W`` fails the build on them and a
narrow ``suppress_warnings`` entry can silence one feature if ever needed.
"""

from sphinx.application import Sphinx

from .examples import setup_examples
from .frontmatter import setup_frontmatter

__version__ = "0.1.0"


def setup(app: Sphinx) -> dict:
    setup_frontmatter(app)
    setup_examples(app)
    return {
        "version": __version__,
        # Bump when the shape of data pickled into the environment changes.
        "env_version": 1,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
