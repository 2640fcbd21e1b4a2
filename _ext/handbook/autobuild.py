"""`make livehtml`: sphinx-autobuild, with every rebuild forked from a process that has already
imported Sphinx and the extensions.

    python -m handbook.autobuild SOURCEDIR OUTDIR [sphinx-autobuild's options and Sphinx's]

sphinx-autobuild runs ``python -m sphinx build`` as a new process for each save. At 1,000 pages
about half of such a rebuild went to Python importing Sphinx, docutils, MyST-Parser and the
extensions again (``python -X importtime``). Here a helper process (the "preloader") imports them
once, when the server starts, and forks a child for every build: the child starts with everything
imported and nothing built. The preloader itself never builds, so no state passes from one build
to the next, as with sphinx-autobuild's own processes, except one thing read from disk: while
it waits for the next save, the preloader unpickles the environment the last build pickled (a
quarter of a rebuild's time at 1,000 pages), and a child whose Sphinx opens that same file, still
unchanged (inode, size, modification time), takes the object instead of unpickling it again.
Everything else is sphinx-autobuild's: its command line, watcher, server and live reload. Three
things are replaced: the call that starts Sphinx, the process pool the server forks on every
change to run its Builder (a thread does, since the Builder only waits for the preloader now),
and Sphinx's ``pickle.load`` of the environment; each is checked to be what this module expects
(a tripwire, not a silent fallback).
"""

from __future__ import annotations

import ast
import gc
import importlib
import inspect
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType, SimpleNamespace

# What sphinx-autobuild must still do for the replacements to apply: its Builder starts Sphinx
# with this call, and its server runs the Builder in a new process pool on every change.
EXPECTED_CALL = "subprocess.run([sys.executable] + sphinx_build_args, check=True)"
EXPECTED_POOL = "with ProcessPoolExecutor() as pool:"
# And Sphinx loads the last build's environment with this call (in Sphinx._load_existing_env).
EXPECTED_LOAD = "env = pickle.load(f)"


