"""Compiled templates, kept in memory for the life of a process and on disk between builds.

Compiling is most of the cost of a render, and every render makes a fresh environment (so that
`used` records each one's own files): without the memory layer, `check` would compile the same
few files again for every brief, audience and format. Render workers are forked, so what the
parent compiled before (in `serve`, the builds before) is already there for them. The disk
layer (`<output>/.cache/templates/`) spares each new process the compiling: about a tenth of
a one-brief build's CPU time, spread over its three processes. A build keeps it only in an
output folder that existed before it started (the first build into a new folder compiles
without keeping), because a failed build must leave behind no folder it made. `check` reads
them and writes none, as with its other caches (quotecache.py).

Jinja keys each entry by template name and file and checks the source's checksum, so an edited
file is compiled again. What is read from disk is Python code, so it is trusted only when this
user's key signs it (HMAC-SHA256 over the compiling environment's options, the entry's name
and its bytes): a `.cache/` folder that came with someone else's project, or was tampered
with, is compiled afresh instead of run; a link or anything but a regular file is not read.
The key lives in a 0700 folder of the user's cache folder (font_instances.cache_root), never
in a project; without a key this user alone can read, only the memory layer is used.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import os
import secrets
import stat
import tempfile
from pathlib import Path
from types import CodeType

import jinja2
import jinja2.bccache

from .font_instances import cache_root

KEY_NAME = "template-cache-key"
MAX_BYTES = 8_000_000  # a compiled template is tens of kilobytes; a bigger file is ignored
MAC_BYTES = 32


def _options(env: jinja2.Environment) -> bytes:
    """What compiled code depends on besides its source and Jinja's version (which Jinja's own
    header carries): the options of the environment that compiled it, and the filters and
    tests it knew (an unknown one is an error when compiling)."""
    settings = (env.block_start_string, env.block_end_string, env.variable_start_string,
                env.variable_end_string, env.comment_start_string, env.comment_end_string,
                env.line_statement_prefix, env.line_comment_prefix, env.trim_blocks,
                env.lstrip_blocks, env.newline_sequence, env.keep_trailing_newline,
                env.optimized, repr(env.autoescape), repr(env.undefined), env.is_async,
                sorted(env.extensions), sorted(env.filters), sorted(env.tests))
    return hashlib.sha256(repr(settings).encode()).digest()


def _user_key() -> bytes | None:
    """This user's signing key, made once: None if it cannot be made or others could read or
    replace it (a shared temporary folder)."""
    # a folder of its own, made 0700 whatever the umask (002 makes the cache folder
    # group-writable, which would turn the disk layer off)
    path = cache_root() / "private" / KEY_NAME
    try:
        if not path.exists():
            path.parent.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileExistsError):
                path.parent.mkdir(mode=0o700)
            fd, tmp = tempfile.mkstemp(prefix=f".{KEY_NAME}.", dir=path.parent)  # 0600
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(secrets.token_bytes(32))
                with contextlib.suppress(FileExistsError):  # another process made it first
                    os.link(tmp, path)
            finally:
                os.unlink(tmp)
        info, folder = path.lstat(), path.parent.stat()
        mine = info.st_uid == os.getuid() and folder.st_uid == os.getuid()
        if (not stat.S_ISREG(info.st_mode) or not mine or info.st_mode & 0o077
                or folder.st_mode & 0o077):
            return None
        key = path.read_bytes()
    except OSError:
        return None
    return key if len(key) == 32 else None


def _read_regular(path: Path) -> bytes | None:
    """The file's bytes if it is a regular file, not a link (a project can bring its own
    `.cache/`: a link to a file outside, or a FIFO that would block the build, is not read)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        with os.fdopen(os.dup(fd), "rb") as handle:
            return handle.read(MAX_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)


class CompiledTemplates(jinja2.BytecodeCache):
    """Jinja's bytecode cache: the memory layer, then (once `keep_in` named a folder) the disk."""

    LIMIT = 256  # `watch` runs many builds in one process; keep only recent versions

    def __init__(self) -> None:
        self.entries: dict[str, tuple[str, CodeType]] = {}
        self.folder: Path | None = None
        self.writable = False

    def keep_in(self, folder: Path | None, writable: bool = True) -> None:
        """Read compiled templates in `folder` from now on, and write them there if `writable`
        (None: memory only)."""
        self.folder, self.writable = folder, writable

    @functools.cached_property
    def _signing_key(self) -> bytes | None:
        return _user_key()

    @staticmethod
    def _mac(key: bytes, bucket: jinja2.bccache.Bucket, data: bytes) -> bytes:
        message = b"\0".join((_options(bucket.environment), bucket.key.encode(), data))
        return hmac.new(key, message, hashlib.sha256).digest()

    def _from_disk(self, bucket: jinja2.bccache.Bucket) -> None:
        if self.folder is None or (key := self._signing_key) is None:
            return
        raw = _read_regular(self.folder / f"{bucket.key}.jinja")
        if raw is None:
            return
        mac, data = raw[:MAC_BYTES], raw[MAC_BYTES:]
        if len(raw) > MAX_BYTES or not hmac.compare_digest(mac, self._mac(key, bucket, data)):
            return  # not signed by this user: compiled afresh (and the file replaced)
        bucket.bytecode_from_string(data)  # checks Jinja's header and the source's checksum

    def _to_disk(self, bucket: jinja2.bccache.Bucket) -> None:
        if not self.writable or self.folder is None or (key := self._signing_key) is None:
            return
        data = bucket.bytecode_to_string()
        tmp = None
        try:  # no fsync: a file lost or torn in a crash fails its signature and is compiled again
            # never the output folder itself: a build that fails leaves none behind
            self.folder.parent.mkdir(exist_ok=True)
            self.folder.mkdir(exist_ok=True)
            # named as output.remove_stale_temp knows Briefsmith's own temporary files
            fd, tmp = tempfile.mkstemp(prefix=f".{bucket.key}.jinja.{os.getpid()}.",
                                       suffix=".tmp", dir=self.folder)
            with os.fdopen(fd, "wb") as handle:
                handle.write(self._mac(key, bucket, data) + data)
            os.replace(tmp, self.folder / f"{bucket.key}.jinja")
            tmp = None
        except OSError:
            pass  # only an optimisation: the next process compiles again
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        checksum, code = self.entries.get(bucket.key, ("", None))
        if code is not None and checksum == bucket.checksum:
            bucket.code = code
            return
        self._from_disk(bucket)
        if bucket.code is not None:
            self._remember(bucket.key, bucket.checksum, bucket.code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.code is None:
            return
        self._remember(bucket.key, bucket.checksum, bucket.code)
        self._to_disk(bucket)

    def _remember(self, key: str, checksum: str, code: CodeType) -> None:
        self.entries.pop(key, None)
        self.entries[key] = (checksum, code)
        while len(self.entries) > self.LIMIT:
            del self.entries[next(iter(self.entries))]


COMPILED = CompiledTemplates()
