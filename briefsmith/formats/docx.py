"""Stage 6b: a Word document from the HTML a template rendered for the "docx" format.

In: the complete HTML page of one brief and audience, rendered with `format == "docx"` and its
citations filled (render.fill_citations marks each note as `<span class="bs-docx-note">`), plus
the audience's stylesheet text (house style included) and the brief's metadata. Out: the bytes
of a .docx file.

pandoc (bundled by pypandoc-binary, run with --sandbox so it reads only the files named on its
command line and never the network) turns the HTML into Word: headings into the Heading 1/2/3
styles, tables into Word tables, images (data: URLs only; files are inlined from the project's
template and content folders first) into embedded pictures with their alt text (an SVG one
also as PNG, docx_png.py), and each marked note, through a small Lua filter, into a real Word
footnote. pandoc writes footnotes only, so
for an endnotes audience the notes are moved into word/endnotes.xml afterwards, with their
relationships and content type. The Word styles come from a reference document made from
pandoc's default one with the audience's fonts and colours (cached in output/.cache/). What the
PDF's stylesheet lays out is carried over: the paper, margins and decimal note numbers in the
section properties and settings (docx_layout.py), the logo at its CSS height, the contents and
the bibliography as paragraphs, not lists, the headings at the levels the page nests them in
(_word_layout); and the vendored fonts are embedded (docx_fonts.py). Dates, zip timestamps and
the order of the parts are fixed, so the same inputs give the same bytes.

The HTML and the Word XML are changed as element trees (lxml), never as text: a pattern over
markup once lost a tag's ">" and the element after <main> with it, and an attribute holding ">"
or a comment holding a tag can mislead any pattern. docx_xml.py reads the parts without entities
or network and writes a changed part back as pandoc wrote it, so the bytes stay pandoc's
everywhere Briefsmith did not change them.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import mimetypes
import re
import subprocess
import tempfile
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import lxml.html
from lxml import etree

from ..core.errors import RenderError
from ..core.files import write_atomic
from ..core.models import Origin
from ..core.paths import OutsideProject, read_inside
from ..render.csl import pandoc_path
from ..render.html import language_of
from ..theme import font_instances
from . import docx_xml
from .docx_fonts import Face, embed_fonts, vendored_faces
from .docx_layout import DEFAULT, Layout, layout, set_section
from .docx_png import add_png_fallbacks
from .docx_xml import (
    A_NS,
    DECLARATION,
    PIC_NS,
    R_NS,
    REL_NS,
    TYPES_NS,
    W_NS,
    WP_NS,
    XML_NS,
    markup,
    parse,
    w,
    write,
)

if TYPE_CHECKING:
    from ..content.config import Config
    from ..content.select import Selection
    from ..theme.templates import TemplateChain

PANDOC_TIMEOUT = 120
MAX_IMAGE_BYTES = 10_000_000
NOTE_CLASS = "bs-docx-note"
# pandoc's AST, adjusted for Word: a Span marked as a note becomes a pandoc Note (the docx
# writer makes it a Word footnote); the running heads of the PDF's page margins are left out; a
# figure without a picture (a quote and its speaker) becomes its content and a caption line,
# where pandoc would otherwise lay it out as a table; a picture's figure keeps only its picture
# and caption (its title goes before it, a chart's data table after it): pandoc lays a figure of
# several blocks out as a table of subfigures, the picture shrunk into one cell.
_FILTER = f"""
function Span(el)
  if el.classes:includes("{NOTE_CLASS}") then
    return pandoc.Note(pandoc.Plain(el.content))
  end
end

function Div(el)
  if el.classes:includes("running-title") or el.classes:includes("running-label") then
    return {{}}
  end
end

