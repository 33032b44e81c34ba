"""Loaded YAML → frozen model objects, against a closed schema.

In: the loaded documents of the content, briefs and audiences. Out: frozen model objects
(models.py), or `Problems` listing every place that breaks the schema.

Every unknown key, wrong type, bad id or dangling reference is collected, so one `check` run lists
every problem (each as `path:line:col: what is wrong and what to do`) before the command stops.
Schema only: this module opens no file (read.py finds and reads them).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
from pathlib import Path

from ..core.errors import BriefsmithWarning, Collector, ContentError, printable
from ..core.models import (
    BLOCK_TYPES,
    CSL_TYPES,
    SOURCE_DETAILS,
    SOURCE_KINDS,
    VOICE_TYPES,
    Audience,
    Block,
    Brief,
    ChartPoint,
    CiteRef,
    Contract,
    Meeting,
    Origin,
    Section,
    Source,
)
from ..core.paths import decode_utf8
from .claims import load_points, parse_value
from .load import (
    EMPTY,
    Document,
    YList,
    YMap,
    empty_file_warning,
    origin_at,
)
from .markup import images_in
from .schema import (
    BLOCK_KEYS,
    COMMON_BLOCK_KEYS,
    DATE_RE,
    DOI_RE,
    FULL_DATE_RE,
    ID_RE,
    INVISIBLE,
    LANG_RE,
    MAX_SOURCE_TEXT,
    MIN_QUOTE_WORDS,
    NOTE_MODES,
    Fields,
    check_id,
    hidden,
    suggest,
)


def split_paragraphs(text: str) -> tuple[str, ...]:
    """The documented paragraph rule: every non-blank line is one paragraph, numbered from 1.

    Only line feeds and carriage returns end a line, as in a text editor: str.splitlines() would
    also split at form feeds and U+2028, and the paragraph numbers would no longer match.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return tuple(line.strip() for line in lines if line.strip())


def file_id_ok(stem: str, rel: str, kind: str, errors: Collector) -> bool:
    """A source or brief is named by its file: is that name a valid id? Asked before the file
    is read, so that a badly named file is one problem."""
    return check_id(stem, Origin(rel, 1, 1), kind, errors, from_file=True)


def _id_file(doc: Document, rel: str, stem: str, kind: str, needs: str,
             errors: Collector) -> tuple[str, str, YMap, str] | None:
    """A source or brief file (its name already checked by file_id_ok): its id, its shown
    path, its mapping and its text. `needs`: the keys it must have, named when it is empty."""
    if doc.empty:
        errors.add(ContentError(f"{EMPTY}: a {kind} file must be a mapping of key: value lines; "
                                f"write its {needs}, or delete the file", Origin(rel, 1, 1)))
        return None
    if not isinstance(doc.data, YMap):
        errors.add(ContentError(f"a {kind} file must be a mapping of key: value lines",
                                Origin(rel, 1, 1)))
        return None
    return stem, rel, doc.data, doc.text


FIGURE_HELP = ("remove it, and show the image as a block of type 'figure' (or a chart as "
               "type 'chart'), with alt text, caption and cited credit (see "
               "docs/content-format.md, Figures and charts)")


def refuse_images(data: YMap, key: str, text: str | None, file_text: str, rel: str,
                  what: str, rule: str, errors: Collector) -> None:
    """The sanitiser drops every <img>, so an image in Markdown would vanish from every output
    while the build succeeds: refuse it here, where `check` sees it, pointing at the image
    itself (a long text may span many lines). `what`: 'block 'x' has an image in its text'."""
    if not text:
        return
    span = data.span(key)
    start, end = span if span is not None else (0, 0)
    for markup in images_in(text):
        index = _find_written(file_text, markup, start, end)
        if index is not None:
            start = index + 1  # the same image twice: the second is further on
        where = origin_at(rel, file_text, index) if index is not None else data.at(key)
        errors.add(ContentError(f"{what} ({printable(markup, 80)}): {rule} cannot show images; "
                                f"{FIGURE_HELP}", where))


