"""The whole path from project files to briefs, one stage after another, and nothing else."""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from .citations import verify_content
from .config import Config, load_config
from .csl import find_style, format_citations
from .errors import BriefsmithError, Collector, ContentError, Problems, RenderError
from .models import Audience, Brief, Content
from .render import (
    build_context,
    fill_citations,
    language_of,
    ordered_occurrences,
    render_first_pass,
    require_alt_text,
)
from .select import Selection, select
from .templates import TemplateChain, chain_for, template_trees

FORMATS = ("pdf", "html")


@dataclass(frozen=True)
class Project:
    """A loaded, verified project: its content, house style and template trees."""

    content: Content
    config: Config
    override: Path | None  # --templates DIR, else the config's `templates` folder

    @property
    def root(self) -> Path:
        return self.content.root

    def chain(self, brief: Brief, audience: Audience) -> TemplateChain:
        trees = template_trees(self.root, brief.templates, self.override)
        return chain_for(self.root, audience.name, trees, self.config.css())


@dataclass(frozen=True)
class Output:
    brief: str
    audience: str
    format: str
    path: Path  # relative to the output folder
    data: bytes
    pages: int | None = None
    templates: tuple[tuple[str, str], ...] = ()  # template name → the file that won


@dataclass
class BuildResult:
    outputs: list[Output] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


def load_and_verify(root: Path, override: Path | None = None) -> Content:
    return load_project(root, override).content


def load_project(root: Path, override: Path | None = None) -> Project:
    from .validate import load_content

    config = load_config(root)
    override = override or config.templates
    content = load_content(root, template_trees(root, override))
    content.citations.update(verify_content(content))
    return Project(content, config, override)


def check(root: Path, override: Path | None = None) -> Project:
    """Load, validate and verify everything; resolve every output's citation style. No writes."""
    project = load_project(root, override)
    content = project.content
    errors = Collector()
    for brief in content.briefs.values():
        for name in brief.audiences:
            audience = content.audiences[name]
            selection = select(content, brief, audience, project.config.citation_styles)
            try:
                find_style(selection.style, root, project.chain(brief, audience).folders)
            except BriefsmithError as exc:
                errors.add(ContentError(exc.message, brief.origin))
    errors.raise_if_any()
    return project


def plan(content: Content, brief_ids: list[str] | None,
         audience: str | None) -> list[tuple[Brief, Audience]]:
    """Which (brief, audience) pairs to build, in a stable order."""
    errors = Collector()
    for bid in brief_ids or []:
        if bid not in content.briefs:
            errors.add(ContentError(f"no brief '{bid}': briefs are "
                                    f"{', '.join(sorted(content.briefs)) or 'none'} "
                                    "(files in briefs/)"))
    if audience is not None and audience not in content.audiences:
        errors.add(ContentError(f"no audience '{audience}': audiences are "
                                f"{', '.join(sorted(content.audiences))}"))
    errors.raise_if_any()
    pairs = []
    for bid in sorted(brief_ids or content.briefs):
        brief = content.briefs[bid]
        for name in brief.audiences:
            if audience is None or name == audience:
                pairs.append((brief, content.audiences[name]))
    return pairs


def render_one(project: Project, selection: Selection, formats: tuple[str, ...],
               cache_dir: Path | None) -> tuple[list[Output], list[str]]:
    """One brief for one audience: HTML for each format, citations filled, PDF rendered."""
    content, root = project.content, project.root
    brief, audience = selection.brief, selection.audience
    templates = project.chain(brief, audience)
    style = find_style(selection.style, root, templates.folders)
    stem = Path(brief.id) / f"{brief.id}-{audience.name}"
    outputs: list[Output] = []
    warnings: list[str] = []
    for fmt in formats:
        context = build_context(selection, content.citations, fmt, project.config)
        first, recorder = render_first_pass(templates, context, content.citations)
        occurrences = ordered_occurrences(first, recorder)
        formatted = format_citations(occurrences, style, language_of(brief, project.config),
                                     cache_dir)
        html = fill_citations(first, formatted, audience.notes, fmt)
        require_alt_text(html, templates)
        used = tuple(sorted({**templates.used, f"{style.stem}.csl": _rel(style, root)}.items()))
        if fmt == "html":
            outputs.append(Output(brief.id, audience.name, fmt, stem.with_suffix(".html"),
                                  html.encode("utf-8"), templates=used))
            continue
        from .pdf import render_pdf

        data, log, pages = render_pdf(html, templates.folders[0],
                                      (*templates.folders, root / "content"),
                                      identifier=f"{brief.id}/{audience.name}",
                                      epoch=_epoch(brief.date), origin=brief.origin)
        label = f"{brief.id} ({audience.name})"
        problems = [_glyph_error(msg, selection, label) for msg in log.missing_glyphs]
        problems += [_refusal_error(refusal, selection, label) for refusal in log.refused]
        problems += [RenderError(f"{label}: renderer error: {msg}", brief.origin)
                     for msg in log.errors]
        if problems:
            raise Problems(problems)
        warnings += [f"{brief.origin.path}: warning: {label}: renderer: {msg}"
                     for msg in log.warnings]
        outputs.append(Output(brief.id, audience.name, fmt, stem.with_suffix(".pdf"), data,
                              pages, used))
    # checked after rendering, so that a syntax error is reported by the render, with its line
    return outputs, templates.stale_overrides() + warnings


