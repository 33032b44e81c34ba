"""What a build is asked for, and what it did.

In: a command's arguments. Out: `BuildRequest`, with the key that names its command line for
the no-op fast path, and `BuildResult`. Only the standard library and core/: the no-op build
imports this and nothing of the pipeline.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.errors import BriefsmithWarning

if TYPE_CHECKING:
    from ..formats.outputs import Output


@dataclass
class Change:
    """Why an output was rebuilt: which of its inputs differ from the previous build's."""

    path: str
    reasons: list[str]


@dataclass
class BuildRequest:
    """What a build is asked for: `pipeline.build` takes one."""

    briefs: list[str] | None = None
    audiences: tuple[str, ...] | None = None  # None: every audience each brief lists
    formats: tuple[str, ...] = ("pdf", "html")  # the CLI's default: docx when asked for
    jobs: int | None = None
    override: Path | None = None
    force: bool = False
    shard: tuple[int, int] | None = None
    run_key: str | None = None  # identifies the command line, for the no-op fast path

    def key(self) -> str:
        """The command line this request stands for: a later identical one may be a no-op."""
        return json.dumps({"briefs": sorted(self.briefs or []),
                           "audiences": sorted(self.audiences or ()),
                           "formats": list(self.formats),
                           "shard": list(self.shard) if self.shard else None,
                           "templates": str(self.override) if self.override else None},
                          sort_keys=True)


@dataclass
class BuildResult:
    """What a build did: `pipeline.build` returns one."""

    outputs: list[Output] = field(default_factory=list)
    warnings: list[BriefsmithWarning] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    failed: int = 0
    seconds: float = 0.0
    noop: bool = False  # answered from the manifest alone: nothing was loaded