def _find_written(file_text: str, markup: str, start: int, end: int) -> int | None:
    """Where an image's Markdown is in the file. YAML folding or quoting can change how the
    value reads from how the file has it, so fall back to the start of the image's alt text,
    then to its `![`."""
    prefix = re.split(r"\s|\u2026", markup, maxsplit=1)[0]
    for needle in (markup, prefix, "!["):
        index = file_text.find(needle, start, end)
        if index != -1:
            return index
    return None


SOURCE_TEXT_KEYS = ("publisher", "place", "volume", "issue", "pages", "number", "edition",
                    "series", "genre", "isbn")


def load_source(doc: Document, rel: str, sid: str, txt_rel: str,
                text: bytes | ContentError | None, errors: Collector) -> Source | None:
    """`text`: the bytes of the source's .txt file, why it could not be read (reported only
    once the metadata file is a mapping, as a problem of that source), or None when there is no
    text file yet (allowed until a block cites the source: `check_viewpoints`)."""
    loaded = _id_file(doc, rel, sid, "source", "label and kind", errors)
    if loaded is None:
        return None
    sid, rel, data, _ = loaded
    f = Fields(data, f"source '{sid}'", errors)
    f.check_keys({"label", "kind"},
                 {"perspective", "title", "short_title", "outlet", "authors", "editors",
                  "published", "url", "accessed", "notes", "viewpoint", "csl_type",
                  "language", "doi", *SOURCE_TEXT_KEYS})
    url = f.text("url")
    if url is not None and not url.startswith("https://"):
        f.fail("url", f"'url' of source '{sid}' must start with https://: give the article's "
                      "https address, or null if it is not known")
        url = None
    paragraphs: tuple[str, ...] = ()
    if isinstance(text, ContentError):
        errors.add(text)
    elif text is not None:
        raw = text
        if len(raw) > MAX_SOURCE_TEXT:
            errors.add(ContentError(f"source text is {len(raw):,} bytes; the limit is "
                                    f"{MAX_SOURCE_TEXT:,}: keep only the article's text",
                                    Origin(txt_rel, 1, 1)))
        else:
            try:
                paragraphs = split_paragraphs(decode_utf8(raw, txt_rel).removeprefix("\ufeff"))
            except ContentError as exc:
                errors.add(exc)
            else:
                if not paragraphs:
                    errors.add(ContentError("source text is empty: paste the article's text",
                                            Origin(txt_rel, 1, 1)))
    label = f.text("label", required=True)
    kind = f.choice("kind", SOURCE_KINDS, required=True)
    # Optional until a block cites the source (balance.check_viewpoints): an imported or
    # ingested source waits for the editor's own description, never a placeholder's.
    perspective = f.text("perspective") or None
    # every key is read before a missing label or kind ends the source, so that one `check`
    # (and `import-refs`, which asks this function about the files it would write) names all
    title, outlet = f.text("title"), f.text("outlet")
    authors, editors = f.names("authors"), f.names("editors")
    published = f.pattern("published", DATE_RE, "YYYY, YYYY-MM or YYYY-MM-DD in quotes")
    accessed = f.pattern("accessed", FULL_DATE_RE, "YYYY-MM-DD in quotes")
    notes, short_title = f.text("notes"), f.text("short_title", limit=120)
    viewpoint = f.pattern("viewpoint", ID_RE, "a perspective id such as 'humanitarian'")
    csl_type = f.choice("csl_type", CSL_TYPES)
    language = f.pattern("language", LANG_RE, "a language tag such as 'en', 'fr' or 'pt-BR'")
    details = {key: f.text(key, limit=300) for key in SOURCE_TEXT_KEYS}
    details["doi"] = f.pattern("doi", DOI_RE, "the DOI itself, e.g. '10.1177/0022343324123' "
                                              "(without https://doi.org/)")
    if label is None or kind is None:
        return None
    return Source(
        id=sid,
        title=title,
        label=label,
        kind=kind,
        outlet=outlet,
        authors=authors,
        editors=editors,
        published=published,
        url=url,
        accessed=accessed,
        perspective=perspective,
        notes=notes,
        paragraphs=paragraphs,
        text_path=txt_rel,
        origin=Origin(rel, 1, 1),
        short_title=short_title,
        viewpoint=viewpoint,
        viewpoint_at=f.at("viewpoint") if "viewpoint" in data else None,
        csl_type=csl_type,
        publisher=details.pop("publisher"),
        language=language,
        details=tuple((k, v) for k in SOURCE_DETAILS if (v := details.get(k)) is not None),
        has_text=text is not None,
    )


