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
from ..content.schema import DATE_RE, FULL_DATE_RE, ID_RE, Fields
from ..core.errors import Collector, ContentError, OutputError, printable
from ..core.files import create_new, signals_deferred
from ..core.models import SOURCE_KINDS, Origin
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
# biblatex's `entrysubtype` of an @article, as Zotero's BibLaTeX export writes it
NEWS_SUBTYPES = {"newspaper", "magazine"}
# a CSL `genre` (Zotero's "Type" field) that says what the piece is
GENRE_KINDS = (("opinion", "opinion"), ("op-ed", "opinion"), ("editorial", "opinion"),
               ("column", "opinion"), ("commentary", "commentary"))
_STOPWORDS = {"a", "an", "the", "of", "on", "in", "and", "for", "to", "at", "by", "with"}
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
FIELD_ORDER = ("title", "short_title", "label", "kind", "outlet", "authors", "editors",
               "published", "url", "accessed", "perspective", "viewpoint", "notes")
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


def _csl_name(name: Any) -> str | None:
    if not isinstance(name, dict):
        return None
    literal = _clean(name.get("literal"))
    if literal:
        return literal
    parts = [_clean(name.get(k)) for k in ("given", "dropping-particle", "non-dropping-particle",
                                           "family", "suffix")]
    text = " ".join(p for p in parts if p)
    return text or None


def _csl_names(item: dict[str, Any], key: str, what: str, origin: Origin,
               errors: Collector) -> list[str]:
    value = item.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        errors.add(ContentError(f"'{key}' of item '{printable(str(item.get('id')))}' must be a "
                                "list of names", origin))
        return []
    names = []
    for i, name in enumerate(value):
        text = _csl_name(name)
        if text is None:
            errors.add(ContentError(
                f"{what} {i + 1} of item '{printable(str(item.get('id')))}' has no name (no "
                "'family', 'given' or 'literal'): fix the creator in Zotero and export again",
                origin))
            continue
        names.append(text)
    return names


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
            "outlet": _clean(item.get("container-title")) or _clean(item.get("publisher")),
            "authors": _csl_names(item, "author", "author", origin, errors),
            "editors": _csl_names(item, "editor", "editor", origin, errors),
            "published": issued,
            "url": _url(item.get("URL"), notes),
            "accessed": _accessed(accessed_raw, notes),
        }
        derived = bool(_ZOTERO_URI.fullmatch(item_id)) and not item.get("citation-key")
        key = _derived_key(fields, _first_name_word(item)) if derived else item_id
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

            def decoded(*keys: str, values: dict[str, Any] = values) -> str | None:
                for key in keys:
                    if isinstance(values.get(key), (str, int)):
                        try:
                            text_value = decoder.latex_to_text(str(values[key]))
                        except Exception:  # pylatexenc's own parse errors
                            text_value = str(values[key])
                        if cleaned := _clean(text_value):
                            return cleaned
                return None

            def names(key: str, what: str = what, values: dict[str, Any] = values,
                      origin: Origin = origin) -> tuple[list[str], bool]:
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
                    except Exception as exc:
                        errors.add(ContentError(f"{key} '{printable(written, 60)}' of {what} "
                                                f"cannot be read as a name ({exc}): fix it",
                                                origin))
                        continue
                    name = _clean(decoder.latex_to_text(parts.merge_first_name_first))
                    if name:
                        out.append(name)
                return out, others

            title = decoded("title")
            if title is None:
                errors.add(ContentError(f"{what} has no title: add 'title = {{...}}'", origin))
                continue
            notes: list[str] = []
            entry_type = entry.entry_type.lower()
            kind = BIBTEX_KINDS.get(entry_type, "other")
            if entry_type == "article" and (decoded("entrysubtype") or "").lower() in \
                    NEWS_SUBTYPES:
                kind = "news"
            authors, others = names("author")
            if others:
                notes.append("the record ends its authors with 'and others': only the named "
                             "authors are listed; add the rest by hand")
            editors, _ = names("editor")
            fields: dict[str, Any] = {
                "title": title,
                "short_title": decoded("shorttitle"),
                "label": title,
                "kind": kind,
                "outlet": decoded("journaltitle", "journal", "booktitle", "institution",
                                  "organization", "publisher"),
                "authors": authors,
                "editors": editors,
                "published": _bibtex_date(values, notes),
                "url": _url(values.get("url"), notes),
                "accessed": _accessed(_clean(values.get("urldate")), notes),
            }
            records.append(Record(entry.key, origin, f"BibTeX @{entry_type}", fields, False,
                                  notes))
    errors.raise_if_any()
    return records


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

