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

from lxml import etree

from ..core.errors import RenderError
from ..core.models import Origin
from .docx_xml import A_NS, ASVG_NS, R_NS, REL_NS, TYPES_NS, WP_NS, parse, w, write

EMU_PER_INCH = 914_400
DPI = 200
MAX_PIXELS = 4_000  # a side; a picture the size of a page at 200 dpi is about 1,700
PNG_TYPE = "image/png"
IMAGE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"


def add_png_fallbacks(parts: dict[str, bytes], origin: Origin | None = None) -> None:
    """Give every SVG-only picture in word/document.xml a PNG main blip, in place. An SVG
    CairoSVG cannot read (malformed, or with XML entities, which its safe mode refuses) is a
    RenderError at `origin`: a picture must not go missing from the document unannounced."""
    if b"svgBlip" not in parts["word/document.xml"]:
        return
    document = parse(parts["word/document.xml"])
    rels_name = "word/_rels/document.xml.rels"
    rels = parse(parts[rels_name])
    targets = {rel.get("Id"): rel.get("Target") for rel in rels.iter(f"{{{REL_NS}}}Relationship")}
    added = 0
    for drawing in document.iter(w("drawing")):
        svg_id = next((b.get(f"{{{R_NS}}}embed") for b in drawing.iter(f"{{{ASVG_NS}}}svgBlip")
                       if b.get(f"{{{R_NS}}}embed")), None)
        extent = next(drawing.iter(f"{{{WP_NS}}}extent"), None)
        # the main blip pandoc leaves empty beside an SVG: one with no attribute at all
        blip = next((b for b in drawing.iter(f"{{{A_NS}}}blip") if not b.attrib), None)
        size = (extent.get("cx", ""), extent.get("cy", "")) if extent is not None else ("", "")
        if svg_id is None or blip is None or not all(v.isascii() and v.isdigit() for v in size):
            continue
        target = targets.get(svg_id)
        svg = parts.get(f"word/{target}") if target else None
        if svg is None:
            continue
        width, height = (_pixels(int(v)) for v in size)
        png_id = f"{svg_id}Png"
        try:
            parts[f"word/media/{png_id}.png"] = _rasterise(svg, width, height)
        except Exception as exc:  # CairoSVG's parse errors have no common base class
            described = next(drawing.iter(f"{{{WP_NS}}}docPr"), None)
            alt = described.get("descr") if described is not None else None
            raise RenderError(f"the SVG picture '{alt if alt is not None else target}' cannot be "
                              f"drawn as PNG for Word ({type(exc).__name__}): check that it is "
                              "valid SVG without XML entities", origin) from exc
        etree.SubElement(rels, f"{{{REL_NS}}}Relationship",
                         {"Type": IMAGE_REL, "Id": png_id, "Target": f"media/{png_id}.png"})
        blip.set(f"{{{R_NS}}}embed", png_id)
        added += 1
    if not added:
        return
    parts["word/document.xml"] = write(document, parts["word/document.xml"])
    parts[rels_name] = write(rels, parts[rels_name])
    types = parse(parts["[Content_Types].xml"])
    defaults = list(types.iter(f"{{{TYPES_NS}}}Default"))
    if not any(d.get("Extension", "").lower() == "png" for d in defaults):
        png = types.makeelement(f"{{{TYPES_NS}}}Default",
                                {"Extension": "png", "ContentType": PNG_TYPE})
        if defaults:
            defaults[0].addprevious(png)
        else:
            types.insert(0, png)
        parts["[Content_Types].xml"] = write(types, parts["[Content_Types].xml"])


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
