"""Every link in the built handbook goes somewhere: each internal href, src and #fragment
resolves to a file of the build and an element id in it, and every external URL is well formed
and points at the public internet, never at this machine or a private network.

The checks work on any folder of HTML (``check_internal``/``check_external``), so that they can
be tried on a deliberately broken copy of the build; the tests run them on the real handbook.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

from conftest import built_pages, record_gate
from handbook.navigation import TREE_FILE

# The canonical / link-preview base of a local build (conf.py's html_baseurl when neither
# READTHEDOCS_CANONICAL_URL nor HANDBOOK_SITE_URL is set): `make livehtml`'s own address.
LOCAL_BASE = "http://127.0.0.1:8000/"

# Attributes that hold a URL, per element ("*" for any element).
URL_ATTRIBUTES = {
    "*": ("href", "src", "action", "formaction", "poster", "cite", "xlink:href"),
    "object": ("data",),
}
IGNORED_SCHEMES = {"mailto", "tel", "data", "javascript"}
HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$")


@dataclass
class Link:
    page: str  # the page it is on, relative to the site
    line: int
    tag: str
    attribute: str
    url: str
    rel: str = ""  # <link rel=...>
    property: str = ""  # <meta property=...>


@dataclass
class Page:
    ids: set[str] = field(default_factory=set)
    links: list[Link] = field(default_factory=list)


class _Collector(HTMLParser):
    def __init__(self, name: str):
        super().__init__(convert_charrefs=True)
        self.name = name
        self.page = Page()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if attributes.get("id"):
            self.page.ids.add(attributes["id"])
        if tag == "a" and attributes.get("name"):
            self.page.ids.add(attributes["name"])
        line = self.getpos()[0]

        def add(attribute: str, url: str) -> None:
            self.page.links.append(
                Link(
                    self.name,
                    line,
                    tag,
                    attribute,
                    url.strip(),
                    rel=attributes.get("rel") or "",
                    property=attributes.get("property") or attributes.get("name") or "",
                )
            )

        for attribute in URL_ATTRIBUTES["*"] + URL_ATTRIBUTES.get(tag, ()):
            if attributes.get(attribute) is not None:
                add(attribute, attributes[attribute])
        for attribute in ("srcset", "imagesrcset"):
            for candidate in (attributes.get(attribute) or "").split(","):
                if candidate.strip():
                    add(attribute, candidate.split()[0])
        if tag == "meta":
            content = attributes.get("content") or ""
            if (attributes.get("http-equiv") or "").lower() == "refresh":
                match = re.search(r"url\s*=\s*['\"]?([^'\"]+)", content, re.I)
                if match:
                    add("content", match.group(1))
            elif re.match(r"\s*https?:", content, re.I):
                add("content", content)

    handle_startendtag = handle_starttag


def parse(site: Path) -> dict[str, Page]:
    """Every HTML page of a build, keyed by its path relative to the site (asset folders aside)."""
    # Asset folders are left out: links into them must hit an existing file, but their files
    # are not parsed for ids (a fragment into them is not checked).
    pages = {name: _parse_one(name, site / name) for name in built_pages(site)}
    # The sidebar's shared tree (handbook.navigation) is inserted into pages at any depth, with
    # its links made relative to the page: they are written relative to the site's root.
    tree = site / "_static" / TREE_FILE
    if tree.is_file():
        pages[TREE_FILE] = _parse_one(TREE_FILE, tree)
    return pages


def _parse_one(name: str, path: Path) -> Page:
    collector = _Collector(name)
    collector.feed(path.read_text(encoding="utf-8"))
    collector.close()
    return collector.page


def _is_external(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.scheme or parts.netloc)


def check_internal(site: Path, pages: dict[str, Page]) -> tuple[list[str], dict[str, int]]:
    """Problems with internal links (page:line: what is wrong), and what was checked."""
    problems, counts = [], {"pages": len(pages), "internal links": 0, "fragments": 0}
    for name, page in pages.items():
        for link in page.links:
            if _is_external(link.url) or link.url.split(":", 1)[0].lower() in IGNORED_SCHEMES:
                continue
            if name == TREE_FILE and link.url.startswith("#"):
                continue  # the toggles' icon, from the sprite of whichever page the tree goes into
            counts["internal links"] += 1
            # Resolve as the browser does: against the page's own URL ("/" is the site root).
            resolved = urlsplit(urljoin("http://site/" + name, link.url))
            target = unquote(resolved.path).lstrip("/")
            if target == "" or target.endswith("/"):
                target += "index.html"
            where = f"{name}:{link.line}: <{link.tag} {link.attribute}={link.url!r}>"
            if ".." in PurePosixPath(target).parts or not (site / target).is_file():
                problems.append(f"{where}: no file {target}")
                continue
            if resolved.fragment and target in pages:
                counts["fragments"] += 1
                fragment = unquote(resolved.fragment)
                if fragment not in pages[target].ids and fragment != "top":  # "#top" is the document's top
                    problems.append(f"{where}: no id {fragment!r} in {target}")
    return problems, counts


def _address(host: str):
    """The IP address a host name stands for literally (including the legacy IPv4 forms
    browsers accept, such as 2130706433 or 0x7f.1), or None for a DNS name."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    if re.fullmatch(r"[0-9a-fx.]+", host) and not re.search(r"[g-wyz]", host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def url_problem(url: str) -> str | None:
    """Why an external http(s) URL is malformed or not public, or None when it is fine."""
    if re.search(r"[\s\\<>\"{}|^`]", url) or any(ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        return "contains whitespace or characters that must be escaped"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError as error:
        return f"malformed: {error}"
    if parts.scheme.lower() not in ("http", "https") or not url.lower().startswith(parts.scheme.lower() + "://"):
        return "not an http(s) URL with a host"
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return "no host"
    if parts.username is not None or parts.password is not None:
        return "has credentials in it"
    address = _address(host)
    if address is not None:
        if not address.is_global or address.is_multicast:
            return f"points to a non-public address ({address})"
        return None
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return f"invalid host name {host!r}"
    if not HOSTNAME.match(ascii_host) or ascii_host.split(".")[-1].isdigit():
        return f"invalid host name {host!r}"
    if ascii_host == "localhost" or ascii_host.endswith((".localhost", ".local", ".internal", ".lan", ".home.arpa")):
        return f"points to this machine or a private network ({host})"
    if "." not in ascii_host:
        return f"single-label host {host!r} only resolves on a private network"
    return None


def _own_base(link: Link) -> bool:
    """The site's own canonical / link-preview URLs, which a local build points at its server."""
    return (
        link.tag == "link"
        and "canonical" in link.rel.split()
        or link.tag == "meta"
        and link.property.startswith(("og:", "twitter:"))
    )


def check_external(pages: dict[str, Page], own_base: str = LOCAL_BASE) -> tuple[list[str], dict[str, int]]:
    problems, counts = [], {"external links": 0, "external hosts": 0, "own base (skipped)": 0}
    hosts = set()
    for name, page in pages.items():
        for link in page.links:
            scheme = urlsplit(link.url).scheme.lower() if ":" in link.url else ""
            if not (_is_external(link.url) and (scheme in ("http", "https") or link.url.startswith("//"))):
                if scheme and scheme not in IGNORED_SCHEMES and scheme not in ("http", "https"):
                    problems.append(f"{name}:{link.line}: {link.url!r}: unexpected scheme {scheme!r}")
                continue
            if _own_base(link) and link.url.startswith(own_base):
                counts["own base (skipped)"] += 1
                continue
            counts["external links"] += 1
            hosts.add((urlsplit(link.url).hostname or "").lower())
            problem = url_problem(link.url if scheme else "https:" + link.url)
            if problem:
                problems.append(f"{name}:{link.line}: <{link.tag} {link.attribute}={link.url!r}>: {problem}")
    counts["external hosts"] = len(hosts)
    return problems, counts


def _report(problems: list[str], limit: int = 40) -> str:
    more = f"\n... and {len(problems) - limit} more" if len(problems) > limit else ""
    return f"{len(problems)} problem(s):\n" + "\n".join(problems[:limit]) + more


def test_every_internal_link_and_fragment_resolves(site):
    pages = parse(site)
    problems, counts = check_internal(site, pages)
    print(f"\nlinks: {counts}")
    record_gate("internal_links", **counts, broken=len(problems))
    assert not problems, _report(problems)
    assert TREE_FILE in pages, "the sidebar's shared tree is checked too"
    # The check really ran over the handbook: pages, a sizeable number of links and fragments.
    assert counts["pages"] >= 60 and counts["internal links"] >= 5_000 and counts["fragments"] >= 1_000, counts
    assert {"genindex.html", "search.html", "index.html"} <= pages.keys()


def test_external_urls_are_well_formed_and_public(site):
    problems, counts = check_external(parse(site))
    print(f"\nexternal: {counts}")
    record_gate("external_urls", **counts, problems=len(problems))
    assert not problems, _report(problems)
    assert counts["external links"] >= 300 and counts["own base (skipped)"] >= 60, counts


def test_the_url_checker_rejects_what_it_should():
    """The checker itself, on URLs a page must never link to (and some it may)."""
    bad = [
        "http://localhost:8000/",
        "http://127.0.0.1/",
        "http://10.1.2.3/x",
        "http://192.168.0.1",
        "http://172.16.5.4/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:8080/",
        "http://[fe80::1]/",
        "http://0.0.0.0/",
        "http://2130706433/",
        "http://0x7f.1/",
        "http://api.localhost/",
        "http://printer.local/",
        "http://jenkins/",
        "http://exa mple.com/",
        "https://",
        "http://example.com:99999/",
        "https://user:pw@example.com/",
        "http://-bad-.example.com/",
        "https://example.com/a b",
    ]
    good = [
        "https://www.postgresql.org/docs/current/mvcc.html",
        "http://martinfowler.com/bliki/x.html",
        "https://example.com:8443/path?q=1#frag",
        "https://8.8.8.8/",
        "https://xn--bcher-kva.example/",
    ]
    assert [url for url in bad if url_problem(url) is None] == []
    assert {url: url_problem(url) for url in good} == dict.fromkeys(good)


def test_the_checks_catch_a_broken_copy_of_the_build(site, tmp_path):
    """Break a copy of the build in every way the two tests above guard against."""
    import shutil

    broken = tmp_path / "html"
    shutil.copytree(site, broken)
    page = broken / "essays" / "schema-design.html"
    html = page.read_text(encoding="utf-8")
    injected = (
        '<a href="no-such-page.html">a</a><a href="resilience.html#no-such-section">b</a>'
        '<a href="../glossary.html#term-MVCCX">c</a><img src="../_static/missing.png" alt="">'
        '<a href="http://localhost:8080/admin">d</a><a href="http://127.0.0.1:8000/index.html">e</a>'
        '<img src="http://10.0.0.5/x.png" alt=""><a href="https://exa mple.com/">f</a>'
        '<a href="https://[fe80::1]/">g</a>'
    )
    page.write_text(html.replace("<article", injected + "<article", 1), encoding="utf-8")
    (broken / "_static" / "handbook.css").unlink()
    tree = broken / "_static" / TREE_FILE
    tree.write_text(
        tree.read_text(encoding="utf-8").replace('href="skills/kafka.html"', 'href="skills/kafka2.html"'),
        encoding="utf-8",
    )

    pages = parse(broken)
    internal, _ = check_internal(broken, pages)
    external, _ = check_external(pages)
    for expected in (
        "no file essays/no-such-page.html",
        "no id 'no-such-section' in essays/resilience.html",
        "no id 'term-MVCCX' in glossary.html",
        "no file _static/missing.png",
        f"{TREE_FILE}:",
    ):
        assert any(expected in problem for problem in internal), (expected, internal[:10])
    # A stylesheet every page links to is gone: every page reports it.
    assert sum("no file _static/handbook.css" in problem for problem in internal) >= 60
    for expected in ("localhost:8080", "127.0.0.1:8000/index.html", "10.0.0.5", "exa mple", "fe80::1"):
        assert any(expected in problem for problem in external), (expected, external)
    assert all(problem.startswith("essays/schema-design.html:") for problem in external), external
