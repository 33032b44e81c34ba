"""Stage 5a: what needs rebuilding.

In: a checked project, the selections to build, the formats asked for and the previous build's
manifest. Out: the renders to do (`Plan.tasks`, each with why it is needed) and, once they are
done, the manifest records to write beside them. Two records per output (see manifest.py):
`parts`, a hash of every input as loaded, and `reads`, the hash of every file it was made from,
so that a later build can tell it is current without loading the project.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..content.config import CONFIG_NAME
from ..content.select import Selection
from ..core.errors import BriefsmithError
from ..core.hashing import code_version, sha256
from ..core.hashing import hash_of as manifest_hash
from ..core.models import relpath
from ..evidence.conflicts import conflict_parts, conflict_reads
from ..evidence.verify import Project
from ..formats.outputs import Output, output_path
from ..render.csl import find_style
from ..theme.templates import BUILTIN, template_inputs
from .freshness import Digests
from .manifest import Manifest, changed_parts
from .request import BuildRequest, Change


@dataclass(frozen=True)
class Task:
    selection: Selection
    formats: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.selection.brief.id} ({self.selection.audience.name})"


@dataclass
class Plan:
    """The renders to do, and what each planned output's manifest record will say."""

    tasks: list[Task] = field(default_factory=list)
    planned: list[str] = field(default_factory=list)  # every output path, current or not
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)

    def alongside(self, extra: Sequence[Any], labels: Sequence[str], jobs: int) -> Schedule:
        """The renders with `extra` tasks (check's, pipeline.build) among them, in the order
        the workers take them: the first `jobs - 1` renders at once, so that a build of one
        brief takes its render's time; then `extra`, short, so that what fails `check` is
        known early; then the other renders."""
        head = min(max(jobs - 1, 0), len(self.tasks))
        tail = head + len(extra)
        return Schedule([*self.tasks[:head], *extra, *self.tasks[head:]],
                        [*(t.label for t in self.tasks[:head]), *labels,
                         *(t.label for t in self.tasks[head:])],
                        [*range(head), *range(tail, tail + len(self.tasks) - head)],
                        list(range(head, tail)))

    def reporter(self, schedule: Schedule, progress: Callable[[str], None] | None
                 ) -> Callable[[int, object, float], None]:
        """The workers' `on_done`: a line as each render finishes (check's tasks say nothing)."""
        number = {position: i for i, position in enumerate(schedule.renders)}

        def done(index: int, outcome: object, seconds: float) -> None:
            if progress is not None and index in number:
                task = self.tasks[number[index]]
                state = "failed" if isinstance(outcome, BriefsmithError) else "built"
                progress(f"[{number[index] + 1}/{len(self.tasks)}] {state} {task.label} "
                         f"({', '.join(task.formats)}) in {seconds:.1f} s")
        return done


@dataclass
class Schedule:
    """Tasks in the order workers take them, and where in it the renders and the others are."""

    tasks: list[Any]
    labels: list[str]
    renders: list[int]  # the position of each of the plan's tasks, in order
    extra: list[int]


def fingerprint(project: Project, selection: Selection, digests: Digests,
                memo: dict[int, tuple[object, str]] | None = None) -> dict[str, str]:
    """A hash of every input that can change this brief-and-audience's outputs, by name.
    `memo`: hashes already taken of these very objects (`decide` shares one between the
    audiences of a brief, which share most of their blocks)."""
    memo = {} if memo is None else memo

    def hash_of(obj: object) -> str:
        if id(obj) not in memo:  # the object is kept in the memo, so its id is not reused
            memo[id(obj)] = (obj, manifest_hash(obj))
        return memo[id(obj)][1]

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
    folders, linked = template_inputs(chain)
    for folder in folders:
        for name, digest in digests.tree_files(folder):
            parts[f"template {relpath(folder / name, project.root)}"] = digest
    for path in linked:
        parts[f"template {relpath(path, project.root)}"] = digests.file(path) or ""
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
    files += [root / block.image for block in selection.blocks if block.image]  # figures
    files += conflict_reads(project.content, selection)
    sources = {c.source.id: c.source for block in selection.blocks
               for c in project.content.citations.get(block.id, ())}  # each cited many times
    for source in sources.values():
        files += [root / source.origin.path, root / source.text_path]
    if project.config.logo_path:
        files.append(root / project.config.logo_path)
    reads: dict[str, str | None] = {"code": code_version(), **digests.font_reads()}
    reads.update((f"file:{digests.key(p)}", digests.file(p)) for p in dict.fromkeys(files))
    folders, linked = template_inputs(chain)
    reads.update((f"file:{digests.key(p)}", digests.file(p)) for p in linked)
    reads.update((f"tree:{digests.key(f)}", digests.tree(f)) for f in folders)
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


def shard_of(selection: Selection, count: int) -> int:
    """A stable shard (1..count) for a brief and audience: the same on every machine."""
    key = f"{selection.brief.id}/{selection.audience.name}".encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big") % count + 1


def in_shard(selections: list[Selection], shard: tuple[int, int] | None) -> list[Selection]:
    """The selections of shard (index, count), or all of them without one."""
    if shard is None:
        return selections
    index, count = shard
    return [s for s in selections if shard_of(s, count) == index]


def decide(project: Project, selections: list[Selection], request: BuildRequest,
           manifest: Manifest, digests: Digests) -> Plan:
    """Which outputs to render. An output whose inputs are unchanged keeps its file; its record
    is refreshed, since what it says is current for the files as they are now."""
    plan = Plan()
    memo: dict[int, tuple[object, str]] = {}
    for selection in selections:
        parts = fingerprint(project, selection, digests, memo)
        reads = output_reads(project, selection, digests)
        needed = []
        for fmt in request.formats:
            rel = output_path(selection, fmt).as_posix()
            plan.planned.append(rel)
            inputs = sha256(json.dumps([parts, fmt], sort_keys=True).encode())
            plan.records[rel] = {"inputs": inputs, "parts": parts, "reads": reads}
            if request.force or not manifest.fresh(digests, rel, inputs):
                needed.append(fmt)
                old = manifest.outputs.get(rel, {}).get("parts")
                plan.changes.append(Change(rel, changed_parts(old, parts)))
            else:
                plan.skipped.append(rel)
                manifest.outputs[rel].update(plan.records[rel])
        if needed:
            plan.tasks.append(Task(selection, tuple(needed)))
    return plan


def record(manifest: Manifest, plan: Plan, outputs: list[Output], project: Project,
           digests: Digests, out_dir: Path, request: BuildRequest) -> bytes:
    """The manifest after the renders, as bytes to write with the outputs.

    A file edited while the outputs were rendered: its record would vouch for a render made
    from the older text. Such outputs keep no record of files and are checked in full next
    time."""
    recheck = Digests(project.root, out_dir, digests.allowed[2:])
    for output in outputs:
        rel = output.path.as_posix()
        manifest.outputs[rel] = dict(plan.records[rel], file=sha256(output.data))
    for rel in plan.planned:
        entry = manifest.outputs.get(rel, {})
        if entry.get("reads") and not recheck.unchanged(entry["reads"]):
            entry["reads"] = {}
    if request.run_key is not None:
        reads = project_reads(project, project.root, digests, request.override)
        manifest.runs[request.run_key] = {
            "reads": reads if recheck.unchanged(reads) else {}, "outputs": plan.planned}
    return manifest.to_bytes()
