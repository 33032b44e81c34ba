"""The page of a Word document as the PDF has it: paper size, margins, note numbering, and the
size of a picture the stylesheet sizes by its class (the logo).

In: the audience's stylesheet text, as the PDF renderer reads it (the built-in and the
project's style.css files, briefsmith.yaml's `@page { size: … }` last). Out: a `Layout`, and the
Word XML that carries it: the section properties at the end of word/document.xml (page size,
margins, decimal footnote and endnote numbers) and the same note numbering in
word/settings.xml. pandoc writes no section properties, so a word processor falls back to its
own: US Letter, and LibreOffice and Word number endnotes i, ii, iii.

The stylesheet is read with tinycss2 (WeasyPrint's own CSS parser): the declarations of the
`@page` rules without a selector (not `:first`, not a named page) and the `height` and `width`
of the rules whose selector ends with one class (`.house-logo`, `img.minister-logo`), top level
or in `@media print`, later ones winning (an `!important` one over those that are not).
Specificity is not weighed: the built-in stylesheets set each of these once, in rules of
equal weight.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import tinycss2
from lxml import etree

from .docx_xml import parse, place, w, write

# Lengths in points.
_UNITS = {"pt": 1.0, "in": 72.0, "cm": 72 / 2.54, "mm": 72 / 25.4, "q": 72 / 101.6,
          "pc": 12.0, "px": 0.75}
# CSS Paged Media's page-size keywords, portrait (width, height).
_PAGES = {name: (w_ * _UNITS[unit], h * _UNITS[unit]) for name, (w_, h, unit) in {
    "a5": (148, 210, "mm"), "a4": (210, 297, "mm"), "a3": (297, 420, "mm"),
    "b5": (176, 250, "mm"), "b4": (250, 353, "mm"), "jis-b5": (182, 257, "mm"),
    "jis-b4": (257, 364, "mm"), "letter": (8.5, 11, "in"), "legal": (8.5, 14, "in"),
    "ledger": (11, 17, "in")}.items()}
_ONE_CLASS = re.compile(r"(?:^|[\s>+~])(?:img)?\.(-?[_a-zA-Z][\w-]*)$")
# CT_SectPr's children in schema order.
_SECTION_ORDER = ("headerReference", "footerReference", "footnotePr", "endnotePr", "type",
                  "pgSz", "pgMar", "paperSrc", "pgBorders", "lnNumType", "pgNumType", "cols",
                  "formProt", "vAlign", "noEndnote", "titlePg", "textDirection", "bidi",
                  "rtlGutter", "docGrid", "printerSettings", "sectPrChange")
# CT_Settings' children from w:footnotePr on (m:mathPr and sl:schemaLibrary among them): the
# note properties go before the first of those after them that is present, else last.
_SETTINGS_ORDER = ("footnotePr", "endnotePr", "compat", "docVars", "rsids", "mathPr",
                   "attachedSchema", "themeFontLang", "clrSchemeMapping",
                   "doNotIncludeSubdocsInStats", "doNotAutoCompressPictures", "forceUpgrade",
                   "captions", "readModeInkLockDown", "smartTagType", "schemaLibrary",
                   "shapeDefaults", "doNotEmbedSmartTags", "decimalSymbol", "listSeparator")
_HEADER_DISTANCE = 720  # twips: where a header or footer would sit (the document has none)


@dataclass(frozen=True)
class Layout:
    """Page size and margins (top, right, bottom, left) in points; for each class the
    stylesheet gives a length as height or width, the two in points (None: auto, the
    picture's proportions), sorted by class."""

    width: float
    height: float
    margins: tuple[float, float, float, float]
    images: tuple[tuple[str, float | None, float | None], ...] = ()

    def image_size(self, classes: list[str]) -> tuple[float | None, float | None] | None:
        """(height, width) of the last of `classes` the stylesheet sizes, or None."""
        sized = {name: (height, width) for name, height, width in self.images}
        return next((sized[c] for c in reversed(classes) if c in sized), None)


# The house defaults of templates/_base/style.css.
DEFAULT = Layout(width=_PAGES["a4"][0], height=_PAGES["a4"][1],
                 margins=(26 * _UNITS["mm"], 25 * _UNITS["mm"], 25 * _UNITS["mm"],
                          25 * _UNITS["mm"]),
                 images=(("house-logo", 11 * _UNITS["mm"], None),))


_SIDES = ("margin-top", "margin-right", "margin-bottom", "margin-left")
Value = float | tuple[float, float] | None


def layout(stylesheet: str) -> Layout:
    """What the PDF's stylesheet says of the page and the pictures; the house defaults where it
    says nothing a Word document can take (a percentage, an unknown keyword)."""
    page: dict[str, tuple[bool, Value]] = {}
    images: dict[str, dict[str, tuple[bool, Value]]] = {}
    for rule in _rules(tinycss2.parse_stylesheet(stylesheet, skip_comments=True,
                                                 skip_whitespace=True)):
        if rule.type == "at-rule" and rule.lower_at_keyword == "page":
            if not _meaningful(rule.prelude) and rule.content is not None:
                _declare(page, rule.content, _page_value)
        elif rule.type == "qualified-rule":
            for selector in tinycss2.serialize(rule.prelude).split(","):
                if found := _ONE_CLASS.search(selector.strip()):
                    _declare(images.setdefault(found.group(1), {}), rule.content, _image_value)

    size = page.get("size", (False, None))[1]
    width, height = size if isinstance(size, tuple) else (DEFAULT.width, DEFAULT.height)
    top, right, bottom, left = (
        value if isinstance(value := page.get(side, (False, None))[1], float) else default
        for side, default in zip(_SIDES, DEFAULT.margins, strict=True))
    sized = []
    for name, declared in sorted(images.items()):
        image_height, image_width = (declared.get(key, (False, None))[1]
                                     for key in ("height", "width"))
        if isinstance(image_height, float) or isinstance(image_width, float):
            sized.append((name, image_height if isinstance(image_height, float) else None,
                          image_width if isinstance(image_width, float) else None))
    return Layout(width=width, height=height, margins=(top, right, bottom, left),
                  images=tuple(sized))


def _declare(into: dict[str, tuple[bool, Value]], content: list[tinycss2.ast.Node],
             read: Callable[[str, list[tinycss2.ast.Node]], list[tuple[str, Value]]]) -> None:
    """The block's declarations over those before them, longhand by longhand: a later one wins
    unless an earlier one is `!important` and it is not. A value `read` cannot take is dropped,
    as CSS drops an invalid declaration."""
    for item in tinycss2.parse_blocks_contents(content, skip_comments=True,
                                               skip_whitespace=True):
        if item.type != "declaration":
            continue
        for name, value in read(item.lower_name, item.value):
            earlier = into.get(name)
            if earlier is None or item.important or not earlier[0]:
                into[name] = (item.important, value)


def _page_value(name: str, tokens: list[tinycss2.ast.Node]) -> list[tuple[str, Value]]:
    if name == "size":
        size = _size(tokens)
        return [("size", size)] if size else []
    values = _lengths(tokens)
    if name == "margin" and 1 <= len(values) <= 4:
        # top, right, bottom, left, a missing one from its opposite side
        top, right = values[0], values[1] if len(values) > 1 else values[0]
        bottom = values[2] if len(values) > 2 else top
        left = values[3] if len(values) > 3 else right
        return list(zip(_SIDES, (top, right, bottom, left), strict=True))
    if name in _SIDES and len(values) == 1:
        return [(name, values[0])]
    return []


def _image_value(name: str, tokens: list[tinycss2.ast.Node]) -> list[tuple[str, Value]]:
    if name not in ("height", "width"):
        return []
    words = _meaningful(tokens)
    if len(words) == 1 and words[0].type == "ident" and words[0].lower_value == "auto":
        return [(name, None)]
    value = _single(tokens)
    return [(name, value)] if value is not None else []


def _rules(rules: list[tinycss2.ast.Node]) -> list[tinycss2.ast.Node]:
    """The top-level rules, with those of `@media print` in their place."""
    found = []
    for rule in rules:
        if (rule.type == "at-rule" and rule.lower_at_keyword == "media"
                and rule.content is not None
                and tinycss2.serialize(rule.prelude).strip().lower() == "print"):
            found += _rules(tinycss2.parse_rule_list(rule.content, skip_comments=True,
                                                     skip_whitespace=True))
        else:
            found.append(rule)
    return found


def _meaningful(tokens: list[tinycss2.ast.Node]) -> list[tinycss2.ast.Node]:
    return [t for t in tokens if t.type not in ("whitespace", "comment")]


def _length(token: tinycss2.ast.Node) -> float | None:
    if token.type == "dimension" and token.lower_unit in _UNITS and token.value >= 0:
        return float(token.value) * _UNITS[token.lower_unit]
    if token.type == "number" and token.value == 0:
        return 0.0
    return None


def _lengths(tokens: list[tinycss2.ast.Node]) -> list[float]:
    """Every value a length, or nothing."""
    values = [_length(t) for t in _meaningful(tokens)]
    return [v for v in values if v is not None] if all(v is not None for v in values) else []


def _single(tokens: list[tinycss2.ast.Node]) -> float | None:
    values = _lengths(tokens)
    return values[0] if len(values) == 1 and values[0] > 0 else None


def _size(tokens: list[tinycss2.ast.Node]) -> tuple[float, float] | None:
    """`size`: a keyword and an orientation in either order, or one or two lengths."""
    values = _meaningful(tokens)
    if values and all(t.type == "ident" for t in values) and len(values) <= 2:
        names = [t.lower_value for t in values]
        orientation = next((n for n in names if n in ("portrait", "landscape")), "portrait")
        paper = [n for n in names if n not in ("portrait", "landscape")]
        if len(paper) > 1 or (paper and paper[0] not in _PAGES) or len(names) - len(paper) > 1:
            return None
        short, long = sorted(_PAGES[paper[0]] if paper else _PAGES["a4"])
        return (long, short) if orientation == "landscape" else (short, long)
    lengths = _lengths(values)
    if len(lengths) in (1, 2) and all(v > 0 for v in lengths):
        return lengths[0], lengths[-1]
    return None


def twips(points: float) -> int:
    return round(points * 20)


# ------------------------------------------------------------------ the Word XML

_NOTE_ORDER = ("pos", "numFmt", "numStart", "numRestart")


def _numbering(parent: etree._Element, kind: str, order: tuple[str, ...]) -> None:
    """`parent`'s w:footnotePr or w:endnotePr (kept with what else it says, pandoc's
    w:numRestart) numbering its notes 1, 2, 3."""
    properties = parent.find(w(f"{kind}Pr"))
    if properties is None:
        properties = etree.Element(w(f"{kind}Pr"))
        place(parent, properties, order)
    place(properties, etree.Element(w("numFmt"), {w("val"): "decimal"}), _NOTE_ORDER)


def set_section(parts: dict[str, bytes], page: Layout) -> None:
    """The document's last (only) section given the page size, margins and note numbering,
    and the settings the same note numbering, in place."""
    document = parse(parts["word/document.xml"])
    body = document.find(w("body"))
    if body is None:
        return
    section = body.find(w("sectPr"))  # the body's own: the last section's properties
    if section is None:
        section = etree.SubElement(body, w("sectPr"))
    top, right, bottom, left = (str(twips(m)) for m in page.margins)
    size = {w("w"): str(twips(page.width)), w("h"): str(twips(page.height))}
    if page.width > page.height:
        size[w("orient")] = "landscape"
    for kind in ("footnote", "endnote"):
        _numbering(section, kind, _SECTION_ORDER)
    for child in (etree.Element(w("pgSz"), size),
                  etree.Element(w("pgMar"), {
                      w("top"): top, w("right"): right, w("bottom"): bottom, w("left"): left,
                      w("header"): str(_HEADER_DISTANCE), w("footer"): str(_HEADER_DISTANCE),
                      w("gutter"): "0"})):
        place(section, child, _SECTION_ORDER)
    parts["word/document.xml"] = write(document, parts["word/document.xml"])

    settings = parse(parts["word/settings.xml"])
    for kind in ("footnote", "endnote"):
        _numbering(settings, kind, _SETTINGS_ORDER)
    parts["word/settings.xml"] = write(settings, parts["word/settings.xml"])
