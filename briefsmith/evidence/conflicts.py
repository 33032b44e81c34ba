"""Conflicting and changing figures (issue 9): facts about the same thing, compared.

Sources disagree, and a brief that quotes each of them faithfully can still leave a reader
believing two incompatible things. An editor marks facts about the same thing with one `claim`
key and gives each its `value` (a number with its hedge and unit, or a set of names), the period
it describes (`as_of`) and optionally its `scope`. This module compares them and sorts what it
finds into four groups:

- CONFLICT: same claim, unit, scope and period, values that cannot all be true;
- CHANGED OVER TIME: same claim, unit and scope, different periods, different values;
- NEEDS AS_OF: a claim fact with no period, which therefore cannot be compared;
- UNIT MISMATCH: the same claim counted in different units (or a number and a set).

It never decides which source is right. The editor records that in `content/resolutions.yaml`
(prefer one block with a note, or accept the difference with a note); until then a conflict is
a warning (`check --strict` fails) and every brief that uses either side says that the sources
differ. Everything here is data; the CLI and the templates do the printing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..content.claims import RESOLUTIONS, compatible, member_key, overlaps, unit_of
from ..core.errors import BriefsmithWarning
from ..core.hashing import hash_of
from ..core.models import Block, Citation, Content, Resolution

if TYPE_CHECKING:
    from ..content.select import Selection

KINDS = ("conflict", "unit-mismatch", "needs-as-of", "changed-over-time")
HEADINGS = {"conflict": "CONFLICT", "unit-mismatch": "UNIT MISMATCH",
            "needs-as-of": "NEEDS AS_OF", "changed-over-time": "CHANGED OVER TIME"}


@dataclass(frozen=True)
class Side:
    """One fact in a finding, with what a reader needs to check it: its passages."""

    block: Block
    citations: tuple[Citation, ...]

    @property
    def at(self) -> str:
        return f"{self.block.origin.path}:{self.block.origin.line}"

    @property
    def sources(self) -> tuple[str, ...]:
        """The labels of the sources it cites, each once."""
        return tuple(dict.fromkeys(c.source.label for c in self.citations))


@dataclass(frozen=True)
class Finding:
    """One group of facts the editor should look at. `as_of`: the period of a conflict (the
    widest of its sides'); `resolution`: the editor's decision, if any (conflicts and unit
    mismatches only)."""

    kind: str
    claim: str
    sides: tuple[Side, ...]
    unit: str | None = None
    scope: str | None = None
    as_of: str | None = None
    resolution: Resolution | None = None

    @property
    def status(self) -> str | None:
        """'unresolved', 'accepted' or 'preferred'; None for a change over time, which is
        information, not a problem."""
        if self.kind == "changed-over-time":
            return None
        if self.resolution is None:
            return "unresolved"
        return "preferred" if self.resolution.prefer else "accepted"

    @property
    def preferred(self) -> Side | None:
        if self.resolution is None or self.resolution.prefer is None:
            return None
        return next((s for s in self.sides if s.block.id == self.resolution.prefer), None)


@dataclass(frozen=True)
class Report:
    findings: tuple[Finding, ...]
    claims: int
    facts: int
    unused: tuple[Resolution, ...] = ()  # resolutions that settle nothing any more

    def of(self, kind: str) -> list[Finding]:
        return [f for f in self.findings if f.kind == kind]

    @property
    def unresolved(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "unresolved"]


def find_conflicts(content: Content) -> Report:
    """Compare every claim's facts. Pure: reads the loaded content, returns the findings in a
    stable order (group, claim, period), sides in period then file order.

    A fact without `as_of` could describe any period, so it is compared with every period of
    its claim: a difference is then a CONFLICT, never passed off as a change over time. It is
    also listed under NEEDS AS_OF, which stays unresolved (a warning) unless the editor has
    resolved a conflict it is a side of: the resolution is the editor's reading of it."""
    by_claim: dict[str, list[Block]] = {}
    for block in content.blocks.values():
        if block.claim and block.value is not None:
            by_claim.setdefault(block.claim, []).append(block)
    findings: list[Finding] = []
    used: set[Resolution] = set()

    def side(block: Block) -> Side:
        return Side(block, content.citations.get(block.id, ()))

    def resolve(claim: str, as_of: str | None) -> Resolution | None:
        exact = [r for r in content.resolutions if r.claim == claim and r.as_of
                 and as_of and overlaps(r.as_of, as_of)]
        general = [r for r in content.resolutions if r.claim == claim and not r.as_of]
        chosen = next(iter(exact or general), None)
        if chosen is not None:
            used.add(chosen)
        return chosen

    for claim in sorted(by_claim):
        facts = sorted(by_claim[claim], key=lambda b: (b.as_of or "", b.origin))
        units: dict[str, list[Block]] = {}
        for block in facts:
            units.setdefault(unit_of(block.value), []).append(block)  # type: ignore[arg-type]
        if len(units) > 1:
            findings.append(Finding("unit-mismatch", claim, tuple(side(b) for b in facts),
                                    resolution=resolve(claim, None)))
        found: list[Finding] = []
        for unit, group in units.items():
            found += _compare(claim, unit, group, side, resolve)
        for block in facts:
            if not block.as_of:
                settled = next((f.resolution for f in found if f.kind == "conflict"
                                and f.resolution and any(s.block is block for s in f.sides)),
                               None)
                findings.append(Finding("needs-as-of", claim, (side(block),),
                                        unit_of(block.value), block.scope,  # type: ignore[arg-type]
                                        resolution=settled))
        findings += found
    order = {kind: i for i, kind in enumerate(KINDS)}
    findings.sort(key=lambda f: (order[f.kind], f.claim, f.as_of or "", f.scope or ""))
    unused = tuple(r for r in content.resolutions if r not in used)
    return Report(tuple(findings), len(by_claim), sum(len(v) for v in by_claim.values()),
                  unused)


def _compare(claim: str, unit: str, group: list[Block], side: Callable[[Block], Side],
             resolve: Callable[[str, str | None], Resolution | None]) -> list[Finding]:
    """Within one claim and unit: dated facts of the same scope whose periods overlap form one
    cluster, and the undated facts of that scope join every cluster; a cluster whose values
    cannot all be true is a conflict. Dated clusters of one scope in different periods with
    different values are a change over time."""
    out: list[Finding] = []
    scopes: dict[str, list[Block]] = {}
    for block in group:
        scopes.setdefault(member_key(block.scope or ""), []).append(block)
    for blocks in scopes.values():
        undated = [b for b in blocks if not b.as_of]
        clusters: list[list[Block]] = []
        for block in (b for b in blocks if b.as_of):  # by period: a cluster grows by overlap
            home = next((c for c in clusters if any(overlaps(block.as_of or "", o.as_of or "")
                                                     for o in c)), None)
            if home is None:
                clusters.append([block])
            else:
                home.append(block)
        scope = blocks[0].scope
        for cluster in clusters or [[]]:
            members = cluster + undated
            values = [b.value for b in members]
            if any(not compatible(a, b) for i, a in enumerate(values)  # type: ignore[arg-type]
                   for b in values[i + 1:]):
                period = min((b.as_of for b in cluster if b.as_of), key=len, default=None)
                out.append(Finding("conflict", claim, tuple(side(b) for b in members), unit,
                                   scope, period, resolve(claim, period)))
        if len(clusters) > 1:
            firsts = [c[0].value for c in clusters]
            if any(not compatible(a, b) for a, b in pairwise(firsts)):  # type: ignore[arg-type]
                out.append(Finding("changed-over-time", claim,
                                   tuple(side(b) for c in clusters for b in c), unit, scope))
    return out


# --- output ---------------------------------------------------------------------------------

def _status_line(finding: Finding) -> str:
    res = finding.resolution
    if finding.status == "unresolved":
        return "unresolved: record a resolution in content/resolutions.yaml"
    if res is None:
        return ""
    where = f"{res.origin.path}:{res.origin.line}"
    if res.prefer:
        return f"preferred {res.prefer} ({where}): {res.note}"
    return f"accepted ({where}): {res.accept}"


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def format_text(report: Report) -> str:
    """The `conflicts` report for people: one heading per group, then for each side its block,
    value, period, source label, passage, paragraph pinpoint and file:line."""
    lines: list[str] = []
    for kind in KINDS:
        group = report.of(kind)
        if not group:
            continue
        lines.append(f"{HEADINGS[kind]} ({len(group)})")
        for finding in group:
            head = [f"claim '{finding.claim}'"]
            if finding.as_of:
                head.append(f"as of {finding.as_of}")
            if finding.unit and kind != "unit-mismatch":
                head.append(finding.unit.strip("()") if finding.unit.startswith("(")
                            else f"unit {finding.unit}")
            if finding.scope:
                head.append(f"scope {finding.scope}")
            lines.append("  " + ", ".join(head))
            if kind == "needs-as-of":
                res = finding.resolution
                lines.append("    unresolved: add the period the value describes (as_of), or "
                             "resolve the conflict it is a side of" if res is None else
                             f"    settled by the resolution at {res.origin.path}:"
                             f"{res.origin.line}")
            elif finding.status is not None:
                lines.append(f"    {_status_line(finding)}")
            for s in finding.sides:
                block = s.block
                period = f" (as of {block.as_of})" if block.as_of else " (no as_of)"
                unit = f" [{unit_of(block.value)}]" if kind == "unit-mismatch" else ""  # type: ignore[arg-type]
                scope = f" [scope {block.scope}]" if block.scope and not finding.scope else ""
                lines.append(f"    - {block.id}: {block.value.written}{unit}{period}{scope}"  # type: ignore[union-attr]
                             f"  {s.at}")
                for c in s.citations:
                    lines.append(f"        {c.source.label} ({c.source.id}), {c.locator}: "
                                 f"\"{c.quote}\"")
        lines.append("")
    for res in report.unused:
        lines.append(f"UNUSED RESOLUTION: claim '{res.claim}'"
                     f"{f' as of {res.as_of}' if res.as_of else ''} "
                     f"{res.origin.path}:{res.origin.line}: it settles nothing any more")
    if report.unused:
        lines.append("")
    counts = ", ".join(_count(len(report.of(kind)), *words) for kind, words in (
        ("conflict", ("conflict", "conflicts")),
        ("unit-mismatch", ("unit mismatch", "unit mismatches")),
        ("needs-as-of", ("fact without as_of", "facts without as_of")),
        ("changed-over-time", ("change over time", "changes over time"))))
    lines.append(f"{_count(report.facts, 'fact', 'facts')} in "
                 f"{_count(report.claims, 'claim', 'claims')}: {counts}; "
                 f"{len(report.unresolved)} unresolved")
    return "\n".join(lines) + "\n"


def as_data(report: Report) -> dict[str, Any]:
    """The `conflicts --format json` structure (documented in docs/content-format.md)."""

    def side(s: Side) -> dict[str, Any]:
        b = s.block
        value = b.value
        assert value is not None
        return {
            "block": b.id, "at": s.at, "as_of": b.as_of, "scope": b.scope,
            "value": {"kind": value.kind, "written": value.written, "number": value.number,
                      "bound": value.bound if value.kind == "number" else None,
                      "qualifier": value.qualifier, "unit": value.unit,
                      "members": list(value.members) if value.kind == "set" else None},
            "citations": [{"source": c.source.id, "label": c.source.label, "quote": c.quote,
                           "pinpoint": c.locator, "first_para": c.first_para,
                           "last_para": c.last_para, "at": str(c.origin)}
                          for c in s.citations],
        }

    def resolution(r: Resolution | None) -> dict[str, Any] | None:
        if r is None:
            return None
        return {"at": f"{r.origin.path}:{r.origin.line}", "as_of": r.as_of,
                "prefer": r.prefer, "note": r.note, "accept": r.accept}

    return {
        "version": 1,
        "findings": [{"kind": f.kind, "claim": f.claim, "as_of": f.as_of, "unit": f.unit,
                      "scope": f.scope, "status": f.status,
                      "resolution": resolution(f.resolution),
                      "sides": [side(s) for s in f.sides]} for f in report.findings],
        "unused_resolutions": [resolution(r) for r in report.unused],
        "counts": {"claims": report.claims, "facts": report.facts,
                   **{k: len(report.of(k)) for k in KINDS},
                   "unresolved": len(report.unresolved)},
    }


def format_json(report: Report) -> str:
    return json.dumps(as_data(report), indent=2, ensure_ascii=False) + "\n"


def review_warnings(content: Content) -> list[BriefsmithWarning]:
    """Located warnings for `review()`: each unresolved conflict or unit mismatch, each claim
    fact without a period, each resolution that settles nothing. A change over time is not
    one: it is what the figures say, and the report lists it."""
    report = find_conflicts(content)
    out: list[BriefsmithWarning] = []
    for f in report.unresolved:
        first = f.sides[0].block
        where = first.at("claim")
        if f.kind == "needs-as-of":
            out.append(BriefsmithWarning(
                where, f"block '{first.id}' gives a value for claim '{f.claim}' but no "
                "'as_of': add the period the figure describes (as_of: \"YYYY\"), so that it "
                "can be compared with the others", "conflict"))
            continue
        says = "; ".join(f"'{s.block.id}' says {s.block.value.written}"  # type: ignore[union-attr]
                         + (f" ({unit_of(s.block.value)})" if f.kind == "unit-mismatch"  # type: ignore[arg-type]
                            else "")
                         for s in f.sides)
        what = ("sources differ on claim" if f.kind == "conflict"
                else "different units for claim")
        period = f" as of {f.as_of}" if f.as_of else ""
        out.append(BriefsmithWarning(
            where, f"{what} '{f.claim}'{period}: {says}: prefer one or accept the difference "
            f"in {RESOLUTIONS} (see `build.py conflicts`)", "conflict"))
    for r in report.unused:
        out.append(BriefsmithWarning(
            r.origin, f"the resolution for claim '{r.claim}'"
            f"{f' as of {r.as_of}' if r.as_of else ''} settles nothing: its facts no longer "
            "differ; delete it", "resolution"))
    return out


def notes_by_block(content: Content) -> dict[str, Finding]:
    """Each side of a conflict (resolved or not) → that conflict, for the briefs' "sources
    differ" notes. A block in two conflicts (two periods cannot share one block) keeps the
    first."""
    out: dict[str, Finding] = {}
    for f in find_conflicts(content).of("conflict"):
        for s in f.sides:
            out.setdefault(s.block.id, f)
    return out


def _shown(content: Content, selection: Selection) -> list[Finding]:
    """The conflicts a brief-and-audience's notes show."""
    notes = notes_by_block(content)
    found = {id(notes[b.id]): notes[b.id] for b in selection.blocks if b.id in notes}
    return list(found.values())


def conflict_parts(content: Content, selection: Selection) -> dict[str, str]:
    """Fingerprint parts for the notes an output shows: a note quotes the other sides and the
    editor's resolution, so editing either must rebuild every brief that shows it."""
    return {f"conflict {f.claim} {f.as_of or ''}":
            hash_of([f.kind, f.resolution, [(s.block, s.citations) for s in f.sides]])
            for f in _shown(content, selection)}


def conflict_reads(content: Content, selection: Selection) -> list[Path]:
    """The files those notes are made from: every side's block file and source files, and
    the resolutions file (which can also turn a note on or off)."""
    root = content.root
    files = [root / RESOLUTIONS]
    for f in _shown(content, selection):
        for s in f.sides:
            files.append(root / s.block.origin.path)
            for c in s.citations:
                files += [root / c.source.origin.path, root / c.source.text_path]
    return files
