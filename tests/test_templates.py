"""Template customisation: the lookup chain, overrides, house style and template errors."""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import pytest
from conftest import REPO, TEMPLATES

from briefsmith.content.config import Config
from briefsmith.content.select import select
from briefsmith.pipeline import load_project
from briefsmith.render import html as render

DOCS = (REPO / "templates" / "README.md").read_text(encoding="utf-8").split("## Context", 1)[1]
FUNCTIONS = {"stylesheet", "cite", "attach", "notes", "bibliography", "asset"}


def documented(prefix: str = "") -> set[str]:
    names = set()
    for cell in re.findall(r"^\| `([^`]+)` \|", DOCS, re.M):
        name = re.sub(r"\(.*\)$", "", cell)
        if prefix and name.startswith(prefix + "."):
            names.add(name.split(".", 1)[1])
        elif not prefix and "." not in name:
            names.add(name)
    return names


def test_every_context_variable_is_documented_and_nothing_else(project: Path) -> None:
    loaded = load_project(project)
    content = loaded.content
    brief = content.briefs["harbour"]
    selection = select(content, brief, content.audiences["ngo"])
    context = render.build_context(selection, content.citations, "pdf", Config())
    assert set(context) | FUNCTIONS == documented()


def test_every_view_field_is_documented() -> None:
    views = {"brief": render.BriefView, "audience": render.AudienceView,
             "section": render.SectionView, "block": render.BlockView,
             "source": render.SourceView, "config": render.ConfigView}
    for prefix, view in views.items():
        assert {f.name for f in dataclasses.fields(view)} == documented(prefix), prefix


def override_tree(root: Path, name: str, audience: str, html: str) -> Path:
    tree = root / name
    (tree / audience).mkdir(parents=True)
    (tree / audience / "brief.html.j2").write_text(
        '{% extends "base.html.j2" %}{% block summary %}' + html + "{% endblock %}",
        encoding="utf-8")
    return tree


@pytest.mark.slow
def test_stacked_overrides_most_specific_wins(project: Path, cli) -> None:
    cli_tree = override_tree(project, "cli-templates", "ngo", "<p>FROM-CLI-TREE</p>")
    override_tree(project, "brief-templates", "ngo", "<p>FROM-BRIEF-TREE</p>")
    run = cli(project, "--templates", str(cli_tree), "build", "--audience", "ngo",
              "--format", "html", "--explain")
    assert run.code == 0, run.err
    html = (project / "output/harbour/harbour-ngo.html").read_text(encoding="utf-8")
    assert "FROM-CLI-TREE" in html
    assert "  brief.html.j2                cli-templates/ngo/brief.html.j2" in run.out
    assert "  base.html.j2                 templates/_base/base.html.j2" in run.out

    brief = project / "briefs" / "harbour.yaml"
    brief.write_text(brief.read_text() + 'templates: "brief-templates"\n', encoding="utf-8")
    run = cli(project, "--templates", str(cli_tree), "build", "--audience", "ngo",
              "--format", "html", "--explain")
    assert run.code == 0, run.err
    html = (project / "output/harbour/harbour-ngo.html").read_text(encoding="utf-8")
    assert "FROM-BRIEF-TREE" in html and "FROM-CLI-TREE" not in html
    assert "  brief.html.j2                brief-templates/ngo/brief.html.j2" in run.out


@pytest.mark.slow
def test_project_with_empty_templates_folder_builds_from_builtins(project: Path, cli) -> None:
    shutil.rmtree(project / "templates")
    (project / "templates").mkdir()
    run = cli(project, "build", "--audience", "student", "--format", "html", "--explain")
    assert run.code == 0, run.err
    assert "  brief.html.j2                builtin/student/brief.html.j2" in run.out


def test_templates_list_shows_winner_and_blocks(project: Path, cli) -> None:
    override_tree(project, "templates", "ngo-extra-unused", "")  # a folder without audience.yaml
    (project / "templates" / "ngo" / "style.css").write_text("p { color: #222222; }")
    run = cli(project, "templates", "list", "--audience", "ngo")
    assert run.code == 0, run.err
    assert re.search(r"^  style\.css +templates/ngo/style\.css$", run.out, re.M)
    assert re.search(r"^  base\.html\.j2 +templates/_base/base\.html\.j2$", run.out, re.M)
    assert re.search(r"blocks: .*masthead, main, summary, body", run.out)


def test_templates_copy_never_overwrites(project: Path, cli) -> None:
    run = cli(project, "templates", "copy", "parliamentary", "blocks.html.j2")
    assert run.code == 0, run.err
    copied = project / "templates" / "parliamentary" / "blocks.html.j2"
    assert copied.read_text() == (TEMPLATES / "_base" / "blocks.html.j2").read_text()
    copied.write_text(copied.read_text() + "{# mine #}")
    run = cli(project, "templates", "copy", "parliamentary", "blocks.html.j2")
    assert run.code == 1
    assert run.err_lines[0] == ("templates/parliamentary/blocks.html.j2 already exists and was "
                                "not overwritten: edit it, or move it away and copy again")
    assert copied.read_text().endswith("{# mine #}")


@pytest.mark.slow
def test_override_of_a_block_the_parent_lacks_is_a_warning(project: Path, cli) -> None:
    path = project / "templates" / "ngo" / "brief.html.j2"
    path.write_text(path.read_text() + "\n{% block key_mesages %}typo{% endblock %}\n")
    line = path.read_text().count("\n") - 1 + 1
    run = cli(project, "build", "--audience", "ngo", "--format", "html")
    assert run.code == 0, run.err
    assert any(w.startswith(f"templates/ngo/brief.html.j2:{line}: warning: block "
                            "'key_mesages' overrides nothing in base.html.j2 "
                            "(templates/_base/base.html.j2): it is never shown; blocks there: ")
               for w in run.err_lines), run.err


