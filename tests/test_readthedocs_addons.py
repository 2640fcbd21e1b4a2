"""The handbook as Read the Docs serves it: with its add-ons script injected into every page.

Read the Docs adds, at the end of every page's <head>, ``<script async
src="/_/static/javascript/readthedocs-addons.js">`` and four ``readthedocs-*`` meta tags. The
script (the readthedocs/addons client) asks ``/_/addons/`` for the project's add-on settings,
fires ``readthedocs-addons-data-ready``, and, with the defaults, binds "/" to its own search:
its hotkeys add-on dispatches ``readthedocs-search-show`` on the document when "/" is pressed
outside a text field, its flyout's search box dispatches the same event when focused, and its
search add-on opens a modal of Read the Docs' server-side search on that event.

FAKE_ADDONS below stands in for that client, doing those things the same way (same events, same
targets, same order of listeners), so that these checks need no network: "/" and the flyout's
search box must lead to the handbook's own search (one search interface), whichever script
registers its keyboard listener first; and the add-on must change nothing else a page requests
or how accessible it is. On the real service, the add-ons add their own same-host requests
(the script, /_/addons/, and /_/api/v2/analytics/ when analytics is on) and, on the community
plan, EthicalAds' script and ad requests to their own host: the one third-party exception,
which only the dashboard controls (README, "Publishing on Read the Docs").
"""

from __future__ import annotations

import json
import shutil
from urllib.parse import urlsplit

import pytest

from conftest import ROOT, require, serve

pytestmark = pytest.mark.browser

ADDONS_JS = "/_/static/javascript/readthedocs-addons.js"
ESSAY = "essays/schema-design.html"
DIAGRAMS = "essays/extracting-services.html"

# What the add-ons API answers (the shape of its api-version 1 response, trimmed): every add-on
# at its default, search and its hotkey on.
API_RESPONSE = {
    "api_version": "1",
    "projects": {"current": {"slug": "handbook", "language": {"code": "en"}}, "translations": []},
    "versions": {
        "current": {"slug": "latest", "downloads": {"epub": "/_/downloads/en/latest/epub/"}},
        "active": [{"slug": "latest", "urls": {"documentation": "/"}}],
    },
    "addons": {
        "options": {"root_selector": "[role=main]", "load_when_embedded": False},
        "hotkeys": {
            "enabled": True,
            "search": {"enabled": True, "trigger": "Slash"},
            "doc_diff": {"enabled": True, "trigger": "KeyD"},
        },
        "search": {"enabled": True, "filters": [], "default_filter": "project:handbook/latest"},
        "flyout": {"enabled": True},
        "analytics": {"enabled": False},
    },
}

