"""The whole path from project files to briefs, one stage after another, and nothing else.

In: a project folder and a `BuildRequest`. Out: the outputs on disk and a `BuildResult`.
content → evidence → select → builder (what changed) → render → formats → core/files.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .builder import rebuild
from .builder.checks import OutputChecks, check, check_task
from .builder.freshness import Digests
from .builder.manifest import MANIFEST, Manifest
from .builder.parallel import Workers, gather
from .builder.rebuild import project_reads
from .builder.request import BuildRequest, BuildResult
from .content.select import Selection, plan, select
from .core.errors import BriefsmithWarning, Problems
from .core.files import build_lock, write_all
from .core.formats import FORMATS
from .core.models import relpath
from .evidence.contracts import page_budget_error
from .evidence.verify import Project, load_and_verify, load_project
from .formats import pdf
from .formats.docx import render_docx
from .formats.outputs import Output, output_path
from .render.csl import find_style
from .render.html import render_html
from .theme.compiled import COMPILED

__all__ = ["BuildRequest", "BuildResult", "Project", "build", "check", "load_and_verify",
           "load_project", "plan", "render_one"]


def render_one(project: Project, selection: Selection, formats: tuple[str, ...],
               cache_dir: Path | None) -> tuple[list[Output], list[BriefsmithWarning]]:
    """One brief for one audience, each format: its HTML, then (for PDF and Word) its bytes."""
    brief, audience = selection.brief, selection.audience
    templates = project.chain(brief, audience)
    style = find_style(selection.style, project.root, templates.folders)
    outputs, warnings, label = [], [], f"{brief.id} ({audience.name})"
    for fmt in formats:
        html = render_html(selection, fmt, templates, project.content, project.config, style,
                           cache_dir)
        data, pages = html.encode("utf-8"), None
        if FORMATS[fmt].renderer == "pandoc":
            data = render_docx(html, selection, templates, project.config, cache_dir)
        elif FORMATS[fmt].renderer == "weasyprint":
            laid = pdf.render_document(html, templates.folders[0], (*templates.folders,
                                       project.root / "content"),
                                       epoch=pdf.epoch_of(brief.date), origin=brief.origin)
            data, log, pages = pdf.write(laid, f"{brief.id}/{audience.name}"), laid.log, laid.pages
            over = page_budget_error(selection, pages, laid.text_from)  # N pages promised
            if problems := [*pdf.log_problems(log, selection, label), *([over] if over else [])]:
                raise Problems(problems)
            warnings += pdf.log_warnings(log, selection, label)
        used = {**templates.used, f"{style.stem}.csl": relpath(style, project.root)}
        outputs.append(Output(brief.id, audience.name, fmt, output_path(selection, fmt), data,
                              pages, tuple(sorted(used.items()))))
    # checked after rendering, so that a syntax error is reported by the render, with its line
    return outputs, templates.stale_overrides() + warnings


def _task(state: dict[str, Any], task: Any) -> Any:
    """A worker's job: one output rendered to its bytes, or one of check's (OutputChecks)."""
    if isinstance(task, rebuild.Task):
        return render_one(state["project"], task.selection, task.formats, state["cache_dir"])
    return check_task(state, task)


def build(root: Path, out_dir: Path, request: BuildRequest | None = None,
          progress: Callable[[str], None] | None = None) -> BuildResult:
    """Check, render what changed in worker processes (check's own renders beside them), then
    write it all or nothing, once everything has passed."""
    request, started = request or BuildRequest(), time.perf_counter()
    # Hashed before loading: a file saved meanwhile differs from its record, so is built again.
    digests = Digests(root, out_dir, [p for p in (request.override,) if p])
    project_reads(None, root, digests, request.override)  # remembered by `digests`
    project = load_project(root, request.override)
    checks = OutputChecks(project)
    if checks.errors:  # a citation style not found: what to render cannot be decided
        checks.run()
    pairs = plan(project.content, request.briefs, request.audiences)
    selections = rebuild.in_shard([select(project.content, b, a, project.config.citation_styles)
                                   for b, a in pairs], request.shard)
    COMPILED.keep_in(out_dir / ".cache" / "templates" if out_dir.is_dir() else None)  # compiled.py
    # Held from before the first render to after the last write (and taken only once the
    # request is known to be valid): a second build into the same folder stops at once.
    with build_lock(out_dir):
        manifest = Manifest.read(out_dir)
        todo = rebuild.decide(project, selections, request, manifest, digests)
        result = BuildResult(skipped=todo.skipped, changes=todo.changes)
        jobs = request.jobs or os.cpu_count() or 1
        order = todo.alongside(checks.tasks, checks.labels, jobs)
        state = {"project": project, "cache_dir": out_dir / ".cache" / "citeproc"}
        with Workers(_task, state, order.tasks, jobs, order.labels,
                     todo.reporter(order, progress)) as workers:
            checks.compile()  # in this process, while the workers render
            checks.retry(checks.collect(range(len(checks.tasks)), workers.results(order.extra)))
            checks.finish()  # raises what `check` would: nothing is written
            outcomes = workers.results(order.renders)
        rendered, errors = gather(outcomes, [t.selection.brief.origin for t in todo.tasks])
        result.failed = len(todo.tasks) - len(rendered)
        if errors:
            raise Problems(errors)
        result.warnings = checks.warnings(request.audiences)
        for outputs, warnings in rendered:
            result.outputs.extend(outputs)
            result.warnings.extend(w for w in warnings if w not in result.warnings)
        files = {**{o.path: o.data for o in result.outputs}, Path(MANIFEST): rebuild.record(
            manifest, todo, result.outputs, project, digests, out_dir, request)}
        write_all(out_dir, files, locked=True)
        digests.save()
    result.seconds = time.perf_counter() - started
    return result
