"""The build manifest: what each output was made from, so unchanged outputs are not rebuilt.

For every output file the manifest keeps a hash of each input that can change it (the brief,
each block and source it uses, every file on its template chain, its citation style, the fonts,
the house style, and the versions of Briefsmith, WeasyPrint and pandoc), plus a hash of the file
itself. A build renders only outputs whose inputs changed or whose file is missing or altered.

A no-op build must cost next to nothing, so it is decided before any YAML is parsed or any heavy
module imported: a snapshot hash of every project file, recorded per command line, says whether
anything at all changed since that command last succeeded. Only the standard library is used here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

MANIFEST = ".briefsmith-manifest.json"
SCHEMA = 1
_SKIP_DIRS = {".git", ".venv", "venv", "__pycache__", "node_modules", ".pytest_cache",
              ".ruff_cache", ".mypy_cache"}
# Where things were written, and template folder paths (absolute, so machine-specific; the
# files on each output's template chain are hashed one by one instead).
_ORIGIN_FIELDS = {"origin", "field_origins", "text_path", "templates", "template_dir"}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical(obj: Any) -> Any:
    """A model object as plain data without the places it was written: moving a block within
    its file, or editing its neighbour, must not make its outputs look changed."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: canonical(getattr(obj, f.name)) for f in dataclasses.fields(obj)
                if f.name not in _ORIGIN_FIELDS}
    if isinstance(obj, Mapping):
        return {str(k): canonical(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [canonical(v) for v in obj]
    if isinstance(obj, Path):
        return obj.as_posix()
    return obj


def hash_of(obj: Any) -> str:
    return sha256(json.dumps(canonical(obj), sort_keys=True, ensure_ascii=False).encode())


@cache
def versions() -> str:
    from . import __version__

    # The package's own code too: a changed renderer must not leave old outputs "up to date".
    code = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        code.update(path.read_bytes())
    found = [f"briefsmith={__version__}+{code.hexdigest()[:16]}"]
    for name in ("weasyprint", "pydyf", "pypandoc-binary", "jinja2", "markdown", "nh3",
                 "pyyaml", "fonttools"):
        try:
            found.append(f"{name}={version(name)}")
        except PackageNotFoundError:
            found.append(f"{name}=?")
    return ";".join(found)


@cache
def folder_hashes(folder: Path) -> tuple[tuple[str, str], ...]:
    """(relative name, hash) of every file below a folder; cached per build process."""
    if not folder.is_dir():
        return ()
    return tuple(sorted((p.relative_to(folder).as_posix(), sha256(p.read_bytes()))
                        for p in folder.rglob("*") if p.is_file()
                        and not _SKIP_DIRS.intersection(p.relative_to(folder).parts)))


def snapshot(root: Path, out_dir: Path, extra: Iterable[Path] = ()) -> str:
    """One hash of every file the project could read: its own tree (less output and tool
    folders), any template tree outside it, and the installed versions."""
    digest = hashlib.sha256(versions().encode())
    out = out_dir.resolve()
    for folder in (root, *extra):
        for dirpath, dirnames, filenames in os.walk(folder):
            here = Path(dirpath)
            dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS
                                 and (here / d).resolve() != out)
            for name in sorted(filenames):
                path = here / name
                try:
                    data = path.read_bytes()
                except OSError:
                    continue
                digest.update(f"{path.relative_to(folder).as_posix()}\0".encode())
                digest.update(sha256(data).encode())
    return digest.hexdigest()


@dataclasses.dataclass
class Manifest:
    """`outputs`: output path → {inputs, parts, file}; `runs`: command key → {snapshot, outputs}."""

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

    def file_intact(self, out_dir: Path, rel: str) -> bool:
        entry = self.outputs.get(rel)
        path = out_dir / rel
        try:
            return entry is not None and sha256(path.read_bytes()) == entry.get("file")
        except OSError:
            return False

    def fresh(self, out_dir: Path, rel: str, inputs: str) -> bool:
        entry = self.outputs.get(rel)
        return entry is not None and entry.get("inputs") == inputs and self.file_intact(
            out_dir, rel)

    def run_is_noop(self, out_dir: Path, key: str, snap: str) -> bool:
        run = self.runs.get(key)
        return (run is not None and run.get("snapshot") == snap
                and all(self.file_intact(out_dir, rel) for rel in run.get("outputs", [])))

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