FAKE_ADDONS = """// A stand-in for Read the Docs' add-ons client: the parts the handbook meets.
(() => {
  "use strict";
  const meta = (name) => { const m = document.querySelector(`meta[name=${name}]`); return m ? m.content : undefined; };
  const state = window.__fakeAddons = { searchShown: 0, dataReady: false };

  // Search add-on: a <readthedocs-search> element appended to the body, its modal hidden until
  // "readthedocs-search-show" reaches its listener on the document.
  class Search extends HTMLElement {
    connectedCallback() {
      const root = this.attachShadow({ mode: "open" });
      root.innerHTML = '<div role="search" hidden><label>Search docs <input type="search"></label></div>';
      document.addEventListener("readthedocs-search-show", (event) => {
        event.preventDefault();
        state.searchShown += 1;
        root.querySelector("div").hidden = false;
        root.querySelector("input").focus();
      });
    }
  }
  customElements.define("readthedocs-search", Search);

  // Flyout: its search box dispatches "readthedocs-search-show" when focused.
  class Flyout extends HTMLElement {
    connectedCallback() {
      const root = this.attachShadow({ mode: "open" });
      root.innerHTML = '<aside aria-label="Versions"><label>Search docs <input type="search"></label></aside>';
      root.querySelector("input").addEventListener("focusin", () => {
        document.dispatchEvent(new CustomEvent("readthedocs-search-show"));
      });
    }
  }
  customElements.define("readthedocs-flyout", Flyout);

  // Hotkeys add-on: "/" (KeyboardEvent.code "Slash") outside a text field shows the search.
  const isInput = (element) => ["INPUT", "TEXTAREA", "READTHEDOCS-SEARCH"].includes(element.tagName)
    || element.contentEditable === "true";
  document.addEventListener("keydown", (event) => {
    if (event.code === "Slash" && !event.ctrlKey && !event.altKey && !event.metaKey && !event.shiftKey
        && !isInput(document.activeElement)) {
      document.dispatchEvent(new CustomEvent("readthedocs-search-show"));
      event.preventDefault();
    }
  });

  const start = () => {
    document.body.append(document.createElement("readthedocs-flyout"), document.createElement("readthedocs-search"));
    const params = new URLSearchParams({ "client-version": "0.49.0", "api-version": "1",
      "project-slug": meta("readthedocs-project-slug"), "version-slug": meta("readthedocs-version-slug") });
    fetch("/_/addons/?" + params).then((response) => response.json()).then((data) => {
      const detail = { data: () => {
        if (meta("readthedocs-addons-api-version") === undefined)
          throw "requires the readthedocs-addons-api-version meta tag";
        return data;
      } };
      document.dispatchEvent(new CustomEvent("readthedocs-addons-internal-data-ready", { detail }));
      document.dispatchEvent(new CustomEvent("readthedocs-addons-data-ready", { detail }));
      state.dataReady = true;
    });
  };
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();
"""


def injection(name: str, first: bool) -> tuple[str, str]:
    """(the text to replace, its replacement) in a page's HTML: as Read the Docs injects it (an
    async script at the end of <head>), or blocking at the start of <head> so that the add-on
    registers its "/" listener before the handbook's script does."""
    metas = (
        '<meta name="readthedocs-project-slug" content="handbook" />'
        '<meta name="readthedocs-version-slug" content="latest" />'
        f'<meta name="readthedocs-resolver-filename" content="/{name}" />'
        '<meta name="readthedocs-http-status" content="200" />'
    )
    if first:
        return "<head>", f'<head><script type="text/javascript" src="{ADDONS_JS}"></script>{metas}'
    return "</head>", f'<script async type="text/javascript" src="{ADDONS_JS}"></script>{metas}</head>'


@pytest.fixture(scope="module", params=["as served", "addon first"])
def rtd_site(request, site, tmp_path_factory):
    """The built site as Read the Docs serves it, on a loopback port: (base URL, placement)."""
    out = tmp_path_factory.mktemp("rtd") / "html"
    shutil.copytree(site, out)
    for path in out.rglob("*.html"):
        name = path.relative_to(out).as_posix()
        if name.startswith("_"):
            continue
        old, new = injection(name, request.param == "addon first")
        html = path.read_text(encoding="utf-8")
        assert old in html, name
        path.write_text(html.replace(old, new, 1), encoding="utf-8")
    (out / ADDONS_JS.lstrip("/")).parent.mkdir(parents=True)
    (out / ADDONS_JS.lstrip("/")).write_text(FAKE_ADDONS, encoding="utf-8")
    (out / "_" / "addons").mkdir()
    (out / "_" / "addons" / "index.html").write_text(json.dumps(API_RESPONSE), encoding="utf-8")
    with serve(out) as base:
        yield base, request.param


def open_with_addons(page, url: str) -> None:
    page.goto(url, wait_until="load")
    page.wait_for_function("() => window.__fakeAddons && window.__fakeAddons.dataReady", timeout=15_000)


def searches_shown(page) -> int:
    return page.evaluate("() => window.__fakeAddons.searchShown")


def test_slash_opens_the_handbooks_search(page, rtd_site):
    base, _ = rtd_site
    page.set_viewport_size({"width": 1280, "height": 800})
    open_with_addons(page, f"{base}/{ESSAY}")
    page.keyboard.press("/")
    assert page.evaluate("() => document.activeElement.name") == "q", "the handbook's search box has the focus"
    assert searches_shown(page) == 0, "Read the Docs' search modal opened"
    # The "/" did not end up in the box, and typing there searches with the handbook's search.
    page.keyboard.type("index only scan")
    assert page.input_value("input[name=q]") == "index only scan"
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/search.html?q=index+only+scan" in url, timeout=15_000)
    page.wait_for_selector("#search-results ul.search li", timeout=30_000)
    assert searches_shown(page) == 0


