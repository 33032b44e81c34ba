"""Stages 1-3: project files → a checked project.

In: a project folder (and, optionally, a `--templates` folder). Out: a `Project` whose content
is loaded, validated against the schema and verified (every quote against its source text),
whose every template compiles and renders in memory, and whose editorial findings are gathered
as warnings; or `Problems` listing everything that is wrong. This module is where files are
found and read; validate.py checks what they say.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar, cast

from .balance import check_viewpoints
from .charts import verify_values
from .citations import verify_content
from .compiled import COMPILED
from .config import CONFIG_NAME, Config, load_config
from .conflicts import load_resolutions, review_warnings
from .contracts import contract_findings
from .csl import find_style
from .errors import BriefsmithError, Collector, ContentError, Problems
from .fidelity import compare_blocks, fidelity_warnings, uncompared
from .figures import attach_images
from .fonts import uncovered_characters
from .load import empty_file_warning, load_document
from .models import Audience, Block, Brief, Content, Origin, Source, relpath
from .output import FORMATS
from .parallel import Workers
from .paths import read_inside
from .quotecache import CACHE_DIR, FindingCache, QuoteCache
from .render import dry_render
from .select import Selection, select
from .templates import BUILTIN, TemplateChain, chain_for, compile_errors, template_trees
from .validate import (
    cross_check,
    file_id_ok,
    load_audience,
    load_blocks,
    load_brief,
    load_source,
    metadata_warnings,
)

T = TypeVar("T")


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


def discover_audiences(root: Path, trees: tuple[Path, ...],
                       errors: Collector) -> dict[str, Audience]:
    """Every folder with an audience.yaml in any template tree; the most specific one wins."""
    found: dict[str, Audience] = {}
    for tree in trees:
        for folder in sorted(p for p in tree.iterdir() if p.is_dir()):
            if (folder.name in found or folder.name.startswith(("_", "."))
                    or not (folder / "audience.yaml").is_file()):
                continue
            path = folder / "audience.yaml"
            doc = load_document(path, root, (folder.parent,))  # its tree may be outside
            if (aud := load_audience(doc, relpath(path, root), folder, errors)) is not None:
                found[aud.name] = aud
    return dict(sorted(found.items()))


def _source(path: Path, root: Path, errors: Collector) -> Source | None:
    rel = relpath(path, root)
    if not file_id_ok(path.stem, rel, "source", errors):
        return None
    doc = load_document(path, root)
    txt = path.with_suffix(".txt")
    txt_rel = relpath(txt, root)
    text: bytes | ContentError
    if not txt.is_file():
        text = ContentError(f"source '{path.stem}' has no text file: save the article's "
                            f"verbatim text as {txt_rel}", Origin(rel, 1, 1))
    elif not txt.resolve().is_relative_to(root.resolve()):
        text = ContentError(f"source text {txt_rel} is a link to a file outside the project: "
                            "copy the article's text into the project instead",
                            Origin(txt_rel, 1, 1))
    else:
        text = read_inside(txt, (root,))  # checked above; opened without following a link
    return load_source(doc, rel, path.stem, txt_rel, text, errors)


def _brief(path: Path, root: Path, audiences: dict[str, Audience],
           errors: Collector) -> Brief | None:
    rel = relpath(path, root)
    if not file_id_ok(path.stem, rel, "brief", errors):
        return None

    def folder(value: str) -> Path | None:
        found = (root / value).resolve()
        return found if found.is_relative_to(root.resolve()) and found.is_dir() else None

    return load_brief(load_document(path, root), rel, path.stem, audiences, errors, folder)


def _blocks(path: Path, root: Path, audiences: dict[str, Audience], errors: Collector,
            sources: list[str], declared: set[str], warnings: list[str]) -> list[Block]:
    return load_blocks(load_document(path, root), relpath(path, root), audiences, errors,
                       sources=sources, declared=declared, warnings=warnings)


def load_content(root: Path, trees: tuple[Path, ...] | None = None, *,
                 perspectives: tuple[tuple[str, str], ...] = (),
                 perspectives_at: Origin | None = None) -> Content:
    """Load and cross-check a whole project; raise Problems listing everything that is wrong.
    `perspectives`: the list declared in briefsmith.yaml (at `perspectives_at`) that every
    `viewpoint:` must name; empty: none is declared and any id is accepted."""
    errors = Collector()
    trees = trees if trees is not None else (root / "templates",)
    audiences = _guard(errors, lambda: discover_audiences(root, trees, errors)) or {}
    if not audiences:
        errors.add(ContentError("no audiences found: each audience is a folder under templates/ "
                                "with an audience.yaml", Origin("templates")))
    sources: dict[str, Source] = {}
    for path in sorted((root / "content" / "sources").glob("*.yaml")):
        src = _guard(errors, partial(_source, path, root, errors))
        if src is not None:
            sources[src.id] = src
    for path in sorted((root / "content" / "sources").glob("*.txt")):
        if not path.with_suffix(".yaml").is_file():
            errors.add(ContentError(f"source text has no metadata file: add "
                                    f"{relpath(path.with_suffix('.yaml'), root)}",
                                    Origin(relpath(path, root), 1, 1)))
    # A cite may name any source that has a metadata file; one that failed to load is
    # reported once, where it is, not again at every block citing it.
    source_ids = sorted(p.stem for p in (root / "content" / "sources").glob("*.yaml"))
    declared: set[str] = set()
    blocks: dict[str, Block] = {}
    all_block_files_read = True
    warnings = _empty_config_warning(root)
    for path in sorted((root / "content" / "blocks").glob("*.yaml")):
        loaded = _guard(errors, partial(_blocks, path, root, audiences, errors, source_ids,
                                        declared, warnings))
        if loaded is None:  # the file itself is unreadable: which ids it holds is unknown
            all_block_files_read = False
        for block in loaded or []:
            if block.id in blocks:
                errors.add(ContentError(f"block id '{block.id}' is already used at "
                                        f"{blocks[block.id].origin}: rename one", block.origin))
                continue
            blocks[block.id] = block
    briefs: dict[str, Brief] = {}
    for path in sorted((root / "briefs").glob("*.yaml")):
        brief = _guard(errors, partial(_brief, path, root, audiences, errors))
        if brief is not None:
            briefs[brief.id] = brief
    # When a block file cannot be read at all, every id in it would be reported as unknown too.
    cross_check(blocks, declared if all_block_files_read else None, briefs, errors)
    check_viewpoints(sources, blocks, perspectives, perspectives_at, errors, warnings)
    # checked against the claims of every block
    resolutions = _guard(errors, lambda: load_resolutions(root, blocks, errors,
                                                          all_block_files_read)) or ()
    errors.raise_if_any()
    return Content(root=root, sources=sources, blocks=blocks, briefs=briefs, audiences=audiences,
                   warnings=tuple(warnings + metadata_warnings(sources)),
                   resolutions=resolutions)


def _empty_config_warning(root: Path) -> list[str]:
    """An empty briefsmith.yaml means the defaults, which is fine, but it is more often a house
    style that was lost than one never written: warn, as for any empty content file."""
    path = root / CONFIG_NAME
    if not path.is_file():
        return []
    try:
        empty = load_document(path, root).empty
    except BriefsmithError:  # the config's own loader reports what is wrong with it
        return []
    return [empty_file_warning(relpath(path, root))] if empty else []


def _guard(errors: Collector, load: Callable[[], T]) -> T | None:
    """Run one file's loader; a file that cannot be parsed at all is one problem, not the end."""
    try:
        return load()
    except Problems as exc:
        errors.extend(exc.errors)
    except BriefsmithError as exc:
        errors.add(exc)
    return None


