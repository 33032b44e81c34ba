"""Figure blocks: a project image checked before anything is rendered, and its credit held to
a cited passage.

An image is untrusted input like any text: a PNG can decode to gigabytes, an SVG can run
script, fetch a URL or expand entities. Each figure's file is read once, here, from inside the
project's content/ folder (never through a link), and refused with a one-line error at the
block's `image:` line unless it is a PNG, JPEG or plain SVG within the limits. What passes is
kept on the block as a data: URL, so HTML output stays one file, the PDF renderer reads
nothing more from disk, and Word embeds it (docx.py).

In: the loaded content. Out: the content's figure blocks with `image_url` set, or Problems.
"""

from __future__ import annotations

import base64
import os
import xml.parsers.expat
from dataclasses import replace
from io import BytesIO
from pathlib import Path

from ..core.errors import CitationError, Collector, ContentError, printable
from ..core.models import Block, Content
from ..core.paths import OutsideProject, read_inside
from ..core.vocabulary import normalise

# Limits the renderer holds every image to as well (formats/pdf.py), figure or not.
MAX_DATA_URL = 2_000_000
MAX_IMAGE_PIXELS = 25_000_000  # a 5000 x 5000 image; decoding more would exhaust memory
# Embedded as base64 (4 bytes per 3) in a data: URL the renderer accepts up to MAX_DATA_URL.
MAX_FIGURE_BYTES = (MAX_DATA_URL - 100) // 4 * 3
KINDS = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
         ".svg": "image/svg+xml"}
_SVG_NS = "http://www.w3.org/2000/svg"
_XLINK_NS = "http://www.w3.org/1999/xlink"


def attach_images(content: Content) -> None:
    """Check every figure block's image and credit; store the image on the block."""
    errors = Collector()
    for bid, block in list(content.blocks.items()):
        if block.type != "figure" or block.image is None:
            continue
        try:
            url = image_url(block, content.root)
            check_credit(block)
        except ContentError as exc:
            errors.add(exc)
            continue
        content.blocks[bid] = replace(block, image_url=url)
    errors.raise_if_any()


def check_credit(block: Block) -> None:
    """The credit is what the source says about who made the image, word for word, like a
    quote block's `words`: an image is never credited from memory."""
    credit = normalise(block.credit or "")
    if not any(credit in normalise(ref.quote) for ref in block.cites):
        raise CitationError(f"the 'credit' of figure '{block.id}' is not inside any of its "
                            "cited passages: cite the passage that credits the image, and copy "
                            "the credit from it word for word", block.at("credit"))


def image_url(block: Block, root: Path) -> str:
    where = block.at("image")
    written = block.image or ""
    folder = root / "content"
    path = root / written
    kind = KINDS.get(Path(written).suffix.lower())

    def refuse(why: str) -> ContentError:
        return ContentError(f"image '{printable(written, 120)}' of figure '{block.id}' {why}",
                            where)

    if kind is None:
        raise refuse("is not a .png, .jpg, .jpeg or .svg file: save it in one of those forms")
    if Path(written).is_absolute() or not Path(os.path.abspath(path)).is_relative_to(
            os.path.abspath(folder)):
        raise refuse("is not inside the project's content/ folder: give a path such as "
                     "content/figures/map.png, relative to the project")
    if _has_link(path, root):
        raise refuse("is a link (or inside a linked folder): copy the image into the project")
    if not path.is_file():
        raise refuse("does not exist: save the image there, or correct the path")
    try:
        data = read_inside(path, (folder,), limit=MAX_FIGURE_BYTES)
    except (OutsideProject, OSError) as exc:
        raise refuse(f"cannot be read ({exc.strerror or 'outside the project'})") from exc
    if len(data) > MAX_FIGURE_BYTES:
        raise refuse(f"is over {MAX_FIGURE_BYTES:,} bytes, the limit: use a smaller file "
                     "(a lower resolution, or JPEG for a photograph)")
    why = svg_problem(data) if kind == "image/svg+xml" else raster_problem(data, kind)
    if why:
        raise refuse(why)
    return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"


