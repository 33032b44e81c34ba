"""Incremental builds, as a property: whatever was edited, reverted, partly built, deleted or
corrupted before, a plain build leaves every output byte-identical to a clean build of the same
inputs.

Hypothesis draws sequences of steps over a real project (real YAML, real WeasyPrint): edits and
reverts of a block, a source text, a template (one that another audience's template extends
by its tree prefix among them), a stylesheet and the house style (same-size edits
with the old mtime put back among them, so the stat cache must notice through ctime), partial
builds (one brief, one audience, one format), deleted and corrupted outputs, and full builds.
After each plain build every output is compared with a clean build of the same inputs in a
fresh folder (clean builds are remembered by the hash of the inputs, since states repeat).

The CI run is short and seeded; `pytest --property-examples 200 tests/test_incremental_property.py`
runs a long one.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from conftest import FIXTURES, TEMPLATES
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from briefsmith.cli import main

SECOND_BRIEF = """\
title: "Quay review"
date: "2026-11-24"
audiences: [ngo]
sections:
  - id: review
    title: "The review"
    blocks: [review-asked, quay-question]
"""

# (file, original text, variants): each variant replaces the original text once. Variants of
# the same length as the original test the stat cache's same-size case.
EDITS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "block": ("content/blocks/harbour.yaml", "Critics say the quay was built",
              ("Critics sey the quay was built", "Many critics argue the quay was built")),
    "block-unused-by-ngo": ("content/blocks/harbour.yaml", "twice the forecast.",
                            ("twice the forecasts", "double what had been forecast.")),
    "source": ("content/sources/harbour-report.txt", "The review will report in 2027.",
               ("The review will report in 2027.\nIt was welcomed.",)),
    "template": ("templates/_base/blocks.html.j2", "{% macro", ("{# x #}{% macro",)),
    # the student template extends this file by its tree prefix (make_project): an edit here
    # changes the student outputs, though the file is not on the student chain
    "other-audience-template": ("templates/ngo/brief.html.j2",
                                "{% block sources_heading %}Sources{% endblock %}",
                                ("{% block sources_heading %}Sources cited{% endblock %}",)),
    "style": ("templates/parliamentary/style.css", ":root { --accent: #1f4e5f;",
              (":root { --accent: #1f4e60;", "h2 { color: #123; }\n:root { --accent: #1f4e5f;")),
    "config": ("briefsmith.yaml", 'organisation: "Harbour Research Service"',
               ('organisation: "Harbour Research Servise"', 'organisation: "Quay Office"')),
    "broken-quote": ("content/blocks/harbour.yaml", "used the new quay in its first year",
                     ("used the new quay in its 1st year",)),
}
CONFIG = 'organisation: "Harbour Research Service"\npaper: "A4"\n'
FORMATS = ("pdf", "html")


def make_project(dest: Path) -> Path:
    shutil.copytree(FIXTURES / "minimal", dest)
    shutil.copytree(TEMPLATES, dest / "templates")
    brief = dest / "briefs" / "harbour.yaml"
    brief.write_text(brief.read_text().replace("[parliamentary, ngo, student]",
                                               "[parliamentary, student]"))
    (dest / "briefs" / "review.yaml").write_text(SECOND_BRIEF)
    (dest / "briefsmith.yaml").write_text(CONFIG)
    (dest / "templates" / "student" / "brief.html.j2").write_text(
        '{% extends "project/ngo/brief.html.j2" %}\n')
    return dest


def build(root: Path, out: Path, *args: str) -> int:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return main(["--project", str(root), "build", "--out", str(out), "-j", "2", *args])


def outputs(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*.*"))
            if p.suffix in (".pdf", ".html") and ".cache" not in p.parts}


def state_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and "output" not in path.relative_to(root).parts:
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def set_variant(root: Path, name: str, index: int, keep_mtime: bool) -> None:
    rel, original, variants = EDITS[name]
    path = root / rel
    text = path.read_text()
    for candidate in (*sorted(variants, key=len, reverse=True), original):
        if candidate in text:
            current = candidate
            break
    else:
        raise AssertionError(f"{rel} holds none of the texts of edit {name!r}")
    wanted = original if index == 0 else variants[(index - 1) % len(variants)]
    before = os.stat(path)
    path.write_text(text.replace(current, wanted, 1))
    if keep_mtime:
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def corrupt(out: Path, rel: str) -> None:
    """Same size, old mtime put back: only the content (and ctime) differ."""
    path = out / rel
    if not path.is_file():
        return
    before = os.stat(path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


ALL_OUTPUTS = [f"harbour/harbour-{a}.{f}" for a in ("parliamentary", "student") for f in FORMATS]
ALL_OUTPUTS += [f"review/review-ngo.{f}" for f in FORMATS]

step = st.one_of(
    st.tuples(st.just("edit"), st.sampled_from(sorted(EDITS)), st.integers(0, 2), st.booleans()),
    st.tuples(st.just("partial"), st.sampled_from(["harbour", "review", None]),
              st.sampled_from(["parliamentary", "student", "ngo", None]),
              st.sampled_from(["pdf", "html", None])),
    st.tuples(st.just("delete"), st.sampled_from(ALL_OUTPUTS)),
    st.tuples(st.just("corrupt"), st.sampled_from(ALL_OUTPUTS)),
    st.tuples(st.just("touch"), st.sampled_from(sorted(EDITS))),
    st.tuples(st.just("build")),
)


class Clean:
    """Clean builds of each state seen, in fresh folders."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.cache: dict[str, tuple[int, dict[str, bytes]]] = {}

    def of(self, root: Path) -> tuple[int, dict[str, bytes]]:
        key = state_hash(root)
        if key not in self.cache:
            copy = self.work / f"clean-{len(self.cache)}"
            shutil.copytree(root, copy, ignore=shutil.ignore_patterns("output"))
            code = build(copy, copy / "output")
            self.cache[key] = (code, outputs(copy / "output"))
            shutil.rmtree(copy)
        return self.cache[key]


