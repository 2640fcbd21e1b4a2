"""Read the Docs builds with the same conf.py and the same locked requirements: run its exact
command lines (the HTML, then the EPUB download)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml
from bs4 import BeautifulSoup

from conftest import ROOT, copy_sources

CANONICAL = "https://handbook.readthedocs.io/en/latest/"


def test_config_is_version_2_and_strict():
    config = yaml.safe_load((ROOT / ".readthedocs.yaml").read_text())
    assert config["version"] == 2
    assert config["sphinx"] == {"configuration": "conf.py", "builder": "html", "fail_on_warning": True}
    # The lock (every package pinned with its hashes), as `make html` installs it.
    assert config["python"]["install"] == [{"requirements": "requirements.lock"}]
    assert any("unshallow" in step for step in config["build"]["jobs"]["post_checkout"])
    assert config["formats"] == ["epub"]  # no PDF: its LaTeX route is not ours (README)


@pytest.mark.slow
def test_the_read_the_docs_command_line_builds_clean(tmp_path):
    checkout = copy_sources(ROOT, tmp_path / "checkout")
    output = tmp_path / "output"
    env = {
        **os.environ,
        "READTHEDOCS": "True",
        "READTHEDOCS_PROJECT": "handbook",
        "READTHEDOCS_LANGUAGE": "en",
        "READTHEDOCS_VERSION": "latest",
        "READTHEDOCS_VERSION_TYPE": "branch",
        "READTHEDOCS_OUTPUT": str(output),
        "READTHEDOCS_CANONICAL_URL": CANONICAL,
        "NO_COLOR": "1",
    }
    # The command from readthedocs/doc_builder/backends/sphinx.py, run from conf.py's folder,
    # with fail_on_warning's -W --keep-going and no -n.
    command = [
        sys.executable,
        "-m",
        "sphinx",
        "-T",
        "-W",
        "--keep-going",
        "-b",
        "html",
        "-d",
        "_build/doctrees",
        "-D",
        "language=en",
        ".",
        str(output / "html"),
    ]
    result = subprocess.run(command, cwd=checkout, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-6000:]
    assert "WARNING" not in result.stderr

    page = BeautifulSoup((output / "html" / "essays" / "schema-design.html").read_text(), "html.parser")
    assert page.find("link", rel="canonical")["href"] == CANONICAL + "essays/schema-design.html"

    # `formats: [epub]`: the same command with the epub builder, into its own folder, sharing the
    # doctrees as Read the Docs does; fail_on_warning applies to it too.
    epub = [*command[: command.index("-b") + 1], "epub", *command[command.index("-b") + 2 : -1], str(output / "epub")]
    result = subprocess.run(epub, cwd=checkout, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-6000:]
    assert "WARNING" not in result.stderr
    assert len(list((output / "epub").glob("*.epub"))) == 1
