"""Golden HTML snapshots of each audience's brief for the minimal fixture project.

A template change shows up here as a diff a person reviews. A missing snapshot is written and the
test fails, so every new snapshot is looked at once; `pytest --update-golden` rewrites them all
after an intended change.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parent / "golden"
AUDIENCES = ("parliamentary", "ngo", "student", "minister")


@pytest.fixture(scope="module")
def built_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from conftest import copy_project

    from briefsmith.cli import main

    root = copy_project("minimal", tmp_path_factory.mktemp("golden") / "project")
    brief = root / "briefs" / "harbour.yaml"
    brief.write_text(brief.read_text().replace("[parliamentary, ngo, student]",
                                               "[parliamentary, ngo, student, minister]"))
    assert main(["--project", str(root), "build", "--format", "html"]) == 0
    return root / "output" / "harbour"


def without_css(html: str) -> str:
    """The stylesheet is inlined in every page, and so are its fonts (`@font-face` rules with
    data: URLs, in a `<style>` of their own); the snapshot keeps only each `<style>` element's
    size and hash, so a CSS or font change still shows here without repeating them in every
    snapshot."""
    def summary(match: re.Match[str]) -> str:
        css = match.group(2)
        digest = hashlib.sha256(css.encode()).hexdigest()[:16]
        return f"{match.group(1)}/* {len(css)} characters of CSS, sha256 {digest} */</style>"

    return re.sub(r"(<style[^>]*>)(.*?)</style>", summary, html, flags=re.S)


@pytest.mark.slow
@pytest.mark.parametrize("audience", AUDIENCES)
def test_html_matches_golden_snapshot(built_html: Path, audience: str,
                                      request: pytest.FixtureRequest) -> None:
    actual = without_css((built_html / f"harbour-{audience}.html").read_text(encoding="utf-8"))
    golden = GOLDEN / f"harbour-{audience}.html"
    if request.config.getoption("--update-golden") or not golden.exists():
        existed = golden.exists()
        GOLDEN.mkdir(exist_ok=True)
        golden.write_text(actual, encoding="utf-8")
        if not existed:
            pytest.fail(f"wrote new snapshot {golden.name}: review it, then run the tests again")
        return
    expected = golden.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                            "golden", "built", n=2))
        pytest.fail(f"HTML differs from {golden.name} (run pytest --update-golden if the change "
                    f"is intended):\n{diff[:4000]}")
