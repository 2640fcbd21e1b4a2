"""Examples run out of the build's process: one forked worker per page and engine.

The build process never executes an example itself. It forks a worker when a page's first
example of an engine must run live, sends it each block, and waits for the reply with a
timeout. Whatever an example does (``sys.exit()``, ``os._exit()``, ``logging.disable()``,
changing ``TZ`` or the ``decimal`` context, an endless loop, a flood of output, a crash of the
engine) happens in the worker, and comes back as an :class:`ExampleError` naming what went
wrong; the build reports it at the page and line. Each page starts from the state of the build
process at the fork, so pages cannot see each other's changes whatever order they are read in.

Forking (not spawning) keeps a worker cheap: it shares the build's imported modules.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import signal
from multiprocessing.connection import Pipe
from pathlib import Path

from .engines import MAX_OUTPUT, ExampleError, OutputLimit, Table, Text

#: Set to 1 by the benchmark alone, to measure what isolation costs: examples then run in the
#: build's own process, with none of the protections above. Never set it for a real build.
INLINE_FOR_BENCHMARK = "HANDBOOK_BENCH_INLINE_EXAMPLES"
DEFAULT_TIMEOUT = 60.0  # seconds one example may run; ``:timeout:`` raises it for one block


def _too_much() -> str:
    return (
        f"the example's output is longer than {MAX_OUTPUT:,} characters; show a summary "
        "(a count, the first rows, a LIMIT) instead of everything"
    )


def output_size(outputs: list) -> int:
    size = 0
    for output in outputs:
        if isinstance(output, Text):
            size += len(output.text)
        elif isinstance(output, Table):
            size += sum(len(cell) for row in [output.columns, *output.rows] for cell in row)
    return size


def _die_with_parent() -> None:
    """Ask Linux to kill this worker when the build process dies, even by SIGKILL."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _serve(conn, open_session, capture: Path) -> None:
    """The worker's loop: open the session, then run each block sent until told to close."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the build's to handle; it stops us
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent()
    # The build's objects (its environment, doctrees) came with the fork: keep the worker's
    # garbage collector off them, or its first full collection touches, and so copies, them all.
    gc.freeze()
    # Output written to the file descriptors themselves (a subprocess, os.write) is kept too.
    fd = os.open(capture, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    session = open_session()
    while True:
        try:
            request = conn.recv()
        except EOFError:
            break
        if request[0] == "close":
            break
        _, code, name = request
        os.lseek(fd, 0, os.SEEK_SET)
        os.ftruncate(fd, 0)
        try:
            outputs = session.run(code, name)
            raw = capture.read_text(encoding="utf-8", errors="replace").rstrip("\n")
            if raw:
                outputs = [*outputs, Text(raw[: MAX_OUTPUT + 1])]
            reply = ("error", _too_much()) if output_size(outputs) > MAX_OUTPUT else ("ok", outputs)
        except OutputLimit:
            reply = ("error", _too_much())
        except ExampleError as error:
            reply = ("error", str(error))
        except BaseException as error:  # noqa: BLE001 - anything the engine raises is the example's failure
            reply = ("error", f"{type(error).__name__}: {error}")
        conn.send(reply)
    with contextlib.suppress(BaseException):
        session.close()


class Worker:
    """One page's session with one engine, in a child process of the build."""

    def __init__(self, open_session, workdir: Path) -> None:
        self.failed: str | None = None  # why the worker is gone, once it is
        parent, child = Pipe()
        pid = os.fork()
        if pid == 0:  # the worker
            code = 0
            try:
                parent.close()
                _serve(child, open_session, workdir / ".output")
            except BaseException:  # noqa: BLE001 - reported to the build as a lost worker
                code = 70
            finally:
                os._exit(code)  # never run the build's exit handlers in the worker
        child.close()
        self.pid: int | None = pid
        self.conn = parent

    def run(self, code: str, session: str, timeout: float) -> list:
        if self.failed:
            raise ExampleError(f"not run: {self.failed} earlier on this page")
        try:
            self.conn.send(("run", code, session))
            if not self.conn.poll(timeout):
                self._kill()
                self.failed = f"an example ran longer than {timeout:g} s"
                raise ExampleError(
                    f"the example did not finish within {timeout:g} s and was stopped; "
                    "make it faster, or give it more time with ':timeout: <seconds>'"
                )
            kind, payload = self.conn.recv()
        except (EOFError, OSError):
            status = self._reap()
            self.failed = "an example ended its process"
            raise ExampleError(
                f"the example ended the process that ran it ({status}); examples must "
                "not exit, kill their process or crash the engine"
            ) from None
        if kind == "error":
            raise ExampleError(payload)
        return payload

    def close(self) -> None:
        if self.pid is not None:
            with contextlib.suppress(OSError):
                self.conn.send(("close",))
            with contextlib.suppress(OSError):
                if not self.conn.poll(5):  # a worker that does not answer is stopped
                    self._kill()
            self._reap()
        self.conn.close()

    def kill(self) -> None:
        """Stop at once (the build is ending abnormally)."""
        if self.pid is not None:
            self._kill()
            self._reap()

    def _kill(self) -> None:
        if self.pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)

    def _reap(self) -> str:
        if self.pid is None:
            return "gone"
        pid, self.pid = self.pid, None
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            status = 0
        if os.WIFSIGNALED(status):
            return f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
        return f"exit status {os.WEXITSTATUS(status)}"


class InlineWorker:
    """The benchmark's baseline (:data:`INLINE_FOR_BENCHMARK`): the same interface as
    :class:`Worker`, running the session in the build's own process, unprotected."""

    failed = None

    def __init__(self, open_session, workdir: Path) -> None:
        self.session = open_session()

    def run(self, code: str, session: str, timeout: float) -> list:
        return self.session.run(code, session)

    def close(self) -> None:
        self.session.close()

    kill = close


def worker_class():
    return InlineWorker if os.environ.get(INLINE_FOR_BENCHMARK) == "1" else Worker
