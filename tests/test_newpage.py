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
    toctree = index[index.index("```{toctree}"):]
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


def test_make_new_creates_a_page_that_builds(site, tmp_path):
    project = copy_sources(ROOT, tmp_path / "project")
    result = subprocess.run(["make", "new", "SECTION=essays", "TITLE=Queues everywhere", f"VENV={sys.prefix}"],
                            cwd=project, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "created essays/queues-everywhere.md" in result.stdout

    # Reuse the session build's example cache, so no example runs again.
    shutil.copytree(site.parent / "doctrees" / "handbook-examples", tmp_path / "doctrees" / "handbook-examples")
    build = sphinx_build(project, tmp_path / "html", *STRICT, "-d", str(tmp_path / "doctrees"))
    assert build.returncode == 0, build.stderr[-4000:]
    assert "WARNING" not in build.stderr
    html = (tmp_path / "html" / "essays" / "queues-everywhere.html").read_text()
    assert "<h1>Queues everywhere" in html
