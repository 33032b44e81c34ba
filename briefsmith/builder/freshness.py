"""Which outputs are current: decided per output, from the inputs that output itself recorded.

In: the project's files and the output folder's manifest. Out: content hashes of input files
and folders (keys such as `file:content/blocks/x.yaml`, `tree:templates/_base`, `fonts`,
`code`), and whether a command's outputs can all be skipped without parsing any YAML.

Every output's manifest entry lists the hash of each file and folder it was made from. An output
is current only when every one of those hashes equals the file's hash now and the output file
itself is the one that was written: a record another command wrote can never vouch for it. A
command's own record (its planned outputs and the hash of every folder `check` reads) only says
that the plan and the validation would come out the same; it never marks an output current.

Reading every byte each time would cost in proportion to the project's bytes, so a stat cache
(size, mtime_ns, ctime_ns, inode, device) stands in for a file's hash when nothing about the file
changed. ctime cannot be set back by a user, so a same-size edit with the old mtime restored is
still seen; an entry is trusted only when the file had been unchanged for a while before it was
hashed, because a second write within the file system's timestamp tick leaves all of them equal.

Nothing outside the allowed folders is opened: links are examined with lstat and only followed
when their target lies inside. Only the standard library is used: the no-op build imports this.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import stat
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from ..core.hashing import code_version, sha256
from ..core.paths import inside, open_inside

STAT_CACHE = ".cache/stat-cache.json"
# An entry hashed less than this long after the file last changed is rehashed next time.
RACY_NS = 1_000_000_000
SKIP_DIRS = frozenset({".git", ".venv", "venv", "__pycache__", "node_modules",
                       ".pytest_cache", ".ruff_cache", ".mypy_cache"})


class Digests:
    """Content hashes of files, read only when their stat data changed."""

    def __init__(self, root: Path, out_dir: Path, allowed: Iterable[Path] = ()) -> None:
        self.root = root.resolve()
        self.out_dir = out_dir.resolve()
        # the output folder too: its files are hashed to see they are the ones written
        self.allowed = (self.root, self.out_dir, *(p.resolve() for p in allowed))
        self._path = self.out_dir / STAT_CACHE
        self._memo: dict[str, str | None] = {}
        self._trees: dict[str, str | None] = {}
        self._dirty = False
        try:
            loaded = json.loads(self._path.read_text(encoding="utf-8"))
            self._cache: dict[str, list[int | str]] = loaded if isinstance(loaded, dict) else {}
        except (OSError, ValueError):
            self._cache = {}

    def key(self, path: Path) -> str:
        """How a path is named in the manifest: relative inside the project, else absolute."""
        absolute = Path(os.path.abspath(path))
        return (absolute.relative_to(self.root).as_posix() if absolute.is_relative_to(self.root)
                else absolute.as_posix())

    def file(self, path: Path) -> str | None:
        """The hash of a file's bytes; None when it does not exist or is not a file. A link
        that leaves the allowed folders is hashed by its target's name, never opened."""
        absolute = Path(os.path.abspath(path))
        memo_key = str(absolute)
        if memo_key not in self._memo:
            self._memo[memo_key] = self._file(absolute)
        return self._memo[memo_key]

    def _file(self, path: Path, allowed: tuple[Path, ...] | None = None) -> str | None:
        allowed = allowed or self.allowed
        try:
            st = os.lstat(path)
        except OSError:
            return None
        if stat.S_ISLNK(st.st_mode):
            target = os.readlink(path)
            if not inside(path, allowed):
                return "link-outside:" + sha256(target.encode())
            try:
                st = os.stat(path)
            except OSError:
                return "link-broken:" + sha256(target.encode())
            prefix = "link:" + sha256(target.encode()) + ":"
        else:
            prefix = ""
        if not stat.S_ISREG(st.st_mode):
            return None
        sig: list[int | str] = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]
        cached = self._cache.get(str(path))
        if cached is not None and cached[:5] == sig and isinstance(cached[5], str):
            return prefix + cached[5]
        hashed_at = time.time_ns()
        try:
            with open_inside(path, allowed) as handle:
                digest = hashlib.file_digest(handle, "sha256").hexdigest()
        except OSError:
            return None
        if hashed_at - st.st_ctime_ns > RACY_NS:
            self._cache[str(path)] = [*sig, digest]
            self._dirty = True
        return prefix + digest

    def tree(self, folder: Path) -> str | None:
        """One hash of every file below a folder, with names: a file added, removed, renamed
        or edited changes it. Links to folders are recorded, not followed."""
        folder = Path(os.path.abspath(folder))
        if str(folder) not in self._trees:
            if not folder.is_dir() or folder.is_symlink():
                self._trees[str(folder)] = None
            else:
                digest = hashlib.sha256()
                for rel, value in self.tree_files(folder):
                    digest.update(f"{rel}\0{value}\n".encode())
                self._trees[str(folder)] = digest.hexdigest()
        return self._trees[str(folder)]

    def tree_files(self, folder: Path) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for dirpath, dirnames, filenames in os.walk(folder):
            here = Path(dirpath)
            kept = []
            for name in sorted(dirnames):
                sub = here / name
                if name in SKIP_DIRS or sub.resolve() == self.out_dir:
                    continue
                if sub.is_symlink():
                    found.append(((sub.relative_to(folder)).as_posix(),
                                  "dir-link:" + sha256(os.readlink(sub).encode())))
                    continue
                kept.append(name)
            dirnames[:] = kept
            for name in sorted(filenames):
                value = self.file(here / name)
                if value is not None:
                    found.append(((here / name).relative_to(folder).as_posix(), value))
        return sorted(found)

    def current(self, key: str) -> str | None:
        """The present hash for a manifest key."""
        kind, _, name = key.partition(":")
        path = Path(name) if Path(name).is_absolute() else self.root / name
        if kind == "file":
            return self.file(path)
        if kind == "tree":
            return self.tree(path)
        if kind == "font":
            return self.font(path)
        if kind == "code":
            return code_version()
        return None

    def font(self, path: Path) -> str | None:
        """A font the renderer uses. Fonts may live outside the project (the system's Noto
        fonts): each is allowed by its own folder, and only the files fonts.py names are
        recorded, so only they are ever opened."""
        absolute = Path(os.path.abspath(path))
        key = f"font:{absolute}"
        if key not in self._memo:
            self._memo[key] = self._file(absolute, (absolute.parent,))
        return self._memo[key]

    def font_reads(self) -> dict[str, str | None]:
        """`font:<path>` for every font file: recorded one by one, so that the no-op build
        can check them without importing fonts.py."""
        from ..theme.fonts import font_files  # lazy: the no-op build checks fonts without it

        return {f"font:{p}": self.font(p) for p in font_files()}

    def unchanged(self, recorded: Mapping[str, str | None]) -> bool:
        return all(self.current(key) == value for key, value in recorded.items())

    def changed(self, recorded: Mapping[str, str | None]) -> list[str]:
        return [key for key, value in recorded.items() if self.current(key) != value]

    def save(self) -> None:
        """Best effort: the cache only saves reading; losing it loses nothing."""
        if not self._dirty:
            return
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            # named as output.py's temporary files are, so an interrupted build's is cleaned
            tmp = self._path.with_name(f".{self._path.name}.{os.getpid()}."
                                       f"{secrets.token_hex(4)}.tmp")
            try:
                tmp.write_text(json.dumps(self._cache, separators=(",", ":")), encoding="utf-8")
                os.replace(tmp, self._path)
            finally:
                tmp.unlink(missing_ok=True)
            self._dirty = False
        except OSError:
            pass


def snapshot(root: Path, out_dir: Path, override: Path | None) -> tuple[str | None, ...]:
    """What `watch` and `serve` compare between two looks: every file of the project (output/
    and tool folders aside) and of --templates, so a logo, a house template folder or a
    per-brief template folder is seen as well as content."""
    digests = Digests(root, out_dir, [override] if override else [])
    snap = (digests.tree(root), digests.tree(override) if override else None)
    digests.save()
    return snap
