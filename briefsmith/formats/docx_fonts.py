"""The vendored fonts embedded in a Word document, as Word embeds them (ECMA-376 Part 1, §17.8.1).

In: the parts of the .docx (after the house fonts reached its styles and theme). Out: the same
parts, with each vendored family the document names (Source Serif 4, Source Sans 3) embedded:
its regular, bold, italic and bold italic faces in word/fonts/, obfuscated with a key that
word/fontTable.xml gives beside the relationship to each face, and `w:embedTrueTypeFonts` in
word/settings.xml. A reader without the fonts installed then sees the brief in its own type,
as the PDF shows it, instead of a substitute with other widths and line breaks.

Only these families are embedded: their licence is known (SIL Open Font License 1.1, which
allows embedding, briefsmith/assets/fonts/LICENSE-*.txt) and their files are Briefsmith's own,
the static instances theme/font_instances.py makes for the PDF renderer. A family a house style
names from elsewhere (briefsmith.yaml's `fonts:`, an @font-face in a style.css) stays named,
not embedded: its licence is not Briefsmith's to read. A face whose OS/2 fsType restricts
embedding would be left out too. The faces are whole, as Word embeds them by default (its "embed
only the characters used" option is off), so the reader can edit the text in the same type.

Obfuscation (§17.8.1): the first 32 bytes of the font are XORed with the 16 bytes of the
font key, a GUID, taken in reverse order of its hexadecimal digits' pairs. The GUID is made
from a hash of the face's bytes, so the same fonts give the same document bytes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from lxml import etree

from .docx_xml import A_NS, DECLARATION, R_NS, REL_NS, TYPES_NS, markup, parse, place, w, write

FONT_REL = f"{R_NS}/font"
OBFUSCATED_TYPE = "application/vnd.openxmlformats-officedocument.obfuscatedFont"
# Word's four faces of a family, and the static instance (theme/font_instances.py) of each.
FACES = (("embedRegular", "Regular"), ("embedBold", "Bold"), ("embedItalic", "Italic"),
         ("embedBoldItalic", "BoldItalic"))
# CT_Font's children in schema order.
_FONT_ORDER = ("altName", "panose1", "charset", "family", "notTrueType", "pitch", "sig",
               "embedRegular", "embedBold", "embedItalic", "embedBoldItalic")
# CT_Settings' children before w:embedTrueTypeFonts.
_BEFORE_EMBED = ("writeProtection", "view", "zoom", "removePersonalInformation",
                 "removeDateAndTime", "doNotDisplayPageBoundaries", "displayBackgroundShape",
                 "printPostScriptOverText", "printFractionalCharacterWidth", "printFormsData")
# OS/2 fsType: bit 1, restricted licence embedding (none allowed); bit 9, bitmap embedding only.
_NO_EMBEDDING = 0x0002 | 0x0200


@dataclass(frozen=True)
class Face:
    family: str
    element: str  # embedRegular, embedBold, …
    data: bytes


def vendored_faces(folder: Path, families: tuple[str, ...]) -> tuple[Face, ...]:
    """The four faces of each family, from the folder of static instances."""
    found = []
    for family in families:
        for element, style in FACES:
            path = folder / f"{family.replace(' ', '')}-{style}.ttf"
            if path.is_file():
                found.append(Face(family, element, path.read_bytes()))
    return tuple(found)


def named_families(parts: dict[str, bytes]) -> set[str]:
    """Every font family the styles, the theme, the text and its notes name."""
    names: set[str] = set()
    for name in ("word/styles.xml", "word/document.xml", "word/footnotes.xml",
                 "word/endnotes.xml", "word/numbering.xml"):
        if name in parts:
            root = parse(parts[name])
            for fonts in root.iter(w("rFonts")):
                names.update(v for k, v in fonts.attrib.items()
                             if etree.QName(k).localname in ("ascii", "hAnsi", "cs", "eastAsia"))
    theme = parts.get("word/theme/theme1.xml")
    if theme is not None:
        for part in ("majorFont", "minorFont"):
            for latin in parse(theme).iter(f"{{{A_NS}}}{part}"):
                face = latin.find(f"{{{A_NS}}}latin")
                if face is not None and face.get("typeface"):
                    names.add(face.get("typeface", ""))
    return names


def embeddable(data: bytes) -> bool:
    """Whether the face's OS/2 table allows embedding it in a document to edit or print."""
    from fontTools.ttLib import TTFont  # lazy: only a document that embeds a font reads one

    with TTFont(BytesIO(data), lazy=True) as font:
        return "OS/2" in font and not font["OS/2"].fsType & _NO_EMBEDDING


