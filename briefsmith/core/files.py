"""Writing files so that nothing good is ever lost: the last stage of a build, and every other
place Briefsmith writes (caches, imported sources, charts, reports).

In: bytes and the path they belong at (for a build, every output and the manifest). Out: those
files on disk, all of them or (on an error) none.

Each file is written to a temporary file in the same folder, flushed to disk and renamed over
the old one, so a crash leaves either the old file or the new one, never a truncated mix. One
build at a time holds an exclusive lock on the output folder. Ctrl-C and SIGTERM wait until the
file being replaced is in place, so an interrupted build can say exactly which files are new.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from .errors import OutputError
from .models import Origin

LOCK_NAME = ".briefsmith.lock"
# Temporary files Briefsmith itself writes, each naming the process that writes it:
# `.<file name>.<pid>.<random>.tmp` (write_atomic) and `<hash>.<pid>.tmp` (the caches of
# earlier versions, which wrote their own).
_OWN_TEMP = re.compile(r"\..+\.(\d+)\.[a-z0-9_]{8}\.tmp|[0-9a-f]{64}\.(\d+)\.tmp")
# The signals that stop a build: Ctrl-C and the polite kill of a service manager or CI runner.
INTERRUPTS = frozenset({signal.SIGINT, signal.SIGTERM})
_RECORDS: list[list[Path]] = []  # one list per active recording_writes()


@contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM back until the block is done (they arrive right after it): for
    steps that must not be cut in half, such as replacing a file and noting that it was."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, INTERRUPTS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


@contextmanager
def recording_writes() -> Iterator[list[Path]]:
    """Every file write_all puts in place while the block runs, in order. The CLI uses it to
    say truthfully how many outputs an interrupted build had already replaced."""
    record: list[Path] = []
    _RECORDS.append(record)
    try:
        yield record
    finally:
        _RECORDS.remove(record)


@contextmanager
def build_lock(out_dir: Path) -> Iterator[None]:
    """Held while a build renders and writes. A build that fails leaves no output folder it
    made itself: what `check` finds is now found under the lock (pipeline.build runs it beside
    the renders), and a failed build writes nothing, not even an empty folder."""
    created = not out_dir.exists()
    path = out_dir / LOCK_NAME
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as exc:  # a read-only folder, a file in its place, a missing parent
        raise OutputError(f"cannot write to the output folder ({exc.strerror}): make it a folder "
                          "you can write to, or give another with --out",
                          Origin(str(out_dir))) from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise OutputError(
                "another build is writing to this output folder: wait for it to finish and "
                "run the build again", Origin(str(path))) from exc
        try:
            yield
        except BaseException:
            # still locked: a build that opens the lock file now fails at once, and one that
            # makes a new one makes the folder non-empty, so it is left alone
            if created and [p.name for p in out_dir.iterdir()] == [LOCK_NAME]:
                path.unlink(missing_ok=True)
                with contextlib.suppress(OSError):
                    out_dir.rmdir()
            raise
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    import tempfile  # here, not at the top: the no-op build imports this module and writes nothing

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp",
                               dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are meant to be shared
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def create_new(path: Path, data: bytes) -> None:
    """A file the user's own files must never be confused with: created only if nothing is at
    `path`, not even a dangling link (FileExistsError), and removed again if the write fails,
    so that the next attempt is not refused by a half-written file."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
                 | getattr(os, "O_CLOEXEC", 0), 0o644)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # this process writes nothing else while it holds the lock
    if pid <= 0:
        return True  # not a name Briefsmith gives: leave the file alone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def remove_stale_temp(out_dir: Path) -> list[Path]:
    """Delete the temporary files that a build killed mid-write (power cut, SIGKILL, OOM) left
    behind. Only Briefsmith's own, and only those whose writing process is gone: a report or a
    citation cache entry being written by another live process is left alone."""
    removed = []
    for path in out_dir.rglob("*.tmp"):
        match = _OWN_TEMP.fullmatch(path.name)
        if match is None or path.is_symlink() or not path.is_file():
            continue
        if _alive(int(match.group(1) or match.group(2))):
            continue
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        removed.append(path)
    return removed


def write_all(out_dir: Path, files: dict[Path, bytes], *, locked: bool = False) -> None:
    """Write every output atomically under the build lock (taken here unless the caller holds
    it already), after clearing stale temporary files of dead builds. An interrupt stops the
    loop between two files, never inside one: each file is the old one or the new one."""
    with nullcontext() if locked else build_lock(out_dir):
        remove_stale_temp(out_dir)
        for rel, data in files.items():
            target = out_dir / rel
            with signals_deferred():
                try:
                    write_atomic(target, data)
                except OSError as exc:
                    raise OutputError(f"cannot write output: {exc.strerror}",
                                      Origin(str(target))) from exc
                for record in _RECORDS:
                    record.append(target)


def cached(path: Path, make: Callable[[], bytes], signature: bytes, *,
           write: bool = True) -> bytes:
    """The bytes kept at `path` (a file of a cache folder under output/.cache/, named by the
    hash of what makes it), or made and kept there: read only from a regular file that starts
    with `signature`, written only (with `write`) when output/.cache/ exists and the folder is
    no link, atomically, so a reader never sees half a file."""
    if path.is_file() and not path.is_symlink():
        found = path.read_bytes()
        if found.startswith(signature):
            return found
    data = make()
    if write and path.parent.parent.is_dir() and not path.parent.is_symlink():
        write_atomic(path, data)
    return data
