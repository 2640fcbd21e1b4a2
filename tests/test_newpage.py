"""`make new` creates a page from its section's template that builds clean at once."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys

import pytest
import yaml

from conftest import ROOT, STRICT, copy_sources, sphinx_build
from handbook.frontmatter import check_front_matter
from handbook.newpage import create, slugify


@pytest.fixture
def sections(tmp_path):
    """The section indexes of the real handbook, nothing else."""
    for index in ("essays/index.md", "skills/index.md", "engineering-practices/index.md"):
        (tmp_path / index).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / index, tmp_path / index)
    (tmp_path / "skills" / "aws").mkdir()
    return tmp_path


def test_new_page_has_front_matter_label_shape_and_a_toctree_entry(sections):
    page = create("engineering-practices", "Reviewing dashboards", sections, today=dt.date(2026, 11, 28))
    text = page.read_text()
    assert page == sections / "engineering-practices" / "reviewing-dashboards.md"
    front = yaml.safe_load(text.split("---\n")[1])
    assert check_front_matter(front, {"delivery": ""}, dt.date(2026, 11, 28)) == []
    assert "reviewed: 2026-11-28\n" in text and "tags: [delivery]\n" in text
    assert "(reviewing-dashboards)=\n# Reviewing dashboards\n" in text
    assert text.index("## Why") < text.index("## Checklist") < text.index("## Anti-patterns")
    index = (sections / "engineering-practices" / "index.md").read_text()
    toctree = index[index.index("```{toctree}") :]
    assert toctree.split("```", 2)[1].rstrip().endswith("\nreviewing-dashboards")


def test_aws_pages_go_into_the_skills_toctree(sections):
    create("skills/aws", "Step Functions", sections, today=dt.date(2026, 11, 28))
    text = (sections / "skills/aws/step-functions.md").read_text()
    assert "(aws-step-functions)=" in text
    assert "\naws/step-functions\n" in (sections / "skills" / "index.md").read_text()
    # Skill pages must say which versions they were verified against: the template has the block.
    front = yaml.safe_load(text.split("---\n")[1])
    assert check_front_matter(front, {"aws": ""}, dt.date(2026, 11, 28), verified_required=True) == []
    assert "verified:\n  date: 2026-11-28\n" in text


def test_bad_requests_are_refused_clearly(sections):
    create("essays", "Queues", sections)
    with pytest.raises(FileExistsError, match="essays/queues.md exists already"):
        create("essays", "Queues", sections)
    with pytest.raises(ValueError, match="unknown section 'blog'"):
        create("blog", "Queues", sections)
    with pytest.raises(ValueError, match="cannot make a file name"):
        slugify("!!!")


@pytest.mark.slow
def test_make_new_creates_a_page_that_builds(site, tmp_path):
    project = copy_sources(ROOT, tmp_path / "project")
    result = subprocess.run(
        ["make", "new", "SECTION=essays", "TITLE=Queues everywhere", f"VENV={sys.prefix}"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "created essays/queues-everywhere.md" in result.stdout

    # Reuse the session build's example cache, so no example runs again.
    shutil.copytree(site.parent / "doctrees" / "handbook-examples", tmp_path / "doctrees" / "handbook-examples")
    build = sphinx_build(project, tmp_path / "html", *STRICT, "-d", str(tmp_path / "doctrees"))
    assert build.returncode == 0, build.stderr[-4000:]
    assert "WARNING" not in build.stderr
    html = (tmp_path / "html" / "essays" / "queues-everywhere.html").read_text()
    assert "<h1>Queues everywhere" in html


def test_accented_titles_keep_their_letters_in_the_file_name(sections):
    assert slugify("Café résumé über Straße") == "cafe-resume-uber-strae"
    page = create("essays", "Café résumé", sections)
    assert page.name == "cafe-resume.md"


def test_a_label_used_elsewhere_is_refused_before_the_page_is_made(sections):
    (sections / "essays" / "other.md").write_text("(queues)=\n# Something else\n")
    with pytest.raises(ValueError, match=r"the label \(queues\)= is already used in essays/other.md"):
        create("engineering-practices", "Queues", sections)
    assert not (sections / "engineering-practices" / "queues.md").exists()


def test_make_new_passes_the_title_as_text_never_through_the_shell(sections):
    for name in ("Makefile", "requirements.txt", "requirements-dev.txt"):
        shutil.copy(ROOT / name, sections / name)
    shutil.copytree(ROOT / "_ext", sections / "_ext", ignore=shutil.ignore_patterns("__pycache__"))
    title = 'Cost of $H and `touch pwned` with "quotes"'
    # -o: the venv is this one, already installed; make must not refresh it.
    make = ["make", "-o", f"{sys.prefix}/.installed-runtime", f"VENV={sys.prefix}", "new"]
    result = subprocess.run(
        [*make, "SECTION=essays", f"TITLE={title}"], cwd=sections, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert not (sections / "pwned").exists(), "a backtick in the title ran a command"
    page = sections / "essays" / "cost-of-h-and-touch-pwned-with-quotes.md"
    assert f"# {title}\n" in page.read_text()

    usage = subprocess.run([*make, "SECTION=essays"], cwd=sections, capture_output=True, text=True, timeout=120)
    assert usage.returncode != 0 and "usage: make new SECTION=" in usage.stderr
