"""The build manifest: what each output was made from, so unchanged outputs are not rebuilt.

For every output file the manifest keeps two records of its inputs: `reads`, the content hash of
every file and folder it was made from (see freshness.py), and `parts`, a hash of each input as
loaded (the brief, each block and source it uses, every file on its template chain, its citation
style, the fonts, the house style, the code and versions), plus a hash of the file itself. An
output is skipped when its file is intact and either record still matches; `parts` lets a block
moved within its file, or a neighbour edited, leave the output alone.

Each command line also records what it planned (`runs`): its outputs and the hash of every folder
the project's check reads. That record only lets a no-op build skip parsing; every output it
lists must still be current by its own `reads`. Only the standard library is used here.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .freshness import Digests

MANIFEST = ".briefsmith-manifest.json"
SCHEMA = 2
@dataclasses.dataclass
class Manifest:
    """`outputs`: output path → {inputs, parts, file, reads}; `runs`: command key →
    {reads, outputs}."""

    outputs: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    runs: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)

    @classmethod
    def read(cls, out_dir: Path) -> Manifest:
        try:
            data = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            return cls()
        return cls(dict(data.get("outputs", {})), dict(data.get("runs", {})))

    def to_bytes(self) -> bytes:
        return json.dumps({"schema": SCHEMA, "outputs": self.outputs, "runs": self.runs},
                          indent=1, sort_keys=True).encode()

    def file_intact(self, digests: Digests, rel: str) -> bool:
        entry = self.outputs.get(rel)
        return entry is not None and digests.file(digests.out_dir / rel) == entry.get("file")

    def fresh(self, digests: Digests, rel: str, inputs: str) -> bool:
        """Current by what its inputs say, once loaded: its file is the one written and the
        hash of its loaded inputs is the one recorded with it."""
        entry = self.outputs.get(rel)
        return (entry is not None and entry.get("inputs") == inputs
                and self.file_intact(digests, rel))

    def current(self, digests: Digests, rel: str) -> bool:
        """Current by its own record of files, without loading anything: its file is the one
        written and every file and folder it was made from is unchanged."""
        entry = self.outputs.get(rel)
        if entry is None or not self.file_intact(digests, rel):
            return False
        reads = entry.get("reads")
        return isinstance(reads, dict) and bool(reads) and digests.unchanged(reads)

    def run_is_noop(self, digests: Digests, key: str) -> list[str] | None:
        """The outputs of a command when all of them are current and nothing its check reads
        has changed; None when the project must be loaded to decide."""
        run = self.runs.get(key)
        if run is None or not isinstance(run.get("reads"), dict):
            return None
        planned = run.get("outputs", [])
        if not digests.unchanged(run["reads"]):
            return None
        if all(self.current(digests, rel) for rel in planned):
            return list(planned)
        return None

    def merge(self, other: Manifest) -> None:
        """Manifest parts from shards built on different machines combine by output path."""
        self.outputs.update(other.outputs)
        self.runs.update(other.runs)


def changed_parts(old: Mapping[str, str] | None, new: Mapping[str, str]) -> list[str]:
    """Which inputs differ between two fingerprints, as 'block x', 'template y', ..."""
    if not old:
        return ["new output"]
    names = sorted(set(old) | set(new))
    return [name for name in names if old.get(name) != new.get(name)]
