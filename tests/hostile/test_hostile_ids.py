"""Group 2: schema and id abuse. Ids become file names and anchors, so each is validated before
any path is built from it; unknown keys cannot smuggle values; a cite can only name a source
that is a file in content/sources/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from briefsmith.core.errors import printable

from .hostile_support import (
    BLOCKS,
    BRIEF,
    EXTRA_BLOCKS,
    digest,
    edit,
    problem_lines,
    tree,
    write,
    yaml_str,
)

ID_RULE = "must use lowercase letters, digits and single hyphens (e.g. 'casualties-2023')"
CRITICS_CITE = "    - source: harbour-report\n      quote: 'Critics say"


def _fails_writing_nothing(cli, root: Path, *args: str):
    """Run a build that must fail; nothing anywhere under the project's parent may change."""
    before_outputs = digest(root / "output")
    before_tree = tree(root.parent)
    run = cli(root, *(args or ("build", "--audience", "ngo", "--format", "html")))
    assert run.code == 1, run.err
    assert digest(root / "output") == before_outputs
    assert tree(root.parent) - before_tree <= {"network-attempts.log"}
    return run


@pytest.mark.parametrize("bad_id", [
    "../escape", "a/b", "/etc/passwd", "..", "Quay-question", "qu\u0430y-question",
    "\uff51uay-question", "quay_question", "quay-question\u202e", "-lead-hyphen",
], ids=["dotdot-slash", "slash", "absolute", "dotdot", "uppercase", "cyrillic-a",
        "fullwidth-q", "underscore", "rlo-suffix", "leading-hyphen"])
def test_block_id_outside_the_id_rule_is_refused(hproject: Path, cli, bad_id: str) -> None:
    write(hproject, EXTRA_BLOCKS,
          f"- id: {yaml_str(bad_id)}\n  type: question\n  text: \"Is this id safe?\"\n")
    run = _fails_writing_nothing(cli, hproject)
    assert problem_lines(run.err_lines) == [
        f"{EXTRA_BLOCKS}:1:7: block id '{printable(bad_id)}' {ID_RULE}"]
    assert "\u202e" not in run.err


def test_brief_file_named_dot_dot_never_becomes_an_output_path(hproject: Path, cli) -> None:
    """`briefs/...yaml` has the stem '..': an output path built from it would be
    output/../..-ngo.html, outside output/. The id is refused before any path is made."""
    (hproject / "briefs" / "...yaml").write_text((hproject / BRIEF).read_text())
    run = _fails_writing_nothing(cli, hproject)
    assert problem_lines(run.err_lines) == [
        "briefs/...yaml:1:1: brief id '..' is the file name and must use lowercase letters, "
        "digits and single hyphens: rename the file (e.g. 'casualties-2023.yaml')"]
    assert not list(hproject.rglob("..-ngo.*"))


def test_brief_file_with_uppercase_name_is_refused(hproject: Path, cli) -> None:
    (hproject / BRIEF).rename(hproject / "briefs" / "Harbour.yaml")
    run = _fails_writing_nothing(cli, hproject)
    assert problem_lines(run.err_lines) == [
        "briefs/Harbour.yaml:1:1: brief id 'Harbour' is the file name and must use lowercase "
        "letters, digits and single hyphens: rename the file (e.g. 'casualties-2023.yaml')"]


def test_brief_named_on_the_command_line_with_dot_dot_is_refused(hproject: Path, cli) -> None:
    run = _fails_writing_nothing(cli, hproject, "build", "../../escape", "--format", "html")
    assert problem_lines(run.err_lines) == [
        "no brief '../../escape': briefs are harbour (files in briefs/)"]


def test_audience_naming_a_folder_outside_templates_is_refused(hproject: Path, cli) -> None:
    edit(hproject, BRIEF, "audiences: [parliamentary, ngo, student]",
         "audiences: [../../etc, ngo]")
    run = _fails_writing_nothing(cli, hproject)
    assert problem_lines(run.err_lines) == [
        f"{BRIEF}:4:13: unknown audience '../../etc'; each audience is a folder under "
        "templates/ (known: minister, ngo, parliamentary, student)"]


