"""Verified quotes remembered between runs, so a repeated `check` or `build` does not find every
quote in its source again.

An entry says: this exact quote text was found once, as whole words, in a source whose
paragraphs hash to this, by this version of the matching code, at these paragraph numbers. The
key is the sha256 of all three (quote text, source text hash, Briefsmith's code), so any
change to the quote, the source text or the matching rules misses the cache and verifies again;
only successes are stored (a failing quote is verified each time, to word its message).

The cache lives in `<project>/output/.cache/quotes.json`, and only once that folder exists
(the default build makes it for its citeproc cache). Every command reads it; only the `check`
command writes it, once it passed (project.check), so `check` on a project never built, a
failed check and a build write no cache file. The file is only an optimisation: an unreadable,
corrupt or foreign file is ignored, and a failed write loses nothing. It is trusted as the
outputs beside it are: a cache copied from someone else's project can claim quotes it never
checked; delete `output/.cache/` to verify everything again.

The same folder keeps the fidelity check's findings per block (`fidelity.json`, FindingCache):
keyed by everything the check reads (the block as loaded, with its origins, each cited quote
and its source's metadata and text hash, and the code), so an unchanged block is not compared
with its passages again, and any change to it, its quotes or their sources compares it afresh.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import os
import secrets
import sys
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..core.errors import BriefsmithWarning
from ..core.hashing import code_version as build_code
from ..core.models import Block, Citation, Source
from ..core.paths import OutsideProject, inside, read_inside

CACHE_DIR = Path("output") / ".cache"
CACHE_FILE = CACHE_DIR / "quotes.json"
FINDINGS_FILE = CACHE_DIR / "fidelity.json"
FORMAT = 1
MAX_BYTES = 64_000_000  # far more than any real project's entries; a bigger file is ignored

@functools.cache
def code_version() -> str:
    """Briefsmith's code (as the build's own records hash it) and the Unicode tables
    normalisation uses, so a change to the matching or checking rules (or a Python with other
    tables) checks again."""
    return hashlib.sha256(f"{build_code()}\0{sys.version}\0{unicodedata.unidata_version}"
                          .encode()).hexdigest()


def source_hash(paragraphs: tuple[str, ...]) -> str:
    return hashlib.sha256("\n".join(paragraphs).encode("utf-8", "surrogatepass")).hexdigest()


def quote_key(quote: str, source_digest: str) -> str:
    data = "\0".join((code_version(), source_digest, quote)).encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()


class _JsonCache:
    """Entries by key in one JSON file under output/.cache/; see the module docstring."""

    def __init__(self, root: Path | None, rel: Path) -> None:
        self.path = root / rel if root is not None else None
        self.root = root
        self._old: dict[str, Any] = self._read()
        self._used: dict[str, Any] = {}

    @staticmethod
    def valid(value: Any) -> bool:
        raise NotImplementedError

    def _read(self) -> dict[str, Any]:
        if self.path is None or self.root is None or not self.path.parent.is_dir():
            return {}
        try:
            raw = read_inside(self.path, (self.root,), MAX_BYTES)
            if len(raw) > MAX_BYTES:
                return {}
            data = json.loads(raw)
        except (OSError, ValueError):  # missing, a link out of the project, corrupt
            return {}
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            return {}
        entries = data.get("entries")
        if not isinstance(entries, dict):
            return {}
        return {k: v for k, v in entries.items() if self.valid(v)}

    def get(self, key: str) -> Any:
        found = self._old.get(key)
        if found is not None:
            self._used[key] = found
        return found

    def put(self, key: str, value: Any) -> None:
        self._used[key] = value

    def save(self) -> None:
        """Keep the entries this run used (so the file does not grow with every edit). Best
        effort, and only into an output/.cache/ folder inside the project that already exists."""
        if (self.path is None or self.root is None or self._used == self._old
                or not self.path.parent.is_dir() or not inside(self.path.parent, (self.root,))):
            return
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        try:
            tmp.write_text(json.dumps({"format": FORMAT, "entries": dict(sorted(
                self._used.items()))}, separators=(",", ":")), encoding="utf-8")
            os.replace(tmp, self.path)
        except (OSError, OutsideProject):
            pass
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)


class QuoteCache(_JsonCache):
    """Paragraph numbers [first, last] of quotes verified before, by quote_key."""

    def __init__(self, root: Path | None) -> None:
        super().__init__(root, CACHE_FILE)

    @staticmethod
    def valid(value: Any) -> bool:
        return (isinstance(value, list) and len(value) == 2
                and all(type(n) is int and n >= 1 for n in value) and value[0] <= value[1])


class FindingCache(_JsonCache):
    """The fidelity check's warnings for one block, by block_key."""

    def __init__(self, root: Path | None) -> None:
        super().__init__(root, FINDINGS_FILE)
        self._sources: dict[str, str] = {}
        # each block's key, once: check asks what is left to compare, then for the lines
        self._keys: dict[int, tuple[Block, Sequence[Citation], str]] = {}

    @staticmethod
    def valid(value: Any) -> bool:
        return isinstance(value, list) and all(
            isinstance(item, dict)
            and set(item) == {"file", "line", "column", "kind", "message", "audience"}
            for item in value)

    def get(self, key: str) -> list[BriefsmithWarning] | None:
        found = super().get(key)
        return None if found is None else [BriefsmithWarning.from_dict(d) for d in found]

    def put(self, key: str, value: Any) -> None:
        super().put(key, [w.as_dict() for w in value])

    def block_key(self, block: Block, citations: Sequence[Citation]) -> str:
        """Everything check_block reads: the block (its repr holds every field and origin,
        all strings and tuples), each quote, and its source's metadata and text."""
        known = self._keys.get(id(block))
        if known is not None and known[0] is block and known[1] is citations:
            return known[2]
        code = hashlib.sha256(code_version().encode())
        code.update(repr(block).encode("utf-8", "surrogatepass"))
        for citation in citations:
            code.update(b"\0" + citation.quote.encode("utf-8", "surrogatepass") + b"\0")
            code.update(self._source(citation.source).encode())
        self._keys[id(block)] = (block, citations, code.hexdigest())
        return code.hexdigest()

    def _source(self, source: Source) -> str:
        if source.id not in self._sources:
            meta = repr(dataclasses.replace(source, paragraphs=()))
            self._sources[source.id] = hashlib.sha256(
                (meta + "\0" + source_hash(source.paragraphs)).encode("utf-8", "surrogatepass")
            ).hexdigest()
        return self._sources[source.id]
