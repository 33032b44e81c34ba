"""What `check` verifies once the content has loaded, and a build checks beside its renders:
every output's citation style, templates and in-memory render, then the editorial review.

In: a verified `Project`. Out: the same project with its rendered pages and review warnings,
or `Problems` listing everything that would fail the build. The dry renders and fidelity
comparisons run in worker processes (parallel.py); the rest in the parent meanwhile.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from ..content.select import Selection, select
from ..core.errors import BriefsmithError, BriefsmithWarning, Collector, ContentError, Problems
from ..core.formats import FORMATS
from ..core.models import Content, Origin
from ..evidence.conflicts import review_warnings
from ..evidence.contracts import contract_findings
from ..evidence.fidelity import compare_blocks, fidelity_warnings, uncompared
from ..evidence.quotecache import CACHE_DIR, FindingCache, QuoteCache
from ..evidence.verify import Project, load_project
from ..render.csl import find_style
from ..render.html import dry_render
from ..theme.compiled import COMPILED
from ..theme.fonts import uncovered_characters
from ..theme.templates import BUILTIN, chain_for, compile_errors, template_trees
from .parallel import Workers


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
            *((s, tuple(FORMATS)) for s in self.selections),
            *(Compare(tuple(left[i:i + COMPARE_CHUNK]))
              for i in range(0, len(left), COMPARE_CHUNK))]
        self.labels = [*(f"{s.brief.id} ({s.audience.name})" for s in self.selections),
                       *(f"fidelity of {len(t.blocks)} blocks from '{t.blocks[0]}'"
                         for t in self.tasks if isinstance(t, Compare))]
        self.compared: dict[str, list[BriefsmithWarning]] = {}
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
                self.compared.update(cast("dict[str, list[BriefsmithWarning]]", outcome))
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

    def warnings(self, audiences: Sequence[str] | None = None) -> list[BriefsmithWarning]:
        """The project's warnings for a build of `audiences` (None: all), once `finish` passed:
        a finding about one audience only for a build of it; for a build of all, also the
        audience folders no brief lists (built only when a brief does)."""
        content = self.project.content
        return [*content.warnings,
                *(w for w in self.project.review
                  if audiences is None or w.audience is None or w.audience in audiences),
                *(unlisted_audiences(content) if audiences is None else [])]

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
           compared: dict[str, list[BriefsmithWarning]] | None = None
           ) -> list[BriefsmithWarning]:
    """Every editorial check, in a stable order; each returns located warning lines.
    `findings`: the fidelity cache to read (and fill); by default one that is only read.
    `compared`: fidelity lines a worker worked out (OutputChecks)."""
    fidelity = fidelity_warnings(project.content,  # prose saying more than its passages
                                 findings or FindingCache(project.root), compared)
    return [*fidelity,
            *review_warnings(project.content),  # sources that differ, unresolved
            *contract_findings(project)]  # what each audience promises its readers


def unlisted_audiences(content: Content) -> list[BriefsmithWarning]:
    """A warning for each audience folder of the project that no brief lists: made for a
    reason, and never built without a word."""
    listed = {name for brief in content.briefs.values() for name in brief.audiences}
    return [BriefsmithWarning(Origin(aud.origin.path), f"no brief lists audience '{name}', so it "
                              f"is never built: add {name} to the audiences: list of a brief "
                              "in briefs/", "audience")
            for name, aud in sorted(content.audiences.items())
            if name not in listed
            and not aud.template_dir.resolve().is_relative_to(BUILTIN.resolve())]
