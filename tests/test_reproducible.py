"""Reproducible builds: two clean builds of the same sources, in two different folders, with the
same SOURCE_DATE_EPOCH, one serial and one parallel (-j 2), write byte-identical output.

Every file of the HTML output is compared (pages, text such as llms.txt and sitemap.xml, search
indexes, copied assets), except the files listed in NON_DETERMINISTIC, each with its reason.
A difference anywhere else is a bug to investigate, not an entry to add to that list.

Slow: two full builds (run side by side, one per core).
"""

from __future__ import annotations

import difflib
import os
import subprocess
import time
from pathlib import Path

import pytest

from conftest import ROOT, STRICT, copy_sources, record_gate, sphinx_command

# Output that Sphinx itself does not promise to reproduce, with the reason. The doctrees and the
# pickled environment (environment.pickle, *.doctree) are not listed because the builds write
# them outside the output folder (-d); they are pickles whose bytes Sphinx never promised
# to keep stable (sets, object ids) and are not published.
NON_DETERMINISTIC = {
    # A hash of the configuration and tags, kept so that the next build knows whether it must
    # rebuild everything; Sphinx's own bookkeeping for incremental builds, not published content.
    ".buildinfo": "Sphinx's incremental-build record (a hash of the configuration)",
}
TEXT_SUFFIXES = {".html", ".txt", ".xml", ".js", ".mjs", ".css", ".json", ".svg", ".md"}
# Both builds run in this venv, which `make test` installs from requirements-dev.lock (and
# tests/test_lock.py checks that it is exactly the lock): two builds from the lock.


def build(source: Path, out: Path, epoch: str, log, jobs: str = "1") -> subprocess.Popen:
    env = {**os.environ, "SOURCE_DATE_EPOCH": epoch, "PYTHONPATH": str(source / "_ext")}
    command = sphinx_command(source, out / "html", *STRICT, "-j", jobs, "-d", str(out / "doctrees"))
    return subprocess.Popen(command, cwd=source, env=env, stdout=log, stderr=subprocess.STDOUT)


def files(tree: Path) -> dict[str, Path]:
    return {path.relative_to(tree).as_posix(): path for path in sorted(tree.rglob("*")) if path.is_file()}


def compare(one: Path, two: Path) -> tuple[list[str], dict[str, str], int]:
    """(differences, excluded files that differed with the reason, files compared)."""
    left, right = files(one), files(two)
    differences = [
        f"only in the {side} build: {name}"
        for side, names in (("first", left.keys() - right.keys()), ("second", right.keys() - left.keys()))
        for name in sorted(names)
        if name not in NON_DETERMINISTIC
    ]
    excluded = {}
    for name in sorted(left.keys() & right.keys()):
        a, b = left[name].read_bytes(), right[name].read_bytes()
        if a == b:
            continue
        if name in NON_DETERMINISTIC:
            excluded[name] = NON_DETERMINISTIC[name]
            continue
        detail = "binary content differs"
        if left[name].suffix in TEXT_SUFFIXES:
            diff = difflib.unified_diff(
                a.decode("utf-8", "replace").splitlines(), b.decode("utf-8", "replace").splitlines(), lineterm="", n=0
            )
            detail = "\n    ".join(line[:300] for line in list(diff)[2:12])
        differences.append(f"{name}:\n    {detail}")
    return differences, excluded, len(left.keys() & right.keys())


@pytest.mark.slow
def test_two_clean_builds_are_byte_identical(tmp_path):
    epoch = str(int(time.time()))  # the same "now" for both builds
    # Copy both trees before either build starts, so both see exactly the same sources; the
    # folder names differ in length, so an absolute path in the output would show up too.
    sources = [copy_sources(ROOT, tmp_path / name / "src") for name in ("one", "second-build")]
    for source in sources:
        (source.parent / "out").mkdir()
    started = time.monotonic()
    logs = [(source.parent / "out" / "build.log").open("w") for source in sources]
    processes = []
    try:
        # One serial, one parallel: the output must not depend on -j either.
        processes = [
            build(source, source.parent / "out", epoch, log, jobs)
            for source, log, jobs in zip(sources, logs, ("1", "2"), strict=True)
        ]
        codes = [process.wait(timeout=1800) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        for log in logs:
            log.close()
    for source, code in zip(sources, codes, strict=True):
        log = (source.parent / "out" / "build.log").read_text()
        assert code == 0 and "WARNING" not in log, log[-6000:]
    seconds = time.monotonic() - started

    one, two = (source.parent / "out" / "html" for source in sources)
    differences, excluded, compared = compare(one, two)
    print(
        f"\nreproducible: {compared} files compared, {len(differences)} differ, "
        f"excluded and differing: {excluded or 'none'}; two builds in {seconds:.0f} s"
    )
    record_gate(
        "reproducible_build",
        files_compared=compared,
        differences=len(differences),
        excluded_and_differing=sorted(excluded) if excluded else [],
    )
    assert not differences, "\n".join(differences[:30])
    assert compared > 200 and (one / "index.html").is_file()
    # Neither build leaked the folder it was built in.
    for name, path in files(one).items():
        if path.suffix in TEXT_SUFFIXES:
            assert str(sources[0]) not in path.read_text(encoding="utf-8", errors="replace"), name


def test_the_comparison_reports_what_differs(tmp_path):
    """The comparison itself, on two small trees: a changed page, an extra file, and a
    different .buildinfo (which is allowed)."""
    for name, stamp in (("a", "1"), ("b", "2")):
        (tmp_path / name / "essays").mkdir(parents=True)
        (tmp_path / name / "index.html").write_text("<p>same</p>\n")
        (tmp_path / name / "essays" / "page.html").write_text(f"<p>built at {stamp}</p>\n")
        (tmp_path / name / ".buildinfo").write_text(f"config: {stamp}\n")
    (tmp_path / "b" / "extra.txt").write_text("x")
    differences, excluded, compared = compare(tmp_path / "a", tmp_path / "b")
    assert compared == 3 and excluded == {".buildinfo": NON_DETERMINISTIC[".buildinfo"]}
    assert differences[0] == "only in the second build: extra.txt"
    assert differences[1].startswith("essays/page.html:") and "+<p>built at 2</p>" in differences[1]
    assert len(differences) == 2
