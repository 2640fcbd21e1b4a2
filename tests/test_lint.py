"""Code gates: ruff (lint, import order and format, ruff.toml) and mypy (types of _ext/handbook,
mypy.ini) find nothing, with the versions pinned in requirements-dev.txt. `make lint` runs the
same commands; `ruff format .` writes the format."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT

LINT = [sys.executable, "-m", "ruff", "check", "--no-cache", "."]
FORMAT = [sys.executable, "-m", "ruff", "format", "--check", "--no-cache", "."]
TYPES = [sys.executable, "-m", "mypy"]


def run(command: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_ruff_finds_nothing():
    result = run(LINT)
    assert result.returncode == 0, f"{' '.join(LINT[2:])}:\n{result.stdout}{result.stderr}"


def test_the_code_is_formatted():
    result = run(FORMAT)
    assert result.returncode == 0, f"run `ruff format .`:\n{result.stdout}{result.stderr}"


def test_mypy_finds_nothing():
    result = run(TYPES)
    assert result.returncode == 0, f"mypy:\n{result.stdout}{result.stderr}"
    assert "Success: no issues found" in result.stdout


def test_the_gates_can_fail(tmp_path):
    """The same commands on a file with an unused import and a type error report both."""
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n\n\ndef half(n: int) -> int:\n    return n/2\n")
    lint = subprocess.run([*LINT[:-1], str(bad)], capture_output=True, text=True, timeout=60)
    assert lint.returncode != 0 and "F401" in lint.stdout
    unformatted = subprocess.run([*FORMAT[:-1], str(bad)], capture_output=True, text=True, timeout=60)
    assert unformatted.returncode != 0 and "would be reformatted" in unformatted.stdout
    types = subprocess.run(
        [*TYPES, "--no-incremental", "--config-file", "/dev/null", str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert types.returncode != 0 and "Incompatible return value type" in types.stdout


def test_the_strict_flags_are_the_same_everywhere():
    """`make html`, the tests (conftest.STRICT) and Read the Docs (fail_on_warning) build alike."""
    import re

    import yaml

    from conftest import STRICT

    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^SPHINXOPTS\s*\?=\s*(.+)$", makefile, re.M).group(1).split() == STRICT
    readthedocs = yaml.safe_load((ROOT / ".readthedocs.yaml").read_text(encoding="utf-8"))
    assert readthedocs["sphinx"]["fail_on_warning"] is True