def test_the_flyouts_search_box_opens_the_handbooks_search(page, rtd_site):
    base, _ = rtd_site
    page.set_viewport_size({"width": 1280, "height": 800})
    open_with_addons(page, f"{base}/{ESSAY}")
    page.locator("readthedocs-flyout input").focus()
    assert page.evaluate("() => document.activeElement.name") == "q"
    assert searches_shown(page) == 0


def test_on_a_phone_slash_opens_the_search_page(page, rtd_site):
    """The search box sits in the closed navigation drawer; the search page has its own."""
    base, _ = rtd_site
    page.set_viewport_size({"width": 390, "height": 844})
    open_with_addons(page, f"{base}/{ESSAY}")
    page.keyboard.press("/")
    page.wait_for_url(lambda url: "/search.html" in url, timeout=15_000)
    assert searches_shown(page) == 0


def requested(page, base: str, names: list[str]) -> tuple[set[str], list[str]]:
    """Load each page; return the paths requested from the site and every URL of another host."""
    origin = urlsplit(base).netloc
    paths: set[str] = set()
    foreign: list[str] = []

    def record(request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob", "about"):
            return
        if parts.netloc == origin:
            paths.add(parts.path)
        else:
            foreign.append(request.url)

    page.context.on("request", record)
    for name in names:
        page.goto(f"{base}/{name}", wait_until="networkidle")
        if page.locator("pre.mermaid").count():
            page.wait_for_function(
                "() => [...document.querySelectorAll('pre.mermaid')].every(d => d.querySelector('svg'))", timeout=30_000
            )
    page.context.remove_listener("request", record)
    return paths, foreign


def test_the_addon_adds_only_its_own_requests(browser, served_site, rtd_site):
    """The privacy gate with the add-on present: nothing from another host, and besides the
    add-on's own two requests, exactly what the pages request without it."""
    base, _ = rtd_site
    names = ["index.html", ESSAY, DIAGRAMS, "search.html?q=postgresql+index"]
    results = []
    for url in (served_site, base):
        context = browser.new_context()
        page = context.new_page()
        results.append(requested(page, url, names))
        if url == base:
            page.wait_for_function("() => window.__fakeAddons && window.__fakeAddons.dataReady")
        context.close()
    (plain, plain_foreign), (served, served_foreign) = results
    assert not plain_foreign and not served_foreign, plain_foreign + served_foreign
    assert served - plain == {ADDONS_JS, "/_/addons/"}, served ^ plain
    assert plain <= served


def test_accessibility_with_the_addon(browser, rtd_site):
    """axe-core finds nothing on pages carrying the add-on's meta tags and elements (the fake's
    own markup stands in for the real add-ons' shadow DOM, which is Read the Docs' to keep)."""
    axe = ROOT / "node_modules" / "axe-core" / "axe.min.js"
    require(axe.is_file(), "axe-core not installed (make node_modules/.installed)")
    base, _ = rtd_site
    context = browser.new_context()
    context.add_init_script(path=str(axe))
    page = context.new_page()
    found = {}
    for name in ("index.html", ESSAY, DIAGRAMS):
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 800})
            open_with_addons(page, f"{base}/{name}")
            if page.locator("pre.mermaid").count():
                page.wait_for_function(
                    "() => [...document.querySelectorAll('pre.mermaid')].every(d =>"
                    " d.dataset.processed === 'true' || d.dataset.mermaidDeferred === 'true')",
                    timeout=30_000,
                )
            violations = page.evaluate(
                "async () => (await axe.run(document, {resultTypes: ['violations']}))"
                ".violations.map(v => v.id + ': '"
                " + v.nodes.map(n => n.target.join(' ')).join(', '))"
            )
            if violations:
                found[f"{name} at {width}px"] = violations
    context.close()
    assert not found, found
