"""Ingest a saved web page as a source: `build.py ingest PAGE.html|PAGE.mhtml`.

In: a page the user saved with their browser (anywhere on disk: it is the user's input, read
once). Out, in the project's `content/sources/`: `<id>.txt` (the article's paragraphs, verbatim,
one per line, as trafilatura extracts them from the page with boilerplate left out),
`<id>.yaml` (what the page states about itself, each field with a comment saying where it came
from: `pagemeta`), and `<id>.page.html` or `<id>.page.mhtml`, the saved page itself, so the text
can be extracted again without the network (the loader reads only `*.yaml` and `*.txt`). With
`propose`, `content/proposals/<id>.yaml` holds candidate fact and quote blocks, each citing an
exact passage of the `.txt`; the loader never reads that folder, so nothing there is in a brief
until the editor moves a block into `content/blocks/`. Nothing is fetched, and nothing is
replaced without `force`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..content.schema import ID_RE
from ..core.errors import BriefsmithWarning, ContentError, OutputError
from ..core.files import create_new, signals_deferred, write_atomic
from ..core.models import Origin, relpath
from ..core.paths import inside
from ..core.vocabulary import QUALIFIER_PATTERN, normalise, sentences
from .pagemeta import Decoded, PageMeta, decode_page, looks_like_html, read_meta
from .references import MAX_ID, slug, yaml_scalar

MAX_PAGE_BYTES = 50_000_000
# Left empty: only the editor can describe it, and `check` warns until a block cites the source.
PERSPECTIVE_TODO = "perspective:"
# Characters that format a page but are not text: a quote could never be typed with them.
INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
# Lines an extractor sometimes keeps that are usually page furniture, not article text.
FURNITURE_WORDS = 12  # a longer paragraph is furniture only if it opens with the call
_CLUTTER = (
    (re.compile(r"\b(subscribe|subscription|sign[ -]?up|newsletter|log ?in|register)\b", re.I),
     "looks like a sign-up prompt"),
    (re.compile(r"\b(read more|related|see also|more on this|recommended|click here)\b", re.I),
     "looks like a link to other articles"),
    (re.compile(r"©|\bcopyright\b|\ball rights reserved\b", re.I), "looks like a footer"),
    (re.compile(r"\b(share|tweet|follow us|whatsapp|facebook|comments?)\b", re.I),
     "looks like a sharing or comment prompt"),
    (re.compile(r"\bcookies?\b|\badvertisement\b|\bsponsored\b", re.I),
     "looks like a banner or advertisement"),
    (re.compile(r"\b(photo(graph)?|image|picture|credit|illustration)\s*[:/]|\b(getty images|"
                r"afp|reuters|ap photo|shutterstock)\b", re.I), "looks like a photo credit"),
)
_NUMBER = re.compile(rf"(?:\b(?P<q>{QUALIFIER_PATTERN})\s+)?(?<![\w.,])(?P<n>\d[\d,]*(?:\.\d+)?)"
                     r"(?P<u>\s*(?:%|per ?cent|million|billion|thousand))?(?:\s+[a-z][a-z-]+)?",
                     re.I)
_QUOTED = re.compile(r"[\"“]([^\"“”]{8,}?)[,.]?[\"”]")
_NAME = r"((?:[A-Z][\w'’-]+\s){0,3}[A-Z][\w'’-]+)"
_SAID_AFTER = re.compile(rf"^[\s,]*(?:said|says|told \w+|added|according to)\s+{_NAME}")
_SAID_BEFORE = re.compile(rf"{_NAME}\s+(?:said|says|told \w+|added)[\s:,]*$")
_AFTER_NAME = re.compile(rf"^[\s,]*{_NAME}\s+(?:said|says|added)\b")


@dataclass
class Ingested:
    """What was written and what the editor should look at."""

    source_id: str
    written: list[Path]
    review: list[str]
    warnings: list[BriefsmithWarning]
    todo: list[str]
    proposals: int = 0
    notes: list[str] = field(default_factory=list)


# --- text --------------------------------------------------------------------------------------

def extract_paragraphs(html: str) -> list[str]:
    """The article's paragraphs in reading order: headings, paragraphs, list items and block
    quotes of trafilatura's main text, each on one line with its spacing collapsed. Precision
    is favoured: a paragraph missing shows in review of the page, clutter kept would be cited."""
    import trafilatura
    from lxml import etree
    from trafilatura.settings import use_config

    config = use_config()
    config.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")  # no SIGALRM: the CLI owns the signals
    result = trafilatura.extract(html, output_format="xml", include_comments=False,
                                 include_images=False, include_tables=False,
                                 include_links=False, with_metadata=False,
                                 favor_precision=True, deduplicate=False, config=config)
    if not result:
        return []
    root = etree.fromstring(result.encode("utf-8"))
    main = root.find("main")
    if main is None:
        return []
    out = []
    for el in main.iter("head", "p", "item", "quote"):
        if el.tag == "quote" and el.find(".//p") is not None:
            continue  # its paragraphs are taken one by one
        if el.tag == "p" and el.getparent() is not None and el.getparent().tag == "item":
            continue
        text = " ".join("".join(el.itertext()).translate(INVISIBLE).split())
        if text:
            out.append(text)
    return out


def review_lines(paragraphs: list[str], rel: str) -> list[str]:
    """`rel:line: review: ...` for each kept line that looks like page furniture."""
    out = []
    for n, line in enumerate(paragraphs, 1):
        # Furniture is short, or opens with its call ("Sign up to…", "Related: …"); a word such
        # as "recommended" or "register" inside an article's long sentence is the article's.
        short = len(line.split()) <= FURNITURE_WORDS
        reasons = [why for pattern, why in _CLUTTER
                   if (found := pattern.search(line)) and (short or found.start() <= 3)]
        if len(line.split()) <= 3 and not reasons:
            reasons.append("a short line (a heading, a caption or a link?)")
        if reasons:
            shown = line if len(line) <= 70 else line[:67] + "..."
            out.append(f"{rel}:{n}: review: {'; '.join(reasons)}: \"{shown}\": keep it only if "
                       "it is the article's text")
    return out


# --- ids and files -----------------------------------------------------------------------------

ID_WORDS = 6  # a page's default id: its title's first words that say something
_TITLE_STOPWORDS = frozenset({"a", "an", "the", "of", "on", "in", "and", "for", "to", "at", "by",
                              "with", "from", "as", "is", "are", "its", "their", "it"})


def title_id(title: str) -> str:
    """A short id from a headline: its first ID_WORDS words that say something, so that a
    60-character slug is not cut mid-phrase ('...-russia-s'): a possessive's "s" and small
    words are left out."""
    words = [w for w in re.findall(r"[^\W_]+", title)
             if len(w) > 1 and w.casefold() not in _TITLE_STOPWORDS]
    return slug(" ".join(words[:ID_WORDS]))

def source_yaml(meta: PageMeta, label: str, page_name: str, shown: str) -> str:
    """The source file: each field preceded by a comment saying where the page states it;
    what it does not state is `null` with a comment saying so."""
    lines = [f"# ingested by `build.py ingest` from {Path(shown).name} (kept as {page_name}); "
             "check every field against the article itself"]
    if meta.language:
        lines.append(f"# language: {meta.language} (from {meta.sources['language']})")

    def put(key: str, value: Any, where: str | None) -> None:
        lines.append(f"# {key}: {where}" if where else f"# {key}: not stated on the page")
        if isinstance(value, list):
            lines.append(f"{key}: [{', '.join(yaml_scalar(v) for v in value)}]")
        else:
            lines.append(f"{key}: {yaml_scalar(value)}")

    put("title", meta.title, meta.sources.get("title"))
    put("label", label, "the title" if meta.title else "the saved file's name (no title)")
    put("kind", meta.kind, meta.sources.get("kind", "no article type stated") + "; check it")
    put("outlet", meta.outlet, meta.sources.get("outlet"))
    put("authors", meta.authors, meta.sources.get("authors"))
    put("published", meta.published, meta.sources.get("published"))
    put("url", meta.url, meta.sources.get("url"))
    if meta.accessed:
        put("accessed", meta.accessed, meta.sources.get("accessed"))
    lines.append("# perspective: describe the source in your own words (e.g. \"treaty-"
                 "supportive analysis\"); no page states it")
    lines.append(PERSPECTIVE_TODO)
    return "\n".join(lines) + "\n"


def _write(path: Path, data: bytes, force: bool) -> None:

    (write_atomic if force else create_new)(path, data)


# --- proposals ---------------------------------------------------------------------------------

def _figure(sentence: str) -> str | None:
    """The first figure of a sentence with its qualifier and the word after it; a bare year
    ("in 2023") is not a figure."""
    for match in _NUMBER.finditer(sentence):
        if (not match.group("q") and not match.group("u")
                and re.fullmatch(r"(?:1[89]|20)\d\d", match.group("n"))):
            continue
        return match.group(0).strip().rstrip(",.")
    return None


def _speaker(before: str, after: str) -> str | None:
    for pattern, text in ((_SAID_AFTER, after), (_AFTER_NAME, after), (_SAID_BEFORE, before)):
        match = pattern.search(text)
        if match:
            return match.group(1)
    return None


def proposals_yaml(sid: str, paragraphs: list[str]) -> tuple[str, int]:
    """Candidate blocks: a fact for each sentence with a figure, a quote for each quotation
    with a guessed speaker. Every cited passage is a whole sentence of the text that occurs
    once in it, so it verifies as written."""
    whole = normalise(" ".join(paragraphs))
    lines = [f"# Candidate blocks from content/sources/{sid}.txt, written by `build.py ingest "
             "--propose`.", "# Nothing here is in a brief: move a block you accept into a file "
             "under content/blocks/,", "# check its wording, as_of and speaker, and run "
             "`build.py check`.", ""]
    count, seen = 0, set()
    facts = quotes = 0
    for paragraph in paragraphs:
        for _, sentence in sentences(paragraph, clauses=False):
            key = normalise(sentence)
            if key in seen or len(sentence.split()) < 3 or whole.count(key) != 1:
                continue
            seen.add(key)
            figure = _figure(sentence)
            if figure and not _QUOTED.search(sentence):
                facts += 1
                year = re.search(r"\b(?:19|20)\d\d\b", sentence)
                lines += [f"- id: {sid[:MAX_ID - 8].rstrip('-')}-fact-{facts}", "  type: fact",
                          f"  text: {yaml_scalar(sentence)}", f"  figure: {yaml_scalar(figure)}"]
                if year:
                    lines += ["  # as_of: a guess from the year the sentence names: check what "
                              "period the figure describes", f"  as_of: \"{year.group(0)}\""]
                else:
                    lines.append("  # as_of: required: add the period the figure describes "
                                 "(\"YYYY\", \"YYYY-MM\" or \"YYYY-MM-DD\")")
                lines += ["  cites:", f"    - source: {sid}",
                          f"      quote: {yaml_scalar(sentence)}", ""]
                count += 1
            for match in _QUOTED.finditer(sentence):
                words = match.group(1).strip().rstrip(",")
                if len(words.split()) < 3:
                    continue
                quotes += 1
                speaker = _speaker(sentence[:match.start()], sentence[match.end():])
                lines += [f"- id: {sid[:MAX_ID - 9].rstrip('-')}-quote-{quotes}", "  type: quote",
                          f"  words: {yaml_scalar(words)}"]
                if speaker:
                    lines.append("  # speaker: UNCERTAIN: guessed from the words around the "
                                 "quotation; check who said it")
                else:
                    lines.append("  # speaker: required: the text does not say who said it "
                                 "in this sentence; find out, or drop the block")
                lines += [f"  speaker: {yaml_scalar(speaker)}", "  cites:", f"    - source: {sid}",
                          f"      quote: {yaml_scalar(sentence)}", ""]
                count += 1
    return "\n".join(lines).rstrip("\n") + "\n", count


# --- the command -------------------------------------------------------------------------------

def ingest(root: Path, page: Path, shown: str, *, source_id: str | None = None,
           propose: bool = False, force: bool = False) -> Ingested:
    """Read the page, extract and check everything, then write. Any problem is raised before
    the first file is written."""
    try:
        with open(page, "rb") as handle:
            raw = handle.read(MAX_PAGE_BYTES + 1)
    except OSError as exc:
        raise ContentError(f"cannot read the page: {exc.strerror}", Origin(shown)) from exc
    if len(raw) > MAX_PAGE_BYTES:
        raise ContentError(f"the page is over {MAX_PAGE_BYTES:,} bytes: save it without "
                           "its media (\"web page, HTML only\")", Origin(shown))
    decoded: Decoded = decode_page(raw, shown)
    html = decoded.html
    if not looks_like_html(html):
        raise ContentError("this is not an HTML page (no <html>, <body> or <p> tag): give a "
                           "page saved from a browser (.html or .mhtml)", Origin(shown, 1))
    meta = read_meta(html, decoded)
    if decoded.saved:
        meta.accessed = decoded.saved
        meta.sources["accessed"] = "the date the MHTML archive was saved (its Date header)"
    paragraphs = extract_paragraphs(html)
    if not paragraphs:
        raise ContentError("no article text found in the page: save the article's own page "
                           "(not a list or a front page), or paste its text into a .txt file",
                           Origin(shown))
    if source_id is not None:
        if not ID_RE.fullmatch(source_id):
            raise ContentError(f"--id '{source_id}' is not a source id: use lowercase letters, "
                               "digits and hyphens", Origin(shown))
        sid = source_id
    else:
        sid = title_id(meta.title or "") or slug(page.stem)
        if not sid:
            raise ContentError("no title or file name to make a source id from: give one with "
                               "--id", Origin(shown))
    sources_dir = root / "content" / "sources"
    for folder in (sources_dir, root / "content" / "proposals"):
        nearest = next(p for p in (folder, folder.parent, root) if p.exists())
        if not inside(nearest, (root,)):
            raise ContentError(f"{relpath(folder, root)} leads outside the project: make it a "
                               "folder of the project", Origin(relpath(folder, root)))
    suffix = ".page.mhtml" if decoded.mhtml else ".page.html"
    txt = sources_dir / f"{sid}.txt"
    yml = sources_dir / f"{sid}.yaml"
    kept = sources_dir / f"{sid}{suffix}"
    targets: dict[Path, bytes] = {
        txt: ("\n".join(paragraphs) + "\n").encode("utf-8"),
        yml: source_yaml(meta, meta.title or f"web page saved as {page.name}", kept.name,
                         shown).encode("utf-8"),
        kept: raw,
    }
    count = 0
    if propose:
        text, count = proposals_yaml(sid, paragraphs)
        targets[root / "content" / "proposals" / f"{sid}.yaml"] = text.encode("utf-8")
    if not force:
        for path in targets:
            if os.path.lexists(path):
                raise OutputError(f"{relpath(path, root)} exists: nothing was written; give "
                                  "--force to replace it, or another --id", Origin(shown))

    written: list[Path] = []
    with signals_deferred():
        try:
            for path, data in targets.items():
                path.parent.mkdir(parents=True, exist_ok=True)
                _write(path, data, force)
                written.append(path)
        except OSError as exc:
            if not force:
                for path in written:
                    path.unlink(missing_ok=True)
            raise OutputError(f"cannot write {relpath(Path(exc.filename or sources_dir), root)}"
                              f": {exc.strerror}", Origin(shown)) from exc
    rel_txt, rel_yml = relpath(txt, root), relpath(yml, root)
    line = source_yaml(meta, "x", kept.name, shown).split("\n").index(
        PERSPECTIVE_TODO) + 1
    todo = [f"{rel_yml}:{line}: write the source's perspective in your own words, check its kind "
            f"({meta.kind}), and add 'viewpoint:' if briefsmith.yaml declares perspectives"]
    missing = [k for k in ("title", "authors", "outlet", "published", "url")
               if k not in meta.sources]
    if missing:
        todo.append(f"{rel_yml}: not stated on the page: {', '.join(missing)} (left empty; "
                    "fill in only what the article itself states)")
    notes = [f"{shown}: note: {n}" for n in meta.notes]
    return Ingested(sid, written, review_lines(paragraphs, rel_txt), decoded.warnings, todo,
                    count, notes)
