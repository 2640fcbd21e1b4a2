"""Helpers that the tests (tests/conftest.py, tests/test_livehtml.py) and the benchmark
(tools/bench) share: a copy of the checkout committed into a fresh repository, and waiting for a
local server.

The tests import it as ``devkit`` (conftest.py puts ``tools`` on sys.path), the benchmark as
``tools.devkit``; it needs nothing but the standard library and git.
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

# The strict build's flags, as `make html` passes them (SPHINXOPTS; tests/test_lint.py checks
# that the Makefile agrees): warnings are errors, all reported in one run, nitpicky references.
STRICT = ["-W", "--keep-going", "-n"]


def sphinx_command(srcdir: Path, outdir: Path, *args: str) -> list[str]:
    """`python -m sphinx -b html ARGS SRCDIR OUTDIR` with this interpreter (strictness is in ARGS)."""
    return [sys.executable, "-m", "sphinx", "-b", "html", *args, str(srcdir), str(outdir)]


# The identity of every copy's commit, and git isolated from the user's and the system's config
# (a global commit.gpgsign or hook must not break, or slow down, a copy).
GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Handbook tools",
    "GIT_AUTHOR_EMAIL": "tools@localhost",
    "GIT_COMMITTER_NAME": "Handbook tools",
    "GIT_COMMITTER_EMAIL": "tools@localhost",
}


def checkout_files(root: Path) -> list[str]:
    """What ``git ls-files -co --exclude-standard`` lists in ``root`` (tracked files, and untracked
    ones that are not ignored), sorted: the files a clone of the working tree would have.

    git runs against a private copy of the repository's index with ``root`` as its working tree,
    so this only reads the repository: it never takes its index lock or rewrites its index while
    somebody else is committing.
    """

    def git_path(flag: str, default: Path) -> Path:
        found = subprocess.run(["git", "rev-parse", flag], cwd=root, capture_output=True, text=True)
        return Path(root, found.stdout.strip()).resolve() if found.returncode == 0 else default

    git_dir = git_path("--absolute-git-dir", root / ".git")  # a worktree's own folder, with its index
    common_dir = git_path("--git-common-dir", git_dir)  # info/exclude is shared by the worktrees
    if not (git_dir / "index").is_file():
        raise SystemExit(f"{root} is not a git checkout with an index; the copy takes what git lists")
    with tempfile.TemporaryDirectory(prefix="handbook-git-") as scratch:
        private = Path(scratch) / "repo" / ".git"
        subprocess.run(
            ["git", "init", "-q", str(private.parent)], check=True, capture_output=True, env={**os.environ, **GIT_ENV}
        )
        extras = [(index, index.relative_to(git_dir)) for index in [git_dir / "index", *git_dir.glob("sharedindex.*")]]
        extras.append((common_dir / "info" / "exclude", Path("info", "exclude")))
        for source, relative in extras:
            if source.is_file():
                (private / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, private / relative)
        listed = subprocess.run(
            ["git", f"--git-dir={private}", f"--work-tree={root}", "ls-files", "-co", "--exclude-standard", "-z"],
            cwd=scratch,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    return sorted(name for name in set(listed.split("\0")) if name and (root / name).is_file())


def copy_files(root: Path, names: list[str], target: Path) -> None:
    """Copy ``names`` (relative to ``root``) into ``target``, keeping their folders and times."""
    for name in names:
        if not (root / name).is_file():
            continue  # removed since it was listed (others edit the tree meanwhile)
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, target / name)


def commit_all(project: Path, message: str, date: str | None = None) -> None:
    """Make ``project`` a repository with one commit of everything in it, dated ``date`` (ISO
    8601; now when None), so that git-based features ("last updated") have history."""
    env = {**os.environ, **GIT_ENV}
    if date is not None:
        env.update(GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
    for command in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", message]):
        subprocess.run(["git", *command], cwd=project, env=env, check=True, capture_output=True)


def copy_checkout(source: Path, target: Path, message: str = "checkout", date: str | None = None) -> Path:
    """A checkout of ``source``'s working tree as a clone would see it (checkout_files),
    committed into a fresh repository at ``target``; returns ``target``."""
    copy_files(source, checkout_files(source), target)
    commit_all(target, message, date)
    return target


# -- waiting for a local server -----------------------------------------------------------------


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on (now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy


def fetch(url: str) -> str | None:
    """The text at a local ``url``, or None when it cannot be had now."""
    try:
        with LOCAL.open(url, timeout=5) as response:
            return response.read().decode("utf-8", "replace")
    except (OSError, urllib.error.URLError, http.client.HTTPException):
        return None  # not serving yet, mid-rebuild, or the file changed while it was being sent


def wait_for(predicate: Callable[[], T], timeout: float, step: float = 0.05) -> T | None:
    """Call ``predicate`` every ``step`` seconds until it returns something true (returned), or
    None after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return None
