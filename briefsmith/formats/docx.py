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
pandoc's default one with the audience's fonts and colours (cached in output/.cache/). Dates,
zip timestamps and the order of the parts are fixed, so the same inputs give the same bytes.
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
from html import escape, unescape
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.errors import RenderError
from ..core.files import write_atomic
from ..core.models import Origin
from ..core.paths import OutsideProject, read_inside
from ..render.csl import pandoc_path
from ..render.html import language_of
from .docx_png import add_png_fallbacks

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
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_ENDNOTES_TYPE = f"{_RELS}/endnotes"
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
    try:
        return html_to_docx(html, house_style(templates.stylesheet()), meta, folders,
                            cache_dir.parent / "docx" if cache_dir else None, brief.origin)
    except RenderError as exc:
        raise RenderError(f"{brief.id} ({audience.name}): {exc.message}", brief.origin) from exc


def html_to_docx(html: str, style: HouseStyle, meta: DocMeta, folders: tuple[Path, ...],
                 cache_dir: Path | None, origin: Origin | None = None) -> bytes:
    """HTML → .docx bytes. `folders`: where a relative image path may be read from."""
    body = _prepare(html, folders, origin)
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
    add_png_fallbacks(parts, origin)
    if meta.endnotes:
        _to_endnotes(parts)
    parts["docProps/core.xml"] = _core(meta).encode("utf-8")
    parts["word/document.xml"] = _image_descriptions(parts["word/document.xml"])
    return _write_zip(parts, meta.date)


_HEAD = re.compile(r"<head\b.*?</head>", re.S | re.I)
_MAIN = re.compile(r"<(/?)main\b([^>]*)>", re.I)
_IMG_SRC = re.compile(r"""(<img\b[^>]*?\ssrc\s*=\s*)("[^"]*"|'[^']*')""", re.I)


def _prepare(html: str, folders: tuple[Path, ...], origin: Origin | None) -> str:
    """Drop the head (its title and metadata go into docProps/core.xml instead of a Title
    paragraph) and inline every image that is not a data: URL from the allowed folders."""
    html = _HEAD.sub("", html, count=1)
    # pandoc reads only a <main> element's content when there is one: the masthead is needed
    html = _MAIN.sub(lambda m: f"<{m.group(1)}div{m.group(2)}>", html)

    def inline(match: re.Match[str]) -> str:
        src = match.group(2)[1:-1]
        if src.startswith("data:"):
            return match.group(0)
        return f'{match.group(1)}"{_data_url(src, folders, origin)}"'

    return _SVG.sub(_svg_image, _IMG_SRC.sub(inline, html))


_SVG = re.compile(r"<svg\b[^>]*>.*?</svg>", re.S | re.I)
_SVG_LABEL = re.compile(r"""<svg\b[^>]*?\saria-label\s*=\s*("[^"]*"|'[^']*')""", re.I)
_SVG_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title>", re.S | re.I)


def _svg_image(match: re.Match[str]) -> str:
    """An inline SVG chart as a picture: pandoc would embed it too, but without its text
    alternative (aria-label, else its <title>), which Word keeps as the picture's description."""
    svg = match.group(0)
    label = _SVG_LABEL.search(svg)
    title = _SVG_TITLE.search(svg)
    alt = (label.group(1)[1:-1] if label else
           escape(unescape(re.sub(r"<[^>]+>", "", title.group(1))).strip())
           if title else "")
    if "xmlns=" not in svg.split(">", 1)[0]:
        svg = svg.replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"', 1)
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img src="data:image/svg+xml;base64,{data}" alt="{alt}">'


def _data_url(src: str, folders: tuple[Path, ...], origin: Origin | None) -> str:
    from urllib.parse import unquote

    name = unquote(unescape(src))
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
         hashlib.sha256(Path(__file__).read_bytes()).hexdigest()], sort_keys=True).encode()
    ).hexdigest()
    # written by output.write_atomic, whose temporary names remove_stale_temp knows as
    # Briefsmith's own, so a killed build's half-written file is cleared
    cached = cache_dir / f"{key}.docx" if cache_dir else None
    if cached is not None and cached.is_file():
        return cached
    default = _read_zip(_pandoc(["--print-default-data-file", "reference.docx"], None))
    default["word/styles.xml"] = _styles(default["word/styles.xml"].decode("utf-8"),
                                         style).encode("utf-8")
    default["word/theme/theme1.xml"] = _theme(default["word/theme/theme1.xml"].decode("utf-8"),
                                              style).encode("utf-8")
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
_EMPTY_ELEMENT = re.compile(r"<w:(\w+)\b[^<>]*/>")


