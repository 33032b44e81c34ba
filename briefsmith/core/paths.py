"""The project boundary: a file is opened only when its real location is inside an allowed
folder (the project, a named template folder, the package's own assets).

In: a path and the allowed folders. Out: an open binary file, or `OutsideProject` before
anything is opened. A link is resolved without opening it (the kernel reads links, not files),
and the resolved file is then opened with O_NOFOLLOW, so a link swapped in between is refused
rather than followed. Only the standard library is used: the no-op build imports this.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable
from pathlib import Path

PACKAGE_ASSETS = Path(__file__).resolve().parent / "assets"


class OutsideProject(OSError):
    """The path, or a link on the way to it, leads outside every allowed folder."""


def inside(path: Path, allowed: Iterable[Path]) -> bool:
    return _within(Path(os.path.realpath(path)), allowed)


def _within(real: Path, allowed: Iterable[Path]) -> bool:
    return any(real.is_relative_to(os.path.realpath(folder)) for folder in allowed)


def open_inside(path: Path, allowed: Iterable[Path]) -> io.BufferedReader:
    real = Path(os.path.realpath(path))  # resolved once: a check of `real` must not resolve again
    if not _within(real, (*allowed, PACKAGE_ASSETS)):
        raise OutsideProject(f"{path} leads outside the project (to {real})")
    fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    return os.fdopen(fd, "rb")


def read_inside(path: Path, allowed: Iterable[Path], limit: int | None = None) -> bytes:
    """The bytes of a file inside the allowed folders; with `limit`, at most limit + 1 bytes,
    so a caller can refuse a huge file without reading all of it."""
    with open_inside(path, allowed) as handle:
        return handle.read() if limit is None else handle.read(limit + 1)