def _cites(f: Fields, block_id: str, errors: Collector, *, required: bool,
           sources: Collection[str] | None) -> tuple[CiteRef, ...]:
    value = f.data.get("cites")
    if value is None:
        if required and "cites" in f.data:
            f.fail("cites", f"'cites' of block '{block_id}' is empty: cite at least one source")
        return ()
    if not isinstance(value, YList):
        f.fail("cites", f"'cites' of block '{block_id}' must be a list of "
                        "{source: <id>, quote: <exact passage>}")
        return ()
    refs = []
    for i, item in enumerate(value):
        if not isinstance(item, YMap):
            errors.add(ContentError(
                f"cite {i + 1} of block '{block_id}' must be a mapping with 'source' and 'quote'",
                value.at(i)))
            continue
        cf = Fields(item, f"cite {i + 1} of block '{block_id}'", errors)
        cf.check_keys({"source", "quote"}, set())
        source = cf.text("source", required=True)
        quote = cf.text("quote", required=True, strict_later=True)
        if source is None or quote is None:
            continue
        if sources is not None and source not in sources:
            cf.fail("source", f"block '{block_id}' cites unknown source '{printable(source)}'"
                              f"{suggest(source, sources)}; sources are files in "
                              "content/sources/")
        if (bad := INVISIBLE.search(quote)) is not None:
            cf.fail("quote", f"quote in block '{block_id}' contains {hidden(bad.group())}: "
                             "delete it and retype the passage")
            continue
        if len(quote.split()) < MIN_QUOTE_WORDS:
            cf.fail("quote", f"quote in block '{block_id}' is too short "
                             f"({len(quote.split())} word(s)); quote at least "
                             f"{MIN_QUOTE_WORDS} words so the passage can be found and pinpointed")
            continue
        refs.append(CiteRef(source, quote, item.at("quote")))
    if not refs and not value:
        f.fail("cites", f"'cites' of block '{block_id}' is empty: cite at least one source")
    return tuple(refs)


