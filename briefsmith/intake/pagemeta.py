"""A saved web page's own statements about itself: its decoded HTML and its metadata.

In: the bytes of a saved page (`.html` as a browser's "Save page as" writes it, or `.mhtml`,
the single-file web archive). Out: the page's HTML as text (with any warning about how it was
decoded) and a `PageMeta` of what the page states (title, authors, outlet, published date,
URL, language), each field with a note of where it came from. Nothing is inferred from the
address, the file's date or today: a field the page does not state stays empty. Only the
standard library and lxml (already a WeasyPrint dependency) are used, and nothing is fetched.
"""

from __future__ import annotations

import calendar
import codecs
import email
import email.policy
import email.utils
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..core.errors import BriefsmithWarning, ContentError
from ..core.models import Origin

# JSON-LD types that describe an article (schema.org's CreativeWork subtypes used for one).
ARTICLE_TYPES = {"Article", "NewsArticle", "BlogPosting", "Report", "ReportageNews",
                 "AnalysisNewsArticle", "OpinionNewsArticle", "BackgroundNewsArticle",
                 "ScholarlyArticle", "TechArticle", "SocialMediaPosting", "LiveBlogPosting"}
NEWS_TYPES = {"NewsArticle", "ReportageNews", "AnalysisNewsArticle", "BackgroundNewsArticle",
              "LiveBlogPosting"}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_SAVED_FROM = re.compile(r"<!--\s*saved from url=\(\d+\)(\S+?)\s*-->", re.I)
_DATE = re.compile(r"(\d{4})(?:[-/](\d{1,2})(?:[-/](\d{1,2}))?)?(?![\d])")
_BY = re.compile(r"^\s*(?:by|written by|words by)\s*:?\s+", re.I)


@dataclass
class Decoded:
    """The page as text, how it was read, and what the archive itself states."""

    html: str
    encoding: str
    warnings: list[BriefsmithWarning] = field(default_factory=list)
    location: str | None = None  # the MHTML Snapshot-Content-Location
    saved: str | None = None  # the date the MHTML archive was made (its Date header)
    mhtml: bool = False


@dataclass
class PageMeta:
    """What the page states. `sources` maps each field to where it was found."""

    title: str | None = None
    authors: list[str] = field(default_factory=list)
    outlet: str | None = None
    published: str | None = None
    url: str | None = None
    language: str | None = None
    accessed: str | None = None  # only an MHTML archive states when it was saved
    kind: str = "other"
    sources: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


# --- decoding ----------------------------------------------------------------------------------

def is_mhtml(raw: bytes) -> bool:
    head = raw[:4096].lower()
    return b"multipart/related" in head and (b"mime-version" in head
                                             or b"snapshot-content-location" in head)


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        found = codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None
    # WHATWG: a page labelled Latin-1 or ASCII is read as windows-1252, as every browser does
    return "cp1252" if found in ("latin-1", "iso8859-1", "ascii") else found


