"""B. Generated handbooks of N source pages with realistic ~600-word pages, shaped like the real
one: sections that split into chapters of at most CHAPTER_PAGES pages as they grow, a glossary,
the tag index and the health report; the same pages for the same seed."""

from __future__ import annotations

import ast
import datetime as dt
import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from devkit import commit_all, copy_files

from .common import ROOT

SECTIONS = [  # slug, title, preferred tags
    ("architecture", "Architecture", ["architecture", "scaling"]),
    ("storage", "Data storage", ["databases", "postgresql", "nosql"]),
    ("caching", "Caching", ["caching", "performance"]),
    ("messaging", "Messaging", ["messaging", "reliability"]),
    ("pipelines", "Data pipelines", ["data", "databases"]),
    ("observability", "Observability", ["observability", "reliability"]),
    ("delivery", "Delivery", ["delivery", "testing"]),
    ("operations", "Operations", ["ops", "aws", "web"]),
    ("security", "Security", ["security", "ops"]),
    ("teamwork", "Team practices", ["collaboration", "ownership", "culture"]),
]
TOPICS = [
    "connection pool",
    "read replica",
    "write-ahead log",
    "consumer group",
    "circuit breaker",
    "feature flag",
    "deployment pipeline",
    "error budget",
    "covering index",
    "cache key",
    "rate limiter",
    "schema migration",
    "dead-letter queue",
    "health check",
    "load balancer",
    "retry budget",
    "batch export",
    "partition key",
    "trace span",
    "runbook",
    "service boundary",
    "message schema",
    "queue depth",
    "latency budget",
    "backfill job",
    "access policy",
    "secret rotation",
    "container image",
    "canary release",
    "on-call rotation",
    "design review",
    "data contract",
    "materialised view",
    "idempotency key",
    "outbox table",
    "lock timeout",
    "vacuum schedule",
    "capacity plan",
    "alert rule",
    "dashboard",
]
GLOSSARY_TERMS = TOPICS[:24]
# The root index's captioned toctrees: the sections in three groups, then the reference pages.
ROOT_GROUPS = [("Foundations", SECTIONS[:4]), ("Running systems", SECTIONS[4:8]), ("People", SECTIONS[8:])]
REFERENCE_PAGES = ["glossary", "tags/index", "handbook-health"]
TITLES = [
    "{T} in practice",
    "Sizing the {t}",
    "When the {t} fails",
    "Reviewing a {t}",
    "Operating the {t}",
    "Choosing a {t}",
    "Testing the {t}",
    "Migrating the {t}",
    "Monitoring the {t}",
    "A checklist for the {t}",
    "Owning the {t}",
    "Debugging the {t}",
]
AREAS = [
    "the orders service",
    "billing",
    "search",
    "the data platform",
    "payments",
    "the API gateway",
    "reporting",
    "notifications",
    "identity",
    "the catalogue",
]
HEADINGS = [
    "Why it matters",
    "How it works",
    "Sizing it",
    "Failure modes",
    "Operating it",
    "Anti-patterns",
    "A checklist",
]
SENTENCES = [
    "The {t} is where many of our incidents in {a} started, so we treat it as part of the design and not as a detail.",
    "Before changing the {t}, write down what you expect to happen to p99 latency and the error rate, "
    "and check both afterwards.",
    "A {t} that nobody owns drifts: its settings stay at the defaults of the day it was created while "
    "the traffic grows tenfold.",
    "We size the {t} from measured load rather than from a guess: about {n} requests per second at the "
    "evening peak, with headroom for a failover.",
    "The {o} and the {t} interact, so a change to one is reviewed together with the other by someone who knows both.",
    "In {a} the {t} handles roughly {n} operations per second on a normal weekday and three times that during a sale.",
    "When the {t} misbehaves, the first question is what changed, and the deployment log answers it more "
    "often than the code does.",
    "Keep the configuration of the {t} in the repository, next to the code that depends on it, and "
    "review it like code.",
    "Alerts on the {t} page a person only when users are affected; everything else becomes a ticket for working hours.",
    "A load test against a copy of production data shows whether the {t} holds at twice today's peak "
    "before the peak arrives.",
    "Document each failure mode of the {t} in the runbook, with the command that confirms it and the one "
    "that mitigates it.",
    "The cheapest fix is often to remove work: fewer calls through the {t}, smaller payloads and no "
    "duplicate reads of the same rows.",
    "New engineers learn the {t} fastest by pairing on a real change, with a reviewer who explains why "
    "each setting is what it is.",
    "We retire a {t} the way we introduce one: behind a flag, with metrics on both paths, one small step at a time.",
    "A timeout on every call through the {t} keeps one slow dependency from taking the whole request "
    "path down with it.",
    "Measure before and after: a change to the {t} that cannot be measured cannot be reviewed, and will "
    "not be trusted.",
    "The defaults of the {t} were chosen for a laptop, not for {n} concurrent clients, so we set every "
    "limit explicitly.",
    "Most surprises with the {t} come from the interaction with the {o}, which is why the two share one dashboard.",
    "Write the decision about the {t} down in a short record, with the options we rejected and the "
    "numbers that decided it.",
    "Capacity for the {t} is planned a quarter ahead from the growth curve, not the week the graphs turn red.",
]


