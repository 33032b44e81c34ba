"""Incremental, sharded and reported builds: only what changed is rendered, and the report
says why."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from briefsmith.builder.manifest import MANIFEST, Manifest

SECOND_BRIEF = """\
title: "Quay review"
date: "2026-11-24"
audiences: [ngo, student]
sections:
  - id: review
    title: "The review"
    blocks: [review-asked, quay-question]
"""


@pytest.fixture
def two_briefs(project: Path) -> Path:
    (project / "briefs" / "review.yaml").write_text(SECOND_BRIEF, encoding="utf-8")
    return project


def summary(run) -> str:
    return run.out.strip().splitlines()[-1]


def written(run, out: str = "/output/") -> set[str]:
    return {line.split(out, 1)[1].split(" ")[0] for line in run.out.splitlines()
            if line.startswith("wrote ") and out in line and "CHANGES" not in line}


@pytest.mark.slow
def test_no_op_build_renders_nothing_and_never_imports_the_renderer(two_briefs: Path,
                                                                   cli) -> None:
    assert cli(two_briefs, "build", "--format", "html").code == 0
    code = ("import sys; from briefsmith.cli import main; "
            f"rc = main(['--project', {str(two_briefs)!r}, 'build', '--format', 'html']); "
            "print('weasyprint' in sys.modules, 'yaml' in sys.modules); sys.exit(rc)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[0].startswith("built 0, skipped 5, failed 0 in ")
    assert lines[0].endswith(" s (nothing changed)")
    assert lines[1] == "False False"


@pytest.mark.slow
def test_one_block_edit_rerenders_only_the_outputs_that_use_it(two_briefs: Path, cli) -> None:
    assert cli(two_briefs, "build").code == 0
    blocks = two_briefs / "content" / "blocks" / "harbour.yaml"
    blocks.write_text(blocks.read_text().replace("Critics say the quay was built",
                                                 "Critics argue the quay was built"))
    run = cli(two_briefs, "build")
    assert run.code == 0, run.err
    # critics-view is used by the harbour brief only
    assert written(run) == {f"harbour/harbour-{a}.{f}" for a in ("parliamentary", "ngo",
                                                                  "student")
                            for f in ("pdf", "html")}
    assert summary(run).startswith("built 6, skipped 4, failed 0 in ")


@pytest.mark.slow
def test_moving_a_block_within_its_file_changes_nothing(two_briefs: Path, cli) -> None:
    assert cli(two_briefs, "build", "--format", "html").code == 0
    blocks = two_briefs / "content" / "blocks" / "harbour.yaml"
    blocks.write_text("\n\n# a comment moves every block down\n" + blocks.read_text())
    run = cli(two_briefs, "build", "--format", "html")
    assert run.code == 0, run.err
    assert summary(run).startswith("built 0, skipped 5, failed 0 in ")


@pytest.mark.slow
def test_deleted_or_altered_output_is_rebuilt(two_briefs: Path, cli) -> None:
    assert cli(two_briefs, "build", "--format", "html").code == 0
    out = two_briefs / "output"
    (out / "review" / "review-ngo.html").unlink()
    (out / "harbour" / "harbour-student.html").write_text("tampered")
    run = cli(two_briefs, "build", "--format", "html")
    assert written(run) == {"review/review-ngo.html", "harbour/harbour-student.html"}
    assert "tampered" not in (out / "harbour" / "harbour-student.html").read_text()


@pytest.mark.slow
def test_force_rebuilds_everything(two_briefs: Path, cli) -> None:
    assert cli(two_briefs, "build", "--format", "html").code == 0
    run = cli(two_briefs, "build", "--format", "html", "--force")
    assert summary(run).startswith("built 5, skipped 0, failed 0 in ")


@pytest.mark.slow
def test_template_edit_rebuilds_only_that_audience(two_briefs: Path, cli) -> None:
    assert cli(two_briefs, "build", "--format", "html").code == 0
    css = two_briefs / "templates" / "student" / "style.css"
    css.write_text(css.read_text() + "\n.introduction { font-size: 12pt; }\n")
    run = cli(two_briefs, "build", "--format", "html", "--report")
    assert written(run) == {"harbour/harbour-student.html", "review/review-student.html"}
    report = (two_briefs / "output" / "CHANGES.md").read_text()
    assert ("- `harbour/harbour-student.html`: changed: template templates/student/style.css"
            in report)


@pytest.mark.slow
def test_shards_split_the_outputs_without_overlap(two_briefs: Path, cli,
                                                  tmp_path: Path) -> None:
    runs = [cli(two_briefs, "build", "--format", "html", "--shard", f"{k}/3", "--out",
                str(tmp_path / f"shard{k}")) for k in (1, 2, 3)]
    parts = [written(run, f"/shard{k}/") for k, run in zip((1, 2, 3), runs, strict=True)]
    assert all(run.code == 0 for run in runs)
    assert sum(len(p) for p in parts) == 5 and len(set().union(*parts)) == 5
    merge = cli(two_briefs, "merge-manifests", *(str(tmp_path / f"shard{k}") for k in (1, 2, 3)),
                "--out", str(tmp_path / "all"))
    assert merge.code == 0, merge.err
    assert len(Manifest.read(tmp_path / "all").outputs) == 5
    again = cli(two_briefs, "build", "--format", "html", "--shard", "2/3", "--out",
                str(tmp_path / "shard2"))
    assert written(again, "/shard2/") == set()


def test_bad_shard_is_refused(project: Path, cli) -> None:
    run = cli(project, "build", "--shard", "3/2")
    assert run.code == 1
    assert run.err_lines[0] == ("--shard '3/2' is not valid: write K/N with 1 <= K <= N, "
                                "e.g. 1/2")


@pytest.mark.slow
def test_failed_build_report_lists_the_quote_and_keeps_outputs(project: Path, cli) -> None:
    assert cli(project, "build", "--format", "html").code == 0
    manifest_before = (project / "output" / MANIFEST).read_bytes()
    blocks = project / "content" / "blocks" / "harbour.yaml"
    blocks.write_text(blocks.read_text().replace("twice the number", "double the number"))
    run = cli(project, "build", "--format", "html", "--report")
    assert run.code == 1
    report = (project / "output" / "CHANGES.md").read_text()
    assert "## Quotes that no longer verify" in report
    assert "quote in block 'boats-first-year' is not in source 'harbour-report'" in report
    assert (project / "output" / MANIFEST).read_bytes() == manifest_before


@pytest.mark.slow
def test_report_lists_sources_older_than_the_configured_age(project: Path, cli) -> None:
    (project / "briefsmith.yaml").write_text("max_source_age_days: 30\n")
    run = cli(project, "build", "--format", "html", "--report")
    assert run.code == 0, run.err
    report = (project / "output" / "CHANGES.md").read_text()
    assert "## Sources to review" in report
    assert "'harbour-report' dates from 2026-03-05" in report


@pytest.mark.slow
def test_progress_lines_in_logs(project: Path, cli) -> None:
    run = cli(project, "build", "--format", "html", "-j", "2")
    lines = run.progress_lines
    assert sorted(line.split("] ", 1)[1].split(" in ")[0] for line in lines) == [
        f"built harbour ({a}) (html)" for a in ("ngo", "parliamentary", "student")]


@pytest.mark.slow
def test_manifest_records_inputs_by_name(project: Path, cli) -> None:
    assert cli(project, "build", "--format", "html").code == 0
    data = json.loads((project / "output" / MANIFEST).read_text())
    parts = data["outputs"]["harbour/harbour-ngo.html"]["parts"]
    assert {"block boats-first-year", "source harbour-report", "brief harbour",
            "template templates/ngo/style.css", "citation style chicago-notes-bibliography.csl",
            "versions", "fonts", "house style"} <= set(parts)


@pytest.mark.slow
def test_watch_rebuilds_after_a_saved_change(project: Path) -> None:
    import os
    import signal
    import time

    from conftest import REPO

    proc = subprocess.Popen(
        [sys.executable, str(REPO / "build.py"), "--project", str(project), "watch",
         "--format", "html", "--audience", "ngo", "--interval", "0.2"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)
    try:
        html = project / "output" / "harbour" / "harbour-ngo.html"
        deadline = time.monotonic() + 60
        while not html.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert html.exists()
        first = html.read_text()
        blocks = project / "content" / "blocks" / "harbour.yaml"
        blocks.write_text(blocks.read_text().replace("Critics say the quay was built",
                                                     "Critics now say the quay was built"))
        while html.read_text() == first and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "Critics now say the quay was built" in html.read_text()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        out = proc.communicate(timeout=30)[0]
    assert out.count("built 1, skipped 0, failed 0") == 2, out


@pytest.mark.slow
def test_override_folder_in_the_config_rebuilds_only_the_audience_it_overrides(
        project: Path, cli) -> None:
    assert cli(project, "build", "--format", "html").code == 0
    house = project / "house" / "ngo"
    house.mkdir(parents=True)
    (house / "brief.html.j2").write_text(
        '{% extends "project/ngo/brief.html.j2" %}{% block colophon %}<p>Ours</p>{% endblock %}')
    (project / "briefsmith.yaml").write_text('templates: "house"\n')
    run = cli(project, "build", "--format", "html")
    assert run.code == 0, run.err
    assert written(run) == {"harbour/harbour-ngo.html"}


@pytest.mark.slow
def test_a_template_that_extends_another_audiences_file_is_rebuilt_when_that_file_changes(
        project: Path, cli) -> None:
    """The student template extends the NGO one by its tree prefix, a file outside the student
    chain's folders: an edit to it changes the student output, which must not be kept."""
    (project / "templates" / "student" / "brief.html.j2").write_text(
        '{% extends "project/ngo/brief.html.j2" %}\n', encoding="utf-8")
    assert cli(project, "build", "--format", "html").code == 0
    ngo = project / "templates" / "ngo" / "brief.html.j2"
    old = "{% block sources_heading %}Sources{% endblock %}"
    assert old in ngo.read_text(encoding="utf-8")
    ngo.write_text(ngo.read_text(encoding="utf-8").replace(
        old, "{% block sources_heading %}Sources consulted{% endblock %}"), encoding="utf-8")
    run = cli(project, "build", "--format", "html", "--report")
    assert run.code == 0, run.err
    assert written(run) == {"harbour/harbour-ngo.html", "harbour/harbour-student.html"}
    assert "Sources consulted" in (project / "output" / "harbour" /
                                   "harbour-student.html").read_text(encoding="utf-8")
    report = (project / "output" / "CHANGES.md").read_text(encoding="utf-8")
    assert ("- `harbour/harbour-student.html`: changed: template templates/ngo/brief.html.j2"
            in report)
    again = cli(project, "build", "--format", "html")
    assert summary(again).startswith("built 0, skipped 3, failed 0")
