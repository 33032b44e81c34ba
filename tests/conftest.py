"""Shared fixtures: real projects on disk, real YAML, real WeasyPrint, real PDFs read back."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from briefsmith.cli import main

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# Briefsmith's own templates: a fixture project gets a copy in its templates/ folder, as a user
# who copied them to change them would, so that a test can edit one.
TEMPLATES = REPO / "briefsmith" / "assets" / "templates"
PROGRESS = re.compile(r"^\[\d+/\d+\] (built|failed) ")


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        """What stderr says, less the progress lines of a build."""
        return [line for line in self.err.splitlines()
                if line.strip() and not PROGRESS.match(line)]

    @property
    def progress_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if PROGRESS.match(line)]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite the golden HTML snapshots in tests/golden/ from this build")
    parser.addoption("--property-examples", type=int, default=6,
                     help="sequences the incremental-build property test runs (CI: 6)")


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):
    """Run the real CLI in-process and capture what a user would see."""

    def run(root: Path, *args: str) -> Run:
        code = main(["--project", str(root), *args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def copy_project(name: str, dest: Path) -> Path:
    """A fixture project under tests/fixtures, with a copy of the built-in templates."""
    shutil.copytree(FIXTURES / name, dest)
    shutil.copytree(TEMPLATES, dest / "templates")
    return dest


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A small valid project: one source, four blocks, one brief for three audiences."""
    return copy_project("minimal", tmp_path / "project")


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """A copy of the repository's real sample content, safe to edit, with a copy of the built-in
    templates in its templates/ folder (the sample itself overrides none)."""
    dest = tmp_path / "sample"
    for part in ("content", "briefs"):
        shutil.copytree(REPO / part, dest / part)
    shutil.copytree(TEMPLATES, dest / "templates")
    return dest


@pytest.fixture(scope="session")
def built_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real sample briefs, built once per test session into a temporary output folder."""
    out = tmp_path_factory.mktemp("sample-output")
    code = main(["--project", str(REPO), "build", "--out", str(out)])
    assert code == 0
    return out


@pytest.fixture(scope="session", autouse=True)
def _weasyprint_loaded_once() -> None:
    """Import WeasyPrint (with the vendored fonts) once, so each build's forked render workers
    inherit it instead of paying the import again: the tests run faster, the code path is the
    same."""
    from briefsmith.formats.pdf import _weasyprint

    _weasyprint()


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for a test module (tests/_chromium.py)."""
    import os

    from _chromium import CHROMIUM, Chromium

    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"chromium is not installed ({CHROMIUM}): make test installs it")
    chrome = Chromium()
    try:
        yield chrome
    finally:
        chrome.close()


# Fixtures that render a whole project (PDFs, Word files) or start a server or browser once per
# module or session: a test that uses one is slow, however quick its own body is.
RENDERING_FIXTURES = {"built_sample", "built_html", "built", "brief_pdfs", "server", "browser",
                      "baseline", "full_baseline", "content_build"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if RENDERING_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