def _has_link(path: Path, root: Path) -> bool:
    """Any part of the path below the project root is a symbolic link."""
    current = root
    for part in path.relative_to(root).parts:
        current = current / part
        if current.is_symlink():
            return True
    return False


def raster_problem(data: bytes, kind: str) -> str | None:
    """The file is the PNG or JPEG its name says, within the pixel limit, and decodes."""
    from PIL import Image, ImageFile, UnidentifiedImageError

    expected = {"image/png": "PNG", "image/jpeg": "JPEG"}[kind]
    try:
        with Image.open(BytesIO(data)) as image:
            width, height = image.size
            found = image.format
            if width * height > MAX_IMAGE_PIXELS:
                return (f"is {width} x {height} pixels; the limit is {MAX_IMAGE_PIXELS:,} "
                        "pixels: scale it down")
            if found != expected:
                return f"is a {found} image, not {expected}: give the file its right extension"
            image.verify()  # chunk checksums and the end of the file (PNG)
        with Image.open(BytesIO(data)) as image:
            # WeasyPrint's import lets Pillow accept truncated files; a figure must be whole
            tolerant, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
            try:
                image.load()  # a truncated or corrupt file fails here, not in the renderer
            finally:
                ImageFile.LOAD_TRUNCATED_IMAGES = tolerant
    except Image.DecompressionBombError:
        return f"has more than {MAX_IMAGE_PIXELS:,} pixels, the limit: scale it down"
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return f"is not a readable {expected} image (corrupt or truncated): export it again"
    return None


class _Refused(Exception):
    """Stops the SVG parse at the first thing refused."""


def svg_problem(data: bytes) -> str | None:
    """An SVG is code: refuse a DOCTYPE (and so every entity), script, event handlers,
    foreignObject and any reference that is not to the same file (`#id`), in attributes and
    in style. Parsed by expat, with no entity ever expanded."""
    problems: list[str] = []
    depth = [0]
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")

    def doctype(*_: object) -> None:  # stop before any declaration is read, let alone used
        raise _Refused("has a DOCTYPE (entities are refused): delete the <!DOCTYPE ...> part")

    def entity(*_: object) -> None:
        raise _Refused("declares an entity: delete it")

    def start(name: str, attrs: dict[str, str]) -> None:
        ns, _, local = name.rpartition(" ")
        if depth[0] == 0 and (local != "svg" or ns != _SVG_NS):
            problems.append("is not an SVG image (its root element is not <svg> in the SVG "
                            "namespace)")
        depth[0] += 1
        if local in ("script", "foreignObject", "iframe", "object", "embed"):
            problems.append(f"has a <{local}> element, which can run code or load content: "
                            "remove it")
        for key, value in attrs.items():
            attr = key.rpartition(" ")[2]
            if attr.lower().startswith("on"):
                problems.append(f"has an event handler ({attr}=...), which runs code: remove it")
            elif attr == "href" and not value.strip().startswith("#"):
                problems.append(f"refers to another file or address ({printable(value, 60)}): "
                                "an SVG figure may refer only to its own parts (#id)")
            elif attr == "style" and _external_url(value):
                problems.append("has a style that loads another file (url(...)): remove it")

    def text(chunk: str) -> None:
        if _external_url(chunk) or "@import" in chunk:
            problems.append("has a style that loads another file (url(...) or @import): "
                            "remove it")

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity
    parser.StartElementHandler = start
    parser.CharacterDataHandler = text
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(data, True)
    except _Refused as exc:
        return str(exc)
    except xml.parsers.expat.ExpatError as exc:
        if problems:
            return problems[0]
        return f"is not well-formed XML ({xml.parsers.expat.ErrorString(exc.code)}, line " \
               f"{exc.lineno}): export it again"
    return problems[0] if problems else None


def _external_url(text: str) -> bool:
    """A CSS url(...) that is not a reference to a part of the same file."""
    lowered = text.lower()
    start = lowered.find("url(")
    while start != -1:
        target = lowered[start + 4:].lstrip(" '\"")
        if not target.startswith("#"):
            return True
        start = lowered.find("url(", start + 4)
    return False
