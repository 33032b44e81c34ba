"""The frozen model objects every stage after validation works with.

Each object remembers the file, line and column it came from, so any later stage (quote
verification, selection, rendering) can point the user at the exact place to fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

BLOCK_TYPES = (
    "context",
    "fact",
    "quote",
    "position",
    "event",
    "term",
    "question",
    "recommendation",
)

SOURCE_KINDS = (
    "news",
    "analysis",
    "opinion",
    "commentary",
    "think-tank paper",
    "report",
    "treaty",
    "government statement",
    "other",
)


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


@dataclass(frozen=True)
class Source:
    """A source article: its honest metadata and its verbatim text split into paragraphs."""

    id: str
    title: str | None
    label: str
    kind: str
    outlet: str | None
    authors: tuple[str, ...]
    editors: tuple[str, ...]
    published: str | None
    url: str | None
    accessed: str | None
    perspective: str
    notes: str | None
    paragraphs: tuple[str, ...]
    text_path: str
    origin: Origin
    short_title: str | None = None

    @property
    def display_title(self) -> str:
        """The title, or the editor's label in square brackets when the article has none."""
        return self.title if self.title else f"[{self.label}]"

    @property
    def missing(self) -> tuple[str, ...]:
        """Metadata the article does not state; shown as 'not stated', never invented."""
        absent = []
        if not self.authors:
            absent.append("author")
        if not self.outlet:
            absent.append("outlet")
        if not self.published:
            absent.append("date")
        if not self.url:
            absent.append("URL")
        if not self.title:
            absent.append("title")
        return tuple(absent)


@dataclass(frozen=True)
class CiteRef:
    """A block's claim that `quote` appears word for word in source `source_id`."""

    source_id: str
    quote: str
    origin: Origin


@dataclass(frozen=True)
class Citation:
    """A verified CiteRef: the quote was found, and where (paragraph numbers, 1-based)."""

    source: Source
    quote: str
    first_para: int
    last_para: int
    origin: Origin

    @property
    def locator(self) -> str:
        if self.first_para == self.last_para:
            return f"para {self.first_para}"
        return f"paras {self.first_para}\u2013{self.last_para}"


@dataclass(frozen=True)
class Block:
    """One typed content block. Type-specific fields are None where a type does not use them."""

    id: str
    type: str
    text: str | None
    cites: tuple[CiteRef, ...]
    origin: Origin
    title: str | None = None
    audiences: tuple[str, ...] | None = None
    wording: tuple[tuple[str, str], ...] = ()
    figure: str | None = None
    as_of: str | None = None
    words: str | None = None
    speaker: str | None = None
    role: str | None = None
    actor: str | None = None
    stance: str | None = None
    date: str | None = None
    term: str | None = None
    field_origins: tuple[tuple[str, Origin], ...] = ()

    def at(self, key: str) -> Origin:
        """Where one of this block's keys was written, for messages about that value."""
        return dict(self.field_origins).get(key, self.origin)

    def text_for(self, audience: str) -> str | None:
        """The audience-specific wording when there is one, else the block's text."""
        return dict(self.wording).get(audience, self.text)

    def suits(self, audience: str) -> bool:
        return self.audiences is None or audience in self.audiences


@dataclass(frozen=True)
class BlockRef:
    """A brief's mention of a block id, kept with its position for error messages."""

    id: str
    origin: Origin


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    blocks: tuple[BlockRef, ...]
    origin: Origin
    intro: str | None = None


@dataclass(frozen=True)
class Meeting:
    name: str
    date: str | None
    place: str | None


@dataclass(frozen=True)
class Brief:
    id: str
    title: str
    date: str
    audiences: tuple[str, ...]
    sections: tuple[Section, ...]
    origin: Origin
    subtitle: str | None = None
    author: str | None = None
    language: str | None = None  # None: the project config's language, else en-GB
    keywords: tuple[str, ...] = ()
    meeting: Meeting | None = None
    summary: tuple[BlockRef, ...] = ()
    about: str | None = None
    citation_style: tuple[tuple[str, str], ...] = ()
    templates: Path | None = None  # the brief's own template tree, first on the chain


@dataclass(frozen=True)
class Audience:
    """An audience is a template folder; `audience.yaml` inside it says how it cites and selects."""

    name: str
    label: str
    citation_style: str
    notes: str  # "footnotes", "endnotes" or "in-text"
    exclude_types: tuple[str, ...]
    template_dir: Path
    origin: Origin
    description: str | None = None


@dataclass(frozen=True)
class Content:
    """Everything loaded from a project, validated and cross-checked."""

    root: Path
    sources: dict[str, Source] = field(default_factory=dict)
    blocks: dict[str, Block] = field(default_factory=dict)
    briefs: dict[str, Brief] = field(default_factory=dict)
    audiences: dict[str, Audience] = field(default_factory=dict)
    citations: dict[str, tuple[Citation, ...]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