def slug(text: str) -> str:
    """A citation key as a source id: accents dropped, lowercase letters, digits and single
    hyphens (`Müller_2024:NATO` -> `muller-2024-nato`), at most MAX_ID characters."""
    text = "".join(_CYRILLIC.get(ch, ch) for ch in text.lower())
    folded = unicodedata.normalize("NFKD", text.translate(_FOLD))
    ascii_text = "".join(ch for ch in folded if not unicodedata.combining(ch)).lower()
    out = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    if len(out) > MAX_ID:
        out = out[:MAX_ID].rsplit("-", 1)[0] if "-" in out[:MAX_ID] else out[:MAX_ID]
    return out


def _first_name_word(item: dict[str, Any]) -> str | None:
    """The first author's family name, or the first word of an organisation's (literal) name."""
    authors = item.get("author")
    if not isinstance(authors, list) or not authors or not isinstance(authors[0], dict):
        return None
    family = _clean(authors[0].get("family"))
    if family:
        return family
    literal = _clean(authors[0].get("literal"))
    return literal.split()[0] if literal else None


def _derived_key(fields: dict[str, Any], name: str | None) -> str:
    """An id for an item whose only id is a Zotero address (plain Zotero's CSL JSON export):
    the first author's family name, the year and the first word of the title that is not an
    article or preposition, each part only when the record has it."""
    parts = []
    if name and slug(name):
        parts.append(name)
    if fields["published"]:
        parts.append(fields["published"][:4])
    words = [w for w in re.findall(r"\w+", fields["title"].lower()) if w not in _STOPWORDS]
    if words:
        parts.append(words[0])
    return "-".join(parts)


def plan(records: Sequence[Record], sources_dir: Path) -> list[Planned]:
    """Each record's id and file. Two records of one import with the same id: the later ones
    get `-2`, `-3`, ... in file order (and the summary says so); an existing file is kept."""
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
        out.append(Planned(record, sid, path, os.path.lexists(path), sid != base))
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
    is not written; a list is a flow list of quoted strings."""
    lines = [c if c.startswith("#") else f"# {c}" for c in comments]
    keys = [k for k in FIELD_ORDER if k in fields] + [k for k in fields if k not in FIELD_ORDER]
    for key in keys:
        value = fields[key]
        if key == "perspective" and value is None:
            lines.append(PERSPECTIVE_HELP)
        if isinstance(value, (list, tuple)):
            lines.append(f"{key}: [{', '.join(yaml_scalar(v) for v in value)}]")
        else:
            lines.append(f"{key}: {yaml_scalar(value)}")
    return "\n".join(lines) + "\n"


def write_source_yaml(path: Path, fields: dict[str, Any], comments: Sequence[str] = ()) -> None:
    """Create one source metadata file (`content/sources/<id>.yaml`) from `fields` (source keys
    to str, None or a list of str), never replacing anything: FileExistsError if the path
    exists, even as a dangling link. Meant to be shared by every command that writes source
    metadata; the caller checks `fields` first (see `check_fields`)."""
    create_new(path, source_yaml(fields, comments).encode("utf-8"))


def check_fields(fields: dict[str, Any], sid: str, rel: str) -> list[str]:
    """What the source schema (validate.load_source) would say about these fields, read back
    through the strict loader from the exact text write_source_yaml writes. The text file and
    an empty `perspective` are not checked: those are for the editor to add."""
    text = source_yaml(fields)
    doc = parse_text(text, rel)
    if dict(doc.data) != {k: v for k, v in fields.items()}:
        return [f"the file would not read back as written ({rel}): please report this"]
    errors = Collector()
    f = Fields(doc.data, f"source '{sid}'", errors)
    f.check_keys(set(), set(FIELD_ORDER))
    for key in ("title", "label", "outlet", "notes", "perspective"):
        if key != "label" or fields.get("label") != fields.get("title"):  # said once is enough
            f.text(key)
    f.text("short_title", limit=120)
    f.choice("kind", SOURCE_KINDS, required=True)
    f.text_list("authors")
    f.text_list("editors")
    f.pattern("published", DATE_RE, "YYYY, YYYY-MM or YYYY-MM-DD")
    f.pattern("accessed", FULL_DATE_RE, "YYYY-MM-DD")
    f.pattern("url", re.compile(r"https://\S+"), "an https address")
    if not ID_RE.fullmatch(sid):
        errors.add(ContentError(f"'{sid}' is not a source id", Origin(rel)))
    return [e.message for e in errors.errors]


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
        lines.append("still to do before `build.py check` passes:")
        lines.extend(todo)
    return lines
