"""Import reference records (Zotero's CSL JSON export, BibTeX) as source metadata files.

In: one `.json` (CSL JSON: a list of items) or `.bib` file the user names. Out: one
`content/sources/<id>.yaml` per record, holding only what the record states; the verbatim text
(`<id>.txt`) and the editor's own description (`perspective`) are left for the editor, because
no reference manager knows them. Every record is read and checked first, and only then is any
file written, so a bad record leaves the project as it was. An existing file is never replaced.
"""

from __future__ import annotations

import json
import logging
import os
import re
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..content.load import parse_text, relpath
from ..content.schema import DATE_RE, DOI_RE, FULL_DATE_RE, ID_RE, LANG_RE
from ..content.validate import load_source
from ..core.errors import Collector, ContentError, OutputError, printable
from ..core.files import create_new, signals_deferred
from ..core.models import CSL_TYPES, NAME_PARTS, Origin
from ..core.paths import decode_utf8, inside

MAX_REFS_BYTES = 20_000_000
MAX_ID = 60

# CSL item types (CSL 1.0.2, as Zotero writes them) onto source kinds. Whether an article is
# news, analysis, opinion or commentary is the editor's judgement; the type gives a starting
# point only, and every type not listed is `other`.
CSL_KINDS = {
    "article-newspaper": "news",
    "article-magazine": "news",
    "broadcast": "news",
    "article-journal": "analysis",
    "paper-conference": "analysis",
    "thesis": "analysis",
    "report": "report",
    "treaty": "treaty",
    "review": "opinion",
    "review-book": "opinion",
}
BIBTEX_KINDS = {
    "article": "analysis",  # "an article from a journal or magazine"; see entrysubtype below
    "inproceedings": "analysis",
    "conference": "analysis",
    "phdthesis": "analysis",
    "mastersthesis": "analysis",
    "thesis": "analysis",
    "techreport": "report",
    "report": "report",
}
# BibTeX and biblatex entry types as CSL item types (`csl_type`); an @article is a journal
# article unless its `entrysubtype` says newspaper or magazine, and a type not listed (@misc)
# gets none, so that the source's kind decides.
BIBTEX_TYPES = {
    "article": "article-journal", "book": "book", "mvbook": "book", "booklet": "pamphlet",
    "collection": "book", "mvcollection": "book", "proceedings": "book", "manual": "book",
    "inbook": "chapter", "incollection": "chapter", "bookinbook": "chapter",
    "inproceedings": "paper-conference", "conference": "paper-conference",
    "techreport": "report", "report": "report", "online": "webpage", "www": "webpage",
    "electronic": "webpage", "phdthesis": "thesis", "mastersthesis": "thesis", "thesis": "thesis",
    "unpublished": "manuscript", "patent": "patent", "periodical": "periodical",
    "dataset": "dataset", "software": "software", "legislation": "legislation",
    "jurisdiction": "legal_case", "inreference": "entry", "reference": "book",
}
# biblatex's `entrysubtype` of an @article, as Zotero's BibLaTeX export writes it
NEWS_SUBTYPES = {"newspaper", "magazine"}
# A CSL JSON item's variables that a source file keeps under its own key (besides title, names,
# dates and the URL, read one by one), and the CSL name parts, by the source file's names.
CSL_DETAIL_KEYS = {"publisher": "publisher", "publisher-place": "place", "volume": "volume",
                   "issue": "issue", "page": "pages", "number": "number", "edition": "edition",
                   "collection-title": "series", "genre": "genre", "ISBN": "isbn"}
CSL_READ = {"id", "citation-key", "type", "title", "title-short", "shortTitle", "container-title",
            "author", "editor", "issued", "accessed", "URL", "DOI", "language",
            *CSL_DETAIL_KEYS}
CSL_NAME_KEYS = {"family": "family", "given": "given", "non-dropping-particle": "particle",
                 "dropping-particle": "dropping_particle", "suffix": "suffix",
                 "literal": "literal"}
CSL_NAME_FLAGS = {"parse-names", "comma-suffix", "static-ordering", "sequence"}  # no text
# biblatex `langid` / babel names as language tags (a CSL style title-cases English only)
LANGUAGE_NAMES = {
    "english": "en", "american": "en-US", "usenglish": "en-US", "british": "en-GB",
    "ukenglish": "en-GB", "french": "fr", "francais": "fr", "german": "de", "ngerman": "de",
    "austrian": "de-AT", "swissgerman": "de-CH", "spanish": "es", "italian": "it",
    "portuguese": "pt", "portuges": "pt", "brazilian": "pt-BR", "dutch": "nl", "polish": "pl",
    "russian": "ru", "ukrainian": "uk", "czech": "cs", "slovak": "sk", "slovene": "sl",
    "croatian": "hr", "serbian": "sr", "bulgarian": "bg", "romanian": "ro", "hungarian": "hu",
    "magyar": "hu", "finnish": "fi", "estonian": "et", "latvian": "lv", "lithuanian": "lt",
    "swedish": "sv", "norsk": "nb", "norwegian": "nb", "nynorsk": "nn", "danish": "da",
    "icelandic": "is", "greek": "el", "turkish": "tr", "arabic": "ar", "hebrew": "he",
    "persian": "fa", "chinese": "zh", "japanese": "ja", "korean": "ko", "catalan": "ca",
    "basque": "eu", "galician": "gl", "irish": "ga", "welsh": "cy", "latin": "la",
}
# a CSL `genre` (Zotero's "Type" field) that says what the piece is
GENRE_KINDS = (("opinion", "opinion"), ("op-ed", "opinion"), ("editorial", "opinion"),
               ("column", "opinion"), ("commentary", "commentary"))