def decode_html(raw: bytes, shown: str, declared: str | None = None) -> Decoded:
    """BOM first, then the charset the page (or its MHTML part) declares, then UTF-8, then
    windows-1252 with a warning: the order a browser follows, short of guessing."""
    for bom, name in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                      (codecs.BOM_UTF16_BE, "utf-16-be")):
        if raw.startswith(bom):
            return Decoded(raw[len(bom):].decode(name, errors="replace"), name)
    found = _META_CHARSET.search(raw[:8192])
    candidates: list[tuple[str | None, str]] = [
        (_codec(declared), "the MHTML part's charset"),
        (_codec(found.group(1).decode("ascii")) if found else None, "the page's meta charset")]
    for maybe, how in candidates:
        if maybe is None or maybe.startswith("utf-16"):
            continue
        name = maybe
        try:
            return Decoded(raw.decode(name), name)
        except UnicodeDecodeError as exc:
            line = raw[:exc.start].count(b"\n") + 1
            if name == "cp1252":
                return Decoded(raw.decode(name, errors="replace"), name,
                               [BriefsmithWarning(Origin(shown, line),
                                                  f"bytes that are not {name} ({how}); shown as "
                                                  "U+FFFD: check the text", "encoding")])
            break  # a wrong declaration: fall through to UTF-8 and windows-1252
    try:
        return Decoded(raw.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        return Decoded(raw.decode("cp1252", errors="replace"), "cp1252",
                       [BriefsmithWarning(Origin(shown, line),
                                          "the page declares no charset and is not UTF-8; read "
                                          "as windows-1252 (cp1252): check its quotes, dashes "
                                          "and accented letters", "encoding")])


def decode_page(raw: bytes, shown: str) -> Decoded:
    """An `.html` page or the HTML part of an `.mhtml` archive, as text."""
    if not is_mhtml(raw):
        return decode_html(raw, shown)
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    location = message.get("Snapshot-Content-Location")
    saved = None
    if message.get("Date"):
        try:
            saved = email.utils.parsedate_to_datetime(str(message["Date"])).date().isoformat()
        except (TypeError, ValueError):
            saved = None
    for part in message.walk():
        if part.get_content_type() == "text/html":
            body = part.get_payload(decode=True)
            if not isinstance(body, bytes):
                continue
            decoded = decode_html(body, shown, part.get_content_charset())
            decoded.location = location.strip() if location else part.get("Content-Location")
            decoded.saved, decoded.mhtml = saved, True
            return decoded
    raise ContentError("the MHTML archive holds no text/html part: save the page again "
                       "(as a web page, complete or single file)", Origin(shown))


def looks_like_html(text: str) -> bool:
    return bool(re.search(r"<\s*(!doctype\s+html|html|body|p|article|div|main)\b", text[:65536],
                          re.I))


# --- metadata ----------------------------------------------------------------------------------

def _clean(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    return text or None


def _date(value: str | None) -> str | None:
    """The date part a page states, as YYYY[-MM[-DD]], if it is a real calendar date."""
    if not value:
        return None
    match = _DATE.match(value.strip())
    if not match:
        return None
    year, month, day = match.groups()
    if month is None:
        return year
    m = int(month)
    if not 1 <= m <= 12:
        return None
    if day is None:
        return f"{year}-{m:02d}"
    d = int(day)
    if not 1 <= d <= calendar.monthrange(int(year), m)[1]:
        return None
    return f"{year}-{m:02d}-{d:02d}"


def _types(item: dict[str, Any]) -> set[str]:
    kind = item.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {k.rsplit("/", 1)[-1] for k in kinds if isinstance(k, str)}


def _walk(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, list):
        for item in value:
            yield from _walk(item)
    elif isinstance(value, dict):
        yield value
        if "@graph" in value:
            yield from _walk(value["@graph"])


def _names(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        name = _clean(item.get("name")) if isinstance(item, dict) else _clean(item)
        if name and not name.startswith(("http://", "https://")):
            out.append(name)
    return out


def _split_byline(text: str) -> list[str]:
    text = _BY.sub("", " ".join(text.split()))
    text = re.split(r"\s+[|•·]\s+|\s+-\s+|\s+—\s+", text)[0]  # "By X | 3 March"
    parts = re.split(r",\s*(?:and\s+)?|\s+and\s+|\s*&\s*", text)
    return [p.strip() for p in parts if p.strip() and len(p.split()) <= 5]


def _in_furniture(el: Any) -> bool:
    for up in el.iterancestors():
        marks = f"{up.get('id') or ''} {up.get('class') or ''}".lower()
        if up.tag in ("footer", "aside", "form", "nav") or "comment" in marks:
            return True
    return False


def read_meta(html: str, decoded: Decoded) -> PageMeta:
    """Fields in order of trust: JSON-LD, then OpenGraph and article:*, then citation_* and
    Dublin Core meta tags, then the page itself (byline, <h1>, <title>, lang, canonical)."""
    from lxml import html as lxml_html

    meta = PageMeta()
    try:
        tree = lxml_html.document_fromstring(html)
    except (ValueError, TypeError):  # lxml refuses empty or undecodable documents
        return meta

    def put(key: str, value: Any, where: str) -> None:
        if value in (None, "", []) or key in meta.sources:
            return
        setattr(meta, key, value)
        meta.sources[key] = where

    # JSON-LD
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            meta.notes.append("a JSON-LD block that is not valid JSON was skipped")
            continue
        for item in _walk(data):
            kinds = _types(item) & ARTICLE_TYPES
            if not kinds:
                continue
            what = f"JSON-LD {sorted(kinds)[0]}"
            if "kind" not in meta.sources:
                meta.kind = ("opinion" if "OpinionNewsArticle" in kinds
                             else "news" if kinds & NEWS_TYPES else "other")
                meta.sources["kind"] = f"{what} @type"
            put("title", _clean(item.get("headline")) or _clean(item.get("name")),
                f"{what} headline")
            put("authors", _names(item.get("author")), f"{what} author")
            publisher = item.get("publisher")
            put("outlet", _names(publisher)[0] if _names(publisher) else None,
                f"{what} publisher.name")
            put("published", _date(_clean(item.get("datePublished"))),
                f"{what} datePublished")
            put("url", _clean(item.get("url")) or _clean(item.get("mainEntityOfPage")),
                f"{what} url")
            put("language", _clean(item.get("inLanguage")), f"{what} inLanguage")

    def metas(*names: str) -> list[tuple[str, str]]:
        found = []
        for el in tree.xpath("//meta[@content]"):
            key = (el.get("property") or el.get("name") or el.get("itemprop") or "").lower()
            if key in names:
                value = _clean(el.get("content"))
                if value:
                    found.append((key, value))
        return found

    def first(*names: str) -> tuple[str | None, str]:
        found = metas(*names)
        return (found[0][1], found[0][0]) if found else (None, "")

    for key, tags in (("title", ("og:title", "citation_title", "dc.title", "dcterms.title")),
                       ("outlet", ("og:site_name", "citation_journal_title", "dc.publisher",
                                   "dcterms.publisher")),
                       ("url", ("og:url", "citation_public_url", "citation_abstract_html_url")),
                       ("language", ("og:locale", "citation_language", "dc.language",
                                     "content-language"))):
        value, name = first(*tags)
        put(key, value, f"meta {name}")
    value, name = first("article:published_time", "citation_publication_date", "citation_date",
                        "dc.date", "dcterms.issued", "dc.date.issued", "dcterms.date")
    put("published", _date(value), f"meta {name}")
    author_tags: list[tuple[str, ...]] = [("article:author",), ("citation_author",), ("author",),
                                          ("dc.creator", "dcterms.creator")]
    for names in author_tags:
        put("authors", _names([v for _, v in metas(*names)]), f"meta {names[0]}")
    # the page itself
    canonical = tree.xpath('//link[@rel="canonical"]/@href')
    href = _clean(canonical[0]) if canonical else None
    if href and href.startswith("https://") and meta.sources.get("url", "").startswith("meta"):
        # a canonical link is the page's own statement of its address: it wins over og:url
        # (only a usable one: a relative or empty link must not push out a good og:url)
        del meta.sources["url"]
        meta.url = None
    put("url", href, "<link rel=canonical>")
    bylines = tree.xpath('//*[@rel="author"] | //*[@itemprop="author"] | //*[contains('
                         'concat(" ", normalize-space(@class), " "), " byline ")] | //*[contains('
                         'concat(" ", normalize-space(@class), " "), " author ")]')
    for el in bylines:
        if _in_furniture(el):
            continue  # a commenter's name is not the article's author
        byline = _split_byline(el.text_content())
        if byline:
            put("authors", byline, "the byline")
            break
    h1 = tree.xpath("//h1")
    put("title", _clean(h1[0].text_content()) if h1 else None, "the page's <h1>")
    lang = tree.xpath("/html/@lang")
    put("language", _clean(lang[0]) if lang else None, "<html lang>")
    saved = _SAVED_FROM.search(html[:4096])
    if decoded.location:
        put("url", decoded.location, "the MHTML Snapshot-Content-Location header")
    if saved:
        put("url", saved.group(1), "the browser's <!-- saved from url --> comment")
    if meta.url and not meta.url.startswith("https://"):
        meta.notes.append(f"the page's address {meta.url} ({meta.sources['url']}) is not https:"
                          " left out; give the https address if there is one")
        meta.url = None
        del meta.sources["url"]
    return meta
