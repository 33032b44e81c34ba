"""What a build makes: one file per (brief, audience, format), and where it goes.

In: a selection and a format. Out: the output's path under the output folder; `Output`, the
rendered bytes in memory until the build writes every output of a run at once (core/files.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..content.select import Selection


@dataclass(frozen=True)
class Output:
    """One rendered file, in memory until write_all puts every output of a build in place."""

    brief: str
    audience: str
    format: str
    path: Path  # relative to the output folder
    data: bytes
    pages: int | None = None
    templates: tuple[tuple[str, str], ...] = ()  # template name → the file that won


def output_path(selection: Selection, fmt: str) -> Path:
    brief, audience = selection.brief.id, selection.audience.name
    return Path(brief) / f"{brief}-{audience}.{fmt}"