_STOPWORDS = {"a", "an", "the", "of", "on", "in", "and", "for", "to", "at", "by", "with"}
_ID_TITLE_WORDS = 3  # an id made from a record has at least this many parts, when it can
_FOLD = str.maketrans({"ß": "ss", "æ": "ae", "Æ": "ae", "ø": "o", "Ø": "o", "đ": "d", "Đ": "d",
                       "ł": "l", "Ł": "l", "œ": "oe", "Œ": "oe", "þ": "th", "ı": "i"})
# Cyrillic letters as Latin ones (a simplified BGN/PCGN romanisation), so that a Russian or
# Ukrainian author or title still gives a readable id; other scripts need a citation key.
_CYRILLIC = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґў",
                     ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n",
                      "o", "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y",
                      "", "e", "yu", "ya", "i", "yi", "ye", "g", "u"], strict=True))
_ZOTERO_URI = re.compile(r"https?://\S+")

# The keys of a source file, in the order the import writes them (docs/content-format.md).
FIELD_ORDER = ("title", "short_title", "label", "kind", "csl_type", "language", "outlet",
               "authors", "editors", "published", "publisher", "place", "volume", "issue",
               "pages", "number", "edition", "series", "genre", "doi", "isbn", "url",
               "accessed", "perspective", "viewpoint", "notes")
PERSPECTIVE_HELP = ("# perspective: describe the source in your own words (e.g. \"treaty-"
                    "supportive analysis\"); no reference record says it")


@dataclass
class Record:
    """One reference as read, mapped onto source fields. `fields` holds only what the record
    states; `notes` says what was left out and why, so nothing vanishes silently."""

    key: str
    origin: Origin
    kind_from: str
    fields: dict[str, Any]
    derived_key: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Planned:
    record: Record
    source_id: str
    yaml_path: Path
    exists: bool
    renamed: bool  # another record of the import has the same id: this one got a suffix


@dataclass(frozen=True)
class ImportResult:
    planned: tuple[Planned, ...]
    root: Path

    @property
    def written(self) -> list[Planned]:
        return [p for p in self.planned if not p.exists]

    @property
    def skipped(self) -> list[Planned]:
        return [p for p in self.planned if p.exists]


# --- reading -----------------------------------------------------------------------------------

def read_records(path: Path, shown: str) -> list[Record]:
    """The records of a `.json` or `.bib` file; raises ContentError/Problems at file:line."""
    suffix = path.suffix.lower()
    if suffix not in (".json", ".bib"):
        raise ContentError(f"cannot tell the format of '{printable(path.name)}': give a CSL JSON "
                           "file ending in .json (Zotero: File > Export Library > CSL JSON) or a "
                           "BibTeX file ending in .bib", Origin(shown))
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_REFS_BYTES + 1)
    except OSError as exc:
        raise ContentError(f"cannot read the file: {exc.strerror}", Origin(shown)) from exc
    if len(raw) > MAX_REFS_BYTES:
        raise ContentError(f"the file is over {MAX_REFS_BYTES:,} bytes: export fewer items",
                           Origin(shown))
    text = decode_utf8(raw, shown).removeprefix("\ufeff")
    return csl_records(text, shown) if suffix == ".json" else bibtex_records(text, shown)


def _clean(value: Any) -> str | None:
    """One line of text, or None for an empty value: records wrap and pad long fields."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        value = str(value)
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    return text or None


def _line_col(text: str, index: int) -> tuple[int, int]:
    return text.count("\n", 0, index) + 1, index - text.rfind("\n", 0, index)


def _json_items(text: str, shown: str) -> list[tuple[Any, Origin]]:
    """The items of a JSON array, each with the line it starts on. json.loads reports a syntax
    error at its line and column; raw_decode, item by item, tells where each item starts."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ContentError(f"invalid JSON: {exc.msg}: fix the file or export it again",
                           Origin(shown, exc.lineno, exc.colno)) from exc
    if not isinstance(data, list):
        raise ContentError("a CSL JSON file is a list of items ([{...}, ...]); this one is not: "
                           "export with Zotero's File > Export Library > CSL JSON",
                           Origin(shown, 1, 1))
    decoder = json.JSONDecoder()
    items = []
    i = text.index("[") + 1
    for _ in data:
        while text[i] in " \t\r\n,":
            i += 1
        obj, end = decoder.raw_decode(text, i)
        line, col = _line_col(text, i)
        items.append((obj, Origin(shown, line, col)))
        i = end
    return items


