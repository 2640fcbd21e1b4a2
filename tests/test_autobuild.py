"""handbook.autobuild (`make livehtml`): sphinx-autobuild's Sphinx runs go to the preloader, its
other commands to subprocess, and a sphinx-autobuild that starts Sphinx another way is refused
by name. (tests/test_livehtml.py runs the preview itself.)"""

from __future__ import annotations

import pickle
import subprocess
import sys

import pytest

from handbook import autobuild


def test_sphinx_runs_go_to_the_preloader_and_other_commands_to_subprocess(tmp_path):
    built = []
    shim = autobuild.forked_subprocess(lambda argv: built.append(argv) or 0)
    shim.run([sys.executable, "-m", "sphinx", "build", "-b", "html", "src", "out"], check=True)
    assert built == [["-b", "html", "src", "out"]]
    marker = tmp_path / "post-build"
    assert shim.run(["touch", str(marker)], check=True).returncode == 0  # a post-build command
    assert marker.exists() and len(built) == 1


def test_a_failed_build_raises_as_subprocess_would():
    shim = autobuild.forked_subprocess(lambda argv: 2)
    with pytest.raises(subprocess.CalledProcessError) as failed:
        shim.run([sys.executable, "-m", "sphinx", "build", "src", "out"], check=True)
    assert failed.value.returncode == 2


def test_the_extensions_are_read_from_conf_without_running_it(tmp_path):
    conf = tmp_path / "conf.py"
    conf.write_text('raise SystemExit("not run")\nextensions = ["myst_parser", "handbook"]\n')
    assert autobuild.conf_literal(conf, "extensions") == ["myst_parser", "handbook"]
    assert autobuild.conf_literal(conf, "html_theme", "basic") == "basic"


def test_an_autobuild_that_starts_sphinx_another_way_is_refused(monkeypatch):
    from sphinx_autobuild import build

    monkeypatch.setattr(build.Builder, "__call__", lambda self, *, changed_paths: None)
    with pytest.raises(SystemExit, match="update _ext/handbook/autobuild.py"):
        autobuild.main(["src", "out"])


def test_an_autobuild_that_runs_builds_another_way_is_refused(monkeypatch):
    from sphinx_autobuild import server

    monkeypatch.setattr(server.RebuildServer, "watch", lambda self: None)
    with pytest.raises(SystemExit, match="server no longer runs each build in"):
        autobuild.main(["src", "out"])


def test_an_autobuild_on_a_sphinx_that_loads_its_environment_another_way_is_refused(monkeypatch):
    from sphinx.application import Sphinx

    monkeypatch.setattr(Sphinx, "_load_existing_env", lambda self, filename: None)
    with pytest.raises(SystemExit, match="Sphinx no longer loads the last build's environment with"):
        autobuild.main(["src", "out"])


def test_the_preloaded_environment_is_used_only_while_its_file_is_unchanged(tmp_path):
    doctrees = tmp_path / "doctrees"
    doctrees.mkdir()
    pickled = doctrees / "environment.pickle"
    pickled.write_bytes(pickle.dumps({"pages": ["a", "b"]}))
    argv = ["-b", "html", "src", str(tmp_path / "out"), "-d", str(doctrees)]
    assert autobuild.environment_file(argv) == pickled
    assert autobuild.environment_file(["src", "out"]) == autobuild.Path("out", ".doctrees", "environment.pickle")

    environment = autobuild.PreloadedEnvironment()
    environment.refresh(argv)
    with pickled.open("rb") as file:
        assert environment.load(file) is environment.env == {"pages": ["a", "b"]}
    pickled.write_bytes(pickle.dumps({"pages": ["a", "b", "c"]}))  # the next build pickled another
    with pickled.open("rb") as file:
        assert environment.load(file) == {"pages": ["a", "b", "c"]}

    environment.refresh(["--no-such-option"])  # a command line Sphinx refuses: nothing preloaded
    assert environment.env is None
