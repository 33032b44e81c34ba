"""Stage 5: render one selection to a complete HTML document with Jinja2.

In: a selection (one brief's blocks for one audience), its template chain, the verified
citations and the citation style. Out: the output's complete HTML (`render_html`), citations
formatted and filled in.

Templates are the user's own code; content is not. Autoescape is on, undefined variables are
errors, and content is only ever passed as data, never compiled as a template.

Citations need two passes: the template decides where each block (and so each citation) appears,
and note numbers must follow that order. The first pass leaves placeholders; the CSL processor
formats the citations in the order the placeholders occur; the second pass fills them in.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from .. import __version__
from ..content.config import Config
from ..content.markup import MarkupLimitError, inline_html, markdown_html
from ..content.select import Selection
from ..core.errors import ContentError, TemplateError
from ..core.formats import FORMATS
from ..core.models import Block, Brief, Citation, Content, Origin, Source, relpath
from ..evidence.conflicts import Finding, notes_by_block
from ..theme.templates import ENTRY, TemplateChain, code_at, syntax_error, template_frame
from .charts import ACCENT, INK, NOT_DRAWN, Colours, chart_url
from .csl import Formatted, find_pandoc, format_citations
from .page_fonts import with_fonts

_PLACEHOLDER = re.compile(r'<bs-cite n="(\d+)"></bs-cite>')
_NOTES = "<bs-notes></bs-notes>"
_BIBLIOGRAPHY = "<bs-bibliography></bs-bibliography>"


def display_date(value: str | None) -> str | None:
    """'2026-11-23' → '23 November 2026'; partial dates keep their precision ('March 2025')."""
    if not value:
        return None
    parts = [int(p) for p in value.split("-")]
    if len(parts) == 3:
        day = dt.date(*parts)
        return f"{day.day} {day:%B %Y}"
    if len(parts) == 2:
        return f"{dt.date(parts[0], parts[1], 1):%B %Y}"
    return str(parts[0])


@dataclass(frozen=True)
class BlockView:
    id: str
    type: str
    anchor: str
    title: str | None
    html: Markup
    inline: Markup
    figure: str | None
    as_of: str | None
    words: str | None
    speaker: str | None
    role: str | None
    actor: str | None
    stance: str | None
    date: str | None
    date_iso: str | None
    term: str | None
    sources: tuple[str, ...]
    claim: str | None = None
    value: str | None = None
    scope: str | None = None
    conflict: ConflictView | None = None
    inference: str | None = None  # the editor's own reading: always shown, always labelled
    alt: str | None = None  # figure, chart: the text alternative
    caption: str | None = None  # figure, chart
    credit: str | None = None  # figure: verbatim from a cited passage
    image: str | None = None  # figure, chart: a data: URL (the chart drawn as SVG)
    chart: str | None = None  # chart: "bar" or "line"
    axis: str | None = None  # chart: the value axis label
    rows: tuple[ChartRow, ...] = ()  # chart: its data table, one row per value


@dataclass(frozen=True)
class ChartRow:
    """One value of a chart as its data table shows it, with the passage that states it."""

    label: str
    value: str
    source: str  # the source's title (or [label])
    pinpoint: str  # "para 6"


@dataclass(frozen=True)
class SideView:
    """One source's account in a "sources differ" note. `id` is the block's, so `cite(side)`
    gives that block's citation like any other cited text."""

    id: str
    sources: tuple[str, ...]
    value: str
    as_of: str | None
    scope: str | None


@dataclass(frozen=True)
class ConflictView:
    """Facts of one claim that the sources state incompatibly (briefsmith/conflicts.py), shown
    next to each side in every audience: the reader is told, with each source named."""

    claim: str
    status: str  # "unresolved", "accepted" or "preferred"
    as_of: str | None
    sides: tuple[SideView, ...]
    preferred: SideView | None
    note: str | None
    first: bool  # this is the first block of the output that shows it: the full note goes here
    first_anchor: str  # `block-<id>` of that first block


@dataclass(frozen=True)
class SectionView:
    number: int
    id: str
    title: str
    intro: Markup | None
    blocks: tuple[BlockView, ...]
    balance_note: Markup | None = None


@dataclass(frozen=True)
class SourceView:
    id: str
    title: str | None
    label: str
    display_title: str
    kind: str
    outlet: str | None
    authors: tuple[str, ...]  # each name as written, given name first
    editors: tuple[str, ...]
    published: str | None
    url: str | None
    accessed: str | None
    perspective: str
    notes: str | None
    missing: tuple[str, ...]
    publisher: str | None = None
    doi: str | None = None


@dataclass(frozen=True)
class MeetingView:
    name: str
    date: str | None
    date_iso: str | None
    place: str | None


