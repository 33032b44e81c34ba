"""Which fonts the renderer can see, and whether they can draw every character of the content.

The vendored Source Serif 4 and Source Sans 3 cover Latin, Greek and Cyrillic; the renderer
sees static instances of them (font_instances.py), while fingerprints and character coverage
read the vendored variable files they are made from. Names in Arabic,
Hebrew, Devanagari and CJK are drawn with Noto fonts from Debian packages that set-up installs
(`fonts-noto-core`, `fonts-noto-cjk`): tens of megabytes we do not want in git. The renderer
sees only the files named below, through a private fontconfig file, never the whole of
/usr/share/fonts: scanning everything is slow and would make a brief depend on the machine.

Standard library only, and nothing heavy at import time: the no-op build path imports this
module (for `font_files()`); fontTools is imported only when a character map is read.
"""

from __future__ import annotations

import functools
import hashlib
import os
import struct
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path

from ..core.errors import ContentError, printable
from ..core.models import Block, Content, Origin
from . import font_instances
from .font_instances import FONTS_DIR

FONT_SUFFIXES = (".ttf", ".otf", ".ttc")
_NOTO = Path("/usr/share/fonts/truetype/noto")  # fonts-noto-core
_NOTO_CJK = Path("/usr/share/fonts/opentype/noto")  # fonts-noto-cjk
SETUP_HINT = "run `make briefs` to set up"
FONTCONFIG_HINT = "to the project fontconfig (briefsmith/theme/fonts.py)"


@dataclass(frozen=True)
class Fallback:
    """Fonts for one script: a serif and a sans family (regular and bold) from one package."""

    script: str  # as named by `script_of`, so a missing package explains those characters
    package: str  # the Debian package that installs `files`
    serif: str  # family names, appended to the CSS stacks after the vendored family
    sans: str
    files: tuple[Path, ...]


def _pair(folder: Path, serif: str, sans: str, suffix: str) -> tuple[Path, ...]:
    return tuple(folder / f"{stem}-{weight}{suffix}"
                 for stem in (serif, sans) for weight in ("Regular", "Bold"))


# CJK: the Simplified Chinese faces of the collections come first in the CSS stacks; the
# Japanese, Korean and Traditional Chinese faces of the same files stay visible to fontconfig.
FALLBACKS = (
    Fallback("Arabic", "fonts-noto-core", "Noto Naskh Arabic", "Noto Sans Arabic",
             _pair(_NOTO, "NotoNaskhArabic", "NotoSansArabic", ".ttf")),
    Fallback("Hebrew", "fonts-noto-core", "Noto Serif Hebrew", "Noto Sans Hebrew",
             _pair(_NOTO, "NotoSerifHebrew", "NotoSansHebrew", ".ttf")),
    Fallback("Devanagari", "fonts-noto-core", "Noto Serif Devanagari", "Noto Sans Devanagari",
             _pair(_NOTO, "NotoSerifDevanagari", "NotoSansDevanagari", ".ttf")),
    Fallback("CJK", "fonts-noto-cjk", "Noto Serif CJK SC", "Noto Sans CJK SC",
             _pair(_NOTO_CJK, "NotoSerifCJK", "NotoSansCJK", ".ttc")),
)


def fallback_families(kind: str) -> str:
    """The fallback part of a CSS font-family stack ("serif" or "sans"), for the house style.

    Listed, not left to fontconfig's own fallback, so the serif text gets the serif Noto face of
    each script (fontconfig alone would pick whatever sorts first) and the choice is stable.
    A browser takes each of these families only for its own script: the HTML page declares
    them with a `unicode-range` (webfonts.py), since they also map Latin digits and marks."""
    return ", ".join(f'"{f.serif if kind == "serif" else f.sans}"' for f in FALLBACKS)


def vendored_files() -> tuple[Path, ...]:
    return tuple(sorted(p for p in FONTS_DIR.iterdir() if p.suffix.lower() in FONT_SUFFIXES))


def missing_fallbacks() -> tuple[Fallback, ...]:
    return tuple(f for f in FALLBACKS if not all(p.is_file() for p in f.files))


