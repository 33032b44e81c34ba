"""Issue 11: the pipeline is its stages in order, each stage a module that says what goes in and
what comes out, and the pieces that moved out of pipeline.py still do their job from there."""

from __future__ import annotations

import ast
import pickle
from pathlib import Path

import pytest

from briefsmith import pipeline
from briefsmith.builder import parallel, rebuild
from briefsmith.builder.freshness import Digests
from briefsmith.builder.manifest import Manifest
from briefsmith.content.select import select
from briefsmith.core.errors import Problems, RenderError, frames
from briefsmith.core.models import Origin, para_locator
from briefsmith.evidence.verify import load_project
from briefsmith.formats import pdf

PACKAGE = Path(pipeline.__file__).parent
STAGES = ["content/load", "content/validate", "content/read", "evidence/citations",
          "evidence/verify", "content/select", "builder/rebuild", "builder/checks", "render/html",
          "render/csl", "formats/pdf", "core/files", "pipeline"]


def test_pipeline_is_the_stages_and_each_stage_says_what_goes_in_and_out() -> None:
    assert len((PACKAGE / "pipeline.py").read_text(encoding="utf-8").splitlines()) <= 120
    for name in STAGES:
        doc = ast.get_docstring(ast.parse((PACKAGE / f"{name}.py").read_text(encoding="utf-8")))
        assert doc is not None and "In:" in doc and "Out:" in doc, name


def test_the_public_names_are_importable_from_the_pipeline() -> None:
    """What the benchmark and callers outside the package use; the rest is in its wing."""
    assert sorted(pipeline.__all__) == sorted([
        "build", "BuildRequest", "BuildResult", "check", "load_project", "load_and_verify",
        "plan", "render_one", "Project"])
    for name in pipeline.__all__:
        assert hasattr(pipeline, name), name


@pytest.mark.slow
def test_a_second_plan_over_an_unchanged_build_renders_nothing(project: Path) -> None:
    out = project / "output"
    request = pipeline.BuildRequest(formats=("html",), jobs=1)
    first = pipeline.build(project, out, request)
    assert first.outputs and not first.skipped
    loaded = load_project(project)
    selections = [select(loaded.content, b, a, loaded.config.citation_styles)
                  for b, a in pipeline.plan(loaded.content, None, None)]
    todo = rebuild.decide(loaded, selections, request, Manifest.read(out),
                          Digests(project, out, []))
    assert todo.tasks == []
    assert sorted(todo.skipped) == sorted(o.path.as_posix() for o in first.outputs)
    (project / "content" / "blocks").joinpath("extra.yaml").write_text(
        "- id: extra-question\n  type: question\n  text: Does anything use this block?\n",
        encoding="utf-8")
    again = rebuild.decide(load_project(project), selections, request, Manifest.read(out),
                           Digests(project, out, []))
    assert again.tasks == []  # a block no brief uses changes no output


def test_pages_can_be_inspected_before_any_bytes_are_written(tmp_path: Path) -> None:
    html = ("<!DOCTYPE html><html lang='en'><title>t</title><body>"
            "<p>one</p><p style='break-before: page'>two</p></body></html>")
    rendered = pdf.render_document(html, tmp_path, (tmp_path,), epoch=0, origin=None)
    assert rendered.pages == 2
    data = pdf.write(rendered, "x/y")
    assert data.startswith(b"%PDF-") and data == pdf.write(rendered, "x/y")


def test_the_renderer_log_becomes_located_errors(project: Path) -> None:
    loaded = load_project(project)
    brief = next(iter(loaded.content.briefs.values()))
    selection = select(loaded.content, brief, loaded.content.audiences[brief.audiences[0]],
                       loaded.config.citation_styles)
    html = ("<!DOCTYPE html><html lang='en'><title>t</title><body>"
            "<img alt='x' src='https://example.org/a.png'></body></html>")
    rendered = pdf.render_document(html, project, (project,), epoch=0, origin=None)
    [problem] = pdf.log_problems(rendered.log, selection, "harbour (ngo)")
    assert problem.origin == brief.origin
    assert problem.message == ("harbour (ngo): refused to load 'https://example.org/a.png' "
                               "requested by a template or stylesheet (the renderer never uses "
                               "the network): only files inside the project's templates/ and "
                               "content/ folders can be used")


def _broken(state: dict[str, object], task: str) -> object:
    return {}[task]