def _csl_name(name: Any, notes: list[str], what: str) -> dict[str, str] | None:
    """A CSL name as the source file's name mapping, part for part: `literal` (an organisation,
    as Zotero writes a one-field creator) stays whole; a name with no family part is written
    whole too, as it stands. None: the name has no text at all."""
    if not isinstance(name, dict):
        return None
    left = sorted(k for k in name if k not in CSL_NAME_KEYS and k not in CSL_NAME_FLAGS)
    if left:
        notes.append(f"{what} has {', '.join(printable(k) for k in left)}, which a source file "
                     "does not keep: not kept")
    literal = _clean(name.get("literal"))
    if literal:
        return {"literal": literal}
    parts = {ours: text for csl, ours in CSL_NAME_KEYS.items()
             if ours != "literal" and (text := _clean(name.get(csl)))}
    if not parts:
        return None
    if "family" not in parts:  # {"given": "Madonna"}: one name, shown as it is written
        return {"literal": " ".join(parts[k] for k in NAME_PARTS if k in parts)}
    return {k: parts[k] for k in NAME_PARTS if k in parts}


def _csl_names(item: dict[str, Any], key: str, what: str, origin: Origin,
               errors: Collector, notes: list[str]) -> list[dict[str, str]]:
    value = item.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        errors.add(ContentError(f"'{key}' of item '{printable(str(item.get('id')))}' must be a "
                                "list of names", origin))
        return []
    names = []
    for i, name in enumerate(value):
        parts = _csl_name(name, notes, f"{what} {i + 1}")
        if parts is None:
            errors.add(ContentError(
                f"{what} {i + 1} of item '{printable(str(item.get('id')))}' has no name (no "
                "'family', 'given' or 'literal'): fix the creator in Zotero and export again",
                origin))
            continue
        names.append(parts)
    return names


def _csl_text(item: dict[str, Any], key: str, notes: list[str]) -> str | None:
    """A CSL variable that a source file keeps as text: a string or a number, else noted."""
    value = item.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        notes.append(f"'{key}' is not text: not kept; write it by hand")
        return None
    return _clean(value)


def _doi(value: Any, notes: list[str]) -> str | None:
    """A DOI as `10.prefix/suffix`, from itself or its doi.org address."""
    doi = _clean(value)
    if doi is None:
        return None
    bare = re.sub(r"(?i)^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", "", doi)
    if DOI_RE.fullmatch(bare):
        return bare
    notes.append(f"the DOI '{printable(doi, 80)}' is not a DOI (10.prefix/suffix): not kept; "
                 "write it by hand")
    return None


def _language(value: Any, notes: list[str]) -> str | None:
    """A language tag (`en-GB`) or a language's English or biblatex name (`french`)."""
    text = _clean(value)
    if text is None:
        return None
    tag = LANGUAGE_NAMES.get(text.lower().replace(" ", ""), text)
    if LANG_RE.fullmatch(tag):
        return tag
    notes.append(f"the language '{printable(text, 40)}' is not a language tag such as 'en' or "
                 "'fr': not kept; write `language:` by hand (a style title-cases only English "
                 "titles)")
    return None


def _not_kept(keys: Sequence[str], notes: list[str]) -> None:
    if keys:
        notes.append(f"the record's {', '.join(printable(k) for k in sorted(keys))} "
                     f"{'has' if len(keys) == 1 else 'have'} no key in a source file: not kept")


def _csl_date(value: Any, key: str, notes: list[str]) -> str | None:
    """A CSL date as YYYY, YYYY-MM or YYYY-MM-DD; anything less certain is left out and said."""
    if value is None:
        return None
    if isinstance(value, dict):
        parts = value.get("date-parts")
        if isinstance(parts, list) and parts:
            if len(parts) > 1:
                notes.append(f"'{key}' is a range of dates: left out; write the date by hand")
                return None
            first = parts[0]
            if isinstance(first, list) and first and all(
                    isinstance(p, (int, str)) and str(p).strip().isdigit() for p in first[:3]):
                nums = [int(str(p)) for p in first[:3]]
                written = f"{nums[0]:04d}" + "".join(f"-{n:02d}" for n in nums[1:])
                return _date_or_note(written, key, notes)
        raw = value.get("raw", value.get("literal"))
        if raw is not None:
            return _date_or_note(_clean(raw) or "", key, notes)
    notes.append(f"'{key}' is not a date this import can read: left out; write it by hand")
    return None


def _date_or_note(written: str, key: str, notes: list[str]) -> str | None:
    form = written.replace("/", "-")
    if DATE_RE.fullmatch(form) and _calendar(form):
        return form
    notes.append(f"'{key}' is '{printable(written)}', not YYYY, YYYY-MM or YYYY-MM-DD: left "
                 "out; write it by hand")
    return None


def _calendar(value: str) -> bool:
    import datetime

    try:
        if len(value) == 10:
            datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _url(value: Any, notes: list[str]) -> str | None:
    url = _clean(value)
    if url is None:
        return None
    if url.startswith("https://") and " " not in url:
        return url
    notes.append(f"the URL '{printable(url, 80)}' is not an https address: left out; give the "
                 "article's https address if it has one")
    return None


