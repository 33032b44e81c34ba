"""Stage 3b: format citations and bibliographies with a real CSL processor (pandoc's citeproc).

In: one output's citations in document order, a CSL style and a language. Out: `Formatted`:
each citation's HTML and the bibliography's entries.

pandoc is a separate process costing tens to hundreds of milliseconds, so it runs once per
brief-and-audience (all of that output's citations in one batch, in document order so that note
styles can shorten repeats), and its answer is cached on disk by a hash of everything it read.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import subprocess
import tempfile
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import nh3

from ..core.errors import CitationError
from ..core.files import write_atomic
from ..core.models import Citation, Name, Origin, Source, para_locator
from ..core.paths import PACKAGE_ASSETS, inside

ASSETS_CSL = PACKAGE_ASSETS / "csl"
_CSL_TYPES = {
    "news": "article-newspaper",
    "analysis": "article-magazine",
    "opinion": "article-magazine",
    "commentary": "article-magazine",
    "think-tank paper": "report",
    "report": "report",
    "treaty": "legislation",
    "government statement": "document",
    "other": "document",
}
_ALLOWED_TAGS = {"em", "i", "strong", "b", "span", "sup", "sub", "a"}
PANDOC_TIMEOUT = 60


@dataclass(frozen=True)
class Formatted:
    """What the CSL processor made of one output's citations."""

    style_class: str  # "note" or "in-text"
    citations: tuple[str, ...]  # HTML per occurrence, in document order
    bibliography: tuple[tuple[str, str], ...]  # (source id, entry HTML), in the style's order


def find_style(name: str, root: Path, folders: tuple[Path, ...] = ()) -> Path:
    """A style named in a brief, the config or an audience: the template chain's folders first,
    then the project's csl/ folder, then the built-in styles."""
    search = (*folders, root / "csl", ASSETS_CSL)
    for folder in search:
        path = folder / f"{name}.csl"
        if path.is_file():
            if not inside(path, (root, ASSETS_CSL, *folders)):
                raise CitationError(f"citation style {path.name} in {folder} is a link to a file "
                                    "outside the project: copy the style into the project "
                                    "instead")
            return path
    known = sorted({p.stem for d in search if d.is_dir() for p in d.glob("*.csl")})
    raise CitationError(f"citation style '{name}' not found in csl/ or the built-in styles; "
                        f"available: {', '.join(known)}")


def style_class(path: Path) -> str:
    head = path.read_text(encoding="utf-8")[:2000]
    match = re.search(r'<style[^>]*\bclass="([a-z-]+)"', head)
    return match.group(1) if match else "in-text"


# A source file's name parts (models.Name) and details (models.SOURCE_DETAILS) as CSL names them
_NAME_PARTS = {"family": "family", "given": "given", "particle": "non-dropping-particle",
               "dropping_particle": "dropping-particle", "suffix": "suffix",
               "literal": "literal"}
CSL_DETAILS = {"place": "publisher-place", "volume": "volume", "issue": "issue", "pages": "page",
               "number": "number", "edition": "edition", "series": "collection-title",
               "genre": "genre", "doi": "DOI", "isbn": "ISBN"}


def _name(name: Name) -> dict[str, str]:
    """A name as the source file states it: never split here (a string is `literal`)."""
    return {csl: value for key, csl in _NAME_PARTS.items()
            if (value := getattr(name, key)) is not None}


def csl_item(source: Source) -> dict[str, object]:
    """A source as CSL JSON, carrying only what the article states (nothing invented)."""
    item: dict[str, object] = {
        "id": source.id,
        "type": source.csl_type or _CSL_TYPES[source.kind],
        "title": source.display_title,
    }
    if source.authors:
        item["author"] = [_name(a) for a in source.authors]
    if source.editors:
        item["editor"] = [_name(e) for e in source.editors]
    if source.short_title:  # an untitled source's short label keeps its square brackets
        item["title-short"] = source.short_title if source.title else f"[{source.short_title}]"
    if source.outlet:
        item["container-title"] = source.outlet
    if source.publisher:
        item["publisher"] = source.publisher
    for key, value in source.details:
        item[CSL_DETAILS[key]] = value
    if source.language:  # a style title-cases an English title only, never a French one
        item["language"] = source.language
    if source.published:
        item["issued"] = {"date-parts": [[int(p) for p in source.published.split("-")]]}
    if source.url:
        item["URL"] = source.url
    if source.accessed:
        item["accessed"] = {"date-parts": [[int(p) for p in source.accessed.split("-")]]}
    return item


# The label words pandoc reads as CSL's "paragraph" locator, singular and plural: it does not
# read "para", and kept "para 4" as plain text after the citation, outside the style's own
# label and punctuation ("[1], para 4" beside "[1, Paras 11, 12]" in IEEE; "'T', para 4" beside
# "'T' paras 4, 7" in OSCOLA). The style then writes the label as it prescribes, in its case:
# the vendored ieee.csl wrote it "Para." mid-citation and now writes "para." (assets/csl/README).
LOCATOR_WORDS = ("paragraph", "paragraphs")