@dataclass(frozen=True)
class BriefView:
    id: str
    title: str
    subtitle: str | None
    date: str
    date_iso: str
    author: str | None
    language: str
    keywords: tuple[str, ...]
    meeting: MeetingView | None
    about: Markup | None


@dataclass(frozen=True)
class AudienceView:
    name: str
    label: str
    description: str | None
    notes: str
    citation_style: str


@dataclass
class _CiteRecorder:
    """Hands out placeholders during the first pass and remembers what each one cites."""

    citations: dict[str, tuple[Citation, ...]]
    occurrences: list[tuple[Citation, ...]] = field(default_factory=list)

    def cite(self, block: BlockView) -> Markup:
        found = self.citations.get(block.id, ())
        if not found:
            return Markup("")
        self.occurrences.append(found)
        return Markup(f'<bs-cite n="{len(self.occurrences) - 1}"></bs-cite>')


def _markdown(text: str | None, origin: Origin, inline: bool = False) -> Markup:
    if not text:
        return Markup("")
    try:
        return inline_html(text) if inline else markdown_html(text)
    except MarkupLimitError as exc:
        raise ContentError(f"{exc}: simplify the text", origin) from exc


def block_view(block: Block, audience: str, citations: tuple[Citation, ...],
               conflict: ConflictView | None = None, charts: Path | None = None,
               draw: bool = True, colours: Colours = (INK, ACCENT)) -> BlockView:
    """`charts`: the folder of drawn charts (output/.cache/charts), read and filled; without
    `draw`, a chart's picture is a blank stand-in (check's dry render, which reads no pixels).
    `colours`: the house style's ink and accent, which a chart is drawn in."""
    text = block.text_for(audience)
    where = block.at("wording") if text != block.text else block.at("text")
    return BlockView(
        id=block.id, type=block.type, anchor=f"block-{block.id}", title=block.title,
        html=_markdown(text, where), inline=_markdown(text, where, inline=True),
        figure=block.figure, as_of=display_date(block.as_of), words=block.words,
        speaker=block.speaker, role=block.role, actor=block.actor, stance=block.stance,
        date=display_date(block.date), date_iso=block.date, term=block.term,
        sources=tuple(dict.fromkeys(c.source.id for c in citations)),
        claim=block.claim, value=block.value.written if block.value else None,
        scope=block.scope, conflict=conflict, inference=block.inference,
        alt=block.alt, caption=block.caption, credit=block.credit,
        image=block.image_url or ((chart_url(block, charts, colours=colours) if draw
                                   else NOT_DRAWN)
                                  if block.type == "chart" else None),
        chart=block.chart, axis=block.axis, rows=_chart_rows(block, citations),
    )


def _chart_rows(block: Block, citations: tuple[Citation, ...]) -> tuple[ChartRow, ...]:
    found = {(c.source.id, c.quote): c for c in citations}
    rows = []
    for point in block.points:
        cited = found.get((point.cite.source_id, point.cite.quote))
        if cited is not None:
            rows.append(ChartRow(point.label, point.value.written, cited.source.display_title,
                                 cited.locator))
    return tuple(rows)


def conflict_views(selection: Selection, notes: dict[str, Finding]) -> dict[str, ConflictView]:
    """Block id → the note it shows. Every side of a conflict that this output shows gets one;
    the first in reading order carries the full note, later ones point back to it."""
    out: dict[str, ConflictView] = {}
    first: dict[int, Block] = {}
    for block in selection.blocks:
        finding = notes.get(block.id)
        if finding is None:
            continue
        head = first.setdefault(id(finding), block)
        sides = tuple(SideView(s.block.id, s.sources, s.block.value.written,  # type: ignore[union-attr]
                               display_date(s.block.as_of), s.block.scope)
                      for s in finding.sides)
        preferred = next((v for v in sides if finding.preferred
                          and v.id == finding.preferred.block.id), None)
        res = finding.resolution
        out[block.id] = ConflictView(
            finding.claim, finding.status or "unresolved", display_date(finding.as_of), sides,
            preferred, (res.note or res.accept) if res else None, head is block,
            f"block-{head.id}")
    return out


def source_view(source: Source) -> SourceView:
    return SourceView(
        id=source.id, title=source.title, label=source.label,
        display_title=source.display_title, kind=source.kind, outlet=source.outlet,
        authors=source.shown_authors, editors=source.shown_editors, publisher=source.publisher,
        doi=source.doi,
        published=display_date(source.published), url=source.url,
        accessed=display_date(source.accessed), perspective=source.perspective or "",
        notes=source.notes, missing=source.missing,
    )


@dataclass(frozen=True)
class ConfigView:
    organisation: str | None
    logo: str | None
    logo_alt: str | None
    paper: str