def _rel(path: Path, root: Path) -> str:
    from .load import relpath

    return relpath(path, root)


def _epoch(date: str) -> int:
    return int(dt.datetime.fromisoformat(date).replace(tzinfo=dt.UTC).timestamp())


def _blocks_containing(text: str, selection: Selection) -> list[str]:
    return [b.id for b in selection.blocks
            if any(text in (v or "") for v in (b.text_for(selection.audience.name), b.words,
                                                  b.title, b.figure, b.term, b.actor))]


def _glyph_error(message: str, selection: Selection, label: str) -> RenderError:
    match = re.search(r'"(.+)" \(U\+[0-9A-F]+', message)
    chars = match.group(1) if match else "?"
    where = _blocks_containing(chars, selection)
    culprit = f"in block {', '.join(where)}" if where else "in the brief or its templates"
    codes = " ".join(f"U+{ord(c):04X}" for c in chars)
    return RenderError(f"{label}: the fonts have no glyph for {codes} {culprit}: replace the "
                       "character or add a font that has it", selection.brief.origin)


def _refusal_error(refusal: tuple[str, str], selection: Selection,
                   label: str) -> RenderError:
    url, why = refusal
    where = _blocks_containing(url, selection)
    culprit = f"block {', '.join(where)}" if where else "a template or stylesheet"
    return RenderError(f"{label}: refused to load '{url}' requested by {culprit} ({why}): only "
                       "files inside the project's templates/ and content/ folders can be used",
                       selection.brief.origin)


def _render_task(state: dict[str, object], selection: Selection) -> tuple[list[Output], list[str]]:
    """What one worker process does for one (brief, audience): everything up to PDF bytes."""
    project = state["project"]
    assert isinstance(project, Project)
    return render_one(project, selection, state["formats"], state["cache_dir"])  # type: ignore[arg-type]


def build(root: Path, out_dir: Path, brief_ids: list[str] | None = None,
          audience: str | None = None, formats: tuple[str, ...] = FORMATS,
          jobs: int | None = None, override: Path | None = None) -> BuildResult:
    """Check, render every requested output in worker processes, then write them all or none."""
    from .output import write_all
    from .parallel import run_all

    started = time.perf_counter()
    project = check(root, override)
    content = project.content
    result = BuildResult(warnings=list(content.warnings))
    selections = [select(content, brief, aud, project.config.citation_styles)
                  for brief, aud in plan(content, brief_ids, audience)]
    state = {"project": project, "formats": formats,
             "cache_dir": out_dir / ".cache" / "citeproc"}
    labels = [f"{s.brief.id} ({s.audience.name})" for s in selections]
    outcomes = run_all(_render_task, state, selections, jobs or os.cpu_count() or 1, labels)
    errors = Collector()
    for selection, outcome in zip(selections, outcomes, strict=True):
        if isinstance(outcome, Problems):
            errors.extend(outcome.errors)
        elif isinstance(outcome, BriefsmithError):
            errors.add(outcome if outcome.origin else
                       type(outcome)(outcome.message, selection.brief.origin))
        else:
            result.outputs.extend(outcome[0])
            result.warnings.extend(w for w in outcome[1] if w not in result.warnings)
    errors.raise_if_any()
    write_all(out_dir, {o.path: o.data for o in result.outputs})
    result.seconds = time.perf_counter() - started
    return result