def _accessed(value: str | None, notes: list[str]) -> str | None:
    if value is None:
        return None
    if FULL_DATE_RE.fullmatch(value) and _calendar(value):
        return value
    notes.append(f"the access date '{value}' is not a full YYYY-MM-DD date: left out")
    return None


def csl_records(text: str, shown: str) -> list[Record]:
    """CSL JSON items (Zotero: File > Export Library > CSL JSON) as records."""
    errors = Collector()
    records = []
    for n, (item, origin) in enumerate(_json_items(text, shown), start=1):
        if not isinstance(item, dict):
            errors.add(ContentError(f"item {n} is not an object {{...}}: a CSL JSON file is a "
                                    "list of items", origin))
            continue
        item_id = _clean(item.get("citation-key")) or _clean(item.get("id"))
        what = f"item '{printable(item_id)}'" if item_id else f"item {n}"
        title = _clean(item.get("title"))
        if title is None:
            errors.add(ContentError(f"{what} has no title: add its title in Zotero (or leave "
                                    "the item out of the export)", origin))
        if item_id is None:
            errors.add(ContentError(f"{what} has no 'id': export the item again from Zotero",
                                    origin))
        if title is None or item_id is None:
            continue
        notes: list[str] = []
        csl_type = _clean(item.get("type")) or "(none)"
        if csl_type not in CSL_TYPES and csl_type != "(none)":
            notes.append(f"the type '{printable(csl_type)}' is not a CSL type: not kept; the "
                         "citation style takes the source's kind instead")
        kind = CSL_KINDS.get(csl_type, "other")
        genre = (_clean(item.get("genre")) or "").lower()
        kind = next((k for word, k in GENRE_KINDS if word in genre), kind)
        issued = _csl_date(item.get("issued"), "issued", notes)
        accessed_raw = _csl_date(item.get("accessed"), "accessed", notes)
        fields: dict[str, Any] = {
            "title": title,
            "short_title": _clean(item.get("title-short") or item.get("shortTitle")),
            "label": title,
            "kind": kind,
            "csl_type": csl_type if csl_type in CSL_TYPES else None,
            "language": _language(item.get("language"), notes),
            "outlet": _clean(item.get("container-title")),
            "authors": _csl_names(item, "author", "author", origin, errors, notes),
            "editors": _csl_names(item, "editor", "editor", origin, errors, notes),
            "published": issued,
            **{ours: _csl_text(item, csl, notes) for csl, ours in CSL_DETAIL_KEYS.items()},
            "doi": _doi(item.get("DOI"), notes),
            "url": _url(item.get("URL"), notes),
            "accessed": _accessed(accessed_raw, notes),
        }
        _not_kept([k for k in item if k not in CSL_READ and item[k] not in (None, "", [], {})],
                  notes)
        derived = bool(_ZOTERO_URI.fullmatch(item_id)) and not item.get("citation-key")
        key = _derived_key(fields) if derived else item_id
        records.append(Record(key, origin, f"CSL type '{csl_type}'", fields, derived, notes))
    errors.raise_if_any()
    return records


@contextmanager
def _quiet(*names: str) -> Iterator[None]:
    """bibtexparser and pylatexenc log each problem to stderr as well: this module reports it
    once, as a located one-line error, so their loggers are held back meanwhile."""
    loggers = [logging.getLogger(n) for n in names]
    before = [(lg.level, lg.propagate) for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL + 1)
        lg.propagate = False
    try:
        yield
    finally:
        for lg, (level, propagate) in zip(loggers, before, strict=True):
            lg.setLevel(level)
            lg.propagate = propagate


def _latex_decoder() -> Any:
    """pylatexenc (bibtexparser's own dependency) as bibtexparser's LatexDecodingMiddleware
    sets it up; called per field so a URL's `~` and `%` are never decoded as LaTeX."""
    from pylatexenc.latex2text import LatexNodes2Text

    return LatexNodes2Text(math_mode="verbatim")


def _concatenated(value: str, strings: dict[str, str]) -> str | None:
    """A BibTeX `#` expression (`jpr # " Weekly"`) that bibtexparser leaves as written; None if
    a part names an @string that does not exist."""
    parts, depth, quoted, current = [], 0, False, ""
    for ch in value:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == '"' and depth == 0:
            quoted = not quoted
        if ch == "#" and depth == 0 and not quoted:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    parts.append(current.strip())
    out = []
    for part in parts:
        if len(part) >= 2 and part[0] + part[-1] in ('{}', '""'):
            out.append(part[1:-1])
        elif part.isdigit():
            out.append(part)
        elif part.lower() in strings:
            out.append(strings[part.lower()])
        else:
            return None
    return "".join(out)


