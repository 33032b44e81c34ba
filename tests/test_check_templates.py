"""`check` (CI's gate) fails on every template problem the build would fail on, each as one
located line in the build's own words, all at once, and still writes nothing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from _content_edits import assert_fails, write
from hostile.hostile_support import add_to_template

from briefsmith.builder import parallel

SEARCHED = "templates/ngo/, templates/_base/, builtin/ngo/, builtin/_base/"


def tree(root: Path) -> list[Path]:
    return sorted(p.relative_to(root) for p in root.rglob("*"))


@pytest.mark.slow
@pytest.mark.parametrize(("code", "message"), [
    ("{% if %}", "template syntax error: Expected an expression, got 'end of statement block'"),
    ("{{ nope.title }}", "undefined variable: 'nope' is undefined"),
    ("{{ x | no_such_filter }}", "template syntax error: No filter named 'no_such_filter'."),
    ('{% include "no-such-part.html.j2" %}',
     f"template 'no-such-part.html.j2' not found; searched: {SEARCHED}"),
    ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
     "harbour (ngo): the template calls itself too deeply (endless recursion?): fix the "
     "template at this line"),
    ("{{ 1/0 }}", "harbour (ngo): the template raised ZeroDivisionError: division by zero: fix "
                  "the template at this line"),
    # only the PDF's first pass reaches it: check renders every format the build would
    ('{% if format == "pdf" %}{{ nope }}{% endif %}', "undefined variable: 'nope' is undefined"),
], ids=["syntax-error", "undefined-name", "unknown-filter", "missing-include", "recursion",
        "exception", "pdf-only"])
def test_check_fails_where_the_build_would(project: Path, cli, code: str, message: str) -> None:
    where = add_to_template(project, code)
    before = tree(project)
    limit = sys.getrecursionlimit()
    # Jinja's three parts, on one line: file:line, the message, the offending line
    assert_fails(cli(project, "check"), project, f"{where}: {message}: `{code}`")
    assert tree(project) == before  # no output/, no citation cache, nothing
    assert sys.getrecursionlimit() == limit


@pytest.mark.slow
def test_the_build_reports_the_same_line(project: Path, cli) -> None:
    where = add_to_template(project, "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}")
    line = (f"{where}: harbour (ngo): the template calls itself too deeply (endless "
            "recursion?): fix the template at this line: "
            "`{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}`")
    assert_fails(cli(project, "check"), project, line)
    assert_fails(cli(project, "build", "--format", "html"), project, line)


def test_every_problem_at_once_and_a_shared_one_once(project: Path, cli) -> None:
    ngo = add_to_template(project, "{% if %}", "ngo")
    student = add_to_template(project, "{{ nope }}", "student")
    parliamentary = add_to_template(project, "{{ 1/0 }}", "parliamentary")
    write(project, "templates/_base/part.html.j2", "<p>\n{% endif %}\n")  # included by nothing
    assert_fails(
        cli(project, "check"), project,
        "templates/_base/part.html.j2:2: template syntax error: Encountered unknown tag "
        "'endif'.: `{% endif %}`",
        f"{ngo}: template syntax error: Expected an expression, got 'end of statement block': "
        "`{% if %}`",
        f"{parliamentary}: harbour (parliamentary): the template raised ZeroDivisionError: "
        "division by zero: fix the template at this line: `{{ 1/0 }}`",
        f"{student}: undefined variable: 'nope' is undefined: " "`{{ nope }}`")


@pytest.mark.slow
def test_audience_no_brief_uses_yet_is_compiled(project: Path, cli) -> None:
    write(project, "templates/press/audience.yaml",
          "label: Press pack\ncitation_style: apa\nnotes: endnotes\n")
    write(project, "templates/press/brief.html.j2",
          '{% extends "base.html.j2" %}\n{% block summary %}{{ }}{% endblock %}\n')
    assert_fails(cli(project, "check"), project,
                 "templates/press/brief.html.j2:2: template syntax error: Expected an "
                 "expression, got 'end of print statement': "
                 "`{% block summary %}{{ }}{% endblock %}`")


def test_image_without_alt_text_in_a_template(project: Path, cli) -> None:
    add_to_template(project, '<img src="logo.png">')
    assert_fails(cli(project, "check"), project,
                 'templates/ngo: image without alt text in the templates for templates/ngo: '
                 '<img src="logo.png"> - add alt="what it shows" (tagged PDF needs a text for '
                 'every image)')


@pytest.mark.slow
@pytest.mark.parametrize("command", ["check", "build"])
def test_endless_loop_meets_the_time_limit_and_hides_nothing(project: Path, cli,
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            command: str) -> None:
    """Template code runs in the build's capped workers: a loop that never ends is stopped, and
    the outputs the stopped pool had not handed back are checked again, not skipped, by
    `check` and by a build (which runs check's renders in its own workers)."""
    monkeypatch.setattr(parallel, "RENDER_SECONDS", 2)
    add_to_template(project, "{% for i in range(10 ** 9) %}{% endfor %}", "parliamentary")
    student = add_to_template(project, "{{ nope }}", "student")
    assert_fails(cli(project, command), project,
                 "briefs/harbour.yaml:1:1: harbour (parliamentary): took longer than 2 s "
                 "and was stopped: look for very long or deeply nested content",
                 f"{student}: undefined variable: 'nope' is undefined: " "`{{ nope }}`")


@pytest.mark.slow
def test_a_valid_project_still_passes_and_writes_nothing(project: Path, cli) -> None:
    before = tree(project)
    run = cli(project, "check")
    assert run.code == 0, run.err
    assert run.out == "ok: 1 briefs, 4 blocks, 1 sources, 3 quotes verified\n"
    assert tree(project) == before
