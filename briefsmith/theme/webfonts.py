"""The fonts an HTML page carries with it: `@font-face` rules with WOFF2 subsets as data: URLs.

WeasyPrint sees the vendored fonts and the script fallbacks through a private fontconfig file
(fonts.py); a browser sees neither, and drew a brief with whatever the CSS stacks named that it
had (issue 21). With fonts-noto-core installed, that was Latin letters from Noto Serif CJK SC,
digits and colons from Noto Naskh Arabic, "%" from Noto Serif Devanagari, and accents as
floating marks. So an HTML page names its own faces, each subset to the characters it shows:

- every static face of the vendored families (font_instances.py: the files the PDF is drawn
  with, so the page looks like the PDF);
- every script fallback of fonts.FALLBACKS, limited by `unicode-range` to its own script, so
  that a Latin digit, colon or accented letter is never drawn from an Arabic, Hebrew,
  Devanagari or CJK face. A page with characters of that script carries the face's subset; a
  page without them names the installed font by `local()`, which then only a character of
  that script could reach (a rule for a family also hides the installed family of that name).

Subsets are made by HarfBuzz's subsetter (libharfbuzz-subset, which set-up installs because
WeasyPrint wants it too), called through ctypes: a millisecond or two a face. Without that
library fontTools' subsetter does the same, some 50 times slower (it decodes a face's whole
kerning table in Python). fontTools writes the WOFF2 (brotli), about 60 ms a face. Either way
the same characters give the same bytes. fontTools is imported only when a page is made.
"""

from __future__ import annotations

import base64
import ctypes
import functools
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ..core.files import cached
from ..core.hashing import sha256
from . import font_instances, fonts

if TYPE_CHECKING:
    from fontTools.ttLib import TTFont

# Kept in every subset besides HarfBuzz's default name records (0-6: copyright, family, style,
# unique id, full name, version, PostScript name): the licence and its URL, which the fonts'
# licence (SIL OFL) asks every copy to carry.
NAME_IDS = (0, 1, 2, 3, 4, 5, 6, 13, 14)
# Layout features left out of the subsets' defaults (which are those a shaper may apply): the
# ones a browser applies only when a stylesheet asks (`font-variant-numeric: diagonal-fractions`)
# or in vertical writing, which no Briefsmith page uses. The fraction digits alone were a ninth
# of a page's font bytes.
DROPPED_FEATURES = ("frac", "numr", "dnom", "valt", "vert", "vkrn", "vpal", "vrt2")


@dataclass(frozen=True)
class Face:
    """One face a page may use: a file (and its face, in a collection), the CSS family, weight
    and style it answers to, and the characters it may draw (`ranges`; () for any)."""

    family: str
    weight: int
    italic: bool
    path: Path
    index: int = 0
    ranges: tuple[tuple[int, int], ...] = ()
    local: tuple[str, ...] = ()  # its full and PostScript names, for `src: local()`


def vendored_faces() -> tuple[Face, ...]:
    """The static instances the PDF uses, made first if need be (font_instances.ensure)."""
    folder = font_instances.ensure()
    return tuple(Face(i.family, i.weight, i.italic, folder / i.file_name)
                 for i in font_instances.INSTANCES)


def fallback_faces() -> tuple[Face, ...]:
    """The installed fallback faces, each limited to its script, in fonts.FALLBACKS order."""
    found = []
    for fallback in fonts.FALLBACKS:
        ranges = fonts.script_ranges(fallback.script)
        for path in fallback.files:
            if not path.is_file():
                continue
            for index, family, weight, names in _faces_in(path, fonts.stamp(path)):
                if family in (fallback.serif, fallback.sans):
                    found.append(Face(family, weight, False, path, index, ranges, names))
    return tuple(found)


@functools.cache
def _faces_in(path: Path, stamp: tuple[int, int]) -> tuple[tuple[int, str, int,
                                                                 tuple[str, ...]], ...]:
    """(index, family, weight, (full name, PostScript name)) of each face in a font file.
    `stamp` (size, modification time) keys the cache: an upgraded font is read again."""
    from fontTools.ttLib import TTCollection, TTFont

    if path.suffix.lower() == ".ttc":
        collection = TTCollection(path, lazy=True)
        try:
            return tuple(_describe(index, face) for index, face in enumerate(collection))
        finally:
            collection.close()
    with TTFont(path, lazy=True) as font:
        return (_describe(0, font),)