def load_blocks(doc: Document, rel: str, audiences: Iterable[str], errors: Collector, *,
                sources: Collection[str] | None = None,
                declared: set[str] | None = None,
                warnings: list[BriefsmithWarning] | None = None) -> list[Block]:
    """The valid blocks of one file. `sources`: source ids a cite may name (None: not checked).
    `declared` collects every well-formed block id, valid block or not, so that a brief using an
    invalid block is not reported a second time as using an unknown one. `warnings` receives
    the warning for an empty file: it may be a file whose blocks were lost."""
    if doc.empty:
        if warnings is not None:
            warnings.append(empty_file_warning(rel))
        return []
    data = doc.data
    if not isinstance(data, YList):
        errors.add(ContentError("a block file must be a YAML list of blocks ('- id: ...')",
                                Origin(rel, 1, 1)))
        return []
    known_audiences = list(audiences)
    blocks = []
    for i, item in enumerate(data):
        if not isinstance(item, YMap):
            errors.add(ContentError("each block must be a mapping starting with 'id:'",
                                    data.at(i)))
            continue
        bid = item.get("id")
        if isinstance(bid, int) and not isinstance(bid, bool):
            bid = str(bid)  # an all-digit id such as 2023 is a valid id, read as a number
        if "id" not in item:
            errors.add(ContentError("block is missing 'id': start each block with '- id: ' and "
                                    "an id of lowercase letters, digits and hyphens",
                                    item.origin))
            continue
        if not isinstance(bid, str):
            errors.add(ContentError("block 'id' must be text of lowercase letters, digits and "
                                    "hyphens (e.g. 'casualties-2023')", item.at("id")))
            continue
        if not check_id(bid, item.at("id"), "block", errors):
            continue
        if declared is not None:
            declared.add(bid)
        f = Fields(item, f"block '{bid}'", errors)
        btype = f.choice("type", BLOCK_TYPES, required=True)
        if btype is None:
            if "type" not in item:
                errors.add(ContentError(f"block '{bid}' is missing required key 'type'; choose "
                                        f"one of: {', '.join(BLOCK_TYPES)}", item.origin))
            continue
        required, optional = BLOCK_KEYS[btype]
        if btype == "fact" and "claim" in item:
            # compared with other facts of its claim: a missing period is reported there, as
            # NEEDS AS_OF, with the facts it cannot be compared with (briefsmith/conflicts.py)
            required, optional = (required - {"as_of"}) | {"value"}, optional | {"as_of"}
        if btype == "fact" and "value" in item and "claim" not in item:
            f.fail("value", f"block '{bid}' has a 'value' but no 'claim': add 'claim: <key>' "
                            "naming what it measures, shared by facts about the same thing")
        f.check_keys(required | {"id", "type"}, optional | COMMON_BLOCK_KEYS)
        audience_list = None
        if "audiences" in item:
            audience_list = []
            for name, where in f.text_list("audiences"):
                if name not in known_audiences:
                    errors.add(ContentError(
                        f"unknown audience '{printable(name)}' in block '{bid}'"
                        f"{suggest(name, known_audiences)}; known: {', '.join(known_audiences)}",
                        where))
                audience_list.append(name)
        wording: list[tuple[str, str]] = []
        if (wmap := f.mapping("wording")) is not None:
            wf = Fields(wmap, f"'wording' of block '{bid}'", errors)
            for name in wmap:
                if name not in known_audiences:
                    errors.add(ContentError(
                        f"unknown audience '{printable(name)}' in 'wording' of block '{bid}'"
                        f"{suggest(name, known_audiences)}; known: {', '.join(known_audiences)}",
                        wmap.key_at(name)))
                    continue
                if (text := wf.text(name, required=True)) is not None:
                    wording.append((name, text))
                    refuse_images(wmap, name, text, doc.text, rel,
                                  f"block '{bid}' has an image in its wording for '{name}'",
                                  "block text", errors)
        words = f.text("words", required="words" in required, strict_later=True)
        if words is not None and (bad := INVISIBLE.search(words)) is not None:
            f.fail("words", f"'words' of block '{bid}' contains {hidden(bad.group())}: "
                            "delete it")
        text = f.text("text", required="text" in required)
        refuse_images(item, "text", text, doc.text, rel,
                      f"block '{bid}' has an image in its text", "block text", errors)
        cites = _cites(f, bid, errors, required="cites" in required, sources=sources)
        points: tuple[ChartPoint, ...] = ()
        if btype == "chart":

            points = load_points(f, bid, sources)
            cites = tuple({(p.cite.source_id, p.cite.quote): p.cite for p in points}.values())
        blocks.append(Block(
            id=bid,
            type=btype,
            text=text,
            cites=cites,
            origin=item.origin,
            title=f.text("title", limit=200),
            audiences=tuple(audience_list) if audience_list is not None else None,
            wording=tuple(wording),
            figure=f.text("figure", limit=200),
            as_of=f.pattern("as_of", DATE_RE, "YYYY, YYYY-MM or YYYY-MM-DD in quotes",
                            required="as_of" in required),
            words=words,
            speaker=f.text("speaker", required="speaker" in required, limit=200),
            role=f.text("role", limit=200),
            actor=f.text("actor", required="actor" in required, limit=200),
            stance=f.text("stance", required="stance" in required, limit=200),
            date=f.pattern("date", DATE_RE, "YYYY, YYYY-MM or YYYY-MM-DD in quotes",
                           required="date" in required),
            term=f.text("term", required="term" in required, limit=200),
            claim=f.pattern("claim", ID_RE, "a claim key of lowercase letters, digits and "
                                            "hyphens, e.g. 'ottawa-withdrawing-states'"),
            value=parse_value(f, bid) if "value" in item and "claim" in item else None,
            scope=f.text("scope", limit=200),
            field_origins=tuple((key, item.at(key)) for key in item) + (tuple(
                (f"wording.{name}", wmap.at(name)) for name in wmap) if wmap else ()),
            viewpoint=f.pattern("viewpoint", ID_RE, "a perspective id such as 'humanitarian'"),
            inference=f.text("inference", limit=2000),
            alt=f.text("alt", required="alt" in required, limit=1000),
            caption=f.text("caption", required="caption" in required, limit=1000),
            image=f.text("image", required="image" in required, limit=300),
            credit=f.text("credit", required="credit" in required, limit=300),
            chart=f.choice("chart", ("bar", "line"), required="chart" in required),
            axis=f.text("axis", limit=100),
            points=points,
        ))
    return blocks