def merged_locator(citations: list[Citation]) -> str:
    """One pinpoint for several quotes from one source, as a CSL locator: 'paragraph 4',
    'paragraphs 4, 7' or 'paragraphs 6–7' (the numbers as models.para_locator writes them)."""
    return para_locator(*((c.first_para, c.last_para) for c in citations), words=LOCATOR_WORDS)


def _sanitise(fragment: str) -> str:
    return nh3.clean(fragment.strip(), tags=_ALLOWED_TAGS, attributes={"a": {"href"}},
                     url_schemes={"https"}, link_rel=None)


def pandoc_path() -> str:
    """The pandoc pypandoc chooses (its bundled binary, or a newer one on the PATH). Finding it
    runs each candidate's `--version`, a tenth of a second, which every output's citations
    need (it keys their cache) even when all of them come from the cache: `find_pandoc` starts
    that in a thread, so it overlaps the template's render."""
    return find_pandoc().result()


@cache
def find_pandoc() -> Future[str]:
    found: Future[str] = Future()

    def look() -> None:
        try:
            import pypandoc  # bundles the pandoc binary (pypandoc-binary)

            found.set_result(str(pypandoc.get_pandoc_path()))
        except BaseException as exc:  # given to whoever asks for the path
            found.set_exception(exc)

    threading.Thread(target=look, name="find-pandoc", daemon=True).start()
    return found


def format_citations(occurrences: list[tuple[Citation, ...]], style: Path, language: str,
                     cache_dir: Path | None) -> Formatted:
    """Format every citation occurrence of one output, plus its bibliography, in one batch."""
    sources = {c.source.id: c.source for occ in occurrences for c in occ}
    refs = json.dumps([csl_item(s) for s in sorted(sources.values(), key=lambda s: s.id)],
                      ensure_ascii=False, sort_keys=True)
    lines = []
    for i, occ in enumerate(occurrences):
        by_source: dict[str, list[Citation]] = {}
        for c in occ:
            by_source.setdefault(c.source.id, []).append(c)
        cites = "; ".join(f"@{sid}, {merged_locator(group)}" for sid, group in by_source.items())
        lines.append(f"::: {{#bs-{i}}}\n[{cites}]\n:::\n")
    lines.append("::: {#refs}\n:::\n")
    markdown = "\n".join(lines)
    style_bytes = style.read_bytes()
    key = hashlib.sha256(
        b"\0".join([pandoc_path().encode(), style_bytes, refs.encode(), markdown.encode(),
                    language.encode()])
    ).hexdigest()
    cached = cache_dir / f"{key}.json" if cache_dir else None
    if cached is not None and cached.is_file():
        data = json.loads(cached.read_text(encoding="utf-8"))
        return Formatted(data["class"], tuple(data["citations"]),
                         tuple((k, v) for k, v in data["bibliography"]))
    out = _run_pandoc(markdown, refs, style, language)
    kind = style_class(style)
    if kind == "note":
        notes = dict(re.findall(r'<li id="fn(\d+)"><p>(.*?)<a href="#fnref\1"', out, re.S))
        citations = tuple(_sanitise(notes.get(str(i + 1), "")) for i in range(len(occurrences)))
    else:
        divs = dict(re.findall(r'<div id="bs-(\d+)">\s*<p>(.*?)</p>\s*</div>', out, re.S))
        citations = tuple(_sanitise(divs.get(str(i), "")) for i in range(len(occurrences)))
    if any(not c for c in citations):
        raise CitationError(f"the citation processor returned no text for some citations with "
                            f"style {style.name}: check that the style file is valid CSL",
                            Origin(style.name))
    bibliography = tuple(
        (html.unescape(sid), _sanitise(entry))
        # pandoc writes each entry's closing tag on its own line; numeric styles nest
        # one-line <div>s (label, text) inside an entry
        for sid, entry in re.findall(
            r'<div id="ref-([^"]+)" class="csl-entry"[^>]*>\s*(.*?)\s*\n</div>', out, re.S)
    )
    result = Formatted(kind, citations, bibliography)
    if cached is not None:

        write_atomic(cached, json.dumps({"class": kind, "citations": list(citations),
                                         "bibliography": [list(b) for b in bibliography]}
                                        ).encode("utf-8"))
    return result


def _run_pandoc(markdown: str, refs: str, style: Path, language: str) -> str:
    with tempfile.TemporaryDirectory(prefix="briefsmith-csl-") as tmp:
        bib = Path(tmp) / "refs.json"
        bib.write_text(refs, encoding="utf-8")
        csl = Path(tmp) / "style.csl"
        csl.write_bytes(style.read_bytes())
        cmd = [pandoc_path(), "--sandbox", "--citeproc", f"--csl={csl}", f"--bibliography={bib}",
               "-M", f"lang={language}", "-f", "markdown", "-t", "html", "--wrap=none"]
        try:
            proc = subprocess.run(cmd, input=markdown.encode(), capture_output=True,
                                  timeout=PANDOC_TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise CitationError(f"could not run the citation processor (pandoc): {exc}") from exc
    if proc.returncode != 0:
        message = proc.stderr.decode(errors="replace").strip().splitlines()
        raise CitationError(f"the citation processor failed with style {style.name}: "
                            f"{message[-1] if message else 'exit ' + str(proc.returncode)}",
                            Origin(style.name))
    return proc.stdout.decode("utf-8")
