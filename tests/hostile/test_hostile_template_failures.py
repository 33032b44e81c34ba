"""Group 5: a broken template fails the build with one line naming the template file and line;
the last good outputs stay byte-identical."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefsmith.builder import parallel

from .hostile_support import add_to_template, digest, problem_lines


def _fails(cli, root: Path) -> list[str]:
    before = digest(root / "output")
    run = cli(root, "build", "--audience", "ngo", "--format", "html")
    assert run.code == 1
    assert digest(root / "output") == before
    assert not list((root / "output").rglob("*.tmp"))
    return problem_lines(run.err_lines)


@pytest.mark.slow
@pytest.mark.parametrize(("code", "message"), [
    ("{% if %}", "template syntax error: Expected an expression, got 'end of statement block'"),
    ("{{ nope.title }}", "undefined variable: 'nope' is undefined"),
    ("{{ brief.no_such_field }}",
     "undefined variable: 'briefsmith.render.html.BriefView object' has no attribute "
     "'no_such_field'"),
    ("{{ 1/0 }}", "harbour (ngo): the template raised ZeroDivisionError: division by zero: "
                  "fix the template at this line"),
    ('{{ "%d" % brief.title }}', "harbour (ngo): the template raised TypeError: %d format: "
                                 "a real number is required, not str: fix the template at "
                                 "this line"),
], ids=["syntax-error", "undefined-variable", "undefined-attribute", "division-by-zero",
        "exception-in-filter"])
def test_broken_template_names_its_file_and_line(hproject: Path, cli, code: str,
                                                 message: str) -> None:
    where = add_to_template(hproject, code)
    assert _fails(cli, hproject) == [f"{where}: {message}: `{code}`"]


@pytest.mark.slow
def test_missing_template_is_named(hproject: Path, cli) -> None:
    where = add_to_template(hproject, '{% include "no-such-part.html.j2" %}')
    [line] = _fails(cli, hproject)
    assert line.startswith(f"{where}: template 'no-such-part.html.j2' not found; searched: "
                           "templates/ngo/, templates/_base/")


@pytest.mark.slow
def test_missing_template_names_the_line_that_includes_it(hproject: Path, cli) -> None:
    where = add_to_template(hproject, '{% include "no-such-part.html.j2" %}')
    [line] = _fails(cli, hproject)
    assert line.startswith(f"{where}: ")


@pytest.mark.slow
def test_endless_template_recursion_is_a_message(hproject: Path, cli) -> None:
    """A macro that calls itself: RecursionError inside the render worker, one clear line."""
    where = add_to_template(hproject,
                            "{% macro down(n) %}{{ down(n + 1) }}{% endmacro %}{{ down(0) }}")
    assert _fails(cli, hproject) == [
        f"{where}: harbour (ngo): the template calls itself too deeply (endless recursion?): "
        "fix the template at this line: "
        "`{% macro down(n) %}{{ down(n + 1) }}{% endmacro %}{{ down(0) }}`"]


def _lookup(state: dict[str, object], task: str) -> object:
    return {}[task]


def test_unexpected_error_in_a_worker_is_one_line_not_a_traceback() -> None:
    """Not from a template: the message says what and where, for a bug report."""
    outcome, _ = parallel._call(_lookup, "missing")
    assert isinstance(outcome, parallel.RenderError)
    assert outcome.origin is None
    line = _lookup.__code__.co_firstlineno + 1
    assert outcome.message == ("the render failed with KeyError: 'missing' "
                               f"(at test_hostile_template_failures.py:{line}); run again "
                               "with --debug for the traceback")