def bibtex_records(text: str, shown: str) -> list[Record]:
    """BibTeX (or biblatex) entries as records, parsed by bibtexparser: @string macros, braces,
    LaTeX accents and `and`-separated names are its business, not a hand-written parser's."""
    import bibtexparser
    from bibtexparser import middlewares as mw
    from bibtexparser.middlewares.names import (
        parse_single_name_into_parts,
        split_multiple_persons_names,
    )

    errors = Collector()
    with _quiet("bibtexparser", "pylatexenc"):
        library = bibtexparser.parse_string(
            text, append_middleware=[mw.NormalizeFieldKeys(), mw.MonthIntMiddleware()])
        for block in library.failed_blocks:
            errors.add(ContentError(_failure(block), Origin(shown, (block.start_line or 0) + 1)))
        strings = {s.key.lower(): str(s.value) for s in library.strings}
        decoder = _latex_decoder()
        records = []
        for entry in library.entries:
            origin = Origin(shown, (entry.start_line or 0) + 1)
            what = f"entry '{printable(entry.key)}'"
            values: dict[str, Any] = {}
            for f in entry.fields:
                value = f.value
                if isinstance(value, str) and f.enclosing == "no-enclosing" \
                        and not value.isdigit():
                    resolved = _concatenated(value, strings)
                    if resolved is None:
                        errors.add(ContentError(
                            f"field '{f.key}' of {what} is '{printable(value, 60)}', which names "
                            "an @string that is not defined: define it or write the text in "
                            "braces", origin))
                        continue
                    value = resolved
                values[f.key] = value

            # the fields read: any other the entry has is named in its notes as not kept
            used = {"author", "editor", "date", "year", "month", "day", "url", "urldate", "doi"}

            def decoded(*keys: str, values: dict[str, Any] = values,
                        used: set[str] = used) -> str | None:
                for key in keys:
                    if isinstance(values.get(key), (str, int)):
                        try:
                            text_value = decoder.latex_to_text(str(values[key]))
                        except Exception:  # pylatexenc's own parse errors
                            text_value = str(values[key])
                        if cleaned := _clean(text_value):
                            used.add(key)
                            return cleaned
                return None

            def names(key: str, notes: list[str], what: str = what,
                      values: dict[str, Any] = values,
                      origin: Origin = origin) -> tuple[list[dict[str, str]], bool]:
                raw = values.get(key)
                if not isinstance(raw, str) or not raw.strip():
                    return [], False
                out, others = [], False
                for written in split_multiple_persons_names(raw):
                    if written.strip().lower() == "others":
                        others = True
                        continue
                    try:
                        parts = parse_single_name_into_parts(written)
                        name = _bibtex_name(written, parts, decoder)
                    except Exception as exc:  # bibtexparser's and pylatexenc's own errors
                        errors.add(ContentError(f"{key} '{printable(written, 60)}' of {what} "
                                                f"cannot be read as a name ({exc}): fix it",
                                                origin))
                        continue
                    if name is None:
                        continue
                    out.append(name)
                    if "," not in written and len(parts.first) > 1 and not parts.von:
                        shown = _clean(decoder.latex_to_text(written)) or written
                        notes.append(
                            f"the {key} '{printable(shown, 60)}' is written without a comma, "
                            f"so BibTeX takes '{printable(name['family'], 40)}' as the family "
                            "name; if it is longer, write it 'Family, Given' in the record and "
                            "import again, or fix the source file")
                return out, others

            title = decoded("title")
            if title is None:
                errors.add(ContentError(f"{what} has no title: add 'title = {{...}}'", origin))
                continue
            notes: list[str] = []
            entry_type = entry.entry_type.lower()
            kind = BIBTEX_KINDS.get(entry_type, "other")
            csl_type = BIBTEX_TYPES.get(entry_type)
            subtype = (decoded("entrysubtype") or "").lower()
            if entry_type == "article" and subtype in NEWS_SUBTYPES:
                kind, csl_type = "news", f"article-{subtype}"
            authors, others = names("author", notes)
            if others:
                notes.append("the record ends its authors with 'and others': only the named "
                             "authors are listed; add the rest by hand")
            editors, _ = names("editor", notes)
            # a web page's organisation is the site it is on; a report's is its publisher
            online = csl_type == "webpage"
            fields: dict[str, Any] = {
                "title": title,
                "short_title": decoded("shorttitle"),
                "label": title,
                "kind": kind,
                "csl_type": csl_type,
                "language": _language(decoded("langid", "language"), notes),
                "outlet": decoded("journaltitle", "journal", "booktitle",
                                  *(("organization",) if online else ())),
                "authors": authors,
                "editors": editors,
                "published": _bibtex_date(values, notes),
                "publisher": decoded("publisher", "institution", "school",
                                     *(() if online else ("organization",))),
                "place": decoded("location", "address"),
                "volume": decoded("volume"),
                # an @article's `number` is its issue; a report's, its report number
                "issue": decoded("issue", *(("number",) if entry_type == "article" else ())),
                "number": None if entry_type == "article" else decoded("number"),
                "pages": decoded("pages"),
                "edition": decoded("edition"),
                "series": decoded("series"),
                "genre": decoded("type"),
                "doi": _doi(values.get("doi"), notes),
                "isbn": decoded("isbn"),
                "url": _url(values.get("url"), notes),
                "accessed": _accessed(_clean(values.get("urldate")), notes),
            }
            _not_kept([k for k in values if k not in used and _clean(values[k])], notes)
            records.append(Record(entry.key, origin, f"BibTeX @{entry_type}", fields, False,
                                  notes))
    errors.raise_if_any()
    return records