@dataclass
class GeneratedPage:
    docname: str
    title: str
    label: str
    topic: str
    tags: list[str]


def with_articles(text: str) -> str:
    """'a access policy' -> 'an access policy'."""
    return re.sub(r"\b([Aa]) (?=[aeiou])", r"\1n ", text)


def handbook_vocabulary(conf: Path) -> list[str]:
    """The tag vocabulary (``handbook_tags``) from conf.py, read without executing it."""
    for node in ast.parse(conf.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "handbook_tags" for t in node.targets):
            return sorted(ast.literal_eval(node.value))
    raise SystemExit("conf.py has no handbook_tags vocabulary to tag generated pages with")


# A section or chapter lists at most this many pages before it is split, as the authors of a real
# handbook split a growing section into chapters: a sidebar branch of hundreds of pages is not read.
CHAPTER_PAGES = 25
CHAPTERS = [
    "In depth",
    "Operations",
    "Failure and recovery",
    "Migrations",
    "Case studies",
    "Tooling",
    "Reviews",
    "Capacity planning",
    "Checklists",
    "Reference",
]


@dataclass
class Chapter:
    docname: str  # of its index page
    title: str
    label: str
    pages: list[GeneratedPage] = field(default_factory=list)


class HandbookGenerator:
    """Writes a handbook of exactly ``pages`` source pages, shaped like the real one: a root index
    with captioned toctrees, ten sections with an index each, a glossary, the tag index and the
    health report. Each section lists its first pages itself and the rest in chapters (folders
    with an index each), at least one, none listing more than ``CHAPTER_PAGES``: as the handbook
    grows it gains chapters, not ever longer lists."""

    FIXED = 1 + 3 + len(SECTIONS)  # root, glossary + tags + health, section indexes
    SMALLEST = FIXED + 3 * len(SECTIONS)  # and a chapter index and two pages per section

    def __init__(self, target: Path, pages: int, vocabulary: list[str], seed: int):
        if pages < self.SMALLEST:
            raise SystemExit(f"--sizes: a generated handbook needs at least {self.SMALLEST} pages")
        self.target = target
        self.total = pages
        self.vocabulary = vocabulary
        self.rng = random.Random(seed)
        self.today = dt.date.today()
        per_section = self._chapters_per_section(pages)
        self.pages = self._plan(pages - self.FIXED - per_section * len(SECTIONS))
        self.chapters = self._group(per_section)
        self.words: list[int] = []  # prose words of each content page
        self.written = 0

    def _chapters_per_section(self, pages: int) -> int:
        """Chapters per section such that no section or chapter lists more than CHAPTER_PAGES."""
        chapters = 1
        while True:
            per_section = (pages - self.FIXED - chapters * len(SECTIONS)) / len(SECTIONS)
            if per_section <= (chapters + 1) * CHAPTER_PAGES:
                return chapters
            chapters += 1

    def _plan(self, count: int) -> list[GeneratedPage]:
        combos = [(title, topic, area) for title in TITLES for topic in TOPICS for area in AREAS]
        self.rng.shuffle(combos)
        pages = []
        for number in range(count):
            _, _, preferred = SECTIONS[number % len(SECTIONS)]
            title_pattern, topic, area = combos[number % len(combos)]
            title = with_articles(title_pattern.format(t=topic, T=topic.capitalize()) + f" for {area}")
            if number >= len(combos):
                title += f" ({number // len(combos) + 1})"
            name = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
            tags = [t for t in preferred if t in self.vocabulary][:2] or self.rng.sample(self.vocabulary, 2)
            pages.append(GeneratedPage(name, title, f"gen-{name}", topic, tags))
        return pages

    def _group(self, per_section: int) -> dict[str, list[Chapter]]:
        """Deal each section's pages out to the section itself (group 0) and its chapters, in turn,
        and give every page its docname; returns each section's chapters."""
        chapters = {}
        for slug, title, _ in SECTIONS:
            names = [
                CHAPTERS[n % len(CHAPTERS)] + (f" {n // len(CHAPTERS) + 1}" if n >= len(CHAPTERS) else "")
                for n in range(per_section)
            ]
            chapters[slug] = [
                Chapter(
                    f"{slug}/{self._slug(name)}/index", f"{title}: {name.lower()}", f"gen-{slug}-{self._slug(name)}"
                )
                for name in names
            ]
        for number, page in enumerate(self.pages):
            slug = SECTIONS[number % len(SECTIONS)][0]
            group = (number // len(SECTIONS)) % (per_section + 1)
            if group == 0:
                page.docname = f"{slug}/{page.docname}"
            else:
                chapter = chapters[slug][group - 1]
                chapter.pages.append(page)
                page.docname = f"{chapter.docname.removesuffix('/index')}/{page.docname}"
        return chapters

    @staticmethod
    def _slug(text: str) -> str:
        return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")

    def docnames(self) -> list[str]:
        """Every source page, whose HTML the average page size is taken over."""
        fixed = ["index", "glossary", "tags/index", "handbook-health"] + [f"{slug}/index" for slug, _, _ in SECTIONS]
        fixed += [chapter.docname for chapters in self.chapters.values() for chapter in chapters]
        return fixed + [page.docname for page in self.pages]

    def section_pages(self, slug: str) -> tuple[list[GeneratedPage], list[Chapter]]:
        """A section's own pages (listed by its index) and its chapters, in their toctree order."""
        chapters = self.chapters[slug]
        in_chapters = {id(page) for chapter in chapters for page in chapter.pages}
        return [p for p in self.pages if p.docname.startswith(f"{slug}/") and id(p) not in in_chapters], chapters

    def write(self) -> None:
        self._file("index.md", self._root())
        self._file("glossary.md", self._glossary())
        self._file(
            "tags/index.md",
            self._front(
                "Every tag with the pages that carry it, for browsing the generated handbook by topic.", ["handbook"]
            )
            + "(tags)=\n# Tags\n\n```{handbook-tag-index}\n```\n",
        )
        self._file(
            "handbook-health.md",
            self._front(
                "Every page with its review date, last change, owner, size and links.", ["handbook", "ownership"]
            )
            + "(handbook-health)=\n# Handbook health\n\n```{handbook-health}\n```\n",
        )
        for slug, title, preferred in SECTIONS:
            self._section(slug, title, preferred)
        for page in self.pages:
            self._file(page.docname + ".md", self._page(page))
        assert self.written == self.total, (self.written, self.total)

    def _file(self, name: str, text: str) -> None:
        self.written += name.endswith(".md")
        path = self.target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def _front(self, description: str, tags: list[str], extra: str = "") -> str:
        reviewed = self.today - dt.timedelta(days=self.rng.randint(1, 300))  # never future, never stale
        return (
            f"---\ndescription: {json.dumps(description)}\ntags: [{', '.join(tags)}]\n"
            f"reviewed: {reviewed.isoformat()}\n{extra}---\n\n"
        )

    def _root(self) -> str:
        groups = ROOT_GROUPS
        text = self._front(
            "A generated handbook of back-end engineering practice, shaped like the real "
            "one, for measuring how the build scales.",
            ["handbook"],
            "hide-toc: true\n",
        )
        text += "(home)=\n# Generated handbook\n\nStart from a section:\n\n"
        text += "".join(f"- {{doc}}`{slug}/index`\n" for slug, _, _ in SECTIONS)
        for caption, sections in groups:
            text += f"\n```{{toctree}}\n:hidden:\n:caption: {caption}\n\n"
            text += "".join(f"{slug}/index\n" for slug, _, _ in sections) + "```\n"
        text += (
            "\n```{toctree}\n:hidden:\n:caption: Reference\n\n" + "".join(f"{d}\n" for d in REFERENCE_PAGES) + "```\n"
        )
        return text

    def _section(self, slug: str, title: str, preferred: list[str]) -> None:
        tags = [t for t in preferred if t in self.vocabulary][:2] or ["handbook"]
        top, chapters = self.section_pages(slug)
        self._file(
            f"{slug}/index.md",
            self._front(
                f"How we work on {title.lower()}: the pages of this section, from first "
                "principles to the checklists we use.",
                tags,
            )
            + f"(gen-{slug})=\n# {title}\n\n{self._paragraph(title.lower(), 3)}\n\n"
            + "```{toctree}\n:maxdepth: 1\n\n"
            + "".join(p.docname.split("/", 1)[1] + "\n" for p in top)
            + "".join(c.docname.split("/", 1)[1] + "\n" for c in chapters)
            + "```\n",
        )
        for chapter in chapters:
            self._file(
                f"{chapter.docname}.md",
                self._front(
                    f"The pages on {chapter.title.lower()}, for engineers who run these systems day to day.", tags
                )
                + f"({chapter.label})=\n# {chapter.title}\n\n{self._paragraph(title.lower(), 2)}\n\n"
                + "```{toctree}\n:maxdepth: 1\n\n"
                + "".join(p.docname.rsplit("/", 1)[1] + "\n" for p in chapter.pages)
                + "```\n",
            )

    def _glossary(self) -> str:
        text = self._front(
            "Definitions of the terms the generated handbook uses, from connection pools to data contracts.",
            ["handbook"],
        )
        text += "(glossary)=\n# Glossary\n\n```{glossary}\n:sorted:\n\n"
        for term in GLOSSARY_TERMS:
            text += f"{term}\n  {self._sentence(term)} {self._sentence(term)}\n\n"
        return text + "```\n"

    def _sentence(self, topic: str, template: str | None = None) -> str:
        text = (template or self.rng.choice(SENTENCES)).format(
            t=topic,
            o=self.rng.choice(TOPICS),
            a=self.rng.choice(AREAS),
            n=self.rng.choice([40, 120, 350, 800, 1500, 4000]),
        )
        return with_articles(text)

    def _paragraph(self, topic: str, sentences: int) -> str:
        return " ".join(self._sentence(topic, t) for t in self.rng.sample(SENTENCES, sentences))

    def _page(self, page: GeneratedPage) -> str:
        others = self.rng.sample([p for p in self.pages if p is not page], 3)
        term = page.topic if page.topic in GLOSSARY_TERMS else self.rng.choice(GLOSSARY_TERMS)
        headings = self.rng.sample(HEADINGS[:-1], 4) + [HEADINGS[-1]]
        text = self._front(
            f"How we approach the {page.topic} in practice: sizing, failure modes, "
            "operations and the checks we run before a change.",
            page.tags,
        )
        prose = [self._paragraph(page.topic, 3) + f" The term {{term}}`{term}` is defined in the glossary."]
        text += f"({page.label})=\n# {page.title}\n\n{prose[0]}\n\n"
        for number, heading in enumerate(headings):
            prose.append(self._paragraph(page.topic, 4 + number % 2))
            text += f"## {heading}\n\n{prose[-1]}\n\n"
            if number == 1:
                text += self._code(page) + "\n"
            if number == 2:
                text += self._table(page) + "\n"
        prose.append(
            f"Related reading: {{doc}}`/{others[0].docname}`, {{doc}}`the {others[1].topic} page "
            f"</{others[1].docname}>` and {{ref}}`{others[2].label}`."
        )
        self.words.append(sum(len(paragraph.split()) for paragraph in prose))
        return text + prose[-1] + "\n"

    def _code(self, page: GeneratedPage) -> str:
        name = re.sub(r"[^a-z0-9]+", "_", page.topic)
        if self.rng.random() < 0.5:
            return (
                f"```python\ndef call_{name}(client, timeout_s=2.0, attempts=2):\n"
                f'    """Call the {page.topic} with a deadline and one retry."""\n'
                "    for attempt in range(attempts):\n        try:\n"
                "            return client.call(timeout=timeout_s)\n        except TimeoutError:\n"
                "            if attempt == attempts - 1:\n                raise\n```\n"
            )
        return (
            f"```sql\nSELECT date_trunc('hour', created_at) AS hour, count(*) AS events\n"
            f"FROM {name}_events\nWHERE created_at > now() - interval '1 day'\n"
            "GROUP BY 1\nORDER BY 1;\n```\n"
        )

    def _table(self, page: GeneratedPage) -> str:
        rows = [
            ("timeout", "30 s", f"{self.rng.choice([200, 500, 800])} ms"),
            ("retries", "3", "1, with jitter"),
            ("pool size", "10", str(self.rng.choice([20, 40, 80]))),
            ("alert", "none", "p99 over budget for 10 min"),
        ]
        return "| Setting | Default | Ours |\n|---|---|---|\n" + "".join(f"| {a} | {b} | {c} |\n" for a, b, c in rows)


SUPPORT = (
    "conf.py",
    "_ext/",
    "_static/",
    "_templates/",
    "requirements.txt",
    "requirements-dev.txt",
    ".gitignore",
    "Makefile",
)  # for `make livehtml`


def generate(work: Path, pages: int, vocabulary: list[str], support: list[str]) -> tuple[Path, HandbookGenerator]:
    src = work / f"generated-{pages}" / "src"
    copy_files(ROOT, [name for name in support if name.startswith(SUPPORT)], src)
    generator = HandbookGenerator(src, pages, vocabulary, seed=pages)
    generator.write()
    commit_all(src, "bench snapshot")
    return src, generator