def _fonts(family: str, theme: str = "minor") -> str:
    """Named fonts for Latin, Greek, Cyrillic and complex scripts; East Asian text keeps the
    theme's font, which Word picks per language."""
    name = escape(family, quote=True)
    return (f'<w:rFonts w:ascii="{name}" w:hAnsi="{name}" w:cs="{name}" '
            f'w:eastAsiaTheme="{theme}EastAsia" />')


def _set_rpr(rpr: str, updates: dict[str, str]) -> str:
    """The inner XML of a w:rPr with some properties replaced, in schema order. Only flat
    property lists (every child an empty element) are changed, which is all pandoc's have."""
    children = {m.group(1): m.group(0) for m in _EMPTY_ELEMENT.finditer(rpr)}
    if _EMPTY_ELEMENT.sub("", rpr).strip():
        return rpr
    children.update(updates)
    return "".join(children[k] for k in sorted(children, key=_RPR_ORDER.index))


def _restyle(styles: str, style_id: str, updates: dict[str, str]) -> str:
    pattern = re.compile(rf'(<w:style\b[^>]*w:styleId="{style_id}"[^>]*>)(.*?)(</w:style>)',
                         re.S)
    match = pattern.search(styles)
    if match is None:
        return styles
    inner = match.group(2)
    rpr = re.search(r"<w:rPr>(.*?)</w:rPr>", inner, re.S)
    if rpr:
        inner = inner[:rpr.start(1)] + _set_rpr(rpr.group(1), updates) + inner[rpr.end(1):]
    else:
        inner += f"<w:rPr>{_set_rpr('', updates)}</w:rPr>"
    return styles[:match.start(2)] + inner + styles[match.end(2):]


def _styles(styles: str, style: HouseStyle) -> str:
    colour = lambda hex_: f'<w:color w:val="{hex_}" />'  # noqa: E731
    styles = re.sub(r"(<w:rPrDefault>\s*<w:rPr>)(.*?)(</w:rPr>)",
                    lambda m: m.group(1) + _set_rpr(m.group(2), {
                        "rFonts": _fonts(style.serif), "color": colour(style.ink)}) + m.group(3),
                    styles, count=1, flags=re.S)
    for name in ("Title", "Subtitle", *(f"Heading{n}" for n in range(1, 10))):
        styles = _restyle(styles, name, {"rFonts": _fonts(style.sans, "major"),
                                         "color": colour(style.accent)})
    styles = _restyle(styles, "Hyperlink", {"color": colour(style.accent)})
    for name in ("Caption", "TableCaption", "ImageCaption"):
        styles = _restyle(styles, name, {"rFonts": _fonts(style.sans),
                                         "color": colour(style.muted)})
    styles = _restyle(styles, "FootnoteText", {"sz": '<w:sz w:val="18" />',
                                               "szCs": '<w:szCs w:val="18" />'})
    # Word's own names for endnote styles, made like the footnote ones.
    extra = ('<w:style w:type="paragraph" w:styleId="EndnoteText"><w:name w:val="endnote text" />'
             '<w:basedOn w:val="FootnoteText" /><w:qFormat /></w:style>'
             '<w:style w:type="character" w:styleId="EndnoteReference">'
             '<w:name w:val="endnote reference" /><w:basedOn w:val="FootnoteReference" />'
             '</w:style>')
    return styles.replace("</w:styles>", extra + "</w:styles>", 1)


def _theme(theme: str, style: HouseStyle) -> str:
    """Theme fonts and the first accent too, for what Word draws from the theme."""
    for part, family in (("majorFont", style.sans), ("minorFont", style.serif)):
        def typeface(m: re.Match[str], family: str = family) -> str:
            return m.group(1) + escape(family, quote=True) + m.group(2)

        theme = re.sub(rf'(<a:{part}>\s*<a:latin typeface=")[^"]*(")', typeface, theme, count=1)
    return re.sub(r'(<a:accent1>\s*<a:srgbClr val=")[0-9A-Fa-f]{6}(")',
                  lambda m: m.group(1) + style.accent + m.group(2), theme, count=1)


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