def run_sequence(steps: list[tuple], work: Path, clean: Clean, trace: list[str]) -> None:
    root = make_project(work / "project")
    out = root / "output"
    try:
        assert build(root, out) == 0
        for item in [*steps, ("build",)]:
            trace.append(repr(item))
            kind = item[0]
            if kind == "edit":
                set_variant(root, item[1], item[2], item[3])
            elif kind == "touch":
                os.utime(root / EDITS[item[1]][0])
            elif kind == "delete":
                (out / item[1]).unlink(missing_ok=True)
            elif kind == "corrupt":
                corrupt(out, item[1])
            elif kind == "partial":
                args = [a for a in (item[1],) if a]
                args += ["--audience", item[2]] if item[2] else []
                args += ["--format", item[3]] if item[3] else []
                build(root, out, *args)
            else:
                before = outputs(out)
                code = build(root, out)
                expected_code, expected = clean.of(root)
                assert code == expected_code, trace
                if code == 0:
                    assert outputs(out) == expected, trace
                else:  # a failed build changes nothing
                    assert outputs(out) == before, trace
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.slow
def test_a_plain_build_always_equals_a_clean_build(request: pytest.FixtureRequest) -> None:
    examples = request.config.getoption("--property-examples")
    work = Path(tempfile.mkdtemp(prefix="briefsmith-property-"))
    clean = Clean(work)
    ran: list[int] = []

    @seed(20261202)
    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.lists(step, min_size=1, max_size=10))
    def sequences(steps: list[tuple]) -> None:
        ran.append(len(steps))
        run_sequence(steps, work, clean, [])

    try:
        sequences()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nproperty: {len(ran)} sequences, {sum(ran)} steps, seed 20261202, "
          f"{len(clean.cache)} distinct input states")
    assert ran