def _bibtex_name(written: str, parts: Any, decoder: Any) -> dict[str, str] | None:
    """A BibTeX name as the source file's name mapping, split as BibTeX splits it (First von
    Last, Jr); a name braced whole (`{{Human Rights Watch}}`) is `literal`, never split."""
    def text(words: list[str]) -> str | None:
        return _clean(decoder.latex_to_text(" ".join(words))) if words else None

    whole = written.strip()
    if whole.startswith("{") and whole.endswith("}") and _one_group(whole):
        literal = text([whole])
        return {"literal": literal} if literal else None
    name = {"family": text(parts.last), "given": text(parts.first),
            "particle": text(parts.von), "suffix": text(parts.jr)}
    if not name["family"]:
        return None
    return {k: v for k, v in name.items() if v}


def _one_group(text: str) -> bool:
    """Is `{...}` one brace group from its first character to its last?"""
    depth = 0
    for i, ch in enumerate(text):
        depth += ch == "{"
        depth -= ch == "}"
        if depth == 0 and i < len(text) - 1:
            return False
    return depth == 0


def _failure(block: Any) -> str:
    """What bibtexparser could not read, in one line with what to do."""
    from bibtexparser.model import DuplicateBlockKeyBlock, DuplicateFieldKeyBlock

    if isinstance(block, DuplicateBlockKeyBlock):
        first = (block.previous_block.start_line or 0) + 1
        return (f"the key '{printable(block.key)}' is already used by the entry at line {first}:"
                " give each entry its own key")
    if isinstance(block, DuplicateFieldKeyBlock):
        keys = ", ".join(sorted(block.duplicate_keys))
        return f"the entry has the field {printable(keys)} twice: keep one"
    error = block.error
    reason = (getattr(error, "abort_reason", None) or getattr(error, "message", None)
              or str(error) or type(error).__name__)
    return (f"BibTeX entry could not be read: {printable(' '.join(str(reason).split()))}"
            .rstrip(".") + ": fix the entry")


def _bibtex_date(values: dict[str, Any], notes: list[str]) -> str | None:
    """biblatex `date`, else `year` with `month` and `day`: only what the entry gives."""
    date = _clean(values.get("date"))
    if date is not None:
        return _date_or_note(date, "date", notes)
    year = _clean(values.get("year"))
    if year is None:
        return None
    if not re.fullmatch(r"\d{4}", year):
        notes.append(f"the year '{printable(year)}' is not a four-digit year: left out")
        return None
    written = year
    month = values.get("month")
    if month is not None:
        if not (isinstance(month, int) or str(month).strip().isdigit()):
            notes.append(f"the month '{printable(str(month))}' is not a month: the date is "
                         "given as the year only")
            return written
        written += f"-{int(month):02d}"
        day = _clean(values.get("day"))
        if day is not None and day.isdigit():
            written += f"-{int(day):02d}"
    return _date_or_note(written, "date", notes)


# --- ids ---------------------------------------------------------------------------------------

def slug(text: str, *, word_breaks: bool = True) -> str:
    """A citation key as a source id: accents dropped, lowercase letters, digits and single
    hyphens, keeping the key's word breaks, written or in its capitals and digits
    (`Müller_2024:NATO` -> `muller-2024-nato`, `icrc2025CCMWithdrawal` ->
    `icrc-2025-ccm-withdrawal`), at most MAX_ID characters. `word_breaks=False`: the ids of
    earlier versions, which dropped them (`icrc2025ccmwithdrawal`)."""
    text = _word_breaks(text) if word_breaks else text
    text = "".join(_CYRILLIC.get(ch, ch) for ch in text.lower())
    folded = unicodedata.normalize("NFKD", text.translate(_FOLD))
    ascii_text = "".join(ch for ch in folded if not unicodedata.combining(ch)).lower()
    out = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    if len(out) > MAX_ID:
        out = out[:MAX_ID].rsplit("-", 1)[0] if "-" in out[:MAX_ID] else out[:MAX_ID]
    return out


def _word_breaks(text: str) -> str:
    """A space where a camelCase key breaks a word: a small letter before a capital
    (`vanDer`), a capital before a capitalised word (`CCMWithdrawal`), and a letter beside a
    digit (`icrc2025`)."""
    out = []
    for i, ch in enumerate(text):
        before = text[i - 1] if i else ""
        after = text[i + 1] if i + 1 < len(text) else ""
        if before and (
                (before.islower() and ch.isupper())
                or (before.isupper() and ch.isupper() and after.islower())
                or (before.isalpha() and ch.isdigit()) or (before.isdigit() and ch.isalpha())):
            out.append(" ")
        out.append(ch)
    return "".join(out)


