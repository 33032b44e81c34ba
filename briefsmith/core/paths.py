"""The project boundary: a file is opened only when its real location is inside an allowed
folder (the project, a named template folder, the package's own assets).

In: a path and the allowed folders. Out: an open binary file, or `OutsideProject` before
anything is opened. A link is resolved without opening it (the kernel reads links, not files),
and the resolved file is then opened with O_NOFOLLOW, so a link swapped in between is refused
rather than followed; `decode_utf8` reads what was opened as text, or says where it is not
UTF-8. Nothing beyond the standard library and core/errors.py: the no-op build imports this.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable
from pathlib import Path

from .errors import ContentError
from .models import Origin

PACKAGE_ASSETS = Path(__file__).resolve().parent.parent / "assets"


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


def decode_utf8(raw: bytes, rel: str) -> str:
    """Decode a file's bytes, or say on which line and column the first bad byte is."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        line = raw[: exc.start].count(b"\n") + 1
        col = len(raw[line_start : exc.start].decode("utf-8", errors="replace")) + 1
        raise ContentError(
            f"byte 0x{raw[exc.start]:02X} is not valid UTF-8: save the file as UTF-8 "
            "(in most editors: Save As, Encoding: UTF-8)",
            Origin(rel, line, col),
        ) from exc
