"""The lock files: every package of the runtime and development trees pinned with its hashes,
agreeing with the hand-edited top-level pins, and installed as locked.

requirements.txt and requirements-dev.txt are what people edit; `make lock` (uv, pinned in
requirements-dev.txt) writes requirements.lock and requirements-dev.lock from them, and `make
html`, `make test`, `.ci/run` and Read the Docs install only the lock files, in pip's
hash-checking mode. These checks need no network: they read the files and the running venv.
"""

from __future__ import annotations

import re
from importlib import metadata

import yaml

from conftest import ROOT

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def top_level(path) -> dict[str, str]:
    """{package: version} of a hand-edited requirements file (its -r includes followed)."""
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            pins |= top_level(path.parent / line[3:].strip())
        elif match := PIN.match(line):
            pins[normalise(match[1])] = match[2]
    return pins


def locked(path) -> dict[str, tuple[str, list[str]]]:
    """{package: (version, [hashes])} of a lock file written by `uv pip compile --generate-hashes`."""
    entries: dict[str, tuple[str, list[str]]] = {}
    current = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if match := PIN.match(line):
            current = normalise(match[1])
            assert current not in entries, f"{path.name}: {current} twice"
            entries[current] = (match[2], [])
        elif current and (digest := re.search(r"--hash=sha256:([0-9a-f]{64})", line)):
            entries[current][1].append(digest[1])
        elif line and not line.lstrip().startswith("#"):
            assert line.startswith(" ") and current, f"{path.name}: unexpected line {line!r}"
    return entries


RUNTIME = locked(ROOT / "requirements.lock")
DEV = locked(ROOT / "requirements-dev.lock")


def test_every_locked_package_has_hashes():
    for path, entries in (("requirements.lock", RUNTIME), ("requirements-dev.lock", DEV)):
        assert len(entries) > 50, path
        unhashed = [name for name, (_, hashes) in entries.items() if not hashes]
        assert not unhashed, f"{path}: no hash for {unhashed}"
    # The installer too: with --require-hashes nothing in the venv comes unchecked.
    assert "pip" in RUNTIME


def test_the_locks_agree_with_the_top_level_pins():
    """Run `make lock` after editing requirements*.txt: this fails until the locks follow."""
    for source, entries in (("requirements.txt", RUNTIME), ("requirements-dev.txt", DEV)):
        stale = {
            name: (version, entries.get(name, ("missing",))[0])
            for name, version in top_level(ROOT / source).items()
            if entries.get(name, ("missing",))[0] != version
        }
        assert not stale, f"{source} pins differ from the lock (pinned, locked): {stale}"


def test_development_uses_the_runtime_versions():
    """requirements-dev.lock is compiled with requirements.lock as constraints: one version of
    each runtime package for the site and for its tests."""
    differ = {
        name: (version, DEV.get(name, ("missing",))[0])
        for name, (version, _) in RUNTIME.items()
        if DEV.get(name, ("missing",))[0] != version
    }
    assert not differ, differ


def test_every_install_goes_through_the_locks():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "--require-hashes" in makefile
    assert re.search(r"^\$\(RUNTIME\): \$\(LOCK\)", makefile, re.M)
    assert re.search(r"^\$\(DEV\): \$\(DEV_LOCK\)", makefile, re.M)
    # No pip install of a hand-edited file, and no unhashed upgrade of pip.
    assert not re.search(r"pip install[^\n]*requirements(-dev)?\.txt", makefile)
    assert "--upgrade pip" not in makefile
    config = yaml.safe_load((ROOT / ".readthedocs.yaml").read_text(encoding="utf-8"))
    assert config["python"]["install"] == [{"requirements": "requirements.lock"}]


def test_this_environment_is_the_locked_one():
    """`make test` installs requirements-dev.lock into .venv; the builds the tests compare (the
    reproducibility test's two among them) run in it, so they are builds from the lock."""
    installed = {normalise(dist.metadata["Name"]): dist.version for dist in metadata.distributions()}
    differ = {
        name: (version, installed.get(name, "missing"))
        for name, (version, _) in DEV.items()
        if installed.get(name) != version
    }
    assert not differ, f"installed versions differ from requirements-dev.lock (locked, installed): {differ}"