def _core(meta: DocMeta) -> str:
    when = f"{meta.date}T00:00:00Z"
    text = lambda value: escape(value, quote=False)  # noqa: E731
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
            'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:dcmitype="http://purl.org/dc/dcmitype/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:title>{text(meta.title)}</dc:title>"
            f"<dc:creator>{text(meta.author)}</dc:creator>"
            f"<cp:keywords>{text(', '.join(meta.keywords))}</cp:keywords>"
            f"<dc:description>{text(meta.description)}</dc:description>"
            f"<dc:language>{text(meta.language)}</dc:language>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{when}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{when}</dcterms:modified>'
            "</cp:coreProperties>")


def _image_descriptions(document: bytes) -> bytes:
    """pandoc gives each picture's inner description its source, here a long data: URL; give
    it the alt text instead, as the outer one has."""
    text = document.decode("utf-8")
    alts = iter(re.findall(r'<wp:docPr descr="([^"]*)"', text))
    text = re.sub(r'(<pic:cNvPr descr=")[^"]*(")',
                  lambda m: m.group(1) + next(alts, "") + m.group(2), text)
    return text.encode("utf-8")


_NOTE = re.compile(r'<w:footnote (?![^>]*w:type=)[^>]*>.*?</w:footnote>', re.S)


def _to_endnotes(parts: dict[str, bytes]) -> None:
    """Move every footnote pandoc wrote into word/endnotes.xml, as Word endnotes."""
    footnotes = parts["word/footnotes.xml"].decode("utf-8") if "word/footnotes.xml" in parts \
        else ""
    notes = _NOTE.findall(footnotes)
    if not notes:
        return
    root = re.search(r"<w:footnotes\b([^>]*)>", footnotes)
    assert root is not None
    parts["word/footnotes.xml"] = _NOTE.sub("", footnotes).encode("utf-8")
    moved = "".join(notes)
    for old, new in (("<w:footnote ", "<w:endnote "), ("</w:footnote>", "</w:endnote>"),
                     ("<w:footnoteRef />", "<w:endnoteRef />"),
                     ('w:val="FootnoteText"', 'w:val="EndnoteText"'),
                     ('w:val="FootnoteReference"', 'w:val="EndnoteReference"')):
        moved = moved.replace(old, new)
    parts["word/endnotes.xml"] = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<w:endnotes{root.group(1)}>"
        '<w:endnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator />'
        '</w:r></w:p></w:endnote><w:endnote w:type="separator" w:id="-1"><w:p><w:r>'
        f"<w:separator /></w:r></w:p></w:endnote>{moved}</w:endnotes>").encode()
    document = parts["word/document.xml"].decode("utf-8")
    document = re.sub(r'<w:rStyle w:val="FootnoteReference" />(\s*</w:rPr>\s*)'
                      r"<w:footnoteReference ",
                      r'<w:rStyle w:val="EndnoteReference" />\1<w:endnoteReference ', document)
    if "<w:footnoteReference " in document:  # a reference not in pandoc's usual run
        document = document.replace("<w:footnoteReference ", "<w:endnoteReference ")
    parts["word/document.xml"] = document.encode("utf-8")
    # The notes' hyperlinks: their relationships go with them.
    old_rels = parts.pop("word/_rels/footnotes.xml.rels", None)
    if old_rels is not None:
        parts["word/_rels/endnotes.xml.rels"] = old_rels
    rels = parts["word/_rels/document.xml.rels"].decode("utf-8")
    rels = rels.replace("</Relationships>",
                        f'<Relationship Type="{_ENDNOTES_TYPE}" Id="rIdBriefsmithEndnotes" '
                        'Target="endnotes.xml" /></Relationships>')
    parts["word/_rels/document.xml.rels"] = rels.encode("utf-8")
    types = parts["[Content_Types].xml"].decode("utf-8")
    types = types.replace("</Types>", '<Override PartName="/word/endnotes.xml" '
                                      f'ContentType="{_ENDNOTES_CONTENT}" /></Types>')
    parts["[Content_Types].xml"] = types.encode("utf-8")