def load_brief(doc: Document, rel: str, bid: str, audiences: dict[str, Audience],
               errors: Collector, folder: Callable[[str], Path | None]) -> Brief | None:
    """`folder`: the project folder a relative path names, or None if it names none (the
    brief's `templates`)."""
    loaded = _id_file(doc, rel, bid, "brief", "title, date, audiences and sections", errors)
    if loaded is None:
        return None
    bid, rel, data, file_text = loaded
    f = Fields(data, f"brief '{bid}'", errors)
    f.check_keys({"title", "date", "audiences", "sections"},
                 {"subtitle", "author", "language", "keywords", "meeting", "summary", "about",
                  "citation_style", "templates"})
    brief_audiences = []
    for name, where in f.text_list("audiences"):
        if name not in audiences:
            errors.add(ContentError(
                f"unknown audience '{printable(name)}'{suggest(name, audiences)}; each audience "
                f"is a folder under templates/ (known: {', '.join(sorted(audiences))})", where))
        elif name in brief_audiences:
            errors.add(ContentError(f"audience '{name}' is listed twice", where))
        else:
            brief_audiences.append(name)
    if "audiences" in data and data["audiences"] in (None, []):
        f.fail("audiences", f"brief '{bid}' names no audiences: list at least one, e.g. "
                            "[parliamentary, ngo, student]")
    meeting = None
    if (mmap := f.mapping("meeting")) is not None:
        mf = Fields(mmap, f"'meeting' of brief '{bid}'", errors)
        mf.check_keys({"name"}, {"date", "place"})
        meeting_name = mf.text("name", required=True)
        if meeting_name is not None:
            meeting = Meeting(meeting_name,
                              mf.pattern("date", FULL_DATE_RE, "YYYY-MM-DD in quotes"),
                              mf.text("place"))
    styles: list[tuple[str, str]] = []
    if (smap := f.mapping("citation_style")) is not None:
        sf = Fields(smap, f"'citation_style' of brief '{bid}'", errors)
        for name in smap:
            if name not in audiences:
                errors.add(ContentError(f"unknown audience '{printable(name)}' in "
                                        f"'citation_style'{suggest(name, audiences)}",
                                        smap.key_at(name)))
            elif (style := sf.pattern(name, ID_RE, "a CSL style name such as 'oscola'",
                                      required=True)) is not None:
                styles.append((name, style))
    sections = []
    raw_sections = data.get("sections")
    if raw_sections is not None and not isinstance(raw_sections, YList):
        f.fail("sections", f"'sections' of brief '{bid}' must be a list of "
                           "{id, title, blocks: [...]}")
    elif "sections" in data and not raw_sections:  # null or []
        f.fail("sections", f"brief '{bid}' has no sections: add at least one")
    elif raw_sections is not None:
        seen: dict[str, Origin] = {}
        for i, item in enumerate(raw_sections):
            if not isinstance(item, YMap):
                errors.add(ContentError("each section must be a mapping with id, title and blocks",
                                        raw_sections.at(i)))
                continue
            sf = Fields(item, f"section {i + 1} of brief '{bid}'", errors)
            sf.check_keys({"id", "title", "blocks"}, {"intro", "balance_note"})
            sid = sf.text("id", required=True)
            title = sf.text("title", required=True, limit=200)
            if sid is None or title is None:
                continue
            if not check_id(sid, sf.at("id"), "section", errors):
                continue
            if sid in seen:
                errors.add(ContentError(f"section id '{sid}' is used twice in brief '{bid}' "
                                        f"(first at line {seen[sid].line})", sf.at("id")))
            seen[sid] = sf.at("id")
            refs = sf.id_list("blocks")
            if not refs and "blocks" in item:
                sf.fail("blocks", f"section '{sid}' lists no blocks: add block ids")
            intro = sf.text("intro")
            refuse_images(item, "intro", intro, file_text, rel,
                          f"section '{sid}' of brief '{bid}' has an image in its intro",
                          "a section intro", errors)
            note = sf.text("balance_note", limit=1000)
            refuse_images(item, "balance_note", note, file_text, rel,
                          f"section '{sid}' of brief '{bid}' has an image in its balance_note",
                          "a balance note", errors)
            sections.append(Section(sid, title, refs, item.origin, intro, note))
    title = f.text("title", required=True, limit=300)
    date = f.pattern("date", FULL_DATE_RE, "YYYY-MM-DD in quotes", required=True)
    language = f.pattern("language", LANG_RE, "a language tag such as en-GB")
    about = f.text("about")
    refuse_images(data, "about", about, file_text, rel,
                  f"brief '{bid}' has an image in its 'about' text", "the 'about' text", errors)
    if title is None or date is None:
        return None
    return Brief(
        id=bid,
        title=title,
        date=date,
        audiences=tuple(brief_audiences),
        sections=tuple(sections),
        origin=Origin(rel, 1, 1),
        subtitle=f.text("subtitle", limit=300),
        author=f.text("author", limit=300),
        language=language,
        keywords=tuple(v for v, _ in f.text_list("keywords")),
        meeting=meeting,
        summary=f.id_list("summary"),
        about=about,
        citation_style=tuple(styles),
        templates=_folder(f, "templates", folder),
    )


