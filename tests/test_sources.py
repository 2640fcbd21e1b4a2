"""Sources are cited in English, at the address every reader gets: no link in the handbook's
Markdown points at documentation in another locale.

Documentation sites put the reader's language in the address (``learn.microsoft.com/de-de/``,
``docs.aws.amazon.com/zh_cn/``, ``developer.mozilla.org/ja/``, ``cloud.google.com/...?hl=fr``).
A link copied from a browser set to another language sends every reader there, and a
translated page can lag the English one by releases. The check looks at each URL written in a
content page, as text, so it also covers links in code blocks and captions:

* a path segment that is a language and region (``de-de``, ``zh_CN``, ``pt-br``) for a language
  other than English;
* a first path segment that is a bare language code other than English (``/fr/``, ``/ja/``);
* a language subdomain other than English (``de.wikipedia.org``);
* a query parameter that picks the language (``hl=``, ``lang=``, ``locale=``, ``language=``)
  with a value other than English;
* any locale in the path of AWS documentation (``docs.aws.amazon.com/en_us/...``): the canonical
  address has none, and a pinned one keeps the reader's language and region out of their hands.

English locale segments that a site uses as its canonical address (``nginx.org/en/``,
``docs.github.com/en/``, Read the Docs' ``/en/stable/``) pass.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from test_prose import content_pages

from conftest import ROOT

# ISO 639-1 codes of the languages documentation sites commonly translate into (not English).
LANGUAGES = {
    "ar",
    "bg",
    "ca",
    "cs",
    "da",
    "de",
    "el",
    "es",
    "et",
    "fa",
    "fi",
    "fr",
    "he",
    "hi",
    "hr",
    "hu",
    "id",
    "it",
    "ja",
    "ko",
    "lt",
    "lv",
    "nb",
    "nl",
    "no",
    "pl",
    "pt",
    "ro",
    "ru",
    "sk",
    "sl",
    "sr",
    "sv",
    "th",
    "tr",
    "uk",
    "vi",
    "zh",
}
LANGUAGE_REGION = re.compile(r"^([a-z]{2})[-_]([a-z]{2}|hans|hant)$", re.I)
LANGUAGE_PARAMETERS = {"hl", "lang", "locale", "language"}
AWS_LOCALE = re.compile(r"^[a-z]{2}_[a-z]{2}$", re.I)
URL = re.compile(r"https?://[^\s<>()\[\]`'\"]+")

# URL -> why a link to another locale is the right source there. Empty: every source we cite
# exists in English.
ALLOWED: dict[str, str] = {}


def locale_problem(url: str) -> str | None:
    """Why ``url`` points at a locale-specific page, or None when it does not."""
    parts = urlsplit(url.rstrip(".,;:"))
    host = (parts.hostname or "").lower()
    segments = [segment for segment in parts.path.split("/") if segment]
    if host == "docs.aws.amazon.com" and segments and AWS_LOCALE.match(segments[0]):
        return f"AWS documentation pinned to the locale '{segments[0]}'; drop it from the path"
    for segment in segments:
        match = LANGUAGE_REGION.match(segment)
        if match and match.group(1).lower() in LANGUAGES:
            return f"the path names the locale '{segment}'"
    if segments and segments[0] in LANGUAGES:  # lower case: W3C's /TR/ is not Turkish
        return f"the path starts with the language '{segments[0]}'"
    subdomain = host.split(".", 1)[0]
    if host.count(".") >= 2 and subdomain in LANGUAGES:
        return f"the host is the '{subdomain}' language edition"
    for name, value in parse_qsl(parts.query):
        language = value.lower().replace("_", "-").split("-", 1)[0]
        if name.lower() in LANGUAGE_PARAMETERS and language in LANGUAGES:
            return f"the query asks for the language '{value}' ({name}=)"
    return None


def locale_links(text: str) -> list[tuple[int, str, str]]:
    """``(line, url, why)`` for every locale-specific link in a page's text."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        for url in URL.findall(line):
            problem = locale_problem(url)
            if problem and url not in ALLOWED:
                found.append((number, url, problem))
    return found


def test_the_check_flags_other_locales_and_passes_english_and_canonical_addresses():
    flagged = [
        "https://docs.aws.amazon.com/zh_cn/redshift/latest/mgmt/serverless-capacity.html",
        "https://docs.aws.amazon.com/ja_jp/AmazonS3/latest/userguide/Welcome.html",
        "https://docs.aws.amazon.com/en_us/AmazonRDS/latest/AuroraUserGuide/rds-proxy.html",
        "https://learn.microsoft.com/de-de/azure/architecture/patterns/retry",
        "https://developer.mozilla.org/ja/docs/Web/HTTP/Headers/Retry-After",
        "https://kubernetes.io/zh-cn/docs/concepts/workloads/pods/pod-lifecycle/",
        "https://www.elastic.co/fr/blog/elasticsearch-is-open-source-again",
        "https://cloud.google.com/architecture/framework?hl=de",
        "https://de.wikipedia.org/wiki/Idempotenz",
        "https://docs.python.org/pt-br/3/library/asyncio.html",
    ]
    passed = [
        "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.MultiAZ.html",
        "https://docs.aws.amazon.com/athena/latest/ug/partition-projection.html",
        "https://nginx.org/en/docs/http/ngx_http_proxy_module.html",
        "https://docs.github.com/en/actions",
        "https://docs.gunicorn.org/en/stable/settings.html",
        "https://www.crowdstrike.com/en-us/blog/channel-file-291-rca-available/",
        "https://cloud.google.com/architecture/framework?hl=en",
        "https://www.postgresql.org/docs/18/runtime-config-vacuum.html",
        "https://en.wikipedia.org/wiki/Idempotence",
        "https://redis.io/docs/latest/commands/WAIT/",
    ]
    assert [url for url in flagged if locale_problem(url) is None] == []
    assert [(url, locale_problem(url)) for url in passed if locale_problem(url)] == []
    assert locale_links("See [the docs](https://developer.mozilla.org/fr/docs/Web).\n") == [
        (1, "https://developer.mozilla.org/fr/docs/Web", "the path starts with the language 'fr'")
    ]


def test_no_page_links_to_documentation_in_another_locale():
    problems = []
    for page in content_pages():
        for line, url, why in locale_links((ROOT / page).read_text(encoding="utf-8")):
            problems.append(f"{page}:{line}: {url}: {why}; link the English page instead")
    assert problems == []


def test_the_allow_list_holds_only_links_still_in_use():
    text = "\n".join((ROOT / page).read_text(encoding="utf-8") for page in content_pages())
    assert [url for url in ALLOWED if url not in text] == []
