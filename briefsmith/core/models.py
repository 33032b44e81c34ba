"""The frozen model objects every stage after validation works with.

Each object remembers the file, line and column it came from, so any later stage (quote
verification, selection, rendering) can point the user at the exact place to fix.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BriefsmithWarning
from .origin import Origin

BLOCK_TYPES = (
    "context",
    "fact",
    "quote",
    "position",
    "event",
    "term",
    "question",
    "recommendation",
    "figure",  # a project image with alt text, caption and cited credit (briefsmith/figures.py)
    "chart",  # a bar or line chart of cited values (briefsmith/charts.py)
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
VOICE_TYPES = ("position", "quote")  # the block types that voice a perspective

# CSL 1.0.2's item types: what a source is to a citation style (`csl_type:`), when its `kind`
# (the editor's judgement) does not say it (a report, a web page, a journal article, a chapter).
CSL_TYPES = (
    "article", "article-journal", "article-magazine", "article-newspaper", "bill", "book",
    "broadcast", "chapter", "classic", "collection", "dataset", "document", "entry",
    "entry-dictionary", "entry-encyclopedia", "event", "figure", "graphic", "hearing",
    "interview", "legal_case", "legislation", "manuscript", "map", "motion_picture",
    "musical_score", "pamphlet", "paper-conference", "patent", "performance", "periodical",
    "personal_communication", "post", "post-weblog", "regulation", "report", "review",
    "review-book", "software", "song", "speech", "standard", "thesis", "treaty", "webpage",
)
# The bibliographic details a source may state for its citation style, in the order a source
# file lists them (docs/content-format.md): the source key; render/csl.py names each for CSL.
SOURCE_DETAILS = ("place", "volume", "issue", "pages", "number", "edition", "series", "genre",
                  "doi", "isbn")
NAME_PARTS = ("family", "given", "particle", "dropping_particle", "suffix", "literal")


def relpath(path: Path, root: Path) -> str:
    """A path as the user should see it: relative to the project when it is inside it (as
    written, so a link is named by where it is, not by where it leads)."""
    written, base = os.path.abspath(path), os.path.abspath(root)
    if written.startswith(base.rstrip(os.sep) + os.sep):  # the common case: no stat calls
        return Path(written).relative_to(base).as_posix()
    real, real_base = path.resolve(), root.resolve()  # only when written outside: a link
    if real.is_relative_to(real_base):
        return real.relative_to(real_base).as_posix()
    return str(path)


def para_locator(*spans: tuple[int, int], words: tuple[str, str] = ("para", "paras")) -> str:
    """The one way a paragraph pinpoint is written (1-based, as the source text is numbered):
    'para 4', 'paras 6\u20137' for a passage over a break, 'paras 4, 7' for several. `words`:
    the label for one paragraph and for more (csl.py gives pandoc the words it reads)."""
    ordered = sorted(set(spans))
    parts = [str(a) if a == b else f"{a}\u2013{b}" for a, b in ordered]
    single = len(ordered) == 1 and ordered[0][0] == ordered[0][1]
    return f"{words[0] if single else words[1]} " + ", ".join(parts)


@dataclass(frozen=True)
class Name:
    """An author's or editor's name as the source file gives it: `literal`, a name written
    whole (an organisation, or anything whose parts are not stated), or a person's parts, so
    that a citation style can invert and abbreviate it without guessing where it splits."""

    family: str | None = None
    given: str | None = None
    particle: str | None = None  # CSL's non-dropping particle: "van der" in "van der Berg"
    dropping_particle: str | None = None  # CSL's dropping particle: "de" in "Charles de Gaulle"
    suffix: str | None = None  # "Jr.", "III"
    literal: str | None = None

    @property
    def shown(self) -> str:
        """The name as written, given name first: how the brief itself shows it."""
        if self.literal is not None:
            return self.literal
        return " ".join(p for p in (self.given, self.dropping_particle, self.particle,
                                    self.family, self.suffix) if p)

    def __str__(self) -> str:
        return self.shown


@dataclass(frozen=True)
class Source:
    """A source article: its honest metadata and its verbatim text split into paragraphs."""

    id: str
    title: str | None
    label: str
    kind: str
    outlet: str | None
    authors: tuple[Name, ...]
    editors: tuple[Name, ...]
    published: str | None
    url: str | None
    accessed: str | None
    perspective: str | None  # None: not described yet, allowed while no block cites it
    notes: str | None
    paragraphs: tuple[str, ...]
    text_path: str
    origin: Origin
    short_title: str | None = None
    viewpoint: str | None = None  # an id from the project's `perspectives` (briefsmith.yaml)
    viewpoint_at: Origin | None = None
    csl_type: str | None = None  # None: the type follows from `kind` (render/csl.py)
    publisher: str | None = None
    language: str | None = None  # the article's language, a BCP 47 tag such as "fr"
    details: tuple[tuple[str, str], ...] = ()  # (key of SOURCE_DETAILS, value), in that order
    has_text: bool = True  # False: no .txt yet, allowed while no block cites the source

    @property
    def doi(self) -> str | None:
        return dict(self.details).get("doi")

    @property
    def shown_authors(self) -> tuple[str, ...]:
        return tuple(n.shown for n in self.authors)

    @property
    def shown_editors(self) -> tuple[str, ...]:
        return tuple(n.shown for n in self.editors)

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
        if not self.outlet and not self.publisher:
            absent.append("outlet")
        if not self.published:
            absent.append("date")
        if not self.url and not self.doi:
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
        return para_locator((self.first_para, self.last_para))


@dataclass(frozen=True)
class Value:
    """A fact's value in a form two facts can be compared by (issue 9, conflicting figures).

    `kind` "number": `number` (a decimal as text, e.g. "1200"), `bound` how the source hedges
    it ("below", "above", "approximate" or "exact"), `qualifier` the word it used ("nearly"),
    `unit` ("boats", "%", or None). `kind` "set": `members`, names as the editor writes them.
    `written`: the value as shown in reports and briefs ("about 1,200 boats").
    """

    kind: str
    written: str
    number: str | None = None
    bound: str = "exact"
    qualifier: str | None = None
    unit: str | None = None
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChartPoint:
    """One value of a chart: its label on the axis, its value (the fact `value` forms) and the
    passage that states it, so a chart is verified number by number like a fact."""

    label: str
    value: Value
    cite: CiteRef
    origin: Origin


@dataclass(frozen=True)
class Resolution:
    """An editor's decision about sources that differ on a claim (content/resolutions.yaml):
    `prefer` a block and say why in `note`, or `accept` the difference with a note saying why
    it stands. Never made automatically. `as_of`: only the conflict of that period."""

    claim: str
    origin: Origin
    as_of: str | None = None
    prefer: str | None = None
    note: str | None = None
    accept: str | None = None


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
    claim: str | None = None  # fact: what it measures, shared by facts about the same thing
    value: Value | None = None  # fact with a claim: the value, comparable with the others
    scope: str | None = None  # fact: where or whom the value covers ("worldwide")
    # position/quote: whose perspective it voices; None: that of the sources it cites
    viewpoint: str | None = None
    # the editor's own inference or framing, which the passages do not state: shown labelled
    # in every audience and never held to the passages by the fidelity check
    inference: str | None = None
    # figure and chart: the text alternative and the caption, both plain text
    alt: str | None = None
    caption: str | None = None
    image: str | None = None  # figure: a project-relative path under content/
    credit: str | None = None  # figure: who made the image, verbatim in a cited passage
    image_url: str | None = None  # figure: the checked image as a data: URL (figures.py)
    chart: str | None = None  # chart: "bar" or "line"
    axis: str | None = None  # chart: the value axis label ("people")
    points: tuple[ChartPoint, ...] = ()  # chart: the values, each with its own cite

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
    balance_note: str | None = None  # why the section shows fewer perspectives than asked


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
    contract: Contract | None = None


@dataclass(frozen=True)
class Contract:
    """What an audience promises its readers (`contract:` in audience.yaml), checked by `check`
    (and the page budget by the build). `rules`: rule name → where it is written, so that a
    broken rule can name its line beside the brief's."""

    parts: tuple[str, ...] = ()
    forbid_types: tuple[str, ...] = ()
    pages: int | None = None
    define_acronyms: bool = False
    acronyms_allowed: tuple[str, ...] = ()
    max_grade: float | None = None
    min_perspectives: int | None = None
    rules: tuple[tuple[str, Origin], ...] = ()

    def rule(self, name: str) -> str:
        """`templates/x/audience.yaml:7`: the line a message names as the rule broken."""
        where = dict(self.rules).get(name)
        return f"{where.path}:{where.line}" if where else "audience.yaml"


@dataclass(frozen=True)
class Content:
    """Everything loaded from a project, validated and cross-checked."""

    root: Path
    sources: dict[str, Source] = field(default_factory=dict)
    blocks: dict[str, Block] = field(default_factory=dict)
    briefs: dict[str, Brief] = field(default_factory=dict)
    audiences: dict[str, Audience] = field(default_factory=dict)
    citations: dict[str, tuple[Citation, ...]] = field(default_factory=dict)
    warnings: tuple[BriefsmithWarning, ...] = ()
    resolutions: tuple[Resolution, ...] = ()  # content/resolutions.yaml
