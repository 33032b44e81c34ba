"""The whole path from project files to briefs, one stage after another, and nothing else."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .citations import verify_content
from .config import CONFIG_NAME, Config, load_config
from .conflicts import conflict_parts, conflict_reads, notes_by_block, review_warnings
from .csl import find_style, format_citations
from .errors import (
    BriefsmithError,
    Collector,
    ContentError,
    Problems,
    RenderError,
    printable,
)
from .freshness import Digests, code_version, sha256
from .manifest import hash_of
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
from .templates import BUILTIN, TemplateChain, chain_for, template_trees

FORMATS = ("pdf", "html")  # the CLI keeps its own copy so a no-op build need not import this


@dataclass(frozen=True)
class Project:
    """A loaded, verified project: its content, house style and template trees."""

    content: Content
    config: Config
    override: Path | None  # --templates DIR, else the config's `templates` folder
    # Editorial findings (`path:line:col: warning: ...`): prose that says more than its
    # passages, unresolved conflicts between sources, unbalanced sections, broken audience
    # contracts. Printed as warnings; `check --strict` fails on them.
    review: list[str] = field(default_factory=list)
    # The page each (brief id, audience) renders to before citations are filled (the PDF's
    # HTML), as `check` rendered it: the contracts read their parts from it.
    pages: dict[tuple[str, str], str] = field(default_factory=dict)

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
    skipped: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    failed: int = 0
    seconds: float = 0.0


def load_and_verify(root: Path, override: Path | None = None) -> Content:
    return load_project(root, override).content


def load_project(root: Path, override: Path | None = None) -> Project:
    from .validate import load_content

    config = load_config(root)
    override = override or config.templates
    content = load_content(root, template_trees(root, override),
                           perspectives=config.perspectives,
                           perspectives_at=config.perspectives_origin)
    content.citations.update(verify_content(content))
    return Project(content, config, override)


def check(root: Path, override: Path | None = None) -> Project:
    """Load, validate and verify everything; resolve every output's citation style; compile
    every template and render every output's HTML in memory, so that what would fail the build
    fails `check` (CI's gate) too, short of pandoc and WeasyPrint. No writes."""
    from .parallel import run_all
    from .render import dry_render
    from .templates import compile_errors

    project = load_project(root, override)
    content = project.content
    errors = Collector()
    selections = []
    for brief in content.briefs.values():
        for name in brief.audiences:
            audience = content.audiences[name]
            selection = select(content, brief, audience, project.config.citation_styles)
            selections.append(selection)
            try:
                find_style(selection.style, root, project.chain(brief, audience).folders)
            except BriefsmithError as exc:
                errors.add(ContentError(exc.message, brief.origin))
    # An audience no brief uses yet is compiled too: the first brief that names it would fail.
    trees = template_trees(root, project.override)
    chains = [project.chain(s.brief, s.audience) for s in selections]
    chains += [chain_for(root, name, trees) for name in content.audiences]
    found = compile_errors(chains)
    # The build's own worker pool, limits and messages. After a render over the time limit the
    # pool is stopped and the outputs not yet collected are "not rendered": render those again,
    # so that one endless template does not hide a problem in another.
    stopped = ": not rendered: an earlier render was stopped"
    pending = selections
    while pending:
        outcomes = run_all(dry_render, {"project": project}, [(s, FORMATS) for s in pending],
                           os.cpu_count() or 1,
                           [f"{s.brief.id} ({s.audience.name})" for s in pending])
        again = []
        for selection, outcome in zip(pending, outcomes, strict=True):
            if isinstance(outcome, Problems):
                found.extend(outcome.errors)
            elif isinstance(outcome, BriefsmithError) and outcome.message.endswith(stopped):
                again.append(selection)
            elif isinstance(outcome, BriefsmithError):
                found.append(outcome if outcome.origin else
                             type(outcome)(outcome.message, selection.brief.origin))
            else:
                project.pages[(selection.brief.id, selection.audience.name)] = outcome
        pending = again if len(again) < len(pending) else []
    # A shared template's syntax error is met by every output that uses it: report it once.
    errors.extend({(e.origin, e.message): e for e in found}.values())
    from .fonts import uncovered_characters  # stdlib only; reads font cmaps when needed

    errors.extend(uncovered_characters(content))
    errors.raise_if_any()
    project.review.extend(review(project))
    return project


def review(project: Project) -> list[str]:
    """Every editorial check, in a stable order; each returns located warning lines."""
    from .contracts import contract_findings
    from .fidelity import fidelity_warnings

    return [*fidelity_warnings(project.content),  # prose that says more than its passages
            *review_warnings(project.content),  # sources that differ, unresolved
            *contract_findings(project)]  # what each audience promises its readers


def plan(content: Content, brief_ids: list[str] | None,
         audience: str | None) -> list[tuple[Brief, Audience]]:
    """Which (brief, audience) pairs to build, in a stable order.

    An audience folder that no brief lists is never built. Asked for by name, that is an error
    saying which brief files to add it to (a build of nothing that exits 0 looks like
    success); on a plain build it is a warning (`unlisted_audiences`)."""
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
    wanted = sorted(brief_ids or content.briefs)
    if audience is not None and not any(audience in content.briefs[b].audiences
                                        for b in wanted):
        files = [content.briefs[b].origin.path for b in wanted]
        where = (" or ".join([", ".join(files[:-1]), files[-1]] if len(files) > 1 else files)
                 or "a brief in briefs/")
        if not brief_ids:
            nobody = f"no brief lists audience '{audience}'"
        elif len(wanted) == 1:
            nobody = f"brief '{wanted[0]}' does not list audience '{audience}'"
        else:
            nobody = f"none of the briefs {', '.join(wanted)} lists audience '{audience}'"
        raise ContentError(f"{nobody}: add {audience} to the audiences: list of {where}, then "
                           "build again")
    pairs = []
    for bid in wanted:
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
    outputs: list[Output] = []
    warnings: list[str] = []
    for fmt in formats:
        context = build_context(selection, content.citations, fmt, project.config,
                                notes_by_block(content))
        first, recorder = render_first_pass(templates, context, content.citations)
        occurrences = ordered_occurrences(first, recorder)
        formatted = format_citations(occurrences, style, language_of(brief, project.config),
                                     cache_dir)
        html = fill_citations(first, formatted, audience.notes, fmt)
        require_alt_text(html, templates)
        used = tuple(sorted({**templates.used, f"{style.stem}.csl": _rel(style, root)}.items()))
        if fmt == "html":
            outputs.append(Output(brief.id, audience.name, fmt, output_path(selection, fmt),
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
        problems += [RenderError(f"{label}: renderer error: {printable(msg, 300)}", brief.origin)
                     for msg in log.errors]
        from .contracts import page_budget_error

        if (over := page_budget_error(selection, pages)) is not None:
            problems.append(over)
        if problems:
            raise Problems(problems)
        warnings += [f"{brief.origin.path}: warning: {label}: renderer: {printable(msg, 300)}"
                     for msg in log.warnings]
        outputs.append(Output(brief.id, audience.name, fmt, output_path(selection, fmt), data,
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
    rule = ("only files inside the project's templates/ and content/ folders can be used"
            if why in ("it is outside the project", "the renderer never uses the network",
                       "no such file in the project") else "use a smaller file")
    return RenderError(f"{label}: refused to load '{url}' requested by {culprit} ({why}): "
                       f"{rule}", selection.brief.origin)


def fingerprint(project: Project, selection: Selection,
                digests: Digests) -> dict[str, str]:
    """A hash of every input that can change this brief-and-audience's outputs, by name."""
    from .load import relpath

    brief, audience = selection.brief, selection.audience
    chain = project.chain(brief, audience)
    style = find_style(selection.style, project.root, chain.folders)
    parts = {
        "versions": sha256(code_version().encode()),
        f"brief {brief.id}": hash_of(brief),
        f"audience {audience.name}": hash_of(audience),
        "house style": hash_of(project.config),
        f"citation style {style.name}": digests.file(style) or "",
        "fonts": sha256(json.dumps(digests.font_reads(), sort_keys=True).encode()),
    }
    for block in selection.blocks:
        parts[f"block {block.id}"] = hash_of(block)
        for citation in project.content.citations.get(block.id, ()):
            parts[f"source {citation.source.id}"] = hash_of(citation.source)
    parts.update(conflict_parts(project.content, selection))  # the other sides, resolutions
    for folder in chain.folders:
        for name, digest in digests.tree_files(folder):
            parts[f"template {relpath(folder / name, project.root)}"] = digest
    return parts


def output_reads(project: Project, selection: Selection, digests: Digests) -> dict[str, str | None]:
    """The content hash of every file and folder this brief-and-audience is made from, so that
    a later build can tell it is current without loading the project."""
    brief, audience = selection.brief, selection.audience
    chain = project.chain(brief, audience)
    root = project.root
    files = [root / brief.origin.path, root / CONFIG_NAME,
             find_style(selection.style, root, chain.folders)]
    files += [root / block.origin.path for block in selection.blocks]
    files += conflict_reads(project.content, selection)
    for block in selection.blocks:
        for citation in project.content.citations.get(block.id, ()):
            files += [root / citation.source.origin.path, root / citation.source.text_path]
    if project.config.logo_path:
        files.append(root / project.config.logo_path)
    reads: dict[str, str | None] = {"code": code_version(), **digests.font_reads()}
    reads.update((f"file:{digests.key(p)}", digests.file(p)) for p in files)
    reads.update((f"tree:{digests.key(f)}", digests.tree(f)) for f in chain.folders)
    return reads


def project_reads(project: Project | None, root: Path, digests: Digests,
                  override: Path | None) -> dict[str, str | None]:
    """Every folder and file `check` reads: while none changes, the plan and the verdict of
    `check` for a command come out the same, so a no-op build need not load anything."""
    folders = [root / "briefs", root / "content", root / "templates", root / "csl", BUILTIN]
    files = [root / CONFIG_NAME]
    if override is not None:
        folders.append(override)
    if project is not None:
        folders += [b.templates for b in project.content.briefs.values() if b.templates]
        if project.override is not None:
            folders.append(project.override)
        if project.config.logo_path:
            files.append(root / project.config.logo_path)
    reads: dict[str, str | None] = {"code": code_version(), **digests.font_reads()}
    reads.update((f"tree:{digests.key(f)}", digests.tree(f)) for f in folders)
    reads.update((f"file:{digests.key(p)}", digests.file(p)) for p in files)
    return reads


def unlisted_audiences(content: Content) -> list[str]:
    """A warning for each audience folder of the project that no brief lists: made for a
    reason, and never built without a word."""
    listed = {name for brief in content.briefs.values() for name in brief.audiences}
    return [f"{aud.origin.path}: warning: no brief lists audience '{name}', so it is never "
            f"built: add {name} to the audiences: list of a brief in briefs/"
            for name, aud in sorted(content.audiences.items())
            if name not in listed
            and not aud.template_dir.resolve().is_relative_to(BUILTIN.resolve())]


def shard_of(selection: Selection, count: int) -> int:
    """A stable shard (1..count) for a brief and audience: the same on every machine."""
    key = f"{selection.brief.id}/{selection.audience.name}".encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big") % count + 1


@dataclass(frozen=True)
class Task:
    selection: Selection
    formats: tuple[str, ...]


@dataclass
class Change:
    """Why an output was rebuilt: which of its inputs differ from the previous build's."""

    path: str
    reasons: list[str]


def _render_task(state: dict[str, object], task: Task) -> tuple[list[Output], list[str]]:
    """What one worker process does for one (brief, audience): everything up to PDF bytes."""
    project = state["project"]
    assert isinstance(project, Project)
    return render_one(project, task.selection, task.formats, state["cache_dir"])  # type: ignore[arg-type]


@dataclass
class BuildRequest:
    briefs: list[str] | None = None
    audience: str | None = None
    formats: tuple[str, ...] = FORMATS
    jobs: int | None = None
    override: Path | None = None
    force: bool = False
    shard: tuple[int, int] | None = None
    run_key: str | None = None  # identifies the command line, for the no-op fast path


def build(root: Path, out_dir: Path, request: BuildRequest | None = None,
          progress: Callable[[str], None] | None = None) -> BuildResult:
    """Check, render what changed in worker processes, then write it all or nothing."""
    from .output import build_lock

    request = request or BuildRequest()
    started = time.perf_counter()
    # Hashed before anything is loaded: a file saved during the build then differs from its
    # record, and the next build renders it again instead of trusting the older render.
    digests = Digests(root, out_dir, [p for p in (request.override,) if p])
    project_reads(None, root, digests, request.override)  # remembered by `digests`
    project = check(root, request.override)
    content = project.content
    selections = [select(content, brief, aud, project.config.citation_styles)
                  for brief, aud in plan(content, request.briefs, request.audience)]
    if request.shard:
        selections = [s for s in selections if shard_of(s, request.shard[1]) == request.shard[0]]
    # Held from before the first render to after the last write (and taken only once the
    # request is known to be valid): a second build into the same folder stops at once with a
    # clear message instead of rendering everything first.
    with build_lock(out_dir):
        result = _build_locked(project, selections, out_dir, request, progress, digests)
    result.seconds = time.perf_counter() - started
    return result


def _build_locked(project: Project, selections: list[Selection], out_dir: Path,
                  request: BuildRequest, progress: Callable[[str], None] | None,
                  digests: Digests) -> BuildResult:
    from .manifest import MANIFEST, Manifest, changed_parts
    from .output import write_all
    from .parallel import run_all

    content = project.content
    result = BuildResult(warnings=[*content.warnings, *project.review])
    if request.audience is None:
        result.warnings += unlisted_audiences(content)
    manifest = Manifest.read(out_dir)
    tasks, planned, records = [], [], {}
    for selection in selections:
        parts = fingerprint(project, selection, digests)
        reads = output_reads(project, selection, digests)
        needed = []
        for fmt in request.formats:
            rel = output_path(selection, fmt).as_posix()
            planned.append(rel)
            inputs = sha256(json.dumps([parts, fmt], sort_keys=True).encode())
            records[rel] = {"inputs": inputs, "parts": parts, "reads": reads}
            if request.force or not manifest.fresh(digests, rel, inputs):
                needed.append(fmt)
                old = manifest.outputs.get(rel, {}).get("parts")
                result.changes.append(Change(rel, changed_parts(old, parts)))
            else:
                result.skipped.append(rel)
                # what it says is unchanged, so it is current for the files as they are now
                manifest.outputs[rel].update(records[rel])
        if needed:
            tasks.append(Task(selection, tuple(needed)))
    labels = [f"{t.selection.brief.id} ({t.selection.audience.name})" for t in tasks]

    def done(index: int, outcome: object, seconds: float) -> None:
        if progress is not None:
            state = "failed" if isinstance(outcome, BriefsmithError) else "built"
            progress(f"[{index + 1}/{len(tasks)}] {state} {labels[index]} "
                     f"({', '.join(tasks[index].formats)}) in {seconds:.1f} s")

    state = {"project": project, "cache_dir": out_dir / ".cache" / "citeproc"}
    outcomes = run_all(_render_task, state, tasks, request.jobs or os.cpu_count() or 1, labels,
                       done)
    errors = Collector()
    for task, outcome in zip(tasks, outcomes, strict=True):
        if isinstance(outcome, Problems):
            errors.extend(outcome.errors)
        elif isinstance(outcome, BriefsmithError):
            errors.add(outcome if outcome.origin else
                       type(outcome)(outcome.message, task.selection.brief.origin))
        else:
            result.outputs.extend(outcome[0])
            result.warnings.extend(w for w in outcome[1] if w not in result.warnings)
    result.failed = len(tasks) - len([o for o in outcomes if not isinstance(o, BriefsmithError)])
    errors.raise_if_any()
    # A file edited while the outputs were rendered: its record would vouch for a render made
    # from the older text. Such outputs keep no record of files and are checked in full next
    # time.
    recheck = Digests(project.root, out_dir, digests.allowed[2:])
    for output in result.outputs:
        manifest.outputs[output.path.as_posix()] = dict(records[output.path.as_posix()],
                                                        file=sha256(output.data))
    for rel in planned:
        entry = manifest.outputs.get(rel, {})
        if entry.get("reads") and not recheck.unchanged(entry["reads"]):
            entry["reads"] = {}
    if request.run_key is not None:
        reads = project_reads(project, project.root, digests, request.override)
        manifest.runs[request.run_key] = {
            "reads": reads if recheck.unchanged(reads) else {}, "outputs": planned}
    files = {o.path: o.data for o in result.outputs}
    files[Path(MANIFEST)] = manifest.to_bytes()
    write_all(out_dir, files, locked=True)
    digests.save()
    return result


def output_path(selection: Selection, fmt: str) -> Path:
    brief, audience = selection.brief.id, selection.audience.name
    return Path(brief) / f"{brief}-{audience}.{fmt}"