def _folder(f: Fields, key: str, folder: Callable[[str], Path | None]) -> Path | None:
    value = f.text(key)
    if value is None:
        return None
    path = folder(value)
    if path is None:
        f.fail(key, f"'{key}' of {f.what} must name a folder inside the project; "
                    f"'{printable(value)}' is not one")
        return None
    return path


def load_audience(doc: Document, rel: str, folder: Path, errors: Collector) -> Audience | None:
    """An audience folder's `audience.yaml` says how that audience cites and what it leaves out."""
    data = doc.data
    if not isinstance(data, YMap):
        empty = f"{EMPTY}: " if doc.empty else ""
        needs = "; write its label, citation_style and notes" if doc.empty else ""
        errors.add(ContentError(f"{empty}audience.yaml must be a mapping of key: value lines"
                                f"{needs}", Origin(rel, 1, 1)))
        return None
    f = Fields(data, f"audience '{folder.name}'", errors)
    f.check_keys({"label", "citation_style", "notes"},
                 {"exclude_types", "description", "contract"})
    excluded = []
    for value, where in f.text_list("exclude_types"):
        if value not in BLOCK_TYPES:
            errors.add(ContentError(f"unknown block type '{printable(value)}'"
                                    f"{suggest(value, BLOCK_TYPES)}", where))
        excluded.append(value)
    label = f.text("label", required=True, limit=200)
    style = f.pattern("citation_style", ID_RE, "a CSL style name such as 'oscola'", required=True)
    notes = f.choice("notes", NOTE_MODES, required=True)
    if label is None or style is None or notes is None:
        return None
    return Audience(folder.name, label, style, notes, tuple(excluded), folder,
                    Origin(rel, 1, 1), f.text("description"), load_contract(f, errors))


def cross_check(blocks: dict[str, Block], declared: set[str] | None,
                 briefs: dict[str, Brief], errors: Collector) -> None:
    """References between files. (Cites are checked against the sources in load_blocks.)

    `declared`: every block id written in a block file, valid block or not; None when some block
    file could not be read, so unknown block ids cannot be told apart and are not reported.
    """
    for brief in briefs.values():
        refs = list(brief.summary) + [r for s in brief.sections for r in s.blocks]
        for ref in refs:
            if declared is not None and ref.id not in blocks and ref.id not in declared:
                errors.add(ContentError(
                    f"brief '{brief.id}' uses unknown block '{ref.id}'{suggest(ref.id, blocks)}; "
                    "block ids are defined in content/blocks/*.yaml", ref.origin))
        seen: dict[str, Origin] = {}
        for section in brief.sections:
            for ref in section.blocks:
                if ref.id in seen:
                    errors.add(ContentError(f"block '{ref.id}' is used twice in brief "
                                            f"'{brief.id}' (first at line {seen[ref.id].line}): "
                                            "remove one", ref.origin))
                seen[ref.id] = ref.origin


