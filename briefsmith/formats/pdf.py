"""Stage 6: HTML → PDF bytes with WeasyPrint, in memory, seeing only the project's own files.

In: one output's complete HTML (citations filled) and the folders it may read. Out: first a
laid-out document (`render_document`: its pages can be inspected, nothing is written), then
its bytes (`write`). What WeasyPrint logged on the way becomes located errors here
(`log_problems`): a missing glyph names the block holding the character, a refused file the
block or template that asked for it.

WeasyPrint is imported here and only here, lazily: `check`, `list` and a no-op build never pay
for it. Fonts come from the package's vendored folder, plus the few fallback files named in
`fonts.py`, through a private fontconfig file, so output does not depend on what else the machine
has installed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from ..content.select import Selection
from ..core.errors import BriefsmithWarning, RenderError, printable
from ..core.models import Origin
from ..evidence.figures import MAX_DATA_URL, MAX_IMAGE_PIXELS
from ..theme import fonts

MAX_FILE_BYTES = 20_000_000
_REFUSED = "Briefsmith refused to load"  # starts the fetcher's error, which WeasyPrint logs


def _fontconfig_file() -> Path:
    """The private fontconfig file (kept here by name: the benchmarks point bare WeasyPrint at
    it to compare like with like)."""
    return fonts.fontconfig_file()


def _weasyprint() -> Any:
    # fontconfig reads FONTCONFIG_FILE once, when WeasyPrint first creates its font map.
    os.environ["FONTCONFIG_FILE"] = str(_fontconfig_file())
    if sys.platform.startswith("linux") and "weasyprint" not in sys.modules:
        try:
            with _sonames_only():
                import weasyprint
        except OSError:  # a library under a name WeasyPrint does not list: let ctypes look
            pass
    import weasyprint  # here only: `check`, `list` and a no-op build never load it

    return weasyprint


@contextmanager
def _sonames_only() -> Iterator[None]:
    """WeasyPrint opens each of its seven libraries by trying a list of names, the Linux
    soname (libpango-1.0.so.0) after the Windows and generic ones. For every name dlopen does
    not take, cffi asks `ctypes.util.find_library`, which on Linux runs ldconfig, gcc and ld:
    about 0.3 s of subprocesses in every render process, a tenth of a one-brief build. While
    WeasyPrint loads, that search finds nothing, so the sonames are what load; if none did,
    the caller imports again with the real search (WeasyPrint prints its advice then)."""
    import ctypes.util

    real = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None
    try:
        with redirect_stdout(io.StringIO()):  # WeasyPrint's install advice, printed on failure
            yield
    finally:
        ctypes.util.find_library = real


@dataclass
class RenderLog:
    """What WeasyPrint said and what the fetcher refused during one render."""

    refused: list[tuple[str, str]]  # (url, why)
    warnings: list[str]
    errors: list[str]
    missing_glyphs: list[str]


class _Capture(logging.Handler):
    def __init__(self, log: RenderLog) -> None:
        super().__init__(logging.WARNING)
        self.log = log

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if _REFUSED in message and self.log.refused:
            return  # already in log.refused, with the reason: one problem, reported once
        if "unsupported by fonts" in message:
            self.log.missing_glyphs.append(message)
        elif record.levelno >= logging.ERROR:
            self.log.errors.append(message)
        else:
            self.log.warnings.append(message)


@contextmanager
def _captured(log: RenderLog) -> Iterator[None]:
    logger = logging.getLogger("weasyprint")
    handler = _Capture(log)
    logger.addHandler(handler)
    old_propagate = logger.propagate
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = old_propagate


def make_fetcher(weasyprint: Any, allowed_roots: tuple[Path, ...], log: RenderLog) -> Any:
    """A fetcher that reads only files inside the allowed folders and small data: URLs."""
    roots = tuple(r.resolve() for r in allowed_roots)

    class ProjectFetcher(weasyprint.URLFetcher):  # weasyprint is Any here: imported lazily
        def fetch(self, url: str, headers: Any = None) -> Any:
            why = self.refusal(url)
            if why is None:
                scheme = urlsplit(url).scheme.lower()
                if scheme == "data":
                    # A data: image (a template's asset(), the house logo) gets the same pixel
                    # limit as a file: its few compressed bytes can decode to gigabytes.
                    response = super().fetch(url, headers)
                    data = response.read()
                    why = _image_too_large(data)
                    if why is None:
                        return weasyprint.urls.URLFetcherResponse(
                            response.url, data, response.headers, response.status)
                else:
                    data = Path(unquote(urlsplit(url).path)).resolve().read_bytes()
                    why = _image_too_large(data)
                    if why is None:
                        return weasyprint.urls.URLFetcherResponse(url, data)
            shown = f"{url[:40]}\u2026" if url[:5].lower() == "data:" else url[:200]
            log.refused.append((shown, why))
            raise ValueError(f"{_REFUSED} {shown}: {why}")

        @staticmethod
        def refusal(url: str) -> str | None:
            scheme = urlsplit(url).scheme.lower()
            if scheme == "data":
                if not url[5:].startswith("image/"):
                    return "only data: URLs of images are allowed"
                if len(url) > MAX_DATA_URL:
                    return f"data: URL is over {MAX_DATA_URL:,} characters"
                return None
            if scheme != "file":
                return "the renderer never uses the network"
            real = Path(unquote(urlsplit(url).path)).resolve()  # a link out is followed, refused
            if not any(real.is_relative_to(r) for r in roots):
                return "it is outside the project"
            if not real.is_file():
                return "no such file in the project"
            if real.stat().st_size > MAX_FILE_BYTES:
                return f"file is over {MAX_FILE_BYTES:,} bytes"
            return None

    return ProjectFetcher()


def _image_too_large(data: bytes) -> str | None:
    """Read only the image header: refuse images whose pixels would not fit in memory."""
    from io import BytesIO

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(BytesIO(data)) as image:
            width, height = image.size
    except Image.DecompressionBombError:  # Pillow's own, higher limit: far over ours
        return f"image has more than {MAX_IMAGE_PIXELS:,} pixels, the limit"
    except (UnidentifiedImageError, OSError):
        return None  # not a raster image (CSS, SVG, font): WeasyPrint handles or rejects it
    if width * height > MAX_IMAGE_PIXELS:
        return f"image is {width} x {height} pixels; the limit is {MAX_IMAGE_PIXELS:,} pixels"
    return None


@contextmanager
def _source_date(epoch: int) -> Iterator[None]:
    """fontTools stamps each font it instances with the current time unless SOURCE_DATE_EPOCH is
    set; pin it (to the user's value, else the brief's date) so equal inputs give equal bytes."""
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = old or str(epoch)
    try:
        yield
    finally:
        if old is None:
            del os.environ["SOURCE_DATE_EPOCH"]


NOTE_FIXES = 6  # at most this many extra renders to bring notes back to their calls' page


def _render_with_notes_on_their_page(source: Any) -> Any:
    """Render, then check that every footnote sits on the page of its call, and if one does
    not, start the paragraph holding its call on a new page and render again.

    `footnote-policy: block` should do this itself, but WeasyPrint 70 sometimes lays a later
    paragraph out again after it placed a note and drops that note to the next page, leaving
    its call behind (Kozea/WeasyPrint#2432, #1564); a note a page late is a reader following a
    number to the wrong page. The check costs a walk over the boxes; the rare repair, a render."""
    document = source.render(pdf_variant="pdf/ua-1")
    for _ in range(NOTE_FIXES):
        misplaced = _notes_off_their_page(document)
        if not misplaced:
            break
        parents = {child: parent for parent in source.etree_element.iter() for child in parent}
        for note in misplaced:
            block = parents.get(note)
            while block is not None and block.tag not in ("p", "li", "blockquote", "dd", "td",
                                                          "div"):
                block = parents.get(block)
            if block is not None:
                block.set("style", f"{block.get('style', '')}; break-before: page")
        document = source.render(pdf_variant="pdf/ua-1")
    return document


def _notes_off_their_page(document: Any) -> list[Any]:
    """The footnote elements whose note is laid out on another page than their call."""
    calls: dict[int, int] = {}
    areas: dict[int, int] = {}
    elements: dict[int, Any] = {}

    def walk(box: Any, page: int, in_area: bool) -> None:
        in_area = in_area or type(box).__name__ == "FootnoteAreaBox"
        element = getattr(box, "element", None)
        if element is not None and "footnote" in (element.get("class") or "").split():
            elements[id(element)] = element
            (areas if in_area else calls).setdefault(id(element), page)
        for child in getattr(box, "children", None) or ():
            walk(child, page, in_area)

    for number, page in enumerate(document.pages, 1):
        walk(page._page_box, number, False)
    return [elements[key] for key, page in calls.items() if areas.get(key, page) != page]


def epoch_of(date: str) -> int:
    """A brief's date as SOURCE_DATE_EPOCH (see _source_date)."""
    return int(dt.datetime.fromisoformat(date).replace(tzinfo=dt.UTC).timestamp())


@dataclass
class Rendered:
    """A laid-out document, before any bytes: `document.pages` can be inspected."""

    document: Any
    log: RenderLog
    epoch: int
    origin: Origin | None

    @property
    def pages(self) -> int:
        return len(self.document.pages)

    def text_from(self, page: int) -> str:
        """The words drawn on page `page` (1-based) and after: what spills over a page budget,
        for naming the blocks it comes from (any template's, whatever its markup)."""
        words: list[str] = []

        def walk(box: Any) -> None:
            if isinstance(getattr(box, "text", None), str):
                words.append(box.text)
            for child in getattr(box, "children", ()):
                walk(child)

        for laid in self.document.pages[page - 1:]:
            walk(laid._page_box)  # WeasyPrint's own tree: no public walk over a page's boxes
        return " ".join(" ".join(words).split())


def render_document(html: str, base_dir: Path, allowed_roots: tuple[Path, ...], *,
                    epoch: int, origin: Origin | None) -> Rendered:
    """Lay the HTML out into pages (WeasyPrint's render), reading only the allowed folders."""
    missing = fonts.missing_fallbacks()
    if missing:  # else names in those scripts would be drawn as empty boxes
        raise RenderError(fonts.setup_error(missing), origin)
    weasyprint = _weasyprint()
    log = RenderLog([], [], [], [])
    with _captured(log), _source_date(epoch):
        try:
            source = weasyprint.HTML(
                string=html, base_url=base_dir.as_uri() + "/",
                url_fetcher=make_fetcher(weasyprint, allowed_roots, log),
            )
            document = _render_with_notes_on_their_page(source)
        except RecursionError as exc:
            raise RenderError("the document is nested too deeply to lay out", origin) from exc
    return Rendered(document, log, epoch, origin)


def write(rendered: Rendered, identifier: str) -> bytes:
    """The document's PDF bytes (never a file: writing is the output stage's atomic job). Fonts
    are subset here, so the date pin and the log capture hold for this step too."""
    with _captured(rendered.log), _source_date(rendered.epoch):
        try:
            return bytes(rendered.document.write_pdf(
                pdf_identifier=hashlib.sha256(identifier.encode()).hexdigest()[:32].encode(),
                pdf_variant="pdf/ua-1",
            ))
        except RecursionError as exc:
            raise RenderError("the document is nested too deeply to lay out",
                              rendered.origin) from exc


def render_pdf(html: str, base_dir: Path, allowed_roots: tuple[Path, ...], *,
               identifier: str, epoch: int, origin: Origin | None) -> tuple[bytes, RenderLog, int]:
    """Render and write in one call: (bytes, what WeasyPrint said, the number of pages)."""
    rendered = render_document(html, base_dir, allowed_roots, epoch=epoch, origin=origin)
    return write(rendered, identifier), rendered.log, rendered.pages


def log_problems(log: RenderLog, selection: Selection, label: str) -> list[RenderError]:
    """What in a render's log fails the build, each naming what to fix and where."""
    origin = selection.brief.origin
    problems = [_glyph_error(msg, selection, label) for msg in log.missing_glyphs]
    problems += [_refusal_error(refusal, selection, label) for refusal in log.refused]
    problems += [RenderError(f"{label}: renderer error: {printable(msg, 300)}", origin)
                 for msg in log.errors]
    return problems


def log_warnings(log: RenderLog, selection: Selection, label: str) -> list[BriefsmithWarning]:
    return [BriefsmithWarning(Origin(selection.brief.origin.path),
                              f"{label}: renderer: {printable(msg, 300)}", "renderer")
            for msg in log.warnings]


def _blocks_containing(text: str, selection: Selection) -> list[str]:
    return [b.id for b in selection.blocks
            if any(text in (v or "") for v in (b.text_for(selection.audience.name), b.words,
                                                  b.title, b.figure, b.term, b.actor))]


def _glyph_error(message: str, selection: Selection, label: str) -> RenderError:
    match = re.search(r'"(.+)" \(U\+[0-9A-F]+', message)
    chars = match.group(1) if match else "?"
    where = _blocks_containing(chars, selection)
    culprit = f"in block {', '.join(where)}" if where else "in the brief or its templates"
    codes = " ".join(f"U+{ord(c):04X}" for c in chars)
    return RenderError(f"{label}: the fonts have no glyph for {codes} {culprit}: replace the "
                       "character or add a font that has it", selection.brief.origin)


def _refusal_error(refusal: tuple[str, str], selection: Selection,
                   label: str) -> RenderError:
    url, why = refusal
    where = _blocks_containing(url, selection)
    culprit = f"block {', '.join(where)}" if where else "a template or stylesheet"
    rule = ("only files inside the project's templates/ and content/ folders can be used"
            if why in ("it is outside the project", "the renderer never uses the network",
                       "no such file in the project") else "use a smaller file")
    return RenderError(f"{label}: refused to load '{url}' requested by {culprit} ({why}): "
                       f"{rule}", selection.brief.origin)
