"""Front matter: every page declares ``description``, ``tags`` and ``reviewed``.

MyST puts a page's YAML front matter into ``env.metadata[docname]``; we validate it after the
page is read and report each problem at the line of the offending key, saying what to do.
``description`` becomes the page's ``<meta name="description">`` (and the text that search
results and link previews show).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

REQUIRED = ("description", "tags", "reviewed")
OPTIONAL = ("owner",)
# Keys that Sphinx, MyST, Furo or sphinx-design give a meaning to; allowed as they are.
THEME_KEYS = {"orphan", "nocomments", "nosearch", "tocdepth", "hide-toc", "hide-navigation",
              "hide-footer", "html_meta", "myst", "sd_hide_title", "title",
              "myst_slugs", "wordcount"}  # the last two are added by MyST itself
DESCRIPTION_LENGTH = (30, 300)  # characters: long enough to say something, short enough for a preview


def _written_keys(source: Path) -> dict[str, int]:
    """The keys written in the page's front matter, with their 1-based line numbers."""
    try:
        lines = source.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):  # Sphinx reports a page it cannot decode
        return {}
    if not lines or lines[0].strip() != "---":
        return {}
    keys = {}
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() == "---":
            break
        match = re.match(r"^([\w:-]+)\s*:", line)
        if match:
            keys.setdefault(match.group(1), number)
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
                return number, (f"'{match.group(1)}' is not a real date ({match.group(2)}: {error}); "
                                "write it as YYYY-MM-DD")
    import yaml

    try:
        yaml.safe_load("\n".join(lines[1:end]))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        line = mark.line + 2 if mark is not None else 2
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        return line, (f"the front matter is not valid YAML ({problem}); quote text that contains "
                      "': ' or starts with [, { or a quote, and write dates as YYYY-MM-DD")
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


def check_front_matter(meta: dict, vocabulary: dict, today: dt.date,
                       written: set[str] = frozenset()) -> list[tuple[str, str]]:
    """Return ``(key, message)`` for every problem in one page's front matter.

    ``written`` holds the keys present in the source text, to tell a missing key from one
    that MyST could not read (malformed YAML drops the whole front matter).
    """
    problems = []
    for key in REQUIRED:
        if key in meta:
            continue
        if key in written:
            problems.append((key, f"'{key}' is written but could not be read: the front matter is not "
                                  "valid YAML (quote text containing ': ', write dates as YYYY-MM-DD)"))
        else:
            problems.append((key, f"front matter is missing '{key}'; add it between the '---' lines "
                                  "at the top of the page (see the contributing page for an example)"))

    description = meta.get("description")
    if description is not None:
        text = str(description).strip()
        low, high = DESCRIPTION_LENGTH
        if not isinstance(description, str) or not low <= len(text) <= high:
            problems.append(("description", f"'description' must be one sentence of {low}-{high} "
                                            f"characters (got {len(text)})"))

    tags = page_tags(meta) if "tags" in meta else None
    if tags is not None:
        if not tags:
            problems.append(("tags", "'tags' must be a non-empty list, e.g. tags: [databases, performance]"))
        else:
            for tag in tags:
                if tag not in vocabulary:
                    problems.append(("tags", f"unknown tag '{tag}'; use one of {', '.join(sorted(vocabulary))} "
                                             "or declare it in handbook_tags in conf.py"))

    reviewed = meta.get("reviewed")
    if reviewed is not None:
        date = parse_date(reviewed)
        if date is None:
            problems.append(("reviewed", f"'reviewed' must be a date written YYYY-MM-DD (got '{reviewed}')"))
        elif date > today:
            problems.append(("reviewed", f"'reviewed' is in the future ({date}); use the date you last "
                                         "reviewed the page"))

    owner = meta.get("owner")
    if owner is not None and (not isinstance(owner, str) or not owner.strip()):
        problems.append(("owner", "'owner' must be the name of a person or team"))

    for key in sorted(set(meta) - set(REQUIRED) - set(OPTIONAL) - THEME_KEYS):
        if not key.startswith(("og:", "html_")):
            problems.append((key, f"unknown front-matter key '{key}'; allowed: "
                                  f"{', '.join(REQUIRED + OPTIONAL)} (and theme keys such as hide-toc)"))
    return problems


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
    broken = yaml_problem(source)
    if broken is not None:  # one warning, where the YAML breaks, instead of one per lost key
        logger.warning(broken[1], location=(docname, broken[0]), type="handbook", subtype="frontmatter")
        return
    written = _written_keys(source)
    for key, message in check_front_matter(env.metadata[docname], app.config.handbook_tags,
                                           dt.date.today(), set(written)):
        logger.warning(message, location=(docname, written.get(key, 1)),
                       type="handbook", subtype="frontmatter")
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
    app.connect("config-inited", _replace_mysts_yaml_warning)
    app.connect("doctree-read", _validate)
    app.connect("html-page-context", _meta_description)