def language_of(brief: Brief, config: Config) -> str:
    return brief.language or config.language or "en-GB"


def build_context(selection: Selection, citations: dict[str, tuple[Citation, ...]],
                  output_format: str, config: Config,
                  notes: dict[str, Finding] | None = None,
                  charts: Path | None = None, draw: bool = True) -> dict[str, Any]:
    """`notes`: the conflicts each block is a side of (conflicts.notes_by_block); `charts`: the
    chart cache folder (charts.chart_svg); `draw`: see block_view."""
    brief, audience = selection.brief, selection.audience
    differ = conflict_views(selection, notes or {})
    house = dict(config.colours)
    colours = (house.get("ink", INK), house.get("accent", ACCENT))
    views = {b.id: block_view(b, audience.name, citations.get(b.id, ()), differ.get(b.id),
                              charts, draw, colours) for b in selection.blocks}
    cited = {c.source.id: c.source for b in selection.blocks for c in citations.get(b.id, ())}
    # a note cites every side, also those this output does not show
    cited.update((c.source.id, c.source) for v in differ.values() for s in v.sides
                 for c in citations.get(s.id, ()))
    blocks = list(views.values())
    by_type: dict[str, list[BlockView]] = {}
    for view in blocks:
        by_type.setdefault(view.type, []).append(view)
    meeting = None
    if brief.meeting:
        meeting = MeetingView(brief.meeting.name, display_date(brief.meeting.date),
                              brief.meeting.date, brief.meeting.place)
    return {
        "brief": BriefView(
            id=brief.id, title=brief.title, subtitle=brief.subtitle,
            date=display_date(brief.date) or brief.date, date_iso=brief.date,
            author=brief.author, language=language_of(brief, config),
            keywords=brief.keywords,
            meeting=meeting, about=_markdown(brief.about, brief.origin) or None,
        ),
        "audience": AudienceView(audience.name, audience.label, audience.description,
                                 audience.notes, selection.style),
        "format": output_format,
        "summary": [views[b.id] for b in selection.summary],
        "sections": [
            SectionView(s.number, s.section.id, s.section.title,
                        _markdown(s.section.intro, s.section.origin) or None,
                        tuple(views[b.id] for b in s.blocks),
                        _markdown(s.section.balance_note, s.section.origin) or None)
            for s in selection.sections
        ],
        "blocks": blocks,
        "conflicts": [v for v in differ.values() if v.first],
        "by_type": by_type,
        "timeline": sorted(by_type.get("event", []), key=lambda v: v.date_iso or ""),
        "glossary": sorted(by_type.get("term", []), key=lambda v: (v.term or "").casefold()),
        "sources": sorted((source_view(s) for s in cited.values()),
                          key=lambda v: v.display_title.casefold()),
        "notes_at_end": FORMATS[output_format].notes_at_end(audience.notes),
        "generated_by": f"Briefsmith {__version__}",
        "config": ConfigView(config.organisation, config.logo,
                             config.logo_alt or config.organisation, config.paper),
    }


def attach(html: Markup, marker: Markup) -> Markup:
    """Put a citation marker inside the block's last paragraph or list item, not after it."""
    if not marker:
        return html
    text = str(html)
    cut = max(text.rfind("</p>"), text.rfind("</li>"))
    if cut == -1:
        return Markup(text + str(marker))
    return Markup(text[:cut] + str(marker) + text[cut:])


def render_first_pass(templates: TemplateChain, context: dict[str, Any],
                      citations: dict[str, tuple[Citation, ...]]) -> tuple[str, _CiteRecorder]:
    recorder = _CiteRecorder(citations)
    env = templates.environment()
    full = dict(context, cite=recorder.cite, attach=attach, notes=lambda: Markup(_NOTES),
                bibliography=lambda: Markup(_BIBLIOGRAPHY), asset=templates.asset,
                stylesheet=Markup(templates.stylesheet()))
    try:
        html = env.get_template(ENTRY).render(full)
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"template '{exc.name}' not found; searched: "
                            f"{templates.searched()}{code_at(exc.__traceback__)}",
                            template_frame(exc.__traceback__, templates.root)) from exc
    except jinja2.TemplateSyntaxError as exc:
        raise syntax_error(exc, templates.root) from exc
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"undefined variable: {exc.message}{code_at(exc.__traceback__)}",
                            template_frame(exc.__traceback__, templates.root)) from exc
    return html, recorder


