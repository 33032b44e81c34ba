"""The README's first brief, as a new user follows it: the files it shows, written where it says,
and the command it gives. If the README and Briefsmith drift apart, this fails."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO
from pypdf import PdfReader

README = (REPO / "README.md").read_text(encoding="utf-8")
EXAMPLE = README.split("## Your first brief", 1)[1].split("\n## ", 1)[0]


def example_files() -> dict[str, str]:
    """Each file the example shows: its path in backticks on the line before its code block."""
    found = re.findall(r"^`(my-brief/[^`]+)`[^\n]*\n\n```[a-z]*\n(.*?)```", EXAMPLE, re.M | re.S)
    return dict(found)


def example_commands() -> list[list[str]]:
    [block] = re.findall(r"```sh\n(.*?)```", EXAMPLE, re.S)
    return [shlex.split(line) for line in block.splitlines() if line.strip()]


def run(cwd: Path, argv: list[str]) -> subprocess.CompletedProcess[str]:
    assert argv[0] == ".venv/bin/python" and argv[1] == "build.py"
    return subprocess.run([sys.executable, str(REPO / "build.py"), *argv[2:]], cwd=cwd,
                          capture_output=True, text=True, check=False)


def test_the_example_shows_a_source_two_blocks_and_a_brief() -> None:
    assert sorted(example_files()) == [
        "my-brief/briefs/quay.yaml", "my-brief/content/blocks/quay.yaml",
        "my-brief/content/sources/quay-report.txt", "my-brief/content/sources/quay-report.yaml"]
    assert len(EXAMPLE.splitlines()) < 90  # a worked example, not a manual


@pytest.mark.slow
def test_the_readme_example_builds_the_pdf_it_names(tmp_path: Path) -> None:
    for rel, text in example_files().items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    build, show = example_commands()
    done = run(tmp_path, build)
    assert done.returncode == 0, done.stderr
    assert not [line for line in done.stderr.splitlines() if "warning" in line], done.stderr
    assert show[0] == "xdg-open"
    pdf = tmp_path / show[1]
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(pdf).pages)
    assert "1,200 boats used the new quay, twice the forecast" in text
    assert "was built for tourists, not for fishing crews" in text
    # what the README says happens next
    blocks = tmp_path / "my-brief" / "content" / "blocks" / "quay.yaml"
    blocks.write_text(blocks.read_text(encoding="utf-8").replace(
        'quote: "1,200 boats', 'quote: "1,300 boats'), encoding="utf-8")
    failed = run(tmp_path, build)
    assert failed.returncode == 1
    first = failed.stderr.splitlines()[0]
    assert first.startswith("content/blocks/quay.yaml:7:14: quote in block 'boats-first-year' "
                            "is not in source 'quay-report'")
    assert "closest passage (para 2" in first
