"""Create a handbook page from its section's template: ``make new SECTION=essays TITLE="..."``.

The page gets valid front matter (a description to fill in, the section's usual tags, today's
date, and on skill pages a ``verified`` block to fill in), a label derived from its file name,
the section's headings from the style guide, and an entry at the end of the section's toctree,
so that it builds clean at once.

Run as ``python -m handbook.newpage SECTION TITLE`` with ``_ext`` on the path.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SKILL_HEADINGS = [
    "What it is",
    "When we reach for it, and when we don't",
    "The mental model that matters in production",
    "Operating it",
    "Failure modes and gotchas",
    "Commands and snippets",
    "Related",
    "References",
]
# Section -> (default tags, headings of its page shape; see the contributing page).
SHAPES = {
    "essays": (
        ["architecture"],
        [
            "The problem",
            "Principles",
            "How we do it",
            "Trade-offs",
            "Failure modes",
            "Checklist",
            "Related",
            "Further reading",
        ],
    ),
    "skills": (
        ["ops"],
        SKILL_HEADINGS,
    ),
    "skills/aws": (
        ["aws"],
        SKILL_HEADINGS,
    ),
    "engineering-practices": (
        ["delivery"],
        ["Why", "The practice, step by step", "Checklist", "Anti-patterns", "Related", "Further reading"],
    ),
    "case-studies": (
        ["incidents"],
        [
            "What happened",
            "The mechanism",
            "The mechanism, reproduced",
            "What our practices change",
            "Questions for your own system",
            "Sources",
        ],
    ),
}


def slugify(title: str) -> str:
    # Accented letters keep their base letter ("Café résumé" -> cafe-resume), not a hyphen.
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    if not slug:
        raise ValueError(f"cannot make a file name from the title {title!r}")
    return slug


def render(section: str, title: str, label: str, today: dt.date) -> str:
    tags, headings = SHAPES[section]
    body = "\n\n".join(f"## {heading}\n\nTODO." for heading in headings)
    if "Checklist" in headings:
        body = body.replace("## Checklist\n\nTODO.", "## Checklist\n\n- [ ] TODO.")
    # Skill pages say which versions their facts hold for (checked by handbook.frontmatter).
    verified = (
        f'verified:\n  date: {today.isoformat()}\n  versions: {{TODO: "the version you checked"}}\n'
        if section.startswith("skills")
        else ""
    )
    return (
        f"---\n"
        f"description: TODO - one sentence that search results and link previews show for this page.\n"
        f"tags: [{', '.join(tags)}]\n"
        f"reviewed: {today.isoformat()}\n"
        f"{verified}"
        f"---\n\n"
        f"({label})=\n"
        f"# {title}\n\n"
        f"TODO: open with the concrete situation the reader is in.\n\n"
        f"{body}\n"
    )


def add_to_toctree(index: Path, entry: str) -> None:
    """Append ``entry`` as the last line of the first toctree in ``index``."""
    text = index.read_text(encoding="utf-8")
    match = re.search(r"^```\{toctree\}\n.*?(?=^```\s*$)", text, flags=re.S | re.M)
    if match is None:
        raise ValueError(f"{index}: no toctree to add the page to")
    block = match.group(0)
    updated = block.rstrip("\n") + f"\n{entry}\n"
    index.write_text(text[: match.start()] + updated + text[match.end() :], encoding="utf-8")


def _label_in_use(root: Path, label: str) -> str | None:
    """The page that already defines ``(label)=``, if any (labels are project-wide)."""
    pattern = re.compile(rf"^\({re.escape(label)}\)=\s*$", re.M)
    for page in sorted(root.rglob("*.md")):
        parts = page.relative_to(root).parts
        if any(part.startswith((".", "_")) or part in {"node_modules", "tests"} for part in parts):
            continue
        if pattern.search(page.read_text(encoding="utf-8", errors="replace")):
            return page.relative_to(root).as_posix()
    return None


def create(section: str, title: str, root: Path = ROOT, today: dt.date | None = None) -> Path:
    if section not in SHAPES:
        raise ValueError(f"unknown section {section!r}; use one of {', '.join(SHAPES)}")
    slug = slugify(title)
    page = root / section / f"{slug}.md"
    if page.exists():
        raise FileExistsError(f"{page.relative_to(root)} exists already; choose another title")
    label = f"aws-{slug}" if section == "skills/aws" else slug
    clash = _label_in_use(root, label)
    if clash:
        raise ValueError(f"the label ({label})= is already used in {clash}; choose another title")
    page.write_text(render(section, title, label, today or dt.date.today()), encoding="utf-8")
    # skills/aws pages are listed in the skills index, as aws/<name>.
    index_section, entry = ("skills", f"aws/{slug}") if section == "skills/aws" else (section, slug)
    add_to_toctree(root / index_section / "index.md", entry)
    return page


USAGE = 'usage: make new SECTION=<essays|skills|skills/aws|engineering-practices|case-studies> TITLE="Page title"'


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # `make new` passes SECTION and TITLE in the environment, never through a shell command
    # line, so a title's backticks, quotes and $ are text (HANDBOOK_NEW_* in the Makefile).
    parser.add_argument("section", nargs="?", default=os.environ.get("HANDBOOK_NEW_SECTION", ""))
    parser.add_argument("title", nargs="?", default=os.environ.get("HANDBOOK_NEW_TITLE", ""))
    parser.add_argument("--root", type=Path, default=ROOT, help="the handbook's root folder")
    args = parser.parse_args(argv)
    if not args.section.strip() or not args.title.strip():
        print(USAGE, file=sys.stderr)
        return 2
    try:
        page = create(args.section, args.title, args.root)
    except (ValueError, FileExistsError) as error:
        print(f"make new: {error}", file=sys.stderr)
        return 2
    print(f"created {page.relative_to(args.root)}; fill in the TODOs, then `make livehtml` to preview")
    return 0


if __name__ == "__main__":
    sys.exit(main())