def load_and_verify(root: Path, override: Path | None = None) -> Content:
    return load_project(root, override).content


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Loading makes hundreds of thousands of small containers and no garbage cycles, and the
    cycle collector's passes over them were a fifth of loading 3,000 blocks. Reference counts
    still free everything as usual; the collector runs again afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_project(root: Path, override: Path | None = None,
                 quotes: QuoteCache | None = None) -> Project:
    """`quotes`: the quote cache to read (and fill); by default one that is only read here."""
    with _no_cycle_collection():
        return _load_project(root, override, quotes)


def _load_project(root: Path, override: Path | None,
                  quotes: QuoteCache | None) -> Project:
    config = load_config(root)
    override = override or config.templates
    content = load_content(root, template_trees(root, override),
                           perspectives=config.perspectives,
                           perspectives_at=config.perspectives_origin)
    content.citations.update(verify_content(content, quotes or QuoteCache(root)))
    attach_images(content)  # figures: each image read and checked once, its credit verified
    verify_values(content)  # charts: each value in the passage it cites
    return Project(content, config, override)


def check(root: Path, override: Path | None = None, write_caches: bool = False) -> Project:
    """Load, validate and verify everything; resolve every output's citation style; compile
    every template and render every output's HTML in memory, so that what would fail the build
    fails `check` (CI's gate) too, short of pandoc, matplotlib and WeasyPrint. Writes nothing,
    but with `write_caches` (the `check` command), once it passed, its caches into an
    output/.cache/ folder a build made (quotecache.py); a build reads them only."""
    quotes = QuoteCache(root)
    project = load_project(root, override, quotes)
    if (root / CACHE_DIR).is_dir():  # the templates a build compiled, signed (compiled.py)
        COMPILED.keep_in(root / CACHE_DIR / "templates", writable=False)
    checks = OutputChecks(project)
    checks.run()
    if write_caches:
        quotes.save()
        checks.findings.save()
    return project


