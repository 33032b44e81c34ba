"""The whole path from project files to briefs, one stage after another, and nothing else.

In: a project folder and a `BuildRequest`. Out: the outputs on disk and a `BuildResult`.
project (files → checked project) → select → rebuild (what changed) → render (HTML) →
pdf or docx (bytes) → output (written all or nothing).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import pdf, rebuild
from .contracts import page_budget_error
from .csl import find_style
from .docx import render_docx
from .errors import BriefsmithError, Problems
from .freshness import Digests
from .manifest import MANIFEST, Manifest
from .models import relpath
from .output import FORMATS, Output, build_lock, output_path, write_all
from .parallel import gather, run_all
from .project import Project, check, load_and_verify, load_project, plan, review, unlisted_audiences
from .rebuild import BuildRequest, BuildResult, fingerprint, output_reads, project_reads
from .render import render_html
from .select import Selection, select

__all__ = ["FORMATS", "BuildRequest", "BuildResult", "Output", "Project", "build", "check",
           "fingerprint", "load_and_verify", "load_project", "output_path", "output_reads",
           "plan", "project_reads", "render_one", "review", "unlisted_audiences"]


def render_one(project: Project, selection: Selection, formats: tuple[str, ...],
               cache_dir: Path | None) -> tuple[list[Output], list[str]]:
    """One brief for one audience, each format: its HTML, then (for PDF and Word) its bytes."""
    brief, audience = selection.brief, selection.audience
    templates = project.chain(brief, audience)
    style = find_style(selection.style, project.root, templates.folders)
    outputs, warnings, label = [], [], f"{brief.id} ({audience.name})"
    for fmt in formats:
        html = render_html(selection, fmt, templates, project.content, project.config, style,
                           cache_dir)
        data, pages = html.encode("utf-8"), None
        if fmt == "docx":
            data = render_docx(html, selection, templates, project.config, cache_dir)
        elif fmt == "pdf":
            data, log, pages = pdf.render_pdf(html, templates.folders[0],
                                              (*templates.folders, project.root / "content"),
                                              identifier=f"{brief.id}/{audience.name}",
                                              epoch=pdf.epoch_of(brief.date), origin=brief.origin)
            over = page_budget_error(selection, pages)  # an audience's promise of N pages
            if problems := [*pdf.log_problems(log, selection, label), *([over] if over else [])]:
                raise Problems(problems)
            warnings += pdf.log_warnings(log, selection, label)
        used = {**templates.used, f"{style.stem}.csl": relpath(style, project.root)}
        outputs.append(Output(brief.id, audience.name, fmt, output_path(selection, fmt), data,
                              pages, tuple(sorted(used.items()))))
    # checked after rendering, so that a syntax error is reported by the render, with its line
    return outputs, templates.stale_overrides() + warnings


def _render_task(state: dict[str, Any], task: rebuild.Task) -> tuple[list[Output], list[str]]:
    """What one worker process does for one (brief, audience): everything up to the bytes."""
    return render_one(state["project"], task.selection, task.formats, state["cache_dir"])


def build(root: Path, out_dir: Path, request: BuildRequest | None = None,
          progress: Callable[[str], None] | None = None) -> BuildResult:
    """Check, render what changed in worker processes, then write it all or nothing."""
    request, started = request or BuildRequest(), time.perf_counter()
    # Hashed before anything is loaded: a file saved during the build then differs from its
    # record, and the next build renders it again instead of trusting the older render.
    digests = Digests(root, out_dir, [p for p in (request.override,) if p])
    project_reads(None, root, digests, request.override)  # remembered by `digests`
    project = check(root, request.override)
    selections = [select(project.content, brief, aud, project.config.citation_styles)
                  for brief, aud in plan(project.content, request.briefs, request.audience)]
    if request.shard:
        index, count = request.shard
        selections = [s for s in selections if rebuild.shard_of(s, count) == index]
    result = BuildResult(warnings=[*project.content.warnings, *project.review])
    if request.audience is None:
        result.warnings += unlisted_audiences(project.content)
    # Held from before the first render to after the last write (and taken only once the
    # request is known to be valid): a second build into the same folder stops at once.
    with build_lock(out_dir):
        manifest = Manifest.read(out_dir)
        todo = rebuild.decide(project, selections, request, manifest, digests)
        result.skipped, result.changes = todo.skipped, todo.changes
        labels = [f"{t.selection.brief.id} ({t.selection.audience.name})" for t in todo.tasks]

        def done(index: int, outcome: object, seconds: float) -> None:
            if progress is not None:
                state = "failed" if isinstance(outcome, BriefsmithError) else "built"
                progress(f"[{index + 1}/{len(labels)}] {state} {labels[index]} "
                         f"({', '.join(todo.tasks[index].formats)}) in {seconds:.1f} s")

        state = {"project": project, "cache_dir": out_dir / ".cache" / "citeproc"}
        outcomes = run_all(_render_task, state, todo.tasks, request.jobs or os.cpu_count() or 1,
                           labels, done)
        rendered, errors = gather(outcomes, [t.selection.brief.origin for t in todo.tasks])
        result.failed = len(todo.tasks) - len(rendered)
        if errors:
            raise Problems(errors)
        for outputs, warnings in rendered:
            result.outputs.extend(outputs)
            result.warnings.extend(w for w in warnings if w not in result.warnings)
        files = {o.path: o.data for o in result.outputs}
        files[Path(MANIFEST)] = rebuild.record(manifest, todo, result.outputs, project,
                                               digests, out_dir, request)
        write_all(out_dir, files, locked=True)
        digests.save()
    result.seconds = time.perf_counter() - started
    return result
