"""The change report (`--report`): what a scheduled build tells the team.

Which outputs were rebuilt and why (which blocks, sources, templates changed), which quotes
stopped verifying, what else failed, and which sources are undated or older than the configured
age, so that a person knows what needs attention without reading a build log.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..core.errors import BriefsmithError, CitationError
from ..core.files import write_atomic
from ..evidence.verify import Project
from .request import BuildResult


def render_report(result: BuildResult | None, errors: list[BriefsmithError],
                  project: Project | None, today: dt.date) -> str:
    lines = [f"# Briefsmith build report, {today.isoformat()}", ""]
    if result is not None:
        lines.append(f"Built {len(result.outputs)} files, skipped {len(result.skipped)} "
                     f"unchanged, failed {result.failed}, in {result.seconds:.1f} s.")
    else:
        lines.append(f"The build failed with {len(errors)} problem(s); no output was written.")
    lines.append("")
    if result is not None and result.changes:
        lines += ["## What changed", ""]
        for change in result.changes:
            lines.append(f"- `{change.path}`: {_reasons(change.reasons)}")
        lines.append("")
    quotes = [e for e in errors if isinstance(e, CitationError)]
    if quotes:
        lines += ["## Quotes that no longer verify", ""]
        lines += [f"- {e}" for e in quotes] + [""]
    others = [e for e in errors if not isinstance(e, CitationError)]
    if others:
        lines += ["## Other problems", ""]
        lines += [f"- {e}" for e in others] + [""]
    if project is not None:
        stale = _stale_sources(project, today)
        if stale:
            lines += ["## Sources to review", ""] + [f"- {s}" for s in stale] + [""]
    return "\n".join(lines)


def _reasons(reasons: list[str]) -> str:
    if reasons == ["new output"]:
        return "new (no earlier build recorded)"
    if not reasons:
        return "rebuilt on request (--force) or its file was missing or altered"
    shown = ", ".join(reasons[:8])
    more = f" and {len(reasons) - 8} more" if len(reasons) > 8 else ""
    return f"changed: {shown}{more}"


def _stale_sources(project: Project, today: dt.date) -> list[str]:
    max_age = project.config.max_source_age_days
    out = []
    for source in project.content.sources.values():
        stamp = source.accessed or source.published
        if stamp is None:
            out.append(f"'{source.id}' states no date and has no access date: its age is "
                       "unknown")
            continue
        parts = [int(p) for p in stamp.split("-")] + [1, 1]
        age = (today - dt.date(parts[0], parts[1], parts[2])).days
        if max_age is not None and age > max_age:
            out.append(f"'{source.id}' dates from {stamp}, {age} days ago (the limit in "
                       f"briefsmith.yaml is {max_age} days)")
    return out


def write_report(path: Path, text: str) -> None:
    write_atomic(path, text.encode("utf-8"))