def font_files() -> tuple[Path, ...]:
    """Every font file the renderer can see: vendored ones first (sorted), then the installed
    fallback files in table order. Stable, so it can fingerprint outputs: a changed or newly
    installed font must rebuild the PDFs."""
    installed = (p for f in FALLBACKS for p in f.files if p.is_file())
    return vendored_files() + tuple(installed)


def setup_error(missing: Iterable[Fallback]) -> str:
    """One line that says what is missing and the one command that fixes it."""
    missing = tuple(missing)
    scripts = _and([f.script for f in missing])
    packages = " ".join(dict.fromkeys(f.package for f in missing))
    absent = next(p for f in missing for p in f.files if not p.is_file())
    return (f"the fonts for {scripts} are not installed ({absent} is missing; Debian package "
            f"{packages}): {SETUP_HINT}")


# ---------------------------------------------------------------- the private fontconfig file

def fontconfig_file() -> Path:
    """Write a fontconfig file that knows only the static instances of the vendored fonts and
    the fallback files.

    Static, not the variable files themselves: WeasyPrint would instance a variable font for
    every size and weight used, embedding many programs and spending a third of a render on it
    (font_instances.py makes them once). fontconfig takes folders, not files, and the fallback
    files share /usr/share/fonts/... with hundreds of others, so they are linked into a folder of
    our own. The folder's name is a hash of the instances' folder and every file's path, size
    and modification time: a changed font gets a new folder and so a fresh fontconfig cache,
    never a stale one."""
    static = font_instances.ensure()
    files = font_files()
    fallback = files[len(vendored_files()):]
    stamps = [str(static)] + [(str(p), stamp(p)) for p in files]
    digest = hashlib.sha256(repr(stamps).encode()).hexdigest()[:12]
    folder = Path(tempfile.gettempdir()) / f"briefsmith-fontconfig-{digest}"
    links = _link_folder(folder / "fonts", fallback)
    conf = folder / "fonts.conf"
    text = (
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        f"  <dir>{_xml(static)}</dir>\n  <dir>{_xml(links)}</dir>\n"
        f"  <cachedir>{_xml(folder / 'cache')}</cachedir>\n"
        "  <config><rescan><int>0</int></rescan></config>\n</fontconfig>\n"
    )
    if not conf.is_file() or conf.read_text() != text:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f"fonts.conf.{os.getpid()}"
        tmp.write_text(text)
        os.replace(tmp, conf)
    return conf


