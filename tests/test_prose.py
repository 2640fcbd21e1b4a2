"""The handbook's Markdown, checked as text: no typos (codespell) and no Markdown problems
(pymarkdownlnt, configured for MyST in .pymarkdown.json). Zero findings.

The same commands by hand, from the repository root:

    .venv/bin/codespell -I .codespell-words.txt README.md $(PAGES)
    .venv/bin/pymarkdown --config .pymarkdown.json --strict-config scan $(PAGES)

where PAGES is every content page: the root *.md except README.md, and essays/ skills/
engineering-practices/ tags/ (``content_pages()`` below lists them).

.codespell-words.txt holds real words codespell mis-flags, one per line, lower case (so that the
capitalised form is accepted too), and nothing else (codespell reads every line as a word):

* fulfilment: the British spelling, which the handbook uses throughout (order fulfilment is a
  service in our examples); codespell only knows the American "fulfillment".
* wither: the verb ("let the old part wither"), which codespell takes for a typo of "either".
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, record_gate

WORDS = ROOT / ".codespell-words.txt"
LINT_CONFIG = ROOT / ".pymarkdown.json"
NOT_CONTENT = {"tests", "venv", "node_modules"}  # besides hidden and _-prefixed folders (conf.py)


def content_pages(root: Path = ROOT) -> list[str]:
    """The Markdown files Sphinx reads as pages (conf.py's exclude_patterns), relative to root."""
    pages = []
    for path in sorted(root.rglob("*.md")):
        relative = path.relative_to(root)
        folders = relative.parts[:-1]
        if any(part.startswith((".", "_")) or part in NOT_CONTENT for part in folders):
            continue
        if relative.as_posix() == "README.md":
            continue
        pages.append(relative.as_posix())
    return pages


def codespell(root: Path, files: list[str], words: Path | None = WORDS) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "codespell_lib", *(["-I", str(words)] if words else []), *files]
    return subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=120)


def pymarkdown(root: Path, files: list[str], config: Path = LINT_CONFIG) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pymarkdown", "--config", str(config), "--strict-config", "scan", *files]
    return subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=300)


def test_the_content_pages_are_all_found():
    pages = content_pages()
    assert len(pages) >= 60, pages
    assert {
        "index.md",
        "glossary.md",
        "essays/schema-design.md",
        "skills/aws/s3.md",
        "engineering-practices/idempotency.md",
        "tags/index.md",
    } <= set(pages)
    assert not any(page.startswith(("tests/", "_build/", ".venv/")) or page == "README.md" for page in pages)


def test_no_typos_in_the_pages_or_the_readme():
    pages = content_pages()
    result = codespell(ROOT, ["README.md", *pages])
    print(f"\ncodespell: {len(pages) + 1} files, {len(result.stdout.splitlines())} findings")
    record_gate("spelling", files=len(pages) + 1, findings=len(result.stdout.splitlines()))
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_the_word_list_holds_only_words_codespell_really_flags():
    """Every entry is a single lower-case word that codespell would flag in our text; an entry
    that no page needs any more should go, so the list never hides new typos."""
    words = WORDS.read_text(encoding="utf-8").split("\n")
    words = [word for word in words if word]
    assert words and all(word.isalpha() and word == word.lower() for word in words), words
    unfiltered = codespell(ROOT, ["README.md", *content_pages()], words=None).stdout.lower()
    assert [word for word in words if f" {word} ==>" not in unfiltered] == [], unfiltered


@pytest.mark.slow
def test_markdown_lint_finds_nothing():
    pages = content_pages()
    result = pymarkdown(ROOT, pages)
    print(f"\npymarkdown: {len(pages)} pages, {len(result.stdout.splitlines())} findings")
    record_gate("markdown_lint", files=len(pages), findings=len(result.stdout.splitlines()))
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_the_checks_fail_on_a_broken_copy(tmp_path):
    """A copy of two pages with a typo and real Markdown problems: both tools must complain."""
    for name in ("essays/schema-design.md", "skills/git.md"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, tmp_path / name)
    shutil.copy2(ROOT / "README.md", tmp_path / "README.md")
    essay = tmp_path / "essays" / "schema-design.md"
    essay.write_text(
        essay.read_text(encoding="utf-8")
        + "\nWe recieve the rows seperately.\n\n## A heading\nwith no blank line under it\n"
        "\n\n\nText\twith a hard tab, and `code ` with a stray space.\n\n```\nno language\n```\n",
        encoding="utf-8",
    )
    spelled = codespell(tmp_path, ["README.md", "essays/schema-design.md", "skills/git.md"])
    assert spelled.returncode != 0
    assert "recieve ==> receive" in spelled.stdout and "seperately ==> separately" in spelled.stdout
    linted = pymarkdown(tmp_path, ["essays/schema-design.md", "skills/git.md"])
    assert linted.returncode != 0
    for rule in ("MD010", "MD012", "MD038", "MD040"):
        assert rule in linted.stdout, (rule, linted.stdout)
    assert "skills/git.md" not in linted.stdout + spelled.stdout  # the unbroken page stays clean
