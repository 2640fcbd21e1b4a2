"""`make livehtml` serves the handbook and shows an edit within seconds, without rebuild loops."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, copy_sources, require
from devkit import fetch, free_port, wait_for

pytestmark = pytest.mark.server


def test_livehtml_serves_and_reloads_an_edit(site, tmp_path):
    require(Path(sys.prefix, "bin", "sphinx-autobuild").exists(), "sphinx-autobuild is not installed")
    project = copy_sources(ROOT, tmp_path / "project")
    # make html's examples cache: the preview shares its doctrees, so it runs no example again.
    examples = Path("doctrees") / "handbook-examples"
    shutil.copytree(site.parent / examples, project / "_build" / examples)
    port = free_port()
    log = (tmp_path / "autobuild.log").open("w")
    server = subprocess.Popen(
        ["make", "livehtml", f"VENV={sys.prefix}", f"PORT={port}"],
        cwd=project,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        page_url = f"http://127.0.0.1:{port}/engineering-practices/index.html"
        first = wait_for(lambda: fetch(page_url), timeout=600, step=1)
        assert first, (tmp_path / "autobuild.log").read_text()[-4000:]
        assert "websocket-reload" in first, "the live-reload script is injected"

        token = f"Live edit token {os.getpid()}"
        page = project / "engineering-practices" / "index.md"
        page.write_text(page.read_text() + f"\n{token}\n")
        edited_at = time.monotonic()
        assert wait_for(lambda: token in (fetch(page_url) or ""), timeout=60, step=0.25), "the edit never appeared"
        latency = time.monotonic() - edited_at
        print(f"save-to-served latency: {latency:.1f} s")

        # Builds are forked from the preloader (handbook.autobuild), which by the second build
        # holds what the first one imported.
        forks = [
            line
            for line in (tmp_path / "autobuild.log").read_text().splitlines()
            if "forked from the preloader" in line
        ]
        assert len(forks) == 2, forks
        modules = [int(line.split("(")[1].split()[0]) for line in forks]
        assert modules[1] > modules[0] > 100, modules
        # ... and the environment the first build pickled, unpickled while it waited for the save.
        assert "environment unpickled" not in forks[0] and "environment unpickled" in forks[1], forks

        # Idle for a while: a rebuild loop would show more change detections.
        time.sleep(8)
        detections = (tmp_path / "autobuild.log").read_text().count("Detected change")
        assert detections == 1, (tmp_path / "autobuild.log").read_text()[-4000:]

        # Nothing of the environment is published, and no stale search index is served.
        preview = project / "_build" / "livehtml"
        assert (project / "_build" / "doctrees" / "environment.pickle").is_file()
        assert not (preview / ".doctrees").exists() and not list(preview.rglob("*.pickle"))
        assert not (preview / "_pagefind").exists()
        assert fetch(f"http://127.0.0.1:{port}/_pagefind/pagefind.js") is None
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()


def test_livehtml_reports_a_busy_port_before_building(tmp_path):
    require(Path(sys.prefix, "bin", "sphinx-autobuild").exists(), "sphinx-autobuild is not installed")
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        started = time.monotonic()
        result = subprocess.run(
            ["make", "-o", f"{sys.prefix}/.installed-dev", "livehtml", f"VENV={sys.prefix}", f"PORT={port}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode != 0
    assert f"port {port} on 127.0.0.1 is in use; try make livehtml PORT=8001" in result.stderr
    assert time.monotonic() - started < 20, "reported before any build"
    assert "Running Sphinx" not in result.stdout + result.stderr