def test_template_syntax_error_names_file_and_line(project: Path, cli) -> None:
    path = project / "templates" / "student" / "brief.html.j2"
    lines = path.read_text().splitlines()
    lines.insert(2, "{% if %}")
    path.write_text("\n".join(lines))
    run = cli(project, "build", "--audience", "student", "--format", "html")
    assert run.code == 1
    assert run.err_lines[0].startswith("templates/student/brief.html.j2:3: template syntax error")


@pytest.mark.slow
def test_undefined_variable_names_file_and_line(project: Path, cli) -> None:
    path = project / "templates" / "_base" / "base.html.j2"
    text = path.read_text().replace("<main>", "<main>{{ brief.no_such_field }}", 1)
    path.write_text(text)
    line = text[: text.index("no_such_field")].count("\n") + 1
    run = cli(project, "build", "--audience", "ngo", "--format", "html")
    assert run.code == 1
    assert (f"templates/_base/base.html.j2:{line}: undefined variable: 'briefsmith.render.html."
            "BriefView object' has no attribute 'no_such_field': "
            "`<main>{{ brief.no_such_field }}`") in run.err_lines


@pytest.mark.slow
def test_missing_template_lists_every_folder_searched(project: Path, cli) -> None:
    path = project / "templates" / "ngo" / "brief.html.j2"
    path.write_text(path.read_text().replace('{% extends "base.html.j2" %}',
                                             '{% extends "nosuch.html.j2" %}'))
    run = cli(project, "build", "--audience", "ngo", "--format", "html")
    assert run.code == 1
    assert run.err_lines[0].startswith(
        "templates/ngo/brief.html.j2:1: template 'nosuch.html.j2' not found; searched: "
        "templates/ngo/, templates/_base/, ")
    assert "builtin/ngo/" in run.err_lines[0]


@pytest.mark.slow
def test_house_style_colours_and_paper_reach_every_audience(project: Path, cli) -> None:
    (project / "briefsmith.yaml").write_text(
        'organisation: "Harbour Watch"\npaper: Letter\n'
        'colours:\n  accent: "#123456"\n', encoding="utf-8")
    run = cli(project, "build", "--format", "html")
    assert run.code == 0, run.err
    for audience in ("parliamentary", "ngo", "student"):
        html = (project / f"output/harbour/harbour-{audience}.html").read_text()
        house = html[html.index("/* briefsmith.yaml */"):]
        assert "--accent: #123456;" in house and "size: Letter;" in house


def test_bad_house_style_is_reported_with_its_place(project: Path, cli) -> None:
    (project / "briefsmith.yaml").write_text(
        'colours:\n  accent: "blue"\npaper: A5\nlogo: "../outside.png"\n', encoding="utf-8")
    run = cli(project, "check")
    assert run.code == 1
    assert run.err_lines[:3] == [
        "briefsmith.yaml:2:11: 'accent' of 'colours' in briefsmith.yaml is 'blue'; write it as "
        "a hex colour like #1f4e79",
        "briefsmith.yaml:3:8: 'paper' of briefsmith.yaml is 'A5'; choose one of: A4, Letter",
        "briefsmith.yaml:4:7: logo '../outside.png' is not a file inside the project: give a "
        "path relative to the project folder",
    ]


def test_linked_files_are_the_prefixed_templates_a_chain_reaches(project: Path) -> None:
    from briefsmith.theme.templates import BUILTIN, chain_for, linked_files, template_trees

    trees = template_trees(project)
    student = project / "templates" / "student"
    assert linked_files(chain_for(project, "student", trees)) == []  # the chain alone
    (student / "brief.html.j2").write_text('{% extends "project/ngo/brief.html.j2" %}\n')
    (project / "templates" / "ngo" / "brief.html.j2").write_text(
        '{% extends "base.html.j2" %}{% block colophon %}'
        '{% include "builtin/ngo/brief.html.j2" ignore missing %}{% endblock %}\n')
    # ngo's file, and the built-in one it includes; base.html.j2 is on the student chain
    assert linked_files(chain_for(project, "student", trees)) == sorted(
        [project / "templates" / "ngo" / "brief.html.j2", BUILTIN / "ngo" / "brief.html.j2"])
    (student / "extra.html.j2").write_text("{% include name_from_the_context %}\n")
    assert linked_files(chain_for(project, "student", trees)) is None  # any file may be read


@pytest.mark.slow
def test_a_template_named_by_a_variable_rebuilds_on_any_template_edit(project: Path,
                                                                      cli) -> None:
    """Which file such a name reaches is known only while rendering: every template tree the
    loader can reach by a prefix counts as the output's input."""
    (project / "templates" / "student" / "brief.html.j2").write_text(
        '{% set parent = "project/ngo/brief.html.j2" %}{% extends parent %}\n')
    assert cli(project, "build", "--format", "html").code == 0
    css = project / "templates" / "parliamentary" / "style.css"
    css.write_text(css.read_text() + "\n.x { color: red; }\n")
    run = cli(project, "build", "--format", "html")
    assert run.code == 0, run.err
    built = {line.split("/output/", 1)[1].split(" ")[0] for line in run.out.splitlines()
             if line.startswith("wrote ") and "/output/" in line}
    assert built == {"harbour/harbour-parliamentary.html", "harbour/harbour-student.html"}