def _describe(index: int, font: TTFont) -> tuple[int, str, int, tuple[str, ...]]:
    name = font["name"]
    family = name.getDebugName(16) or name.getDebugName(1) or ""
    names = tuple(n for n in (name.getDebugName(4), name.getDebugName(6)) if n)
    return index, family, int(font["OS/2"].usWeightClass), names


def font_face_rules(chars: Iterable[str], cache: Path | None = None) -> str:
    """The page's `@font-face` rules, one a line, for the characters it shows: every vendored
    face and every fallback face (fallback_faces), in a fixed order, so that the same
    characters give the same text. `cache`: see `woff2`."""
    codepoints = frozenset(ord(ch) for ch in chars)
    rules = [_rule(face, woff2(face, codepoints, cache)) for face in vendored_faces()]
    for face in fallback_faces():
        own = frozenset(c for c in codepoints if any(a <= c <= b for a, b in face.ranges))
        if own or face.local:  # a face with no names to give local() can only be embedded
            rules.append(_rule(face, woff2(face, own, cache) if own else None))
    return "\n".join(rules)


def _rule(face: Face, data: bytes | None) -> str:
    if data is None:
        src = ", ".join(f'local("{name}")' for name in face.local)
    else:
        src = (f'url(data:font/woff2;base64,{base64.b64encode(data).decode("ascii")}) '
               'format("woff2")')
    ranges = ", ".join(f"U+{a:X}" if a == b else f"U+{a:X}-{b:X}" for a, b in face.ranges)
    return (f'@font-face {{ font-family: "{face.family}"; '
            f'font-style: {"italic" if face.italic else "normal"}; font-weight: {face.weight}; '
            + (f"unicode-range: {ranges}; " if ranges else "") + f"src: {src}; }}")


def woff2(face: Face, codepoints: frozenset[int], cache: Path | None = None) -> bytes:
    """The face's subset for these characters, as WOFF2. Subsetting takes a millisecond or two,
    writing WOFF2 30 to 60 ms a face, half a second a page: so with `cache`
    (output/.cache/fonts) the WOFF2 is read from `<hash of the subset>.woff2` there, or written
    there once made (only when output/.cache/ exists), as the chart cache does
    (render/charts.py): a page rebuilt in `watch` or `serve` with no new character costs
    nothing here."""
    data = _subset(face.path, face.index, fonts.stamp(face.path), codepoints)
    if cache is None:
        return _encode(data)
    return cached(cache / f"{sha256(data + _encoder_version().encode())}.woff2",
                  lambda: _encode(data), b"wOF2")


@functools.cache
def _encoder_version() -> str:
    import brotli
    from fontTools import version

    return f"fonttools={version};brotli={brotli.__version__}"


@functools.lru_cache(maxsize=256)
def _subset(path: Path, index: int, stamp: tuple[int, int], codepoints: frozenset[int]) -> bytes:
    """`subset`, remembered for the process; `stamp` tells an upgraded font from the last."""
    return subset(path, index, codepoints)


@functools.lru_cache(maxsize=256)
def _encode(data: bytes) -> bytes:
    """An OpenType font as WOFF2 (fontTools, brotli), remembered for the process."""
    from fontTools.ttLib import TTFont

    # recalcTimestamp=False: saving must not stamp the time of the build into the font
    with TTFont(io.BytesIO(data), recalcTimestamp=False) as font:
        font.flavor = "woff2"
        out = io.BytesIO()
        font.save(out)
    return out.getvalue()


def subset(path: Path, index: int, codepoints: frozenset[int]) -> bytes:
    """The face `index` of the file, cut down to the glyphs these characters need (with what
    their shaping reaches: ligatures, contextual forms, marks), as an OpenType font."""
    harfbuzz = _harfbuzz()
    if harfbuzz is not None:
        data = harfbuzz.subset(path, index, codepoints)
        if data is not None:
            return data
    return _fonttools_subset(path, index, codepoints)


def _fonttools_subset(path: Path, index: int, codepoints: frozenset[int]) -> bytes:
    from fontTools import subset as ft_subset

    options = ft_subset.Options()
    options.name_IDs = list(NAME_IDS)
    options.layout_features = [f for f in options.layout_features if f not in DROPPED_FEATURES]
    options.font_number = index
    font = ft_subset.load_font(str(path), options)  # keeps the font's own timestamp
    try:
        subsetter = ft_subset.Subsetter(options)
        subsetter.populate(unicodes=sorted(codepoints))
        subsetter.subset(font)
        out = io.BytesIO()
        ft_subset.save_font(font, out, options)
        return out.getvalue()
    finally:
        font.close()