def conf_literal(conf: Path, name: str, default=None):
    """The value of ``name = <literal>`` in a conf.py, read without running it."""
    for node in ast.parse(conf.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return ast.literal_eval(node.value)
    return default


def preload(names) -> None:
    for name in names:
        if name not in sys.modules and name != "__main__":
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - a build that needs it will say what is wrong
                pass
    # Out of the collector's sight: a build's garbage collections do not walk (and, by touching
    # their reference counts, copy) the preloaded modules' objects.
    gc.freeze()


class PreloadedEnvironment:
    """The environment the last build pickled, unpickled ahead of the next build; a file that
    is not the one unpickled (another inode, size or modification time) is unpickled as usual."""

    def __init__(self) -> None:
        self.key: tuple[int, int, int] | None = None
        self.env = None

    @staticmethod
    def _key(stat: os.stat_result) -> tuple[int, int, int]:
        return stat.st_ino, stat.st_size, stat.st_mtime_ns

    def refresh(self, argv: list[str]) -> None:
        """Unpickle the environment of the build that ``argv`` (Sphinx's command line) ran."""
        try:
            path = environment_file(argv)
            key = self._key(path.stat())
            if key != self.key:
                self.key, self.env = None, None
                gc.unfreeze()  # the previous environment was frozen with the rest: its cycles go now
                gc.collect()
                with path.open("rb") as file:
                    self.env = pickle.load(file)
                self.key = key
        except (Exception, SystemExit):  # noqa: BLE001 - none, or broken, or a bad command line: Sphinx says
            self.key, self.env = None, None

    def load(self, file):
        """Sphinx's ``pickle.load(f)`` of the environment file."""
        if self.key is not None and self._key(os.fstat(file.fileno())) == self.key:
            return self.env
        return pickle.load(file)


def environment_file(argv: list[str]) -> Path:
    """The environment a Sphinx command line's build pickles (``-d``, or the output's .doctrees)."""
    from sphinx.application import ENV_PICKLE_FILENAME
    from sphinx.cmd.build import get_parser

    args = get_parser().parse_args(argv)
    return Path(args.doctreedir or Path(args.outputdir, ".doctrees"), ENV_PICKLE_FILENAME)


def serve_builds(requests, replies) -> None:
    """The preloader: for each build request (a JSON list of arguments), fork a child that runs
    Sphinx's command line with them, and reply with its exit status. After each build, import
    what it imported (its extensions' setup, Sphinx's built-in builders...), so that the next
    build starts with those too."""
    imported = Path(tempfile.mkdtemp(prefix="handbook-autobuild-")) / "modules.json"
    environment = PreloadedEnvironment()
    for line in requests:
        argv = json.loads(line)
        preloaded = ", the last build's environment unpickled" if environment.env is not None else ""
        print(
            f"[handbook.autobuild] build forked from the preloader ({len(sys.modules)} modules imported{preloaded})",
            flush=True,
        )
        pid = os.fork()
        if pid == 0:  # the build: Ctrl+C interrupts it as it would interrupt sphinx-build
            signal.signal(signal.SIGINT, signal.default_int_handler)
            requests.close()
            replies.close()
            from sphinx import application
            from sphinx.cmd.build import main as sphinx_main

            application.pickle = ModuleType("pickle")  # Sphinx's pickle, but for its load()
            vars(application.pickle).update({**vars(pickle), "load": environment.load})
            status = sphinx_main(argv)
            imported.write_text(json.dumps(sorted(sys.modules)), encoding="utf-8")
            sys.exit(status)  # a normal exit: atexit handlers (the examples' servers) run
        _, status = os.waitpid(pid, 0)
        replies.write(f"{os.waitstatus_to_exitcode(status)}\n")
        replies.flush()
        if imported.is_file():
            preload(json.loads(imported.read_text(encoding="utf-8")))
        environment.refresh(argv)
        gc.freeze()  # the environment too: a build's collections leave its pages unwalked, uncopied
    shutil.rmtree(imported.parent, ignore_errors=True)
    sys.exit(0)  # the server has gone: so does the preloader


def start_preloader(conf: Path):
    """Fork the preloader before sphinx-autobuild starts any thread; -> a function that runs
    one build in it and returns the exit status."""
    to_child, from_parent = os.pipe()
    to_parent, from_child = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(from_parent)
        os.close(to_parent)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C stops the server, which closes the pipe
        preload(("sphinx.cmd.build", "sphinx.application", *conf_literal(conf, "extensions", [])))
        serve_builds(os.fdopen(to_child, "r"), os.fdopen(from_child, "w"))
    os.close(to_child)
    os.close(from_child)
    requests, replies = os.fdopen(from_parent, "w"), os.fdopen(to_parent, "r")

    def build(argv: list[str]) -> int:
        requests.write(json.dumps(argv) + "\n")
        requests.flush()
        return int(replies.readline() or 1)

    return build


def forked_subprocess(build):
    """A stand-in for the ``subprocess`` module in sphinx-autobuild's build module: its Sphinx
    runs go to the preloader, anything else (pre- and post-build commands) to subprocess."""

    def run(command, check=False, **kwargs):
        if command[:3] == [sys.executable, "-m", "sphinx"] and not kwargs:
            argv = command[4:] if command[3:4] == ["build"] else command[3:]
            returncode = build(argv)
            if check and returncode:
                raise subprocess.CalledProcessError(returncode, command)
            return subprocess.CompletedProcess(command, returncode)
        return subprocess.run(command, check=check, **kwargs)

    return SimpleNamespace(run=run, CalledProcessError=subprocess.CalledProcessError)


def main(argv: list[str]) -> None:
    from sphinx.application import Sphinx
    from sphinx_autobuild import __main__ as autobuild
    from sphinx_autobuild import build as autobuild_build
    from sphinx_autobuild import server as autobuild_server

    for expected, where, name in (
        (EXPECTED_CALL, autobuild_build.Builder.__call__, "sphinx-autobuild's Builder no longer starts Sphinx with"),
        (EXPECTED_POOL, autobuild_server.RebuildServer.watch, "sphinx-autobuild's server no longer runs each build in"),
        (EXPECTED_LOAD, Sphinx._load_existing_env, "Sphinx no longer loads the last build's environment with"),
    ):
        if expected not in inspect.getsource(where):
            sys.exit(
                f"handbook.autobuild: {name} {expected!r}; "
                "update _ext/handbook/autobuild.py (or run sphinx-autobuild itself)"
            )
    source = Path(next((arg for arg in argv if not arg.startswith("-")), "."))
    autobuild_build.subprocess = forked_subprocess(start_preloader(source / "conf.py"))
    # The Builder only talks to the preloader now: a thread runs it, instead of a process pool
    # forked from the server on every change.
    autobuild_server.ProcessPoolExecutor = ThreadPoolExecutor
    autobuild.main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