def metadata_warnings(sources: dict[str, Source]) -> list[BriefsmithWarning]:
    return [
        BriefsmithWarning(Origin(src.origin.path), f"source '{src.id}' does not state its "
                          f"{', '.join(src.missing)}; the brief will show 'not stated'",
                          "metadata")
        for src in sources.values() if src.missing
    ]


def _until_cited(src: Source, citing: Block | None, lack: str, todo: str, errors: Collector,
                 warnings: list[BriefsmithWarning] | None) -> None:
    """What a source lacks is a warning while no block cites it (nothing of it reaches a
    reader yet), and an error naming the block once one does."""
    if citing is None:
        if warnings is not None:
            warnings.append(BriefsmithWarning(
                Origin(src.origin.path), f"source '{src.id}' has no {lack} yet: {todo} before a "
                "block cites it", "source"))
    else:
        errors.add(ContentError(f"source '{src.id}' is cited by block '{citing.id}' "
                                f"({citing.origin}) but has no {lack}: {todo}", src.origin))


def check_viewpoints(sources: dict[str, Source], blocks: dict[str, Block],
                     perspectives: tuple[tuple[str, str], ...], declared_at: Origin | None,
                     errors: Collector, warnings: list[BriefsmithWarning] | None = None) -> None:
    """Every `viewpoint:` names a declared perspective; with a list declared, every source names
    one (a block may leave its own out and take its sources'). With no list declared, any id is
    accepted: a project starts counting before it settles its list.

    A source no block cites yet (just imported or ingested) may lack its text file, its
    `perspective` and its `viewpoint`: nothing of it reaches a reader, and only the editor can
    supply them. That is a warning in `warnings`; once a block cites it, an error."""
    first_citing: dict[str, Block] = {}  # each source's first citing block, named in the error
    for block in blocks.values():
        for c in block.cites:
            first_citing.setdefault(c.source_id, block)
    ids = [pid for pid, _ in perspectives]
    where = f" (line {declared_at.line})" if declared_at and declared_at.line else ""
    known = f"declared in briefsmith.yaml{where}: {', '.join(ids)}"

    def unknown(value: str, what: str, origin: Origin) -> None:
        errors.add(ContentError(f"unknown viewpoint '{printable(value)}' in {what}"
                                f"{suggest(value, ids)}; the perspectives are {known}", origin))

    for src in sources.values():
        citing = first_citing.get(src.id)
        if not src.has_text:
            _until_cited(src, citing, "text file",
                         f"save the article's verbatim text as {src.text_path}", errors, warnings)
        if src.perspective is None:
            _until_cited(src, citing, "'perspective'", "write how the source sees the question "
                         "in your own words as 'perspective:'", errors, warnings)
        if src.viewpoint is None:
            if ids and citing is None:
                if warnings is not None:
                    warnings.append(BriefsmithWarning(
                        Origin(src.origin.path), f"source '{src.id}' has no 'viewpoint' yet: add "
                        f"'viewpoint: <id>' (one of: {', '.join(ids)}) before a block cites it",
                        "source"))
            elif ids:
                errors.add(ContentError(
                    f"source '{src.id}' has no 'viewpoint': briefsmith.yaml declares the "
                    f"project's perspectives{where}, so every source names the one it is "
                    f"written from; add 'viewpoint: <id>' (one of: {', '.join(ids)})",
                    src.origin))
        elif ids and src.viewpoint not in ids:
            unknown(src.viewpoint, f"source '{src.id}'", src.viewpoint_at or src.origin)
    for block in blocks.values():
        if block.viewpoint is not None:
            if ids and block.viewpoint not in ids:
                unknown(block.viewpoint, f"block '{block.id}'", block.at("viewpoint"))
            continue
        if block.type not in VOICE_TYPES:
            continue
        cited = sorted({v for c in block.cites
                        if (s := sources.get(c.source_id)) and (v := s.viewpoint)})
        if len(cited) > 1:
            errors.add(ContentError(
                f"{block.type} block '{block.id}' cites sources written from different "
                f"perspectives ({', '.join(cited)}) and names none of its own: add "
                "'viewpoint: <id>' for the perspective it voices", block.origin))


