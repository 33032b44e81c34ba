"""The small family of errors Briefsmith raises (the CLI is the only place that catches them),
and the one kind of warning every stage returns.

Every error and warning carries the place (file, line, column) it is about, so its one-line
message reads `path:line:col: what is wrong and what to do`. A warning is data, not a string:
the command line, the live preview and the JSON outputs print the same three parts.
"""

from __future__ import annotations

import traceback
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from .origin import Origin


def printable(text: str, limit: int = 160) -> str:
    """Echo user input safely: control, bidi and zero-width characters become visible escapes."""
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch in "\t\n":
            out.append(" ")
        elif cat in ("Cc", "Cf", "Cs", "Co", "Cn") or ch in "\u2028\u2029":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    s = "".join(out)
    return s if len(s) <= limit else s[: limit - 1] + "\u2026"


def frames(tb: TracebackType | None) -> list[tuple[str, int]]:
    """(file, line) of every frame of a traceback, outermost first: the one walk over a
    traceback, for the template line an error is at and for where an unexpected one began."""
    return [(frame.f_code.co_filename, line) for frame, line in traceback.walk_tb(tb)]


# What a warning is about, so that a reader (or a tool) can sort and filter them.
WARNING_KINDS = (
    "metadata",  # a source does not state its author, outlet, date, URL or title
    "source",  # a source no block cites yet lacks its perspective or viewpoint
    "empty-file",  # a content file holds nothing
    "audience",  # an audience folder no brief lists
    "template",  # an override names a block its parent no longer has
    "renderer",  # what the PDF renderer logged that is not an error
    "encoding",  # how a saved page's bytes were decoded (ingest)
    "fidelity",  # prose that says more than, or other than, its passages
    "conflict",  # sources that differ about one claim, unresolved
    "resolution",  # a resolution that no longer matches the facts it resolves
    "contract",  # an audience's promise a brief does not keep
    "acronym",  # an acronym used before it is defined
    "reading-level",  # prose harder than the audience's reading level
)


@dataclass(frozen=True)
class BriefsmithWarning:
    """A finding that does not stop a build. `message` is what is wrong and what to do, without
    the place; `kind` is one of WARNING_KINDS; `audience`, the one audience it concerns, if
    only one (a build for other audiences does not print it)."""

    origin: Origin
    message: str
    kind: str
    audience: str | None = None

    def __post_init__(self) -> None:
        assert self.kind in WARNING_KINDS, self.kind

    def __str__(self) -> str:
        return f"{self.origin}: warning: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.origin.path, "line": self.origin.line or None,
                "column": self.origin.col or None, "kind": self.kind, "message": self.message,
                "audience": self.audience}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BriefsmithWarning:
        """The inverse of as_dict, for warnings kept in a cache between runs."""
        origin = Origin(str(data["file"]), int(data["line"] or 0), int(data["column"] or 0))
        audience = data.get("audience")
        return cls(origin, str(data["message"]), str(data["kind"]),
                   None if audience is None else str(audience))


class BriefsmithError(Exception):
    """Base of every error a user can act on."""

    # The traceback of an unexpected exception this error stands for, shown with --debug: the
    # one line says what failed, the traceback is for the bug report.
    detail: str | None = None

    def __init__(self, message: str, origin: Origin | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.origin = origin

    def __str__(self) -> str:
        return f"{self.origin}: {self.message}" if self.origin else self.message

    def __reduce__(self) -> tuple[object, ...]:
        # Errors travel back from render worker processes; keep their origin (and traceback)
        # on the way.
        return (type(self), (self.message, self.origin), {"detail": self.detail})

    def at(self, origin: Origin | None) -> BriefsmithError:
        """This error placed at `origin` when it has no place of its own (its traceback kept)."""
        if self.origin is not None:
            return self
        placed = type(self)(self.message, origin)
        placed.detail = self.detail
        return placed

    def lines(self, debug: bool = False) -> list[str]:
        """One line; with `debug`, followed by the traceback it keeps, if any."""
        return [str(self), *(self.detail.rstrip("\n").splitlines() if debug and self.detail
                             else ())]


class ContentError(BriefsmithError):
    """A YAML file, a source text or a reference between them is wrong."""


class CitationError(BriefsmithError):
    """A quote does not verify against its source, or cannot be formatted."""


class TemplateError(BriefsmithError):
    """A template is missing, has a syntax error or uses an undefined variable."""


class RenderError(BriefsmithError):
    """The renderer refused a resource, lacked a glyph or otherwise failed."""


class OutputError(BriefsmithError):
    """Output could not be written safely (lock held, disk error)."""


class Problems(BriefsmithError):
    """Several errors found in one pass: reported together, then the command stops once."""

    def __init__(self, errors: Iterable[BriefsmithError]) -> None:
        self.errors = sorted(errors, key=lambda e: (e.origin or Origin(""), e.message))
        super().__init__(f"{len(self.errors)} problem(s)")

    def __reduce__(self) -> tuple[object, ...]:
        return (Problems, (self.errors,))

    def at(self, origin: Origin | None) -> BriefsmithError:
        return self  # each of its errors has its own place

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def lines(self, debug: bool = False) -> list[str]:
        return [line for e in self.errors for line in e.lines(debug)]


class Collector:
    """Gathers errors during a stage so the user sees every problem, not just the first."""

    def __init__(self) -> None:
        self.errors: list[BriefsmithError] = []

    def add(self, error: BriefsmithError) -> None:
        self.errors.append(error)

    def extend(self, errors: Iterable[BriefsmithError]) -> None:
        self.errors.extend(errors)

    def __bool__(self) -> bool:
        """True once an error was added (an empty Collector must not read as a problem)."""
        return bool(self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise Problems(self.errors)
