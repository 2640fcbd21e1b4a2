"""A strict build stays strict on every rebuild.

Sphinx reports a page's warnings only while it reads or writes that page. An incremental build
after a failed one reads only the pages edited since, so the broken pages stay quiet and
``make html`` says "build succeeded" over a site that still has them. We note which pages
warned (in the doctree folder, next to the environment) and make the next build read them
again, so their warnings come back, build after build, until they are fixed. A warning that
names no page makes the next build read every page.

The note is written as warnings arrive, so an interrupted build keeps it too.

An incremental build stays incremental: Sphinx compares the configuration with the last build's
by a canonical string of each value, and when a value cannot be made into one (a dict with tuple
keys does not survive it), Sphinx says only "loading pickled environment... failed" and builds
every page again, every time. Each value is checked when the configuration is read instead, and
the build stops naming it.

A page that is not valid UTF-8 would crash Sphinx 9 ("Encoding error!", naming no file, and
the environment lost): it is left out of the read with a warning at its file and line instead.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ConfigError, ExtensionError
from sphinx.util import logging as sphinx_logging

from .shared import upstream_changed, warn

NOTE = "handbook-warned.json"
EVERY_PAGE = "*"


class WarnedPages(logging.Filter):
    """A filter on Sphinx's warning handler that notes the page of every warning it shows."""

    def __init__(self, app: Sphinx) -> None:
        super().__init__()
        self.app = app
        self.previous: set[str] = set()  # pages that warned in the last build
        self.current: set[str] = set()  # pages that warned in this one

    @property
    def note(self) -> Path:
        return Path(self.app.doctreedir) / NOTE

    def load(self) -> set[str]:
        try:
            self.previous = set(json.loads(self.note.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            self.previous = set()
        self.current = set()
        return self.previous

    def save(self, pages: set[str]) -> None:
        self.note.parent.mkdir(parents=True, exist_ok=True)
        self.note.write_text(json.dumps(sorted(pages)), encoding="utf-8")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING or sphinx_logging.is_suppressed_warning(
            getattr(record, "type", None) or "",
            getattr(record, "subtype", None) or "",
            self.app.config.suppress_warnings,
        ):
            return True
        page = self._page(getattr(record, "location", None))
        if page not in self.current:
            self.current.add(page)
            self.save(self.previous | self.current)  # kept even if the build is interrupted
        return True

    def _page(self, location) -> str:
        """The docname a warning's location names, or EVERY_PAGE when it names none."""
        env = getattr(self.app, "env", None)
        if isinstance(location, tuple):
            location = location[0]
        elif location is not None and not isinstance(location, str):  # a docutils node
            location = sphinx_logging.get_node_location(location)
        if not location or env is None:
            return EVERY_PAGE
        if location in env.all_docs or location in env.found_docs:
            return location
        path = location.rsplit(":", 1)[0] if location.rsplit(":", 1)[-1].isdigit() else location
        return env.path2doc(path) or EVERY_PAGE


def _warning_handler() -> logging.Handler:
    for handler in logging.getLogger(sphinx_logging.NAMESPACE).handlers:
        if isinstance(handler, sphinx_logging.WarningStreamHandler):
            return handler
    raise ExtensionError(
        "handbook.strictness: Sphinx's warning handler was not found; Sphinx's "
        "logging set-up changed (see 'Upgrading dependencies' on the contributing page)"
    )


def _skip_undecodable(app: Sphinx, env, docnames: list[str]) -> None:
    """``env-before-read-docs``: warn about, and do not read, pages that are not UTF-8."""
    for docname in list(docnames):
        try:
            data = Path(env.doc2path(docname)).read_bytes()
            data.decode(env.settings.get("input_encoding", "utf-8-sig"))
        except OSError:
            continue
        except UnicodeDecodeError as error:
            line = data[: error.start].count(b"\n") + 1
            docnames.remove(docname)
            env.found_docs.discard(docname)  # Sphinx's project then treats it as absent, not unread
            warn(
                "encoding",
                f"the page is not UTF-8 (byte {data[error.start]:#04x} at line {line}); save "
                "it as UTF-8 (in most editors: 'Save with encoding')",
                (docname, line),
            )


def setup_strictness(app: Sphinx) -> None:
    recorder = WarnedPages(app)
    # First, so that it notes the warning even when -W without --keep-going raises on it.
    _warning_handler().filters.insert(0, recorder)

    def read_again(app: Sphinx, env, added, changed, removed) -> list[str]:
        warned = recorder.load()
        pages = env.found_docs if EVERY_PAGE in warned else warned
        return sorted(page for page in pages if page in env.found_docs and page not in added | changed)

    def finished(app: Sphinx, exception) -> None:
        recorder.save(recorder.current if exception is None else recorder.previous | recorder.current)

    app.connect("config-inited", _comparable_config)
    app.connect("env-get-outdated", read_again)
    app.connect("env-before-read-docs", _skip_undecodable, priority=100)
    app.connect("build-finished", finished, priority=900)  # after every other handler's warnings


def _comparable_config(app: Sphinx, config) -> None:
    """``config-inited``: every value can be compared with the next build's, as Sphinx compares
    them (before it loads the pickled environment)."""
    try:
        from sphinx.util._serialise import stable_str
    except ImportError as error:
        raise upstream_changed(
            "Sphinx",
            f"sphinx.util._serialise.stable_str is gone ({error})",
            "See how Sphinx now compares a configuration with the last build's",
        ) from error
    for option in config:
        try:
            stable_str(option.value)
        except Exception as error:  # noqa: BLE001 - whatever fails here fails in Sphinx's comparison too
            raise ConfigError(
                f"conf.py: {option.name} cannot be compared with the last build's "
                f"({error.__class__.__name__}: {error}), so every build would read every page again; "
                "use plain values (strings, numbers, lists, dicts with string keys)"
            ) from error
