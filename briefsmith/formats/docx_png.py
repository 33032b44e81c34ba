"""PNG copies of a Word document's SVG pictures (charts, an SVG logo or drawing), as Word itself
stores an SVG: the PNG in the picture's main blip, the SVG in Office 2016's svgBlip extension.

In: the parts of the .docx pandoc wrote. Out: the same parts, each SVG-only picture given a PNG.
pandoc writes an SVG picture with the extension alone (it makes a PNG only with rsvg-convert,
which Briefsmith does not ask for), and a reader other than Word 2016 or later shows nothing
there: Google Docs, Word 2013, many previewers. CairoSVG (Kozea's, WeasyPrint's makers)
rasterises it at 200 dpi of the size the picture is shown at. In its safe mode (the default,
asked for explicitly) an SVG's references to files or the network come back as an empty
picture, only data: URLs are read, and XML entities are refused: an SVG cannot read outside
the project.
"""

from __future__ import annotations

import re

from ..core.errors import RenderError
from ..core.models import Origin

EMU_PER_INCH = 914_400
DPI = 200
MAX_PIXELS = 4_000  # a side; a picture the size of a page at 200 dpi is about 1,700
PNG_TYPE = "image/png"
IMAGE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"

_DRAWING = re.compile(r"<w:drawing>.*?</w:drawing>", re.S)
_EXTENT = re.compile(r'<wp:extent cx="(\d+)" cy="(\d+)"')
_BARE_BLIP = re.compile(r"<a:blip>")
_SVG_BLIP = re.compile(r'<asvg:svgBlip\b[^>]*\br:embed="([^"]+)"')
_RELATIONSHIP = re.compile(r"<Relationship\b[^>]*>")
_ID, _TARGET = re.compile(r'\bId="([^"]+)"'), re.compile(r'\bTarget="([^"]+)"')


def add_png_fallbacks(parts: dict[str, bytes], origin: Origin | None = None) -> None:
    """Give every SVG-only picture in word/document.xml a PNG main blip, in place. An SVG
    CairoSVG cannot read (malformed, or with XML entities, which its safe mode refuses) is a
    RenderError at `origin`: a picture must not go missing from the document unannounced."""
    document = parts["word/document.xml"].decode("utf-8")
    if "svgBlip" not in document:
        return
    rels_name = "word/_rels/document.xml.rels"
    rels = parts[rels_name].decode("utf-8")
    targets = {}
    for element in _RELATIONSHIP.findall(rels):  # attributes in any order
        rid, target = _ID.search(element), _TARGET.search(element)
        if rid and target:
            targets[rid.group(1)] = target.group(1)
    added: list[str] = []

    def fallback(match: re.Match[str]) -> str:
        drawing = match.group(0)
        svg_id, extent = _SVG_BLIP.search(drawing), _EXTENT.search(drawing)
        if svg_id is None or extent is None or not _BARE_BLIP.search(drawing):
            return drawing
        target = targets.get(svg_id.group(1))
        svg = parts.get(f"word/{target}") if target else None
        if svg is None:
            return drawing
        width, height = (_pixels(int(v)) for v in extent.groups())
        png_id = f"{svg_id.group(1)}Png"
        try:
            parts[f"word/media/{png_id}.png"] = _rasterise(svg, width, height)
        except Exception as exc:  # CairoSVG's parse errors have no common base class
            alt = re.search(r'<wp:docPr descr="([^"]*)"', drawing)
            raise RenderError(f"the SVG picture '{alt.group(1) if alt else target}' cannot be "
                              f"drawn as PNG for Word ({type(exc).__name__}): check that it is "
                              "valid SVG without XML entities", origin) from exc
        added.append(f'<Relationship Type="{IMAGE_REL}" Id="{png_id}" '
                     f'Target="media/{png_id}.png" />')
        return _BARE_BLIP.sub(f'<a:blip r:embed="{png_id}">', drawing, count=1)

    document = _DRAWING.sub(fallback, document)
    if not added:
        return
    parts["word/document.xml"] = document.encode("utf-8")
    parts[rels_name] = rels.replace("</Relationships>", "".join(added) + "</Relationships>",
                                    1).encode("utf-8")
    types = parts["[Content_Types].xml"].decode("utf-8")
    if 'Extension="png"' not in types:
        types = types.replace("<Default ", f'<Default Extension="png" ContentType="{PNG_TYPE}" />'
                              "<Default ", 1)
        parts["[Content_Types].xml"] = types.encode("utf-8")


def _pixels(emu: int) -> int:
    return max(1, min(MAX_PIXELS, round(emu / EMU_PER_INCH * DPI)))


def _rasterise(svg: bytes, width: int, height: int) -> bytes:
    import cairosvg  # here: only a Word document with an SVG picture needs it (and libcairo)

    # unsafe=False: XML entities refused, and every URL but a data: one fetched as an empty
    # picture (cairosvg.url.safe_fetch), never opened
    png = cairosvg.svg2png(bytestring=svg, output_width=width, output_height=height,
                           unsafe=False)
    assert isinstance(png, bytes)
    return png
