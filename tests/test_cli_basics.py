"""`check`, `list` and `build` as a user meets them: summaries, listings, bad arguments, help.

Nothing here renders a PDF: `check` and `list` never render, and each `build` below stops at its
arguments before rendering anything.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from _content_edits import assert_fails

from briefsmith.cli import main


def count_blocks(root: Path) -> int:
    return sum(len(re.findall(r"^- id:", p.read_text(encoding="utf-8"), re.M))
               for p in (root / "content" / "blocks").glob("*.yaml"))


def count_quotes(root: Path) -> int:
    return sum(len(re.findall(r"^\s*(?:- )?quote:", p.read_text(encoding="utf-8"), re.M))
               for p in (root / "content" / "blocks").glob("*.yaml"))


def block_ids(root: Path) -> list[str]:
    return [m for p in sorted((root / "content" / "blocks").glob("*.yaml"))
            for m in re.findall(r"^- id: (\S+)", p.read_text(encoding="utf-8"), re.M)]


@pytest.mark.slow
def test_check_on_the_real_sample(sample: Path, cli) -> None:
    blocks, quotes = count_blocks(sample), count_quotes(sample)
    assert blocks > 50 and quotes > blocks  # the counting itself found the sample's content
    run = cli(sample, "check")
    assert run.code == 0, run.err
    assert run.out == f"ok: 2 briefs, {blocks} blocks, 3 sources, {quotes} quotes verified\n"
    # Besides the editorial findings of the audience contracts (tests/test_contracts.py), the
    # only things on stderr are the honest "not stated" warnings, at most one per source.
    lines = [line for line in run.err_lines if "(rule: templates/" not in line]
    assert len(lines) <= 3
    assert all(": warning: source '" in line and "the brief will show 'not stated'" in line
               for line in lines)
    assert not (sample / "output").exists()


@pytest.mark.slow
def test_check_on_the_minimal_project(project: Path, cli) -> None:
    run = cli(project, "check")
    assert (run.code, run.out, run.err) == (
        0, "ok: 1 briefs, 4 blocks, 1 sources, 3 quotes verified\n", "")


@pytest.mark.slow
def test_list_shows_every_brief_audience_source_and_block(sample: Path, cli) -> None:
    run = cli(sample, "list")
    assert run.code == 0, run.err
    sections = dict(re.findall(r"^(\w+):\n((?:  .*\n)*)", run.out, re.M))
    assert list(sections) == ["Briefs", "Audiences", "Sources", "Blocks"]

    def ids(section: str) -> list[str]:
        return [line.split()[0].rstrip(":") for line in sections[section].splitlines()]

    assert ids("Briefs") == sorted(p.stem for p in (sample / "briefs").glob("*.yaml"))
    assert ids("Audiences") == sorted(p.parent.name for p in
                                      (sample / "templates").glob("*/audience.yaml"))
    assert ids("Sources") == sorted(p.stem for p in
                                    (sample / "content" / "sources").glob("*.yaml"))
    assert ids("Blocks") == block_ids(sample)
    assert "  ottawa-treaty-2025: The Mine Ban Treaty under strain [parliamentary, ngo, " \
           "student, minister]" in sections["Briefs"]
    assert not (sample / "output").exists()


@pytest.mark.slow
def test_list_of_the_minimal_project(project: Path, cli) -> None:
    run = cli(project, "list")
    assert run.code == 0
    assert run.out.splitlines()[0:2] == ["Briefs:",
                                        "  harbour: The new quay [parliamentary, ngo, student]"]
    assert run.out.splitlines()[-4:] == [
        "  boats-first-year (fact) content/blocks/harbour.yaml:1:3",
        "  critics-view (position) content/blocks/harbour.yaml:10:3",
        "  review-asked (event) content/blocks/harbour.yaml:19:3",
        "  quay-question (question) content/blocks/harbour.yaml:27:3",
    ]


def test_list_fails_like_check_on_bad_content(project: Path, cli) -> None:
    (project / "content/sources/harbour-report.txt").unlink()
    run = cli(project, "list")
    assert_fails(run, project,
                 "content/sources/harbour-report.yaml:1:1: source 'harbour-report' is cited by "
                 "block 'boats-first-year' (content/blocks/harbour.yaml:1:3) but has no text "
                 "file: save the article's verbatim text as content/sources/harbour-report.txt")


@pytest.mark.parametrize(("args", "line"), [
    pytest.param(("build", "nosuchbrief"),
                 "no brief 'nosuchbrief': briefs are harbour (files in briefs/)", id="brief"),
    pytest.param(("build", "harbour", "nosuchbrief"),
                 "no brief 'nosuchbrief': briefs are harbour (files in briefs/)",
                 id="one-of-two-briefs"),
    pytest.param(("build", "--format", "odt"),
                 "--format 'odt' is not valid: use pdf, html, docx or a comma-separated list "
                 "such as pdf,html,docx", id="format"),
    pytest.param(("build", "--format", "pdf,odt"),
                 "--format 'pdf,odt' is not valid: use pdf, html, docx or a comma-separated list "
                 "such as pdf,html,docx", id="one-of-two-formats"),
    pytest.param(("build", "--audience", "nosuch"),
                 "no audience 'nosuch': audiences are minister, ngo, parliamentary, student",
                 id="audience"),
])
def test_build_with_bad_arguments_fails_before_writing(project: Path, cli, args: tuple[str, ...],
                                                      line: str) -> None:
    run = cli(project, *args)
    assert_fails(run, project, line)


def test_build_stops_on_bad_content_before_rendering(project: Path, cli) -> None:
    (project / "content/blocks/harbour.yaml").write_text(
        (project / "content/blocks/harbour.yaml").read_text().replace("crews", "boats"))
    run = cli(project, "build", "--format", "html")
    assert run.code == 1
    assert run.err_lines[0].startswith("content/blocks/harbour.yaml:17:14: quote in block "
                                       "'critics-view' is not in source 'harbour-report'")
    assert run.err_lines[-1] == "briefsmith: 1 problem; no output was written"
    assert not (project / "output").exists()


@pytest.mark.parametrize(("command", "says"), [
    ("build", "build briefs as pdf and html"),
    ("check", "verify every quote. writes no output; when a build has made output/.cache/"),
    ("list", "list briefs, audiences, sources and blocks"),
])
def test_subcommand_help_says_what_it_does(capsys: pytest.CaptureFixture[str], command: str,
                                           says: str) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: briefsmith {command} ")
    assert says in " ".join(out.lower().split())


def test_top_level_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command, says in [("build", "build briefs"), ("check", "validate content and verify "
                                                               "every quote; writes no output"),
                          ("list", "list briefs, audiences, sources and blocks")]:
        assert re.search(rf"^\s+{command}\s+{re.escape(says)}", out, re.M), out


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["chek"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'chek'" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("command", ["check", "list"])
def test_check_and_list_do_not_import_weasyprint(sample: Path, command: str) -> None:
    code = ("import sys; from briefsmith.cli import main; "
            f"rc = main(['--project', {str(sample)!r}, {command!r}]); "
            "print('weasyprint' in sys.modules); sys.exit(rc)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "False"
    assert not (sample / "output").exists()


def test_a_mistyped_project_folder_is_an_error_not_an_empty_build(tmp_path: Path) -> None:
    """Through build.py (cli.run), as a user types it: exit 1, one line, no folder made."""
    typo = tmp_path / "projetc"
    proc = subprocess.run([sys.executable, str(Path(__file__).parent.parent / "build.py"),
                           "--project", str(typo), "build"], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[0] == (f"--project {typo}: no such folder: give the folder "
                                           "that holds briefs/ and content/")
    assert proc.stdout == ""
    assert not typo.exists()


def test_check_as_json_gives_each_warning_in_parts(project: Path, cli) -> None:
    import json

    blocks = project / "content" / "blocks" / "harbour.yaml"  # prose that says more: a warning
    blocks.write_text(blocks.read_text(encoding="utf-8").replace(
        "In its first year, 1,200 boats", "In its first year, 1,300 boats"), encoding="utf-8")
    text = cli(project, "check")
    assert len(text.err_lines) == 1
    run = cli(project, "check", "--format", "json")
    assert run.code == 0
    report = json.loads(run.out)
    assert report["ok"] is True and report["problems"] == []
    assert report["counts"]["briefs"] == 1
    # the same warnings the text prints, each as its parts
    printed = [f"{w['file']}" + (f":{w['line']}" if w["line"] else "")
               + (f":{w['column']}" if w["column"] else "") + f": warning: {w['message']}"
               for w in report["warnings"]]
    assert printed == text.err_lines
    assert [w["kind"] for w in report["warnings"]] == ["fidelity"]


def test_check_as_json_lists_problems_and_exits_1(project: Path, cli) -> None:
    import json

    blocks = project / "content" / "blocks" / "harbour.yaml"
    blocks.write_text(blocks.read_text(encoding="utf-8").replace("type: fact", "type: fakt", 1),
                      encoding="utf-8")
    run = cli(project, "check", "--format", "json")
    assert run.code == 1
    report = json.loads(run.out)
    assert report["ok"] is False and report["warnings"] == []
    [problem] = report["problems"]
    assert problem["file"] == "content/blocks/harbour.yaml" and problem["line"] > 0
    assert "'fakt'" in problem["message"]