@pytest.mark.parametrize("folder", ["../..", "/etc", "escape-link"])
def test_brief_templates_folder_outside_the_project_is_refused(hproject: Path, cli,
                                                               folder: str) -> None:
    (hproject / "escape-link").symlink_to("/etc")
    with (hproject / BRIEF).open("a", encoding="utf-8") as brief:
        brief.write(f"templates: {folder}\n")
    run = _fails_writing_nothing(cli, hproject)
    assert problem_lines(run.err_lines) == [
        f"{BRIEF}:15:12: 'templates' of brief 'harbour' must name a folder inside the "
        f"project; '{folder}' is not one"]


@pytest.mark.parametrize(("where", "old", "new", "message"), [
    ("block", '  actor: "Critics"', '  actor: "Critics"\n  html: "<script>steal()</script>"',
     f"{BLOCKS}:13:3: unknown key 'html' in block 'critics-view'; allowed keys: actor, "
     "audiences, cites, id, inference, stance, text, title, type, viewpoint, wording"),
    ("cite", CRITICS_CITE, "    - source: harbour-report\n      url: \"file:///etc/passwd\"\n"
     "      quote: 'Critics say",
     f"{BLOCKS}:17:7: unknown key 'url' in cite 1 of block 'critics-view'; allowed keys: "
     "quote, source"),
    ("brief", 'author: "Test Library"', 'author: "Test Library"\nstylesheet: "/etc/passwd"',
     f"{BRIEF}:6:1: unknown key 'stylesheet' in brief 'harbour'; allowed keys: about, "
     "audiences, author, citation_style, date, keywords, language, meeting, sections, subtitle, "
     "summary, templates, title"),
], ids=["block-html", "cite-url", "brief-stylesheet"])
def test_unknown_key_cannot_smuggle_a_value(hproject: Path, cli, where: str, old: str,
                                            new: str, message: str) -> None:
    edit(hproject, BRIEF if where == "brief" else BLOCKS, old, new)
    run = _fails_writing_nothing(cli, hproject)
    assert problem_lines(run.err_lines) == [message]


@pytest.mark.parametrize("source", [
    "../../../../etc/passwd", "/etc/passwd", "../sources/harbour-report", "harbour-report.txt",
])
def test_cite_cannot_name_a_file_outside_content_sources(hproject: Path, cli,
                                                         source: str) -> None:
    edit(hproject, BLOCKS, CRITICS_CITE,
         f"    - source: {yaml_str(source)}\n      quote: 'Critics say")
    run = _fails_writing_nothing(cli, hproject)
    [line] = problem_lines(run.err_lines)
    assert line.startswith(f"{BLOCKS}:16:15: block 'critics-view' cites unknown source "
                           f"'{source}'")
    assert line.endswith("; sources are files in content/sources/")


def test_source_text_symlinked_out_of_the_project_is_refused(hproject: Path, cli,
                                                             tmp_path: Path) -> None:
    outside = tmp_path / "outside-notes.txt"
    outside.write_text("The launch codes are kept in the blue folder.\n", encoding="utf-8")
    sources = hproject / "content" / "sources"
    (sources / "leak.yaml").write_text('label: "x"\nkind: news\nperspective: "x"\n')
    os.symlink(outside, sources / "leak.txt")
    write(hproject, EXTRA_BLOCKS,
          "- id: leaked\n  type: quote\n  speaker: \"x\"\n"
          "  words: \"launch codes are kept in the blue folder\"\n"
          "  cites:\n    - source: leak\n"
          "      quote: \"The launch codes are kept in the blue folder.\"\n")
    edit(hproject, BRIEF, "blocks: [critics-view, quay-question]",
         "blocks: [critics-view, quay-question, leaked]")
    run = cli(hproject, "build", "--audience", "ngo", "--format", "html")
    html = (hproject / "output/harbour/harbour-ngo.html").read_text(encoding="utf-8")
    assert "blue folder" not in html
    assert run.code == 1
    assert "blue folder" not in run.err


def test_bidi_override_in_a_file_name_is_escaped_in_messages(hproject: Path, cli) -> None:
    (hproject / "briefs" / "evil\u202egpj.yaml").write_text("title: x\n")
    run = cli(hproject, "check")
    assert run.code == 1
    assert "evil\\u202egpj" in run.err
    assert "\u202e" not in run.err
