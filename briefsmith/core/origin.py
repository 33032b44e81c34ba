"""Where a value was written: the one piece of the model that errors and warnings carry too.

In: a project-relative path, a line and a column. Out: `Origin`, printed as `path:line:col`.
Apart from models.py so that errors.py can name a place without importing the model.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Origin:
    """Where a value was written: a project-relative path and 1-based line and column."""

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        # a file name is input too: escape bidi and control characters as messages do
        path = "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in self.path)
        if self.line <= 0:
            return path
        if self.col <= 0:
            return f"{path}:{self.line}"
        return f"{path}:{self.line}:{self.col}"