def test_an_unexpected_error_in_a_worker_is_one_line_and_keeps_its_traceback() -> None:
    [outcome] = parallel.run_all(_broken, {}, ["missing"], 1, ["harbour (ngo)"])
    assert isinstance(outcome, RenderError)
    assert outcome.message.startswith("harbour (ngo): the render failed with KeyError: "
                                      "'missing' (at test_structure.py:")
    assert outcome.message.endswith("; run again with --debug for the traceback")
    assert outcome.lines() == [outcome.message]
    debug = outcome.lines(debug=True)
    assert debug[0] == outcome.message
    assert debug[1] == "Traceback (most recent call last):"
    assert debug[-1] == "KeyError: 'missing'"
    assert pickle.loads(pickle.dumps(outcome)).detail == outcome.detail  # crosses processes
    # placed at its brief and gathered with the others, it keeps the traceback for --debug
    _, [gathered] = parallel.gather([outcome], [Origin("briefs/harbour.yaml", 1, 1)])
    assert str(gathered).startswith("briefs/harbour.yaml:1:1: harbour (ngo): the render failed")
    assert Problems([gathered]).lines(debug=True)[1:] == debug[1:]
    assert len(Problems([gathered]).lines()) == 1


def test_the_cli_prints_the_traceback_only_with_debug(capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    from briefsmith.cli import Progress, _print_problems

    [outcome] = parallel.run_all(_broken, {}, ["missing"], 1, ["harbour (ngo)"])
    assert isinstance(outcome, RenderError)
    _print_problems(Problems([outcome]), Progress())
    assert capsys.readouterr().err.splitlines() == [
        outcome.message, "briefsmith: 1 problem; no output was written"]
    _print_problems(Problems([outcome]), Progress(), debug=True)
    err = capsys.readouterr().err.splitlines()
    assert err[:2] == [outcome.message, "Traceback (most recent call last):"]
    assert err[-2:] == ["KeyError: 'missing'", "briefsmith: 1 problem; no output was written"]


@pytest.mark.slow
def test_debug_is_an_option_before_any_command(project: Path, cli) -> None:
    assert cli(project, "--debug", "check").code == 0
    assert cli(project, "--debug", "--format", "html").code == 0  # no command: a build
    assert (project / "output").is_dir()


def test_one_traceback_walker() -> None:
    def inner() -> None:
        raise ValueError("x")

    with pytest.raises(ValueError) as caught:
        inner()
    walked = frames(caught.value.__traceback__)
    assert walked[-1] == (__file__, inner.__code__.co_firstlineno + 1)
    assert parallel._innermost(caught.value.__traceback__) == f"test_structure.py:{walked[-1][1]}"


@pytest.mark.parametrize(("spans", "written"), [
    ([(4, 4)], "para 4"), ([(6, 7)], "paras 6\u20137"), ([(7, 7), (4, 4), (4, 4)], "paras 4, 7"),
    ([(5, 5), (2, 3)], "paras 2\u20133, 5")])
def test_one_paragraph_pinpoint(spans: list[tuple[int, int]], written: str) -> None:
    assert para_locator(*spans) == written


def test_relpath_lives_with_the_models() -> None:
    from briefsmith.content import load
    from briefsmith.core import models

    assert load.relpath is models.relpath
    assert models.relpath(PACKAGE / "pipeline.py", PACKAGE.parent) == "briefsmith/pipeline.py"


def test_relpath_names_a_file_as_written_and_a_link_to_the_project_by_its_target(
        tmp_path: Path) -> None:
    from briefsmith.core.models import relpath

    root, elsewhere = tmp_path / "proj", tmp_path / "elsewhere"
    (root / "content").mkdir(parents=True)
    elsewhere.mkdir()
    (root / "content" / "a.yaml").write_text("x: 1\n")
    (root / "content" / "link.yaml").symlink_to(elsewhere / "b.yaml")
    (tmp_path / "into.yaml").symlink_to(root / "content" / "a.yaml")
    assert relpath(root / "content" / "a.yaml", root) == "content/a.yaml"
    assert relpath(root / "content" / "link.yaml", root) == "content/link.yaml"  # as written
    assert relpath(tmp_path / "into.yaml", root) == "content/a.yaml"  # leads inside
    assert relpath(root, root) == "."
    assert relpath(tmp_path / "proj2" / "c.yaml", root) == str(tmp_path / "proj2" / "c.yaml")


def test_validation_reads_no_file_it_checks_what_it_is_given() -> None:
    from briefsmith.content import validate
    from briefsmith.content.load import parse_text
    from briefsmith.core.errors import Collector, ContentError
    from briefsmith.core.models import Origin

    errors = Collector()
    doc = parse_text("label: A report\nkind: report\nperspective: humanitarian\n",
                     "content/sources/rep.yaml")
    source = validate.load_source(doc, "content/sources/rep.yaml", "rep",
                                  "content/sources/rep.txt", b"First.\n\nSecond.\n", errors)
    assert errors.errors == [] and source is not None
    assert source.paragraphs == ("First.", "Second.")
    missing = ContentError("no text file", Origin("content/sources/rep.yaml", 1, 1))
    assert validate.load_source(doc, "content/sources/rep.yaml", "rep",
                                "content/sources/rep.txt", missing, errors) is not None
    assert errors.errors == [missing]
    blocks = parse_text("- id: why\n  type: question\n  text: Why?\n", "content/blocks/q.yaml")
    [block] = validate.load_blocks(blocks, "content/blocks/q.yaml", ["ngo"], errors)
    assert (block.id, block.origin) == ("why", Origin("content/blocks/q.yaml", 1, 3))
    tree = ast.parse((PACKAGE / "content" / "validate.py").read_text(encoding="utf-8"))
    called = {n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", "")
              for n in ast.walk(tree) if isinstance(n, ast.Call)}
    assert not called & {"open", "read_inside", "open_inside", "load_document", "read_bytes",
                         "read_text", "is_file", "is_dir", "exists", "glob", "iterdir", "stat"}


@pytest.mark.parametrize("renders,extra,jobs", [(0, 3, 2), (1, 8, 2), (5, 8, 2), (5, 8, 1),
                                                (3, 0, 4), (2, 5, 8)])
def test_checks_tasks_go_among_the_renders_so_one_brief_starts_at_once_and_errors_come_early(
        project: Path, renders: int, extra: int, jobs: int) -> None:
    loaded = load_project(project)
    selection = select(loaded.content, *pipeline.plan(loaded.content, None, None)[0],
                       loaded.config.citation_styles)
    todo = rebuild.Plan(tasks=[rebuild.Task(selection, (f"f{i}",)) for i in range(renders)])
    checks = [f"check {i}" for i in range(extra)]
    order = todo.alongside(checks, checks, jobs)
    assert [order.tasks[i] for i in order.renders] == todo.tasks
    assert [order.tasks[i] for i in order.extra] == checks
    assert sorted(order.renders + order.extra) == list(range(renders + extra))
    assert [order.labels[i] for i in order.extra] == checks
    # every worker but one starts on a render; the checks come before any other render
    head = min(jobs - 1, renders)
    assert order.renders[:head] == list(range(head))
    assert all(e < r for e in order.extra for r in order.renders[head:])
    lines: list[str] = []
    done = todo.reporter(order, lines.append)
    for position in range(len(order.tasks)):
        done(position, None, 0.5)
    assert len(lines) == renders  # check's tasks report nothing
    assert all(line.startswith(f"[{i + 1}/{renders}] built ") for i, line in enumerate(lines))


@pytest.mark.slow
def test_a_good_build_runs_checks_tasks_once_in_its_own_workers(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`check` on its own (OutputChecks.run, a worker pool of its own) is only for a project
    whose citation style is missing; a good build runs check's tasks in its render workers."""
    from briefsmith.builder import checks as stage

    def refuse(self: object) -> None:
        raise AssertionError("the build ran check's tasks a second time")

    monkeypatch.setattr(stage.OutputChecks, "run", refuse)
    result = pipeline.build(project, project / "output", pipeline.BuildRequest(
        formats=("html",), jobs=1))
    assert result.outputs and not result.failed


def _double(state: dict[str, object], task: int) -> int:
    return 2 * task


def test_workers_whose_tasks_all_finished_are_closed_not_terminated(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Terminating waits for the task queue's lock, which an idle worker holds: about one
    build in ten waited out the watchdog's 5 s. A pool is terminated only when a task is left
    running (a time limit, an error found by check, Ctrl-C)."""
    from multiprocessing.pool import Pool

    def refuse(self: Pool) -> None:
        raise AssertionError("a finished pool was terminated")

    monkeypatch.setattr(Pool, "terminate", refuse)
    assert parallel.run_all(_double, {}, [1, 2, 3], 2, ["a", "b", "c"]) == [2, 4, 6]
    with parallel.Workers(_double, {}, [5, 6], 2, ["a", "b"]) as workers:
        assert workers.results([1, 0]) == [12, 10]  # in the order asked for
    monkeypatch.undo()
    with parallel.Workers(_double, {}, [7, 8], 2, ["a", "b"]) as workers:
        assert workers.results([0]) == [14]
    # left with a result not collected, and maybe a task unfinished: terminated, all gone
    assert not [p for p in __import__("multiprocessing").active_children() if p.is_alive()]