def _id_name(fields: dict[str, Any]) -> str | None:
    """What names a record in its id: the first author's family name; else an organisation
    author's, editor's or the outlet's or publisher's name: whole when it is one or two words,
    else its initials (`Human Rights Watch` -> `hrw`)."""
    for name in (*fields["authors"], *fields["editors"]):
        if name.get("family"):
            return str(name["family"])
        if name.get("literal"):
            return _short(name["literal"])
    for key in ("outlet", "publisher"):
        if fields.get(key):
            return _short(fields[key])
    return None


def _short(name: str) -> str:
    words = [w for w in re.findall(r"\w+", name) if w.lower() not in _STOPWORDS]
    if len(words) <= 2:
        return " ".join(words)
    return "".join(w[0] for w in words)


def _derived_key(fields: dict[str, Any]) -> str:
    """An id for an item whose only id is a Zotero address (plain Zotero's CSL JSON export):
    who it is by (`_id_name`), the year, and the first words of the title that are not
    articles or prepositions, as many as make three parts (`muller-2025-baltic`,
    `unoda-convention-prohibition`, `states-parties-ottawa`): one word alone is no name."""
    parts = []
    name = _id_name(fields)
    if name and slug(name):
        parts.append(name)
    if fields["published"]:
        parts.append(fields["published"][:4])
    words = [w for w in re.findall(r"\w+(?:-\w+)*", fields["title"].lower())
             if w not in _STOPWORDS and len(w) > 1]  # "l'État": "l" and "état"
    parts.extend(words[:max(1, _ID_TITLE_WORDS - len(parts))])
    return "-".join(parts).lower()  # lower: its capitals are no word breaks (`McDonald`)


def plan(records: Sequence[Record], sources_dir: Path) -> list[Planned]:
    """Each record's id and file. Two records of one import with the same id: the later ones
    get `-2`, `-3`, ... in file order (and the summary says so); an existing file is kept,
    also one named by a citation key before ids kept its word breaks (`mueller2025baltic`),
    so that importing a collection again after that change writes no second file."""
    used: set[str] = set()
    out = []
    for record in records:
        base = slug(record.key)
        sid, n = base, 1
        while sid in used:
            n += 1
            sid = f"{base}-{n}"
        used.add(sid)
        path = sources_dir / f"{sid}.yaml"
        earlier = sources_dir / f"{slug(record.key, word_breaks=False)}.yaml"
        if (not os.path.lexists(path) and sid == base and not record.derived_key
                and earlier != path and os.path.lexists(earlier)):
            sid, path = earlier.stem, earlier
            used.add(sid)
        out.append(Planned(record, sid, path, os.path.lexists(path), sid not in (base,
                                                                             earlier.stem)))
    return out


# --- writing -----------------------------------------------------------------------------------

def yaml_scalar(value: Any) -> str:
    """A YAML scalar that reads back exactly: null, or a double-quoted string. JSON's string
    escapes are YAML's; line and paragraph separators are escaped too, as YAML folds them."""
    if value is None:
        return "null"
    text = json.dumps(str(value), ensure_ascii=False)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").replace(
        "\u0085", "\\u0085")


def source_yaml(fields: dict[str, Any], comments: Sequence[str] = ()) -> str:
    """The text of a source file: `comments` first (each line starting with '#'), then the
    keys in the documented order. A None value is written `null`; a key absent from `fields`
    is not written; a list of strings is a flow list of quoted strings, a list holding
    mappings (names: `{family: ..., given: ...}`) one item a line, each a flow mapping."""
    lines = [c if c.startswith("#") else f"# {c}" for c in comments]
    keys = [k for k in FIELD_ORDER if k in fields] + [k for k in fields if k not in FIELD_ORDER]
    for key in keys:
        value = fields[key]
        if key == "perspective" and value is None:
            lines.append(PERSPECTIVE_HELP)
        if isinstance(value, (list, tuple)) and any(isinstance(v, dict) for v in value):
            lines.append(f"{key}:")
            lines.extend(f"  - {_flow(v) if isinstance(v, dict) else yaml_scalar(v)}"
                         for v in value)
        elif isinstance(value, (list, tuple)):
            lines.append(f"{key}: [{', '.join(yaml_scalar(v) for v in value)}]")
        else:
            lines.append(f"{key}: {yaml_scalar(value)}")
    return "\n".join(lines) + "\n"


def _flow(mapping: dict[str, Any]) -> str:
    """`{family: "Berg", given: "Anna"}`: keys are plain words, values quoted scalars."""
    return "{" + ", ".join(f"{k}: {yaml_scalar(v)}" for k, v in mapping.items()) + "}"


def write_source_yaml(path: Path, fields: dict[str, Any], comments: Sequence[str] = ()) -> None:
    """Create one source metadata file (`content/sources/<id>.yaml`) from `fields` (source keys
    to str, None or a list of str), never replacing anything: FileExistsError if the path
    exists, even as a dangling link. Meant to be shared by every command that writes source
    metadata; the caller checks `fields` first (see `check_fields`)."""
    create_new(path, source_yaml(fields, comments).encode("utf-8"))


