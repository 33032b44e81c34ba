"""Accessibility of what a reader gets: every HTML page passes axe-core (WCAG 2.1 A and AA plus best
practices) in a real headless Chromium, and every PDF is tagged (structure tree, headings, a
Figure with alternative text for each image, language).

The HTML check needs Debian's chromium and the npm packages in tests/a11y/ (axe-core, exact
version in package-lock.json); `bash scripts/setup.sh --test` installs both. Without them the
check is skipped, except under CI, where a missing tool is a failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections import Counter
from html.parser import HTMLParser
from itertools import pairwise
from pathlib import Path

import pytest
from conftest import REPO
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject

from briefsmith.cli import main
from briefsmith.pipeline import load_and_verify

A11Y = REPO / "tests" / "a11y"
RUNNER = A11Y / "run-axe.js"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SETUP_HINT = "run: bash scripts/setup.sh --test"

CONTENT = load_and_verify(REPO)
OUTPUTS = [(b, a) for b in sorted(CONTENT.briefs) for a in CONTENT.briefs[b].audiences]


def missing_tools() -> list[str]:
    """What the browser check lacks on this machine, one reason each (empty: it can run)."""
    missing = []
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        missing.append(f"chromium is not installed ({CHROMIUM})")
    if shutil.which("node") is None:
        missing.append("node is not installed")
    if not (A11Y / "node_modules" / "axe-core" / "axe.min.js").is_file():
        missing.append("axe-core is not installed in tests/a11y/node_modules")
    return missing


def pinned_axe_version() -> str:
    return json.loads((A11Y / "package.json").read_text(encoding="utf-8"))["dependencies"][
        "axe-core"]


# ---------------------------------------------------------------- HTML: axe-core in Chromium

@pytest.fixture(scope="module")
def built_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real sample briefs as HTML, built once for this module."""
    missing = missing_tools()
    if missing:
        pytest.skip("; ".join(missing) + f" ({SETUP_HINT})")
    out = tmp_path_factory.mktemp("a11y-html")
    assert main(["--project", str(REPO), "build", "--format", "html", "--out", str(out)]) == 0
    return out


def describe(file: str, violation: dict) -> str:
    nodes = violation["nodes"]
    target = " ".join(map(str, nodes[0]["target"])) if nodes else "-"
    more = f" (+{len(nodes) - 1} more)" if len(nodes) > 1 else ""
    return (f"{Path(file).name}: {violation['id']} [{violation['impact']}] {violation['help']}"
            f" at {target}{more} - {violation['helpUrl']}")


@pytest.mark.slow
def test_every_html_page_passes_axe_in_headless_chromium(built_html: Path) -> None:
    assert any(a == "minister" for _, a in OUTPUTS)
    files = [built_html / b / f"{b}-{a}.html" for b, a in OUTPUTS]
    for f in files:
        assert f.is_file(), f"not built: {f}"
    # One browser session for every page.
    run = subprocess.run(["node", str(RUNNER), *map(str, files)], capture_output=True,
                         text=True, timeout=600, env={**os.environ, "CHROMIUM": CHROMIUM},
                         check=False)
    assert run.returncode == 0, f"the axe runner failed:\n{run.stderr[-3000:]}"
    report = json.loads(run.stdout)
    assert report["axe"] == pinned_axe_version(), (
        f"tests/a11y/node_modules has axe-core {report['axe']}, package.json pins "
        f"{pinned_axe_version()} ({SETUP_HINT})")
    assert [r["file"] for r in report["results"]] == list(map(str, files))
    problems = [describe(r["file"], v) for r in report["results"] for v in r["violations"]]
    assert not problems, (f"{len(problems)} accessibility violation(s) found by axe-core "
                          f"{report['axe']} in {report['browser']}:\n" + "\n".join(problems))


def test_ci_has_what_the_browser_check_needs() -> None:
    """Under CI the check above must run, never skip: setup.sh --test installs its tools."""
    if os.environ.get("CI", "").lower() in ("", "0", "false", "no"):
        pytest.skip("checked only when CI is set")
    assert not missing_tools(), "; ".join(missing_tools()) + f" ({SETUP_HINT})"


# ---------------------------------------------------------------- PDF: tagged structure

def struct_elements(node):
    """The structure elements at and below node (an element or an array of kids), in order."""
    node = node.get_object()
    if isinstance(node, ArrayObject):
        for kid in node:
            yield from struct_elements(kid)
        return
    if not isinstance(node, DictionaryObject) or "/S" not in node:
        return  # a marked-content id, a marked-content or object reference
    yield node
    if "/K" in node:
        yield from struct_elements(node["/K"])


class ImageAlts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.alts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.alts.append(dict(attrs).get("alt") or "")


@pytest.mark.slow
@pytest.mark.parametrize(("brief", "audience"), OUTPUTS)
def test_pdf_is_tagged_with_headings_language_and_image_alt_text(
        built_sample: Path, brief: str, audience: str) -> None:
    reader = PdfReader(built_sample / brief / f"{brief}-{audience}.pdf")
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert root["/Lang"] == (CONTENT.briefs[brief].language or "en-GB")
    tree = root["/StructTreeRoot"].get_object()
    assert "/K" in tree and "/ParentTree" in tree

    elements = list(struct_elements(tree["/K"]))
    role_map = tree.get("/RoleMap", {})
    roles = [str(role_map.get(e["/S"], e["/S"])) for e in elements]
    count = Counter(roles)
    assert count["/H1"] == 1, f"one H1 (the title), found {count['/H1']}"
    assert count["/H2"] >= 1
    # Headings in reading order never skip a level going down (H1, then H2, then H3...).
    levels = [int(r[2:]) for r in roles if re.fullmatch(r"/H[1-6]", r)]
    assert levels[0] == 1
    for before, after in pairwise(levels):
        assert after <= before + 1, f"heading order jumps from H{before} to H{after}"

    # Each image of the page (the house logo) is a Figure with its alternative text.
    html = (built_sample / brief / f"{brief}-{audience}.html").read_text(encoding="utf-8")
    parser = ImageAlts()
    parser.feed(html)
    assert parser.alts, "the sample has a house logo on every output"
    figures = [e for e, r in zip(elements, roles, strict=True) if r == "/Figure"]
    alts = [str(f.get("/Alt", "")) for f in figures]
    assert all(alts), f"a Figure without /Alt: {alts}"
    assert sorted(alts) == sorted(parser.alts)
