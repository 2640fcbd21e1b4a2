"""Compiled theme templates kept between builds.

Every sphinx-build process compiles the theme's Jinja templates again: about a hundred of them
(Furo's partials, Sphinx's basic theme, the handbook's overrides), 0.3-0.7 s of an incremental
build that writes two pages, which is what a `make livehtml` save runs. Jinja's bytecode cache
keeps the compiled code under the doctree folder, keyed by each template's name and the
checksum of its source, so an edited template is compiled afresh and nothing stale is used.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemBytecodeCache
from sphinx.application import Sphinx
from sphinx.builders.html import StandaloneHTMLBuilder

from .shared import upstream_changed


def _builder_inited(app: Sphinx) -> None:
    if not isinstance(app.builder, StandaloneHTMLBuilder):
        return  # a builder without HTML templates
    environment = getattr(app.builder.templates, "environment", None)
    if not isinstance(environment, Environment):
        raise upstream_changed(
            "Sphinx",
            "the HTML builder's template loader has no Jinja 'environment'",
            "Find where Sphinx keeps its Jinja environment and update _ext/handbook/templatecache.py",
        )
    folder = Path(app.doctreedir) / "jinja-bytecode"
    folder.mkdir(parents=True, exist_ok=True)
    environment.bytecode_cache = FileSystemBytecodeCache(str(folder))


def setup_templatecache(app: Sphinx) -> None:
    app.connect("builder-inited", _builder_inited)