def check_fields(fields: dict[str, Any], sid: str, rel: str) -> list[str]:
    """What the source schema (validate.load_source) says about these fields, read back
    through the strict loader from the exact text write_source_yaml writes. The text file and
    an empty `perspective` are not checked: those are for the editor to add."""
    text = source_yaml(fields)
    doc = parse_text(text, rel)
    if dict(doc.data) != {k: v for k, v in fields.items()}:
        return [f"the file would not read back as written ({rel}): please report this"]
    errors = Collector()
    load_source(doc, rel, sid, rel.removesuffix(".yaml") + ".txt", None, errors)
    if not ID_RE.fullmatch(sid):
        errors.add(ContentError(f"'{sid}' is not a source id", Origin(rel)))
    messages = [e.message for e in errors.errors]
    if fields.get("label") == fields.get("title"):  # the label is the title: said once is enough
        messages = [m for m in messages
                    if m.replace("'label'", "'title'", 1) == m or
                    m.replace("'label'", "'title'", 1) not in messages]
    return messages


def _stated(fields: dict[str, Any]) -> dict[str, Any]:
    """Only what the record states, plus the editor's required `perspective` as null."""
    out = {k: v for k, v in fields.items() if v not in (None, [], "")}
    out["perspective"] = None
    return out


def import_refs(root: Path, refs_file: Path, shown: str) -> ImportResult:
    """Read, check and plan every record; then create the files that do not exist yet. Any
    problem is raised (as Problems) before the first file is written."""
    records = read_records(refs_file, shown)
    if not records:
        raise ContentError("the file holds no references: export at least one item",
                           Origin(shown))
    sources_dir = root / "content" / "sources"
    nearest = next(p for p in (sources_dir, sources_dir.parent, root) if p.exists())
    if not inside(nearest, (root,)):
        raise ContentError("content/sources leads outside the project: make it a folder of "
                           "the project", Origin("content/sources"))
    errors = Collector()
    for record in records:
        if not slug(record.key):
            errors.add(ContentError(
                f"{_what(record)} gives no letters or digits to make a source id from: give it "
                "a citation key in Latin letters (Zotero: the Citation Key field; BibTeX: the "
                "entry key)", record.origin))
    errors.raise_if_any()
    planned = plan(records, sources_dir)
    for p in planned:
        if p.exists:
            continue
        rel = relpath(p.yaml_path, root)
        for message in check_fields(_stated(p.record.fields), p.source_id, rel):
            errors.add(ContentError(f"{_what(p.record)}: {message}", p.record.origin))
    errors.raise_if_any()

    written: list[Path] = []
    with signals_deferred():
        try:
            sources_dir.mkdir(parents=True, exist_ok=True)
            for p in planned:
                if p.exists:
                    continue
                write_source_yaml(p.yaml_path, _stated(p.record.fields), _provenance(p.record))
                written.append(p.yaml_path)
        except OSError as exc:
            for path in written:
                path.unlink(missing_ok=True)
            raise OutputError(f"cannot write {relpath(Path(exc.filename or sources_dir), root)}:"
                              f" {exc.strerror}; nothing was imported",
                              Origin(shown)) from exc
    return ImportResult(tuple(planned), root)


def _what(record: Record) -> str:
    return f"record '{printable(record.key)}'"


def _provenance(record: Record) -> list[str]:
    return [f"# imported by `build.py import-refs` from {record.origin} ({record.kind_from}); "
            "check every field against the article itself"]


def summary(result: ImportResult, perspectives: Sequence[str] = ()) -> list[str]:
    """What was done per record, then what the editor must still do, one line per file."""
    root = result.root
    lines = []
    for p in result.planned:
        rel = relpath(p.yaml_path, root)
        origin = p.record.origin
        if p.exists:
            lines.append(f"{rel}: skipped: exists ({origin})")
            continue
        how = f"kind {p.record.fields['kind']} from {p.record.kind_from}"
        if p.renamed:
            how += f"; '{printable(p.record.key)}' is also another record's id, so '-N' was added"
        elif p.record.derived_key:
            how += "; id made from author, year and title (the item has no citation key)"
        lines.append(f"{rel}: written ({origin}; {how})")
        lines.extend(f"{origin}: note: {note}" for note in p.record.notes)
    written, skipped = result.written, result.skipped
    lines.append(f"imported {len(written)}, skipped {len(skipped)} (files that exist are never "
                 "replaced)")
    todo = []
    for p in result.planned:
        txt = p.yaml_path.with_suffix(".txt")
        if not os.path.lexists(txt):
            todo.append(f"{relpath(txt, root)}: add the article's verbatim text (one paragraph "
                        "per line)")
    for p in written:
        viewpoint = (f", and its viewpoint (one of: {', '.join(perspectives)})"
                     if perspectives else "")
        text = source_yaml(_stated(p.record.fields), _provenance(p.record))
        line = text.split("\n").index("perspective: null") + 1
        todo.append(f"{relpath(p.yaml_path, root)}:{line}: write the source's perspective in "
                    f"your own words{viewpoint}, and check its kind "
                    f"({p.record.fields['kind']})")
    if todo:
        lines.append("still to do before a block cites each source (until then `build.py "
                     "check` warns):")
        lines.extend(todo)
    return lines