def render_html(selection: Selection, fmt: str, templates: TemplateChain, content: Content,
                config: Config, style: Path, cache_dir: Path | None) -> str:
    """Both passes and the CSL call between them: one selection, in one format, to its
    complete HTML (for a PDF, what WeasyPrint lays out; for Word, what docx.py converts; for
    HTML, the page, with its fonts)."""
    find_pandoc()  # looked for in a thread while the template renders (csl.pandoc_path)
    context = build_context(selection, content.citations, fmt, config, notes_by_block(content),
                            cache_dir.parent / "charts" if cache_dir else None)
    first, recorder = render_first_pass(templates, context, content.citations)
    formatted = format_citations(ordered_occurrences(first, recorder), style,
                                 language_of(selection.brief, config), cache_dir)
    html = fill_citations(first, formatted, selection.audience.notes, fmt)
    require_alt_text(html, templates)
    if FORMATS[fmt].carries_fonts:
        html = with_fonts(html, cache_dir.parent / "fonts" if cache_dir else None)
    return html


def dry_render(state: dict[str, Any], task: tuple[Selection, tuple[str, ...]]) -> str:
    """What `check` runs for one (brief, audience) in a render worker: the template part of the
    build, each format, to HTML in memory. It stops where citations would be formatted (pandoc)
    and the PDF drawn (WeasyPrint): neither runs template code. A worker, not this process,
    because a template is code: one that loops for ever or asks for gigabytes must meet the
    build's time and memory limits, and an endless recursion the build's own handling.
    Returns the PDF format's page, for the checks that read what a page shows (element ids, never
    pixels): so no chart is drawn here, which in a fresh process costs matplotlib's import and
    about half a second per worker; a chart's spec was checked when the content was loaded."""
    project = state["project"]  # a project.Project (that module imports this one)
    selection, formats = task
    templates = project.chain(selection.brief, selection.audience)
    citations = project.content.citations
    pages = {}
    for fmt in formats:
        context = build_context(selection, citations, fmt, project.config,
                                notes_by_block(project.content), draw=False)
        first, _ = render_first_pass(templates, context, citations)
        require_alt_text(first, templates)
        pages[fmt] = first
    return pages.get("pdf", "")


def fill_citations(html: str, formatted: Formatted,
                   notes_mode: str, output_format: str) -> str:
    """Second pass: put formatted citations, the notes list and the bibliography in place."""
    fmt = FORMATS[output_format]
    as_footnote = notes_mode == "footnotes" and fmt.page_notes
    counter = iter(range(1, len(formatted.citations) + 1))
    notes: list[str] = []

    def replace(match: re.Match[str]) -> str:
        k = next(counter)
        text = formatted.citations[k - 1]
        if formatted.style_class != "note" or notes_mode == "in-text":
            return f' <span class="citation">{text}</span>'
        if fmt.own_notes:  # a Word footnote or endnote (formats/docx.py)
            return f'<span class="bs-docx-note">{text}</span>'
        if as_footnote:
            return f'<span class="footnote">{text}</span>'
        back = ("" if not fmt.back_links else
                f' <a class="note-back" href="#note-ref-{k}" aria-label="Back to text">'
                "\u21a9\ufe0e</a>")
        notes.append(f'<li id="note-{k}">{text}{back}</li>')
        return (f'<sup class="note-ref"><a href="#note-{k}" id="note-ref-{k}" '
                f'role="doc-noteref" aria-label="Note {k}">{k}</a></sup>')

    html = _PLACEHOLDER.sub(replace, html)
    html = html.replace(_NOTES, f'<ol class="notes">{"".join(notes)}</ol>' if notes else "")
    entries = "".join(f'<li id="ref-{escape(sid)}" class="csl-entry">{entry}</li>'
                      for sid, entry in formatted.bibliography)
    return html.replace(_BIBLIOGRAPHY, f'<ul class="bibliography">{entries}</ul>')


_IMG = re.compile(r"<img\b[^>]*>", re.I)
_ALT = re.compile(r"""\salt\s*=\s*("[^"]*\S[^"]*"|'[^']*\S[^']*')""", re.I)


def require_alt_text(html: str, templates: TemplateChain) -> None:
    """Tagged PDF (PDF/UA) and accessible HTML need a text alternative for every image; PDF/UA
    has no notion of a decorative image, so an empty alt is refused too."""
    for tag in _IMG.findall(html):
        if not _ALT.search(tag):
            where = relpath(templates.folders[0], templates.root)
            raise TemplateError(f"image without alt text in the templates for {where}: "
                                f"{tag[:80]} - add alt=\"what it shows\" (tagged PDF needs a "
                                "text for every image)", Origin(where))


def ordered_occurrences(html: str, recorder: _CiteRecorder) -> list[tuple[Citation, ...]]:
    """The citations in the order the rendered document shows them."""
    return [recorder.occurrences[int(m.group(1))] for m in _PLACEHOLDER.finditer(html)]