# ---------------------------------------------------------------- HarfBuzz, through ctypes

_LIBRARIES = (("libharfbuzz.so.0", "libharfbuzz-subset.so.0"),
              ("libharfbuzz.0.dylib", "libharfbuzz-subset.0.dylib"),
              ("libharfbuzz-0.dll", "libharfbuzz-subset-0.dll"))
_SETS_NAME_ID = 4  # hb_subset_sets_t: HB_SUBSET_SETS_NAME_ID
_SETS_LAYOUT_FEATURE_TAG = 6  # HB_SUBSET_SETS_LAYOUT_FEATURE_TAG
_P = ctypes.c_void_p
_U = ctypes.c_uint


class _HarfBuzz:
    """The dozen calls of HarfBuzz's subset API a subset needs (HarfBuzz 2.9.1 or later)."""

    SIGNATURES: ClassVar[dict[str, tuple[Any, tuple[Any, ...]]]] = {  # (result, arguments)
        "hb_version_atleast": (ctypes.c_int, (_U, _U, _U)),
        "hb_blob_create_from_file_or_fail": (_P, (ctypes.c_char_p,)),
        "hb_blob_get_data": (_P, (_P, ctypes.POINTER(_U))),
        "hb_blob_destroy": (None, (_P,)),
        "hb_face_create": (_P, (_P, _U)),
        "hb_face_reference_blob": (_P, (_P,)),
        "hb_face_destroy": (None, (_P,)),
        "hb_set_add": (None, (_P, ctypes.c_uint32)),
        "hb_set_del": (None, (_P, ctypes.c_uint32)),
        "hb_subset_input_create_or_fail": (_P, ()),
        "hb_subset_input_unicode_set": (_P, (_P,)),
        "hb_subset_input_set": (_P, (_P, ctypes.c_int)),
        "hb_subset_input_destroy": (None, (_P,)),
        "hb_subset_or_fail": (_P, (_P, _P)),
    }

    def __init__(self, main: ctypes.CDLL, sub: ctypes.CDLL) -> None:
        self.functions: dict[str, Any] = {}
        for name, (result, arguments) in self.SIGNATURES.items():
            function = getattr(sub if name.startswith("hb_subset") else main, name)
            function.restype = result
            function.argtypes = arguments
            self.functions[name[3:]] = function

    def __getattr__(self, name: str) -> Any:  # self.face_create(...) calls hb_face_create
        try:
            return self.__dict__["functions"][name]
        except KeyError:
            raise AttributeError(name) from None

    def subset(self, path: Path, index: int, codepoints: frozenset[int]) -> bytes | None:
        """The subset's bytes, or None if HarfBuzz could not read or cut the font."""
        blob = self.blob_create_from_file_or_fail(str(path).encode())
        if not blob:
            return None
        face = self.face_create(blob, index)
        request = self.subset_input_create_or_fail()
        result = out = None
        try:
            if not request:
                return None
            unicodes = self.subset_input_unicode_set(request)
            for code in sorted(codepoints):
                self.set_add(unicodes, code)
            names = self.subset_input_set(request, _SETS_NAME_ID)
            for name_id in NAME_IDS:
                self.set_add(names, name_id)
            features = self.subset_input_set(request, _SETS_LAYOUT_FEATURE_TAG)
            for tag in DROPPED_FEATURES:
                self.set_del(features, int.from_bytes(tag.encode("ascii"), "big"))
            result = self.subset_or_fail(face, request)
            if not result:
                return None
            out = self.face_reference_blob(result)
            length = _U()
            pointer = self.blob_get_data(out, ctypes.byref(length))
            return ctypes.string_at(pointer, length.value) if pointer else None
        finally:
            if out:
                self.blob_destroy(out)
            if result:
                self.face_destroy(result)
            if request:
                self.subset_input_destroy(request)
            self.face_destroy(face)
            self.blob_destroy(blob)


@functools.cache
def _harfbuzz() -> _HarfBuzz | None:
    """HarfBuzz's subsetter, or None where its library is missing or older than 2.9.1."""
    for main_name, sub_name in _LIBRARIES:
        try:
            main, sub = ctypes.CDLL(main_name), ctypes.CDLL(sub_name)
            harfbuzz = _HarfBuzz(main, sub)
        except (OSError, AttributeError):
            continue
        return harfbuzz if harfbuzz.version_atleast(2, 9, 1) else None
    return None