CONTRACT_KEYS = {"parts", "forbid_types", "pages", "define_acronyms", "reading_level",
                 "balance"}
_PART_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_GRADE_RE = re.compile(r"\d{1,2}(?:\.\d+)?")


def load_contract(f: Fields, errors: Collector) -> Contract | None:
    """The `contract:` mapping of an audience.yaml, every problem located; None when absent."""
    mapping = f.mapping("contract")
    if mapping is None:
        return None
    what = f"'contract' of {f.what}"
    cf = Fields(mapping, what, errors)
    cf.check_keys(set(), CONTRACT_KEYS)
    rules: dict[str, Origin] = {key: mapping.key_at(key) for key in mapping
                                if key in CONTRACT_KEYS}
    parts = []
    for value, where in cf.text_list("parts"):
        if not _PART_RE.fullmatch(value):
            errors.add(ContentError(f"part '{printable(value)}' in {what} must be the id of a "
                                    "part of the page (lowercase letters, digits, hyphens), "
                                    "e.g. 'summary'", where))
        else:
            parts.append(value)
    forbidden = []
    for value, where in cf.text_list("forbid_types"):
        if value not in BLOCK_TYPES:
            errors.add(ContentError(f"unknown block type '{printable(value)}' in 'forbid_types'"
                                    f"{suggest(value, BLOCK_TYPES)}", where))
        else:
            forbidden.append(value)
    pages = cf.positive_int("pages", _whole_message("pages", what, "a number of pages, e.g. 1"))
    define, allowed = False, []
    raw = mapping.get("define_acronyms")
    if isinstance(raw, bool):
        define = raw
    elif isinstance(raw, YMap):
        af = Fields(raw, f"'define_acronyms' of {what}", errors)
        af.check_keys(set(), {"allow"})
        define = True
        for value, where in af.text_list("allow"):
            if not re.fullmatch(r"[A-Z]{2,}", value):
                errors.add(ContentError(f"'{printable(value)}' in 'allow' of 'define_acronyms' "
                                        "is not an acronym: write two or more capital letters, "
                                        "e.g. UK", where))
            else:
                allowed.append(value)
    elif raw is not None:
        cf.fail("define_acronyms", f"'define_acronyms' of {what} must be true, false or "
                                   "{allow: [UK, US]}")
    max_grade = None
    if (rmap := cf.mapping("reading_level")) is not None:
        rf = Fields(rmap, f"'reading_level' of {what}", errors)
        rf.check_keys({"max_grade"}, set())
        grade = rmap.get("max_grade")
        if grade is not None:
            if isinstance(grade, bool) or not _GRADE_RE.fullmatch(str(grade)):
                rf.fail("max_grade", f"'max_grade' of {what} must be a school grade such as 10 "
                                     "or 9.5")
            else:
                max_grade = float(grade)
                rules["reading_level"] = rmap.key_at("max_grade")
    least = None
    if (bmap := cf.mapping("balance")) is not None:
        bf = Fields(bmap, f"'balance' of {what}", errors)
        bf.check_keys({"min_perspectives"}, set())
        least = bf.positive_int("min_perspectives", _whole_message(
            "min_perspectives", what, "a number of perspectives, e.g. 2"))
        if least is not None:
            rules["balance"] = bmap.key_at("min_perspectives")
    return Contract(tuple(parts), tuple(forbidden), pages, define, tuple(allowed), max_grade,
                    least, tuple(rules.items()))


def _whole_message(key: str, what: str, form: str) -> str:
    return f"'{key}' of {what} must be a whole number of 1 or more: {form}"
