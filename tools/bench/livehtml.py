"""A4 and B3. `make livehtml` in a copy of a project: seconds from its start to the first page
served, and from saving an edit to the edit being served."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from devkit import fetch, free_port, wait_for

from .common import EXAMPLES_CACHE, OUTPUT, Figure, Report, append, log, start_in_session, stop_stray_postgres

LIVEHTML_PAGES = 1000  # the generated handbook that `make livehtml` is also timed in
LIVEHTML_LIMITS = (2.0, 3.0)  # s, save to served: the real handbook, and LIVEHTML_PAGES pages
LIVE_EDITS = 3  # edits timed per livehtml server


def bench_livehtml(
    report: Report,
    figures: list[Figure],
    label: str,
    src: Path,
    page: str,
    edits: int,
    timeout: float,
    cache: Path | None = None,
) -> Figure:
    """Start ``make livehtml`` in the project copy ``src``, then time save-to-served for ``edits``
    edits of ``page``; adds the figures to ``figures`` and returns the latency figure. ``cache``
    seeds the examples cache, so that the first build does not run every example."""
    first_serve = Figure(
        f"{label}make livehtml: start to first page served",
        "s",
        note="examples cache present; one start" if cache else "one start",
    )
    latency = Figure(f"{label}make livehtml: save-to-served latency", "s", note=f"appending a line to {page}")
    figures += [first_serve, latency]
    venv = Path(sys.prefix)
    if not (venv / "bin" / "sphinx-autobuild").exists():
        for figure in (first_serve, latency):
            figure.status = f"not measured: no sphinx-autobuild in {venv} (make bench installs it)"
        report.not_measured.append(f"livehtml latency: {latency.status}")
        return latency

    if cache is not None:  # make livehtml shares make html's doctrees (and examples cache)
        shutil.copytree(cache, src / "_build" / "doctrees" / EXAMPLES_CACHE)
    port = free_port()
    command = make_livehtml(port)
    log_path = OUTPUT.logs / f"livehtml-{re.sub(r'[^a-z0-9]+', '-', label.lower()).strip('-') or 'handbook'}.log"
    url = f"http://127.0.0.1:{port}/{Path(page).with_suffix('.html').as_posix()}"
    time_live_server(
        command,
        src,
        url,
        src / page,
        edits,
        timeout,
        log_path,
        lambda number: finished_builds(log_path) >= number,
        first_serve,
        latency,
    )
    return latency


def make_livehtml(port: int, *variables: str) -> list[str]:
    """`make livehtml` on ``port`` with this venv, and make ``variables`` (e.g. SPHINXOPTS=...)."""
    venv = Path(sys.prefix)
    # -o: never let make refresh the venv from here (that would need the network).
    return [
        "make",
        "-o",
        f"{venv}/.installed-runtime",
        "-o",
        f"{venv}/.installed-dev",
        "livehtml",
        f"VENV={venv}",
        f"PORT={port}",
        *variables,
    ]


def time_live_server(
    command: list[str],
    cwd: Path,
    url: str,
    page: Path,
    edits: int,
    timeout: float,
    log_path: Path,
    idle: Callable[[int], bool],
    first_serve: Figure,
    latency: Figure,
) -> None:
    """Start a live server (``command`` in ``cwd``, its output in ``log_path``), record the
    seconds to the first serving of ``url``, then for each of ``edits`` edits (once ``idle(n)``
    says the server has finished its n-th build) the seconds from appending a line to ``page``
    until ``url`` shows it; stops the server and everything it started."""
    log(f"live server: {' '.join(command)} in {cwd}")
    OUTPUT.logs.mkdir(parents=True, exist_ok=True)
    with log_path.open("w", encoding="utf-8") as output:
        started = time.perf_counter()
        server = start_in_session(command, cwd, output, {"PYTHONUNBUFFERED": "1"})
        try:
            if not wait_for(lambda: fetch(url), timeout, step=0.5):
                first_serve.fail(log_path)
                latency.fail(log_path)
                return
            first_serve.samples.append(time.perf_counter() - started)
            for number in range(1, edits + 1):
                # Each edit starts from an idle server: the previous build has finished.
                wait_for(lambda number=number: idle(number), timeout, step=0.2)
                time.sleep(1)
                seconds = timed_edit(page, url, timeout)
                if seconds is None:
                    latency.fail(log_path)
                    break
                latency.samples.append(seconds)
                log(f"  live edit {number}: {seconds:.2f} s")
            wait_for(lambda: idle(edits + 1), timeout, step=0.2)
        finally:
            stop(server)
            stop_stray_postgres()


def quiet_log(log_path: Path, seconds: float = 1.5) -> Callable[[int], bool]:
    """An ``idle`` test for servers that do not say when a build ends: the log has not grown
    for ``seconds``."""
    seen = {"size": -1, "since": time.monotonic()}

    def idle(_number: int) -> bool:
        size = log_path.stat().st_size if log_path.exists() else 0
        if size != seen["size"]:
            seen.update(size=size, since=time.monotonic())
        return time.monotonic() - seen["since"] >= seconds

    return idle


def finished_builds(log_path: Path) -> int:
    """Builds that sphinx-autobuild has seen exit: it says "Serving on" after each one."""
    return log_path.read_text(encoding="utf-8", errors="replace").count("Serving on http")


def timed_edit(page: Path, url: str, timeout: float) -> float | None:
    token = f"benchtoken{uuid.uuid4().hex}"
    append(page, f"\nLive edit {token}.\n")
    saved = time.perf_counter()
    if wait_for(lambda: token in (fetch(url) or ""), timeout):
        return time.perf_counter() - saved
    return None


def stop(process: subprocess.Popen) -> None:
    """Stop a process started in its own session, and everything it started."""
    for sig, grace in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue
