"""Front matter: every page declares ``description``, ``tags`` and ``reviewed``.

MyST puts a page's YAML front matter into ``env.metadata[docname]``; we validate it after the
page is read and report each problem at the line of the offending key, saying what to do.
``description`` becomes the page's ``<meta name="description">`` (and the text that search
results and link previews show).

Pages about one technology (``skills/``, set by ``handbook_verified_sections``) also say which
versions their facts were checked against, and when::

    verified:
      date: 2026-12-04
      versions: {PostgreSQL: "18.1", PgBouncer: "1.25"}

:mod:`handbook.health` shows it on the page and gathers it on the health page.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Collection
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx

from .shared import warn

REQUIRED = ("description", "tags", "reviewed")
OPTIONAL = ("owner", "verified")  # `verified` is required on pages in handbook_verified_sections
VERIFIED_KEYS = ("date", "versions")
VERIFIED_EXAMPLE = 'verified: {date: 2026-12-04, versions: {PostgreSQL: "18.1"}}'

# Keys that Sphinx, MyST, Furo or sphinx-design give a meaning to; allowed as they are.
THEME_KEYS = {
    "orphan",
    "nocomments",
    "nosearch",
    "tocdepth",
    "hide-toc",
    "hide-navigation",
    "hide-footer",
    "html_meta",
    "myst",
    "sd_hide_title",
    "title",
    "myst_slugs",
    "wordcount",
}  # the last two are added by MyST itself
DESCRIPTION_LENGTH = (30, 300)  # characters: long enough to say something, short enough for a preview


def _written_keys(source: Path) -> dict[str, int]:
    """The keys written in the page's front matter, with their 1-based line numbers; a key
    indented under a top-level key is listed as ``top.key`` (``verified.date``)."""
    try:
        lines = source.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):  # Sphinx reports a page it cannot decode
        return {}
    if not lines or lines[0].strip() != "---":
        return {}
    keys: dict[str, int] = {}
    top = None
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() == "---":
            break
        match = re.match(r"^([\w:-]+)\s*:", line)
        if match:
            top = match.group(1)
            keys.setdefault(top, number)
            continue
        nested = re.match(r"^\s+([\w-]+)\s*:", line)
        if nested and top:
            keys.setdefault(f"{top}.{nested.group(1)}", number)
    return keys


_DATE_VALUE = re.compile(r"^([\w:-]+)\s*:\s*['\"]?(\d{4}-\d{1,2}-\d{1,2})['\"]?\s*(#.*)?$")


def yaml_problem(source: Path) -> tuple[int, str] | None:
    """``(line, message)`` for front matter that is not valid YAML, at the line YAML stopped
    (MyST only says "Malformed YAML" at line 1, and drops the whole front matter)."""
    try:
        lines = source.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    if not lines or lines[0].strip() != "---":
        return None
    end = next((number for number, line in enumerate(lines[1:], start=1) if line.strip() == "---"), None)
    if end is None:
        return 1, "the front matter has no closing '---' line"
    for number, line in enumerate(lines[1:end], start=2):
        match = _DATE_VALUE.match(line)
        if match:  # YAML reads 2026-13-45 as a date and fails on it, without saying where
            try:
                dt.date(*map(int, match.group(2).split("-")))
            except ValueError as error:
                return number, (
                    f"'{match.group(1)}' is not a real date ({match.group(2)}: {error}); write it as YYYY-MM-DD"
                )
    import yaml

    try:
        yaml.safe_load("\n".join(lines[1:end]))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        number = mark.line + 2 if mark is not None else 2
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        return number, (
            f"the front matter is not valid YAML ({problem}); quote text that contains "
            "': ' or starts with [, { or a quote, and write dates as YYYY-MM-DD"
        )
    except ValueError as error:
        return 2, f"the front matter is not valid YAML ({error})"
    return None


def parse_date(value) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def check_front_matter(
    meta: dict,
    vocabulary: dict,
    today: dt.date,
    written: Collection[str] = frozenset(),
    verified_required: bool = False,
) -> list[tuple[str, str]]:
    """Return ``(key, message)`` for every problem in one page's front matter.

    ``written`` holds the keys present in the source text, to tell a missing key from one
    that MyST could not read (malformed YAML drops the whole front matter).
    ``verified_required`` is true for the pages that must say which versions they were
    checked against (see :func:`needs_verified`). A problem inside ``verified`` is keyed
    ``verified.date`` or ``verified.versions``.
    """
    problems = []
    required = REQUIRED + (("verified",) if verified_required else ())
    for key in required:
        if key in meta:
            continue
        if key in written:
            problems.append(
                (
                    key,
                    f"'{key}' is written but could not be read: the front matter is not "
                    "valid YAML (quote text containing ': ', write dates as YYYY-MM-DD)",
                )
            )
        elif key == "verified":
            problems.append(
                (
                    key,
                    "front matter is missing 'verified': this page must say which versions "
                    f"its facts were checked against and when, e.g. {VERIFIED_EXAMPLE}",
                )
            )
        else:
            problems.append(
                (
                    key,
                    f"front matter is missing '{key}'; add it between the '---' lines "
                    "at the top of the page (see the contributing page for an example)",
                )
            )

    description = meta.get("description")
    if description is not None:
        text = str(description).strip()
        low, high = DESCRIPTION_LENGTH
        if not isinstance(description, str) or not low <= len(text) <= high:
            problems.append(
                ("description", f"'description' must be one sentence of {low}-{high} characters (got {len(text)})")
            )

    tags = page_tags(meta) if "tags" in meta else None
    if tags is not None:
        if not tags:
            problems.append(("tags", "'tags' must be a non-empty list, e.g. tags: [databases, performance]"))
        else:
            for tag in tags:
                if tag not in vocabulary:
                    problems.append(
                        (
                            "tags",
                            f"unknown tag '{tag}'; use one of {', '.join(sorted(vocabulary))} "
                            "or declare it in handbook_tags in conf.py",
                        )
                    )

    reviewed = meta.get("reviewed")
    if reviewed is not None:
        date = parse_date(reviewed)
        if date is None:
            problems.append(("reviewed", f"'reviewed' must be a date written YYYY-MM-DD (got '{reviewed}')"))
        elif date > today:
            problems.append(
                ("reviewed", f"'reviewed' is in the future ({date}); use the date you last reviewed the page")
            )

    owner = meta.get("owner")
    if owner is not None and (not isinstance(owner, str) or not owner.strip()):
        problems.append(("owner", "'owner' must be the name of a person or team"))

    if "verified" in meta:
        problems += _check_verified(meta["verified"], today)

    for key in sorted(set(meta) - set(REQUIRED) - set(OPTIONAL) - THEME_KEYS):
        if not key.startswith(("og:", "html_")):
            problems.append(
                (
                    key,
                    f"unknown front-matter key '{key}'; allowed: "
                    f"{', '.join(REQUIRED + OPTIONAL)} (and theme keys such as hide-toc)",
                )
            )
    return problems


def _from_json(value):
    """A front-matter value as YAML wrote it: MyST stores lists and mappings as JSON text."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _check_verified(value, today: dt.date) -> list[tuple[str, str]]:
    value = _from_json(value)
    if not isinstance(value, dict):
        return [("verified", f"'verified' must be a mapping with 'date' and 'versions', e.g. {VERIFIED_EXAMPLE}")]
    problems = []
    for key in sorted(set(value) - set(VERIFIED_KEYS)):
        problems.append(("verified", f"unknown key '{key}' in 'verified'; allowed: {', '.join(VERIFIED_KEYS)}"))
    if "date" not in value:
        problems.append(
            ("verified", "'verified' is missing 'date': the day you checked the versions, written YYYY-MM-DD")
        )
    else:
        date = parse_date(value["date"])
        if date is None:
            problems.append(
                ("verified.date", f"'verified.date' must be a date written YYYY-MM-DD (got '{value['date']}')")
            )
        elif date > today:
            problems.append(
                ("verified.date", f"'verified.date' is in the future ({date}); use the day you checked the versions")
            )
    versions = value.get("versions")
    if versions is None:
        problems.append(
            (
                "verified",
                "'verified' is missing 'versions': the product versions the page's "
                'facts hold for, e.g. versions: {PostgreSQL: "18.1"}',
            )
        )
    elif not isinstance(versions, dict) or not versions:
        problems.append(
            (
                "verified.versions",
                "'verified.versions' must be a non-empty mapping of product "
                'to version, e.g. versions: {PostgreSQL: "18.1"}',
            )
        )
    else:
        for name, version in versions.items():
            if not isinstance(version, str) or not version.strip() or not str(name).strip():
                problems.append(
                    (
                        "verified.versions",
                        f"'verified.versions' gives {name!r} the version {version!r}; write each "
                        f'version as quoted text ({name}: "{version}"), since YAML reads 1.10 as 1.1',
                    )
                )
    return problems


def page_verified(meta: dict) -> tuple[dt.date, dict[str, str]] | None:
    """A page's ``verified`` date and versions, or None when it has none (or an invalid one)."""
    value = _from_json(meta.get("verified"))
    if not isinstance(value, dict) or _check_verified(value, dt.date.max):
        return None
    date = parse_date(value["date"])
    assert date is not None  # _check_verified found no problem with it
    return date, {str(name): version for name, version in value["versions"].items()}


def needs_verified(docname: str, sections) -> bool:
    """Whether a page must carry ``verified``: any page under one of ``sections`` (folders, at
    any depth), apart from the folders' index pages."""
    return (
        any(docname.startswith(f"{section.strip('/')}/") for section in sections)
        and docname.rsplit("/", 1)[-1] != "index"
    )


def page_tags(meta: dict) -> list[str]:
    """The page's tags as a list. MyST stores non-string front-matter values as JSON text."""
    tags = meta.get("tags") or []
    if isinstance(tags, str):
        try:
            tags = json.loads(tags)
        except ValueError:
            tags = [tags]
    if not isinstance(tags, list):
        return [str(tags)]
    return [str(tag) for tag in tags]


def _validate(app: Sphinx, doctree: nodes.document) -> None:
    env = app.env
    docname = env.docname
    source = Path(env.doc2path(docname))
    # MyST read the front matter when its description is there; else find where the YAML breaks
    # (parsing it again costs a third of a second per 1,000 pages).
    broken = None if "description" in env.metadata[docname] else yaml_problem(source)
    if broken is not None:  # one warning, where the YAML breaks, instead of one per lost key
        warn("frontmatter", broken[1], (docname, broken[0]))
        return
    written = _written_keys(source)
    required = needs_verified(docname, app.config.handbook_verified_sections)
    for key, message in check_front_matter(
        env.metadata[docname], app.config.handbook_tags, dt.date.today(), set(written), required
    ):
        line = written.get(key) or written.get(key.split(".", 1)[0], 1)
        warn("frontmatter", message, (docname, line))
    description = env.metadata[docname].get("description")
    if isinstance(description, str) and description.strip():
        # sphinxext-opengraph takes og:* keys from the page metadata over its own guess.
        env.metadata[docname].setdefault("og:description", description.strip())


def _meta_description(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    description = app.env.metadata.get(pagename, {}).get("description")
    if description:
        tag = f'<meta name="description" content="{html.escape(str(description).strip(), quote=True)}" />\n'
        context["metatags"] = context.get("metatags", "") + tag


def _replace_mysts_yaml_warning(app: Sphinx, config) -> None:
    # MyST's "Malformed YAML" names line 1 only; _validate reports the same fault at its line.
    config.suppress_warnings = [*config.suppress_warnings, "myst.topmatter"]


def setup_frontmatter(app: Sphinx) -> None:
    app.add_config_value("handbook_tags", {}, "env", types=[dict])
    # Folders whose pages must say which versions their facts were verified against.
    app.add_config_value("handbook_verified_sections", ["skills"], "env", types=[list, tuple])
    app.connect("config-inited", _replace_mysts_yaml_warning)
    app.connect("doctree-read", _validate)
    app.connect("html-page-context", _meta_description)