def stamp(path: Path) -> tuple[int, int]:
    """A font file's size and modification time: what tells a changed font from the last."""
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def _xml(path: Path) -> str:
    return str(path).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link_folder(links: Path, files: tuple[Path, ...]) -> Path:
    """Make the folder of symlinks whole or not at all: build it aside, then rename it."""
    if links.is_dir():
        return links
    tmp = links.with_name(f"{links.name}.{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    for path in files:
        link = tmp / path.name
        if not link.is_symlink():
            link.symlink_to(path)
    try:
        tmp.rename(links)
    except OSError:  # another process made the same folder first: same files, keep theirs
        for link in tmp.iterdir():
            link.unlink()
        tmp.rmdir()
    return links


# ---------------------------------------------------------------- character coverage

@functools.cache
def _codepoints(path: Path) -> frozenset[int]:
    """The code points one font file (every face of a collection) maps to a glyph."""
    from fontTools.ttLib import TTCollection, TTFont

    if path.suffix.lower() == ".ttc":
        collection = TTCollection(path, lazy=True)
        try:
            return frozenset().union(*(_mapped(face.reader["cmap"]) for face in collection))
        finally:
            collection.close()
    with TTFont(path, lazy=True) as font:
        return _mapped(font.reader["cmap"])


@functools.cache
def coverage() -> frozenset[int]:
    """The union of the character maps of every font the renderer can see."""
    return frozenset().union(*(_codepoints(p) for p in font_files()))


def uncovered(chars: Iterable[str]) -> set[str]:
    """The characters no visible font maps. Reads fonts only until every character is found,
    so Latin-only content never opens the 90 MB of CJK collections."""
    left = set(chars)
    for path in font_files():
        if not left:
            break
        left = {ch for ch in left if ord(ch) not in _codepoints(path)}
    return left


def _mapped(data: bytes) -> frozenset[int]:
    """Code points of the best Unicode subtable of a raw cmap table.

    Parsed here from the raw bytes because fontTools' own decoding names every glyph, which for
    a CFF collection means reading its charset: 1.7 s for one CJK file against 0.1 s here."""
    count = struct.unpack_from(">H", data, 2)[0]
    subtables: dict[tuple[int, int], int] = {}
    for i in range(count):
        platform, encoding, offset = struct.unpack_from(">HHI", data, 4 + 8 * i)
        subtables[(platform, encoding)] = offset
    for key in ((3, 10), (0, 6), (0, 4), (3, 1), (0, 3), (0, 2), (0, 1), (0, 0)):
        offset = subtables.get(key)
        if offset is None:
            continue
        fmt = struct.unpack_from(">H", data, offset)[0]
        if fmt == 12:
            return frozenset(_format12(data, offset))
        if fmt == 4:
            return frozenset(_format4(data, offset))
    return frozenset()


def _format12(data: bytes, offset: int) -> Iterator[int]:
    groups = struct.unpack_from(">I", data, offset + 12)[0]
    table = data[offset + 16:offset + 16 + 12 * groups]
    for start, end, glyph in struct.iter_unpack(">III", table):
        if glyph or start != end:
            yield from range(start if glyph else start + 1, end + 1)


def _format4(data: bytes, offset: int) -> Iterator[int]:
    seg2 = struct.unpack_from(">H", data, offset + 6)[0]
    seg = seg2 // 2
    ends = struct.unpack_from(f">{seg}H", data, offset + 14)
    starts = struct.unpack_from(f">{seg}H", data, offset + 16 + seg2)
    deltas = struct.unpack_from(f">{seg}H", data, offset + 16 + 2 * seg2)
    ranges_at = offset + 16 + 3 * seg2
    range_offsets = struct.unpack_from(f">{seg}H", data, ranges_at)
    for i, (start, end, delta, ro) in enumerate(zip(starts, ends, deltas, range_offsets,
                                                    strict=True)):
        if start == 0xFFFF:
            continue
        for code in range(start, end + 1):
            if ro == 0:
                glyph = (code + delta) & 0xFFFF
            else:
                glyph = struct.unpack_from(">H", data, ranges_at + 2 * i + ro
                                           + 2 * (code - start))[0]
                glyph = (glyph + delta) & 0xFFFF if glyph else 0
            if glyph:
                yield code


# Script of a character and a font that covers it, for the message; the name of the character
# (its first word) serves for the scripts not listed.
_SCRIPTS: tuple[tuple[int, int, str, str | None], ...] = (
    (0x0530, 0x058F, "Armenian", "Noto Sans Armenian"),
    (0x0590, 0x05FF, "Hebrew", "Noto Sans Hebrew"),
    (0xFB1D, 0xFB4F, "Hebrew", "Noto Sans Hebrew"),
    (0x0600, 0x06FF, "Arabic", "Noto Sans Arabic"),
    (0x0750, 0x077F, "Arabic", "Noto Sans Arabic"),
    (0x0870, 0x08FF, "Arabic", "Noto Sans Arabic"),
    (0xFB50, 0xFDFF, "Arabic", "Noto Sans Arabic"),
    (0xFE70, 0xFEFC, "Arabic", "Noto Sans Arabic"),  # not U+FEFF, the zero-width no-break space
    (0x0700, 0x074F, "Syriac", "Noto Sans Syriac"),
    (0x0780, 0x07BF, "Thaana", "Noto Sans Thaana"),
    (0x0900, 0x097F, "Devanagari", "Noto Sans Devanagari"),
    (0xA8E0, 0xA8FF, "Devanagari", "Noto Sans Devanagari"),
    (0x0980, 0x09FF, "Bengali", "Noto Sans Bengali"),
    (0x0A00, 0x0A7F, "Gurmukhi", "Noto Sans Gurmukhi"),
    (0x0A80, 0x0AFF, "Gujarati", "Noto Sans Gujarati"),
    (0x0B00, 0x0B7F, "Oriya", "Noto Sans Oriya"),
    (0x0B80, 0x0BFF, "Tamil", "Noto Sans Tamil"),
    (0x0C00, 0x0C7F, "Telugu", "Noto Sans Telugu"),
    (0x0C80, 0x0CFF, "Kannada", "Noto Sans Kannada"),
    (0x0D00, 0x0D7F, "Malayalam", "Noto Sans Malayalam"),
    (0x0D80, 0x0DFF, "Sinhala", "Noto Sans Sinhala"),
    (0x0E00, 0x0E7F, "Thai", "Noto Sans Thai"),
    (0x0E80, 0x0EFF, "Lao", "Noto Sans Lao"),
    (0x0F00, 0x0FFF, "Tibetan", "Noto Serif Tibetan"),
    (0x1000, 0x109F, "Myanmar", "Noto Sans Myanmar"),
    (0x10A0, 0x10FF, "Georgian", "Noto Sans Georgian"),
    (0x1C90, 0x1CBF, "Georgian", "Noto Sans Georgian"),
    (0x1200, 0x139F, "Ethiopic", "Noto Sans Ethiopic"),
    (0x13A0, 0x13FF, "Cherokee", "Noto Sans Cherokee"),
    (0x1400, 0x167F, "Canadian Aboriginal", "Noto Sans Canadian Aboriginal"),
    (0x1780, 0x17FF, "Khmer", "Noto Sans Khmer"),
    (0x1800, 0x18AF, "Mongolian", "Noto Sans Mongolian"),
    (0x1100, 0x11FF, "CJK", "Noto Sans CJK"),
    (0x2E80, 0x2FDF, "CJK", "Noto Sans CJK"),
    (0x3000, 0x9FFF, "CJK", "Noto Sans CJK"),
    (0xA960, 0xA97F, "CJK", "Noto Sans CJK"),
    (0xAC00, 0xD7FF, "CJK", "Noto Sans CJK"),
    (0xF900, 0xFAFF, "CJK", "Noto Sans CJK"),
    (0xFE30, 0xFE4F, "CJK", "Noto Sans CJK"),
    (0xFF00, 0xFFEF, "CJK", "Noto Sans CJK"),
    (0x20000, 0x3FFFF, "CJK Extension B and later", "Jigmo"),
    (0x1D400, 0x1D7FF, "mathematical letters", "Noto Sans Math"),
    (0x1F000, 0x1FAFF, "emoji and pictographs", "Noto Emoji"),
    (0x2190, 0x2BFF, "symbols", "Noto Sans Symbols 2"),
)


def script_ranges(script: str) -> tuple[tuple[int, int], ...]:
    """The code point ranges of a fallback's script (as `Fallback.script` names it): the
    characters an HTML page may draw from that fallback face (webfonts.py), and no others. CJK
    takes the ideographs of Extension B and later too, which the Noto CJK faces partly cover."""
    names = (script, "CJK Extension B and later") if script == "CJK" else (script,)
    return tuple((start, end) for start, end, name, _ in _SCRIPTS if name in names)


def script_of(ch: str) -> tuple[str, str | None]:
    """A name for the writing system of `ch` and a font that covers it (None: no font should)."""
    code = ord(ch)
    for start, end, name, font in _SCRIPTS:
        if start <= code <= end:
            return name, font
    category = unicodedata.category(ch)
    if category == "Co":
        return "private use", None
    if category == "Cn":
        return "unassigned", None
    if category == "Cs":
        return "unpaired surrogate", None
    if category.startswith("S"):
        return "symbols", "Noto Sans Symbols 2"
    word = unicodedata.name(ch, "").split(" ")[0]
    if not word:
        return "other", None
    name = word.title()
    return name, f"Noto Sans {name}"


def _needs_glyph(ch: str) -> bool:
    """Whitespace, control and format characters (ZWJ, ZWNJ, bidi marks) have nothing to draw;
    combining marks and variation selectors (Mn, Me) shape with their base, whose glyph is
    checked."""
    return not ch.isspace() and unicodedata.category(ch) not in ("Cc", "Cf", "Zs", "Zl", "Zp",
                                                                  "Mn", "Me")


def _texts(content: Content) -> Iterator[tuple[str, list[tuple[str, Origin]]]]:
    """Every text a brief can print, as (what it belongs to, [(text, where it was written)])."""
    for block in content.blocks.values():
        yield f"block '{block.id}'", list(_block_texts(block))
    for brief in content.briefs.values():
        texts = [(t, brief.origin) for t in (brief.title, brief.subtitle, brief.author,
                                             brief.about) if t]
        if brief.meeting is not None:
            texts += [(t, brief.origin) for t in (brief.meeting.name, brief.meeting.place) if t]
        for section in brief.sections:
            texts += [(t, section.origin) for t in (section.title, section.intro) if t]
        yield f"brief '{brief.id}'", texts
    for source in content.sources.values():
        texts = [(t, source.origin) for t in (source.title, source.short_title, source.label,
                                              source.outlet, source.url, source.perspective,
                                              source.notes, source.publisher,
                                              *source.shown_authors, *source.shown_editors,
                                              *(v for _, v in source.details))
                 if t]
        yield f"source '{source.id}'", texts
    for audience in content.audiences.values():
        texts = [(t, audience.origin) for t in (audience.label, audience.description) if t]
        yield f"audience '{audience.name}'", texts


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    """A block class's field names, looked up once (dataclasses.fields is slow per call)."""
    return tuple(f.name for f in fields(cls) if f.name not in ("id", "type"))


def _block_texts(block: Block) -> Iterator[tuple[str, Origin]]:
    # Every string field but the id and type, so a field added to Block later is checked too.
    cls: type = type(block)  # as a plain type: mypy reads a dataclass's own __hash__ wrongly
    for name in _field_names(cls):
        value = getattr(block, name)
        if isinstance(value, str):
            yield value, block.at(name)
    for _audience, text in block.wording:
        yield text, block.at("wording")


def uncovered_characters(content: Content) -> list[ContentError]:
    """`check`: one error per block, brief, source or audience with characters no font draws.

    The renderer would only warn and draw an empty box, and only for the briefs actually built;
    this names the place, the code points and the font to add before anything is rendered. When
    the fallback fonts themselves are missing, one line says to run set-up instead."""
    missing = missing_fallbacks()
    errors = [ContentError(setup_error(missing))] if missing else []
    not_installed = {f.script for f in missing}
    items = list(_texts(content))
    wanted: set[str] = set()
    for _, texts in items:
        for text, _ in texts:
            wanted.update(text)  # set.update walks a string in C: 3,000 blocks stay cheap
    bad = {ch for ch in uncovered(ch for ch in wanted if _needs_glyph(ch))
           if script_of(ch)[0] not in not_installed}
    if not bad:
        return errors
    for what, texts in items:
        found = sorted({ch for text, _ in texts for ch in text if ch in bad})
        if found:
            first = next(where for text, where in texts if any(ch in bad for ch in text))
            errors.append(ContentError(f"{what} has characters no font can draw: "
                                       f"{_describe(found)}", first))
    return errors


def _describe(chars: list[str], limit: int = 8) -> str:
    groups: dict[str, list[str]] = {}
    fonts: dict[str, str | None] = {}
    for ch in chars:
        name, font = script_of(ch)
        groups.setdefault(name, []).append(ch)
        fonts[name] = font
    parts = []
    for name, group in groups.items():
        shown = ", ".join(f"U+{ord(ch):04X} '{printable(ch)}'" for ch in group[:limit])
        more = f" and {len(group) - limit} more" if len(group) > limit else ""
        parts.append(f"{shown}{more} ({name})")
    hints = []
    drawable = [name for name in groups if fonts[name]]
    if drawable:
        many = len(drawable) > 1
        hints.append(f"add {'fonts' if many else 'a font'} that cover{'' if many else 's'} "
                     f"{_and(drawable)}, e.g. {_and([fonts[n] or '' for n in drawable])}, "
                     f"{FONTCONFIG_HINT}")
    if undrawable := [name for name in groups if not fonts[name]]:
        hints.append(f"replace the {_and(undrawable)} characters")
    return f"{', '.join(parts)}: {'; '.join(hints)}"


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