STOPPED = ": not rendered: an earlier render was stopped"
COMPARE_CHUNK = 100  # blocks per fidelity task: a few tasks per worker on a large project


@dataclass(frozen=True)
class Compare:
    """Check's fidelity comparison of some blocks (fidelity.compare_blocks), as a worker task:
    on a project of thousands of blocks the longest part of `check`, and the second core's."""

    blocks: tuple[str, ...]


def check_task(state: dict[str, Any], task: tuple[Selection, tuple[str, ...]] | Compare) -> Any:
    """What a worker does for `check`: one output's dry render, or one chunk of comparisons."""
    if isinstance(task, Compare):
        return compare_blocks(state["project"].content, task.blocks)
    return dry_render(state, task)


class OutputChecks:
    """What `check` verifies once the content has loaded: every output's style, templates and
    in-memory render, then the editorial review. Apart from `check` so that a build can start
    its renders first and run these beside them: the dry renders and comparisons (`tasks`) in
    its workers, the rest in the parent meanwhile; the build writes nothing until `finish`
    has passed."""

    def __init__(self, project: Project):
        self.project = project
        self.found: list[BriefsmithError] = []
        content, self.errors = project.content, Collector()
        self.selections = [select(content, brief, content.audiences[name],
                                  project.config.citation_styles)
                           for brief in content.briefs.values() for name in brief.audiences]
        for selection in self.selections:
            try:
                find_style(selection.style, project.root,
                           project.chain(selection.brief, selection.audience).folders)
            except BriefsmithError as exc:
                self.errors.add(ContentError(exc.message, selection.brief.origin))
        self.findings = FindingCache(project.root)
        left = uncompared(content, self.findings)
        self.tasks: list[tuple[Selection, tuple[str, ...]] | Compare] = [
            *((s, FORMATS) for s in self.selections),
            *(Compare(tuple(left[i:i + COMPARE_CHUNK]))
              for i in range(0, len(left), COMPARE_CHUNK))]
        self.labels = [*(f"{s.brief.id} ({s.audience.name})" for s in self.selections),
                       *(f"fidelity of {len(t.blocks)} blocks from '{t.blocks[0]}'"
                         for t in self.tasks if isinstance(t, Compare))]
        self.compared: dict[str, list[str]] = {}
        self.compiled = False

    def compile(self) -> None:
        """Every template compiled, also an audience's no brief uses yet: the first brief that
        names it would fail. Work for the parent while the workers render."""
        if self.compiled:
            return
        project, self.compiled = self.project, True
        trees = template_trees(project.root, project.override)
        chains = [project.chain(s.brief, s.audience) for s in self.selections]
        chains += [chain_for(project.root, name, trees) for name in project.content.audiences]
        self.found[:0] = compile_errors(chains)

    def collect(self, indices: Sequence[int], outcomes: Sequence[object]) -> list[int]:
        """Take the tasks' outcomes; return the tasks to run again. After a render over the
        time limit the workers are stopped and the tasks not yet collected are "not rendered":
        one endless template must not hide a problem in another."""
        again = []
        for index, outcome in zip(indices, outcomes, strict=True):
            task = self.tasks[index]
            selection = None if isinstance(task, Compare) else task[0]
            if isinstance(outcome, Problems):
                self.found.extend(outcome.errors)
            elif isinstance(outcome, BriefsmithError) and outcome.message.endswith(STOPPED):
                again.append(index)
            elif isinstance(outcome, BriefsmithError):
                self.found.append(outcome.at(selection.brief.origin) if selection else outcome)
            elif selection is None:  # a Compare's lines, by block id
                self.compared.update(cast("dict[str, list[str]]", outcome))
            else:
                key = (selection.brief.id, selection.audience.name)
                self.project.pages[key] = str(outcome)
        return again if len(again) < len(indices) else []

    def finish(self) -> None:
        """Raise everything found; else gather the review's warnings (which read the pages)."""
        self.compile()
        # A shared template's syntax error is met by every output that uses it: report it once.
        self.errors.extend({(e.origin, e.message): e for e in self.found}.values())
        self.errors.extend(uncovered_characters(self.project.content))
        self.errors.raise_if_any()
        self.project.review.extend(review(self.project, self.findings, self.compared))

    def warnings(self, all_audiences: bool) -> list[str]:
        """The project's warnings for a build, once `finish` passed: with `all_audiences`, also
        the audience folders no brief lists (built only when a brief does)."""
        content = self.project.content
        return [*content.warnings, *self.project.review,
                *(unlisted_audiences(content) if all_audiences else [])]

    def run(self) -> None:
        """All of it here, the tasks in workers of their own (the `check` command)."""
        self.retry(list(range(len(self.tasks))))
        self.finish()

    def retry(self, pending: list[int]) -> None:
        """Run these tasks in workers of their own, and again those a time limit stopped: a
        build's workers stop at an endless render with check's other tasks not done yet."""
        while pending:
            with Workers(check_task, {"project": self.project},
                         [self.tasks[i] for i in pending], os.cpu_count() or 1,
                         [self.labels[i] for i in pending]) as workers:
                self.compile()  # meanwhile, in this process
                outcomes = workers.results(range(len(pending)))
            pending = self.collect(pending, outcomes)


def review(project: Project, findings: FindingCache | None = None,
           compared: dict[str, list[str]] | None = None) -> list[str]:
    """Every editorial check, in a stable order; each returns located warning lines.
    `findings`: the fidelity cache to read (and fill); by default one that is only read.
    `compared`: fidelity lines a worker worked out (OutputChecks)."""
    fidelity = fidelity_warnings(project.content,  # prose saying more than its passages
                                 findings or FindingCache(project.root), compared)
    return [*fidelity,
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


def unlisted_audiences(content: Content) -> list[str]:
    """A warning for each audience folder of the project that no brief lists: made for a
    reason, and never built without a word."""
    listed = {name for brief in content.briefs.values() for name in brief.audiences}
    return [f"{aud.origin.path}: warning: no brief lists audience '{name}', so it is never "
            f"built: add {name} to the audiences: list of a brief in briefs/"
            for name, aud in sorted(content.audiences.items())
            if name not in listed
            and not aud.template_dir.resolve().is_relative_to(BUILTIN.resolve())]
