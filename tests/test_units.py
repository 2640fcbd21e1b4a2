"""The extension's pure functions, without a build: the fastest part of `make test-fast`."""

from __future__ import annotations

import datetime as dt

import pytest

from handbook.examples import fenced_text
from handbook.examples.engines import split_sql
from handbook.frontmatter import check_front_matter, needs_verified, page_tags, parse_date
from handbook.shared import WARNING_SUBTYPES, warn

TODAY = dt.date(2026, 6, 1)
VOCABULARY = {"databases": "Storage.", "testing": "Tests."}
GOOD = {
    "description": "A page that a search result can show in one sentence.",
    "tags": ["databases"],
    "reviewed": dt.date(2026, 5, 1),
}


def test_fenced_text_keeps_the_blocks_and_drops_the_prose():
    page = "Prose.\n```{run} python\nprint(1)\n```\nMore prose.\n~~~sql\nSELECT 1;\n~~~\nEnd."
    assert fenced_text(page) == "```{run} python\nprint(1)\n```\n~~~sql\nSELECT 1;\n~~~"


def test_fenced_text_closes_a_fence_only_with_as_many_of_its_character():
    page = "````markdown\n```{run} python\nprint(1)\n```\n````\nProse after."
    assert fenced_text(page) == "````markdown\n```{run} python\nprint(1)\n```\n````"
    assert fenced_text("```\ncode\n~~~\nstill code\n```\nprose") == "```\ncode\n~~~\nstill code\n```"


def test_fenced_text_of_an_unclosed_fence_keeps_the_rest():
    assert fenced_text("prose\n```python\nx = 1\nmore") == "```python\nx = 1\nmore"


def test_split_sql_gives_statements_and_skips_comment_only_ones():
    code = "-- setup\nSELECT 1; SELECT ';' AS semicolon;\n/* nothing */;\nCREATE TABLE t (x int);"
    assert split_sql(code) == ["-- setup\nSELECT 1;", "SELECT ';' AS semicolon;", "CREATE TABLE t (x int);"]


def test_split_sql_keeps_a_function_body_whole():
    body = "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;"
    assert split_sql(body + "\nSELECT f();") == [body, "SELECT f();"]


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2026-02-01", dt.date(2026, 2, 1)),
        (dt.date(2026, 2, 1), dt.date(2026, 2, 1)),
        (" 2026-02-01 ", dt.date(2026, 2, 1)),
        ("01/02/2026", None),
        ("2026-13-45", None),
        (None, None),
    ],
)
def test_parse_date(value, expected):
    assert parse_date(value) == expected


def test_good_front_matter_has_no_problem():
    assert check_front_matter(GOOD, VOCABULARY, TODAY, written=set(GOOD)) == []


@pytest.mark.parametrize(
    "change, key, words",
    [
        ({"tags": ["kubernetes"]}, "tags", "unknown tag 'kubernetes'"),
        ({"reviewed": dt.date(2027, 1, 1)}, "reviewed", "in the future"),
        ({"owner": "x", "tag": "testing"}, "tag", "unknown front-matter key 'tag'"),
    ],
)
def test_front_matter_problems_name_their_key(change, key, words):
    problems = check_front_matter({**GOOD, **change}, VOCABULARY, TODAY, written=set(GOOD) | set(change))
    assert [k for k, _ in problems] == [key] and words in problems[0][1], problems


def test_a_key_written_but_unreadable_is_told_from_a_missing_one():
    unread = check_front_matter({}, VOCABULARY, TODAY, written={"description", "tags", "reviewed"})
    missing = check_front_matter({}, VOCABULARY, TODAY, written=set())
    assert all("could not be read" in message for _, message in unread) and len(unread) == 3
    assert all("missing" in message for _, message in missing) and len(missing) == 3


def test_only_skill_pages_must_say_what_they_were_verified_against():
    assert needs_verified("skills/postgresql", ["skills"]) and needs_verified("skills/aws/s3", ["skills"])
    assert not needs_verified("essays/resilience", ["skills"]) and not needs_verified("skills/index", ["skills"])
    problems = check_front_matter(GOOD, VOCABULARY, TODAY, written=set(GOOD), verified_required=True)
    assert [key for key, _ in problems] == ["verified"]


def test_page_tags_reads_the_json_text_myst_stores():
    assert page_tags({"tags": ["b", "a"]}) == ["b", "a"] and page_tags({}) == []
    assert page_tags({"tags": '["b", "a"]'}) == ["b", "a"] and page_tags({"tags": "databases"}) == ["databases"]


def test_an_undeclared_warning_subtype_is_a_programming_error():
    assert set(WARNING_SUBTYPES) >= {"frontmatter", "examples"}
    with pytest.raises(ValueError, match="declare it in WARNING_SUBTYPES"):
        warn("typo", "message")