def font_key(data: bytes) -> str:
    """A GUID for the face, from its bytes: {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}."""
    digits = hashlib.sha256(data).hexdigest()[:32].upper()
    return f"{{{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}}}"


def obfuscate(data: bytes, key: str) -> bytes:
    """§17.8.1: the first 32 bytes XORed with the key's 16 bytes, last pair of digits first.
    The same operation undoes it."""
    digits = key.strip("{}").replace("-", "")
    mask = bytes.fromhex(digits)[::-1]
    head = bytes(b ^ mask[i % 16] for i, b in enumerate(data[:32]))
    return head + data[32:]


def embed_fonts(parts: dict[str, bytes], faces: tuple[Face, ...]) -> None:
    """Embed the faces of every family in `faces` that the document names, in place."""
    named = named_families(parts)
    chosen = [f for f in faces if f.family in named and embeddable(f.data)]
    if not chosen or "word/fontTable.xml" not in parts:
        return
    table = parse(parts["word/fontTable.xml"])
    rels_name = "word/_rels/fontTable.xml.rels"
    rels = (parse(parts[rels_name]) if rels_name in parts
            else etree.Element(f"{{{REL_NS}}}Relationships", nsmap={None: REL_NS}))
    for number, face in enumerate(chosen, start=1):
        font = next((f for f in table.iter(w("font")) if f.get(w("name")) == face.family), None)
        if font is None:
            font = _font_entry(table, face)
        key = font_key(face.data)
        rel_id = f"rIdBriefsmithFont{number}"
        target = f"fonts/font{number}.odttf"
        parts[f"word/{target}"] = obfuscate(face.data, key)
        etree.SubElement(rels, f"{{{REL_NS}}}Relationship",
                         {"Id": rel_id, "Type": FONT_REL, "Target": target})
        embed = etree.Element(w(face.element), {f"{{{R_NS}}}id": rel_id, w("fontKey"): key})
        place(font, embed, _FONT_ORDER)
    parts["word/fontTable.xml"] = write(table, parts["word/fontTable.xml"], pandoc=False)
    parts[rels_name] = (write(rels, parts[rels_name]) if rels_name in parts
                        else DECLARATION + markup(rels))

    settings = parse(parts["word/settings.xml"])
    # Word's "do not embed common system fonts": a document saved again in Word embeds the
    # house fonts, not Calibri or Times New Roman
    for old in settings.findall(w("embedSystemFonts")) + settings.findall(
            w("embedTrueTypeFonts")):
        settings.remove(old)
    following = next((c for c in settings if not isinstance(c.tag, str)
                      or etree.QName(c).localname not in _BEFORE_EMBED), None)
    flag = etree.Element(w("embedTrueTypeFonts"))
    if following is not None:
        following.addprevious(flag)
    else:
        settings.append(flag)
    parts["word/settings.xml"] = write(settings, parts["word/settings.xml"])

    types = parse(parts["[Content_Types].xml"])
    if not any(d.get("Extension", "").lower() == "odttf"
               for d in types.iter(f"{{{TYPES_NS}}}Default")):
        etree.SubElement(types, f"{{{TYPES_NS}}}Default",
                         {"Extension": "odttf", "ContentType": OBFUSCATED_TYPE})
        parts["[Content_Types].xml"] = write(types, parts["[Content_Types].xml"])


def _font_entry(table: etree._Element, face: Face) -> etree._Element:
    """A fontTable entry for a family Word's table does not list: its PANOSE number and
    whether it is serif, from the face's own tables."""
    from fontTools.ttLib import TTFont  # lazy: only a document that embeds a font reads one

    with TTFont(BytesIO(face.data), lazy=True) as font:
        panose = font["OS/2"].panose
        digits = "".join(f"{getattr(panose, field):02X}" for field in (
            "bFamilyType", "bSerifStyle", "bWeight", "bProportion", "bContrast",
            "bStrokeVariation", "bArmStyle", "bLetterForm", "bMidline", "bXHeight"))
        sans = panose.bSerifStyle in (11, 12, 13)
    entry = etree.SubElement(table, w("font"), {w("name"): face.family})
    etree.SubElement(entry, w("panose1"), {w("val"): digits})
    etree.SubElement(entry, w("charset"), {w("val"): "00"})
    etree.SubElement(entry, w("family"), {w("val"): "swiss" if sans else "roman"})
    etree.SubElement(entry, w("pitch"), {w("val"): "variable"})
    return entry