function Figure(fig)
  -- pandoc lays a figure of several blocks out as a table of subfigures, the picture shrunk
  -- into one of its cells: a title before the picture goes before the figure, a table after
  -- it (a chart's data) after the figure
  local before, kept, after = pandoc.Blocks({{}}), pandoc.Blocks({{}}), pandoc.Blocks({{}})
  for _, block in ipairs(fig.content) do
    local has = false
    pandoc.walk_block(block, {{Image = function() has = true end}})
    if has then kept:insert(block) elseif #kept == 0 then before:insert(block)
    else after:insert(block) end
  end
  if #kept > 0 then
    if #before == 0 and #after == 0 then
      return nil
    end
    fig.content = kept
    return before .. pandoc.Blocks({{fig}}) .. after
  end
  local blocks = pandoc.Blocks(fig.content)
  local caption = pandoc.utils.blocks_to_inlines(fig.caption.long)
  if #caption > 0 then
    blocks:insert(pandoc.Div({{pandoc.Para(caption)}}, {{["custom-style"] = "Caption"}}))
  end
  return pandoc.Div(blocks, fig.attr)
end
"""
# The house defaults of templates/_base/style.css, used when a stylesheet does not set one.
_DEFAULTS = {"accent": "1F4E5F", "accent-soft": "EEF3F5", "ink": "1A1A1A", "muted": "5A5A5A",
             "rule": "C8C8C8", "serif": "Source Serif 4", "sans": "Source Sans 3"}
_PROPERTY = re.compile(r"--(accent-soft|accent|ink|muted|rule|serif|sans)\s*:\s*([^;{}]+)")
_HEX = re.compile(r"#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")
_FAMILY = re.compile(r"""\s*["']?([A-Za-z0-9][A-Za-z0-9 \-]*?)["']?\s*(?:,|$)""")
_ENDNOTES_TYPE = f"{R_NS}/endnotes"
_ENDNOTES_CONTENT = "application/vnd.openxmlformats-officedocument.wordprocessingml.endnotes+xml"


@dataclass(frozen=True)
class HouseStyle:
    """What the Word styles carry of the house style: two families and five colours (hex)."""

    serif: str
    sans: str
    accent: str
    accent_soft: str
    ink: str
    muted: str
    rule: str


@dataclass(frozen=True)
class DocMeta:
    title: str
    author: str
    date: str  # ISO date: the document's created and modified dates, and the zip timestamps
    language: str
    keywords: tuple[str, ...] = ()
    description: str = ""
    endnotes: bool = False


def house_style(stylesheet: str) -> HouseStyle:
    """The custom properties the audience's CSS ends with (briefsmith.yaml's come last, so they
    win): the same fonts and colours as the PDF and HTML."""
    found = dict(_DEFAULTS)
    for name, value in _PROPERTY.findall(stylesheet):
        if name in ("serif", "sans"):
            family = _FAMILY.match(value)
            if family:
                found[name] = family.group(1).strip()
        elif hex_ := _HEX.fullmatch(value.strip()):
            digits = hex_.group(1)
            found[name] = (digits if len(digits) == 6 else "".join(c * 2 for c in digits)).upper()
    return HouseStyle(found["serif"], found["sans"], found["accent"], found["accent-soft"],
                      found["ink"], found["muted"], found["rule"])


def render_docx(html: str, selection: Selection, templates: TemplateChain, config: Config,
                cache_dir: Path | None) -> bytes:
    """The pipeline's entry point: one selection's filled HTML → .docx bytes. `cache_dir` is
    the citation cache's folder; the reference documents go beside it."""

    brief, audience = selection.brief, selection.audience

    meta = DocMeta(title=brief.title, author=brief.author or config.organisation or "",
                   date=brief.date, language=language_of(brief, config),
                   keywords=tuple(brief.keywords),
                   description=f"{brief.subtitle or brief.title} ({audience.label})",
                   endnotes=audience.notes == "endnotes")
    folders = (*templates.folders, templates.root / "content")
    stylesheet = templates.stylesheet()
    style = house_style(stylesheet)
    try:
        return html_to_docx(html, style, meta, folders,
                            cache_dir.parent / "docx" if cache_dir else None, brief.origin,
                            page=layout(stylesheet), fonts=house_faces(style))
    except RenderError as exc:
        raise RenderError(f"{brief.id} ({audience.name}): {exc.message}", brief.origin) from exc


def house_faces(style: HouseStyle) -> tuple[Face, ...]:
    """The faces of the vendored families the house style uses (docx_fonts.py embeds them),
    from the static instances the PDF renderer uses, made first if need be."""
    vendored = {i.family for i in font_instances.INSTANCES}
    families = tuple(sorted({style.serif, style.sans} & vendored))
    return vendored_faces(font_instances.ensure(), families) if families else ()


def html_to_docx(html: str, style: HouseStyle, meta: DocMeta, folders: tuple[Path, ...],
                 cache_dir: Path | None, origin: Origin | None = None, *,
                 page: Layout = DEFAULT, fonts: tuple[Face, ...] = ()) -> bytes:
    """HTML → .docx bytes. `folders`: where a relative image path may be read from; `page`:
    the paper, margins and picture sizes of the PDF; `fonts`: the faces to embed where the
    document names their family."""
    body = _prepare(html, folders, origin, page)
    with tempfile.TemporaryDirectory(prefix="briefsmith-docx-") as tmp:
        work = Path(tmp)
        reference = reference_doc(style, cache_dir, work)
        source = work / "brief.html"
        source.write_text(body, encoding="utf-8")
        lua = work / "notes.lua"
        lua.write_text(_FILTER, encoding="utf-8")
        target = work / "brief.docx"
        _pandoc(["--sandbox", "-f", "html", "-t", "docx", f"--reference-doc={reference}",
                 f"--lua-filter={lua}", "-M", f"lang={meta.language}", "-o", str(target),
                 str(source)], origin)
        parts = _read_zip(target.read_bytes())
    try:
        add_png_fallbacks(parts, origin)
        if meta.endnotes:
            _to_endnotes(parts)
        parts["word/document.xml"] = _image_descriptions(parts["word/document.xml"])
        set_section(parts, page)
        embed_fonts(parts, fonts)
    except etree.XMLSyntaxError as exc:  # past libxml2's limits: 256 levels, 10 MB of text
        raise RenderError(f"the Word XML pandoc wrote cannot be read: {exc}", origin) from exc
    parts["docProps/core.xml"] = _core(meta)
    return _write_zip(parts, meta.date)


# The HTML is this build's own, but holds the user's text: libxml2's HTML parser expands no
# entity and reads nothing from disk or network. huge_tree: a picture's data: URL over 10 MB
# would otherwise end the document there, every element after it lost.
_HTML_PARSER = lxml.html.HTMLParser(no_network=True, huge_tree=True)


def _prepare(html: str, folders: tuple[Path, ...], origin: Origin | None,
             geometry: Layout = DEFAULT) -> str:
    """Drop the head (its title and metadata go into docProps/core.xml instead of a Title
    paragraph), inline every image that is not a data: URL from the allowed folders, and lay
    out for Word what the stylesheet lays out in the PDF (_word_layout)."""
    page = lxml.html.document_fromstring(html, parser=_HTML_PARSER)
    # the parser recovers from any error but a resource limit (2,048 levels of nesting): past
    # one it stops reading, and the rest of the page would be missing without a word
    if fatal := [e for e in _HTML_PARSER.error_log if e.level == etree.ErrorLevels.FATAL]:
        raise RenderError("the page cannot be read whole for the Word document: "
                          f"{fatal[0].message}", origin)
    head = page.find("head")
    if head is not None:
        head.drop_tree()
    # pandoc reads only a <main> element's content when there is one: the masthead is needed
    for main in list(page.iter("main")):
        main.tag = "div"
    for img in page.iter("img"):
        src = img.get("src")
        if src is not None and not src.startswith("data:"):
            img.set("src", _data_url(src, folders, origin))
    for svg in page.xpath("//svg[not(ancestor::svg)]"):
        _svg_image(svg, origin)
    _word_layout(page, geometry)
    return lxml.html.tostring(page.getroottree(), encoding="unicode")


def _word_layout(page: lxml.html.HtmlElement, geometry: Layout) -> None:
    """What the stylesheet does for the PDF, done in the page's structure for pandoc:
    - a picture the stylesheet sizes by its class (the logo: `.house-logo`, the minister's
      `.minister-logo`) at that height (or width), its proportions kept: pandoc would size it
      by its pixels, the sample's 120 px logo 32 mm tall where the PDF shows 11 mm;
    - a list in a <nav> (the contents), unnumbered in every built-in stylesheet, as plain
      paragraphs: its items carry their sections' numbers, and Word would number them again;
    - the bibliography (ul.bibliography) as paragraphs in the Bibliography style (a hanging
      indent, styles in the reference document), not as bullets;
    - each heading one level below the heading whose siblings hold it (the NGO's "The
      evidence" and the sections after it), as the page shows them (_heading_levels)."""
    for image in page.iter("img"):
        size = geometry.image_size((image.get("class") or "").split())
        if size is None:
            continue
        for name in ("width", "height", "style"):
            image.attrib.pop(name, None)
        for name, points in zip(("height", "width"), size, strict=True):
            if points is not None:
                image.set(name, f"{points / 72:.4f}in")
    for nav in page.iter("nav"):
        for items in nav.xpath(".//*[self::ol or self::ul]"):
            if not items.xpath("ancestor::*[self::ol or self::ul]"):
                items.set("data-custom-style", "Compact")  # pandoc's tight list paragraphs
        for items in nav.xpath(".//*[self::ol or self::ul]"):
            _unlist(items)
    for items in page.xpath("//*[self::ul or self::ol][contains(concat(' ', "
                            "normalize-space(@class), ' '), ' bibliography ')]"):
        items.set("data-custom-style", "Bibliography")
        _unlist(items)
    _heading_levels(page)


def _unlist(items: lxml.html.HtmlElement) -> None:
    """A list as a <div> of its items, each a <div> (its own paragraph in Word)."""
    items.tag = "div"
    for name in ("type", "start", "reversed"):
        items.attrib.pop(name, None)
    for item in items:
        if isinstance(item.tag, str) and item.tag == "li":
            item.tag = "div"
            item.attrib.pop("value", None)


_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def _heading_levels(page: lxml.html.HtmlElement) -> None:
    """A heading heads what follows it among its siblings, up to the next heading of its level
    or above: a heading inside those siblings (a section's) is put one level below it, with the
    headings under that one, if the page gave it the same level or above. The NGO template's
    "The evidence" is an <h2> with its sections' <h2>s after it, told apart by size only."""
    for heading in list(page.iter(*_HEADINGS)):
        level = int(heading.tag[1])
        inner: list[lxml.html.HtmlElement] = []
        for sibling in heading.itersiblings():
            if not isinstance(sibling.tag, str):
                continue
            if sibling.tag in _HEADINGS:
                if int(sibling.tag[1]) <= level:
                    break
                continue
            inner += sibling.iter(*_HEADINGS)
        if not inner:
            continue
        shift = level + 1 - min(int(h.tag[1]) for h in inner)
        if shift > 0:
            for found in inner:
                found.tag = f"h{min(6, int(found.tag[1]) + shift)}"


SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
# HTML parsers lowercase every name; these are SVG's mixed-case ones, as HTML5's parsing rules
# restore them in foreign content ("adjust SVG attributes", and the table of SVG tag names).
_SVG_TAGS = {name.lower(): name for name in (
    "altGlyph", "altGlyphDef", "altGlyphItem", "animateColor", "animateMotion",
    "animateTransform", "clipPath", "feBlend", "feColorMatrix", "feComponentTransfer",
    "feComposite", "feConvolveMatrix", "feDiffuseLighting", "feDisplacementMap", "feDistantLight",
    "feDropShadow", "feFlood", "feFuncA", "feFuncB", "feFuncG", "feFuncR", "feGaussianBlur",
    "feImage", "feMerge", "feMergeNode", "feMorphology", "feOffset", "fePointLight",
    "feSpecularLighting", "feSpotLight", "feTile", "feTurbulence", "foreignObject", "glyphRef",
    "linearGradient", "radialGradient", "textPath")}
_SVG_ATTRIBUTES = {name.lower(): name for name in (
    "attributeName", "attributeType", "baseFrequency", "baseProfile", "calcMode",
    "clipPathUnits", "diffuseConstant", "edgeMode", "filterUnits", "glyphRef",
    "gradientTransform", "gradientUnits", "kernelMatrix", "kernelUnitLength", "keyPoints",
    "keySplines", "keyTimes", "lengthAdjust", "limitingConeAngle", "markerHeight", "markerUnits",
    "markerWidth", "maskContentUnits", "maskUnits", "numOctaves", "pathLength",
    "patternContentUnits", "patternTransform", "patternUnits", "pointsAtX", "pointsAtY",
    "pointsAtZ", "preserveAlpha", "preserveAspectRatio", "primitiveUnits", "refX", "refY",
    "repeatCount", "repeatDur", "requiredExtensions", "requiredFeatures", "specularConstant",
    "specularExponent", "spreadMethod", "startOffset", "stdDeviation", "stitchTiles",
    "surfaceScale", "systemLanguage", "tableValues", "targetX", "targetY", "textLength",
    "viewBox", "viewTarget", "xChannelSelector", "yChannelSelector", "zoomAndPan")}


def _svg_image(svg: lxml.html.HtmlElement, origin: Origin | None) -> None:
    """An inline SVG chart as a picture: pandoc would embed it too, but without its text
    alternative (aria-label, else its <title>), which Word keeps as the picture's description."""
    label, title = svg.get("aria-label"), svg.find(".//title")
    alt = label if label is not None else (
        "".join(title.itertext()).strip() if title is not None else "")
    try:
        data = etree.tostring(_as_svg(svg), encoding="unicode").encode("utf-8")
    except ValueError as exc:  # a name or character the HTML parser took and XML does not
        raise RenderError(f"the inline SVG '{alt[:120]}' is not valid SVG: {exc}",
                          origin) from exc
    img = svg.makeelement("img", {"src": f"data:image/svg+xml;base64,"
                                         f"{base64.b64encode(data).decode('ascii')}",
                                  "alt": alt})
    img.tail = svg.tail
    svg.getparent().replace(svg, img)


def _as_svg(svg: lxml.html.HtmlElement) -> etree._Element:
    """The HTML parser's SVG element as an SVG document: in SVG's namespace, its names in
    SVG's case, a prefixed name (xlink:href, or one the SVG declares) in its own namespace.
    An undeclared prefix is a ValueError, as it would be to any SVG reader."""
    declared = {"xlink": XLINK_NS, "xml": XML_NS}
    for element in svg.iter(etree.Element):
        declared |= {key[6:]: value for key, value in element.attrib.items()
                     if key.startswith("xmlns:")}
    used: dict[str | None, str] = {None: SVG_NS}

    def name(raw: str, case: dict[str, str], element: bool) -> str:
        prefix, _, local = raw.rpartition(":")
        if not prefix:
            local = case.get(local, local)
            return f"{{{SVG_NS}}}{local}" if element else local
        if prefix not in declared:
            raise ValueError(f"the prefix '{prefix}' of '{raw}' is not declared")
        if prefix != "xml":
            used[prefix] = declared[prefix]
        return f"{{{declared[prefix]}}}{local}"

    def attributes(source: lxml.html.HtmlElement) -> dict[str, str]:
        return {name(key, _SVG_ATTRIBUTES, False): value for key, value in source.attrib.items()
                if key != "xmlns" and not key.startswith("xmlns:")}

    for element in svg.iter(etree.Element):  # every prefix in use, before the root declares them
        name(element.tag, _SVG_TAGS, True)
        attributes(element)
    root = etree.Element(name(svg.tag, _SVG_TAGS, True), attributes(svg), nsmap=used)
    root.text = svg.text
    todo = [(svg, root)]  # a loop, not recursion: the HTML parser allows 2,048 levels
    while todo:
        source, copy = todo.pop()
        for child in source:
            if isinstance(child.tag, str):
                made = etree.SubElement(copy, name(child.tag, _SVG_TAGS, True),
                                        attributes(child))
                made.text = child.text
                todo.append((child, made))
            elif child.tag is etree.Comment:
                made = etree.Comment(child.text)
                copy.append(made)
            else:
                continue
            made.tail = child.tail
    return root


def _data_url(src: str, folders: tuple[Path, ...], origin: Origin | None) -> str:
    """`src` as the parser read it: its character references are already resolved."""
    from urllib.parse import unquote

    name = unquote(src)
    refuse = (f"the Word document refused the image '{src[:120]}'")
    if re.match(r"[a-z][a-z0-9+.-]*:", name, re.I) or name.startswith(("/", "\\")):
        raise RenderError(f"{refuse}: only files inside the project's templates/ and content/ "
                          "folders can be used (Word output never uses the network)", origin)
    for folder in folders:
        path = folder / name
        if path.is_file():
            try:
                data = read_inside(path, folders, MAX_IMAGE_BYTES)
            except OutsideProject as exc:
                raise RenderError(f"{refuse}: it leads outside the project's templates/ "
                                  "and content/ folders", origin) from exc
            if len(data) > MAX_IMAGE_BYTES:
                raise RenderError(f"{refuse}: it is over {MAX_IMAGE_BYTES:,} bytes; use a "
                                  "smaller file", origin)
            kind = mimetypes.guess_type(path.name)[0] or ""
            if not kind.startswith("image/"):
                raise RenderError(f"{refuse}: it is not an image", origin)
            return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"
    raise RenderError(f"{refuse}: no such file in the project's templates/ or content/ "
                      "folders", origin)


def _pandoc(args: list[str], origin: Origin | None) -> bytes:
    try:
        proc = subprocess.run([pandoc_path(), *args], capture_output=True,
                              timeout=PANDOC_TIMEOUT, check=False, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RenderError(f"could not run pandoc for the Word document: {exc}", origin) from exc
    err = proc.stderr.decode(errors="replace")
    if proc.returncode != 0:
        last = err.strip().splitlines()
        raise RenderError("pandoc failed to write the Word document: "
                          f"{last[-1] if last else 'exit ' + str(proc.returncode)}", origin)
    failures = ("Could not fetch resource", "Could not convert image")
    if line := next((x for x in err.splitlines() if any(f in x for f in failures)), None):
        raise RenderError(f"an image could not be put in the Word document: {line.strip()}",
                          origin)
    return proc.stdout


# ------------------------------------------------------------------ reference document

def reference_doc(style: HouseStyle, cache_dir: Path | None, work: Path) -> Path:
    """pandoc's default reference.docx with the house fonts and colours in its styles and
    theme, made once per style and kept in the cache by a hash of what it is made from."""
    from importlib.metadata import version

    key = hashlib.sha256(json.dumps(
        [asdict(style), version("pypandoc_binary"), pandoc_path(),
         *(hashlib.sha256(Path(f).read_bytes()).hexdigest()
           for f in (__file__, docx_xml.__file__))], sort_keys=True).encode()
    ).hexdigest()
    # written by output.write_atomic, whose temporary names remove_stale_temp knows as
    # Briefsmith's own, so a killed build's half-written file is cleared
    cached = cache_dir / f"{key}.docx" if cache_dir else None
    if cached is not None and cached.is_file():
        return cached
    default = _read_zip(_pandoc(["--print-default-data-file", "reference.docx"], None))
    default["word/styles.xml"] = _styles(default["word/styles.xml"], style)
    default["word/theme/theme1.xml"] = _theme(default["word/theme/theme1.xml"], style)
    data = _write_zip(default, "2000-01-01")
    if cached is None:
        path = work / "reference.docx"
        path.write_bytes(data)
        return path

    write_atomic(cached, data)
    return cached


# CT_RPr's child order: Word refuses a run property out of place.
_RPR_ORDER = ("rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike",
              "dstrike", "outline", "shadow", "emboss", "imprint", "noProof", "snapToGrid",
              "vanish", "webHidden", "color", "spacing", "w", "kern", "position", "sz", "szCs",
              "highlight", "u", "effect", "bdr", "shd", "fitText", "vertAlign", "rtl", "cs", "em",
              "lang", "eastAsianLayout", "specVanish", "oMath")


def _fonts(family: str, theme: str = "minor") -> etree._Element:
    """Named fonts for Latin, Greek, Cyrillic and complex scripts; East Asian text keeps the
    theme's font, which Word picks per language."""
    return etree.Element(w("rFonts"), {w("ascii"): family, w("hAnsi"): family, w("cs"): family,
                                       w("eastAsiaTheme"): f"{theme}EastAsia"})


def _property(name: str, value: str) -> etree._Element:
    return etree.Element(w(name), {w("val"): value})


def _set_rpr(rpr: etree._Element, updates: dict[str, etree._Element]) -> None:
    """Some run properties of a w:rPr replaced, in schema order. Only a flat property list
    (every child an empty w: element, nothing but white space between) is changed, which is
    all pandoc's have: anything else may mean more than a list of properties."""
    children = list(rpr)
    if (rpr.text or "").strip() or any(
            not isinstance(c.tag, str) or etree.QName(c).namespace != W_NS or len(c)
            or c.text is not None or (c.tail or "").strip() for c in children):
        return
    found = {etree.QName(c).localname: c for c in children} | updates
    rpr.text = None
    for child in children:
        rpr.remove(child)
    for key in sorted(found, key=_RPR_ORDER.index):
        found[key].tail = None
        rpr.append(found[key])


def _restyle(styles: etree._Element, style_id: str, updates: dict[str, etree._Element]) -> None:
    style = next((s for s in styles.iter(w("style")) if s.get(w("styleId")) == style_id), None)
    if style is None:
        return
    rpr = style.find(w("rPr"))
    _set_rpr(rpr if rpr is not None else etree.SubElement(style, w("rPr")), updates)


def _styles(styles: bytes, style: HouseStyle) -> bytes:
    root = parse(styles)
    defaults = root.find(f"{w('docDefaults')}/{w('rPrDefault')}/{w('rPr')}")
    if defaults is not None:
        _set_rpr(defaults, {"rFonts": _fonts(style.serif),
                            "color": _property("color", style.ink)})
    for name in ("Title", "Subtitle", *(f"Heading{n}" for n in range(1, 10))):
        _restyle(root, name, {"rFonts": _fonts(style.sans, "major"),
                              "color": _property("color", style.accent)})
    _restyle(root, "Hyperlink", {"color": _property("color", style.accent)})
    for name in ("Caption", "TableCaption", "ImageCaption"):
        _restyle(root, name, {"rFonts": _fonts(style.sans),
                              "color": _property("color", style.muted)})
    _restyle(root, "FootnoteText", {"sz": _property("sz", "18"), "szCs": _property("szCs", "18")})
    _bibliography(root)
    # Word's own names for endnote styles, made like the footnote ones.
    for kind, style_id, name, based_on in (
            ("paragraph", "EndnoteText", "endnote text", "FootnoteText"),
            ("character", "EndnoteReference", "endnote reference", "FootnoteReference")):
        made = etree.SubElement(root, w("style"), {w("type"): kind, w("styleId"): style_id})
        made.append(_property("name", name))
        made.append(_property("basedOn", based_on))
        if kind == "paragraph":
            etree.SubElement(made, w("qFormat"))
    return write(root, styles)


# templates/_base/style.css: `ul.bibliography li { padding-left: 8mm; text-indent: -8mm;
# margin-bottom: 2mm; break-inside: avoid }`, in twips.
_BIBLIOGRAPHY_INDENT, _BIBLIOGRAPHY_AFTER = "454", "113"


def _bibliography(styles: etree._Element) -> None:
    """pandoc's Bibliography paragraph style (empty in its reference document) with the PDF's
    hanging indent: each entry's first line at the margin, the lines after it 8 mm in."""
    style = next((s for s in styles.iter(w("style")) if s.get(w("styleId")) == "Bibliography"),
                 None)
    if style is None:
        style = etree.SubElement(styles, w("style"), {w("type"): "paragraph",
                                                      w("styleId"): "Bibliography"})
        style.append(_property("name", "Bibliography"))
        style.append(_property("basedOn", "Normal"))
        style.append(_property("next", "Bibliography"))
        etree.SubElement(style, w("qFormat"))
    old = style.find(w("pPr"))
    ppr = etree.Element(w("pPr"))
    etree.SubElement(ppr, w("keepLines"))
    etree.SubElement(ppr, w("spacing"), {w("before"): "0", w("after"): _BIBLIOGRAPHY_AFTER})
    etree.SubElement(ppr, w("ind"), {w("left"): _BIBLIOGRAPHY_INDENT,
                                     w("hanging"): _BIBLIOGRAPHY_INDENT})
    if old is not None:
        ppr.tail = old.tail
        style.replace(old, ppr)
    else:
        rpr = style.find(w("rPr"))
        if rpr is not None:
            rpr.addprevious(ppr)
        else:
            style.append(ppr)


def _theme(theme: bytes, style: HouseStyle) -> bytes:
    """Theme fonts and the first accent too, for what Word draws from the theme. The theme is
    Word's own file, which pandoc copies as it is: written back as lxml writes, as Word does."""
    root = parse(theme)
    for part, family in (("majorFont", style.sans), ("minorFont", style.serif)):
        latin = root.find(f".//{{{A_NS}}}{part}/{{{A_NS}}}latin")
        if latin is not None and "typeface" in latin.attrib:
            latin.set("typeface", family)
    colour = root.find(f".//{{{A_NS}}}accent1/{{{A_NS}}}srgbClr")
    if colour is not None and "val" in colour.attrib:
        colour.set("val", style.accent)
    return write(root, theme, pandoc=False)


# ------------------------------------------------------------------ package parts

def _read_zip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _write_zip(parts: dict[str, bytes], date: str) -> bytes:
    """The parts with fixed timestamps (the brief's date), permissions and order: content
    types first, as Word's own files have it, then the package relationships, then by name."""
    day = dt.date.fromisoformat(date)
    stamp = (max(day.year, 1980), day.month, day.day, 0, 0, 0)
    first = ["[Content_Types].xml", "_rels/.rels"]
    names = [n for n in first if n in parts] + sorted(n for n in parts if n not in first)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            archive.writestr(info, parts[name], compresslevel=9)
    return out.getvalue()


_CP = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
_DC, _DCTERMS = "http://purl.org/dc/elements/1.1/", "http://purl.org/dc/terms/"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_CORE_NAMESPACES = {"cp": _CP, "dc": _DC, "dcterms": _DCTERMS,
                    "dcmitype": "http://purl.org/dc/dcmitype/", "xsi": _XSI}


def _core(meta: DocMeta) -> bytes:
    """The document's properties. A character XML cannot hold (a control character in a
    title) is a RenderError: Word would refuse the whole file."""
    when = f"{meta.date}T00:00:00Z"
    root = etree.Element(f"{{{_CP}}}coreProperties", nsmap=_CORE_NAMESPACES)
    dated = {f"{{{_XSI}}}type": "dcterms:W3CDTF"}
    try:
        for tag, text, attributes in (
                (f"{{{_DC}}}title", meta.title, {}),
                (f"{{{_DC}}}creator", meta.author, {}),
                (f"{{{_CP}}}keywords", ", ".join(meta.keywords), {}),
                (f"{{{_DC}}}description", meta.description, {}),
                (f"{{{_DC}}}language", meta.language, {}),
                (f"{{{_DCTERMS}}}created", when, dated),
                (f"{{{_DCTERMS}}}modified", when, dated)):
            etree.SubElement(root, tag, attributes).text = text
    except ValueError as exc:
        raise RenderError(f"the document properties cannot be written: {exc}") from exc
    return (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            + markup(root, pandoc=False))


def _image_descriptions(document: bytes) -> bytes:
    """pandoc gives each picture's inner description its source, here a long data: URL; give
    it the alt text instead, as the outer one has."""
    root = parse(document)
    for outer in root.iter(f"{{{WP_NS}}}docPr"):
        inner = next(outer.getparent().iter(f"{{{PIC_NS}}}cNvPr"), None)
        if inner is not None and "descr" in inner.attrib:
            inner.set("descr", outer.get("descr", ""))
    return write(root, document)


def _to_endnotes(parts: dict[str, bytes]) -> None:
    """Move every footnote pandoc wrote into word/endnotes.xml, as Word endnotes."""
    if "word/footnotes.xml" not in parts:
        return
    footnotes = parse(parts["word/footnotes.xml"])
    notes = [n for n in footnotes.iter(w("footnote")) if n.get(w("type")) is None]
    if not notes:
        return
    endnotes = etree.Element(w("endnotes"), dict(footnotes.attrib), nsmap=footnotes.nsmap)
    for kind, note_id in (("continuationSeparator", "0"), ("separator", "-1")):
        separator = etree.SubElement(endnotes, w("endnote"), {w("type"): kind, w("id"): note_id})
        etree.SubElement(etree.SubElement(etree.SubElement(separator, w("p")), w("r")), w(kind))
    renamed = {w("footnote"): w("endnote"), w("footnoteRef"): w("endnoteRef")}
    styles = {"FootnoteText": "EndnoteText", "FootnoteReference": "EndnoteReference"}
    for note in notes:
        _cut(note)
        endnotes.append(note)
        for element in note.iter(etree.Element):
            element.tag = renamed.get(element.tag, element.tag)
            if element.get(w("val")) in styles:
                element.set(w("val"), styles[element.get(w("val"))])
    parts["word/footnotes.xml"] = write(footnotes, parts["word/footnotes.xml"])
    parts["word/endnotes.xml"] = DECLARATION + markup(endnotes)
    document = parse(parts["word/document.xml"])
    for reference in list(document.iter(w("footnoteReference"))):
        reference.tag = w("endnoteReference")
        run_style = reference.getparent().find(f"{w('rPr')}/{w('rStyle')}")
        if run_style is not None and run_style.get(w("val")) == "FootnoteReference":
            run_style.set(w("val"), "EndnoteReference")
    parts["word/document.xml"] = write(document, parts["word/document.xml"])
    # The notes' hyperlinks: their relationships go with them.
    old_rels = parts.pop("word/_rels/footnotes.xml.rels", None)
    if old_rels is not None:
        parts["word/_rels/endnotes.xml.rels"] = old_rels
    rels = parse(parts["word/_rels/document.xml.rels"])
    etree.SubElement(rels, f"{{{REL_NS}}}Relationship",
                     {"Type": _ENDNOTES_TYPE, "Id": "rIdBriefsmithEndnotes",
                      "Target": "endnotes.xml"})
    parts["word/_rels/document.xml.rels"] = write(rels, parts["word/_rels/document.xml.rels"])
    types = parse(parts["[Content_Types].xml"])
    etree.SubElement(types, f"{{{TYPES_NS}}}Override",
                     {"PartName": "/word/endnotes.xml", "ContentType": _ENDNOTES_CONTENT})
    parts["[Content_Types].xml"] = write(types, parts["[Content_Types].xml"])


def _cut(element: etree._Element) -> None:
    """Take an element out of its tree, leaving the text after it where it was."""
    parent, before = element.getparent(), element.getprevious()
    if element.tail:
        if before is not None:
            before.tail = (before.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
        element.tail = None
    parent.remove(element)
