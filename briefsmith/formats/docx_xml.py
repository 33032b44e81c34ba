"""The XML parts of a Word document as trees: read safely, written back as pandoc writes them.

In: the bytes of a part pandoc wrote (word/document.xml, the notes, the relationships, the
content types). Out: its element tree, and the bytes of a tree written the way pandoc writes XML,
so that a part Briefsmith changes differs from pandoc's only where it was changed and the same
inputs still give the same .docx bytes. Editing a tree rather than the text means that no
attribute order, spacing or character in the user's text can make an edit miss, or swallow,
the element next to it.
"""

from __future__ import annotations

import functools

from lxml import etree

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
WP_NS = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
PIC_NS = "http://schemas.openxmlformats.org/drawingml/2006/picture"
ASVG_NS = "http://schemas.microsoft.com/office/drawing/2016/SVG/main"
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
XML_NS = "http://www.w3.org/XML/1998/namespace"
DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>'

# The parts carry the user's text: nothing in them may name an entity to expand, a DTD to load
# or a URL to fetch, and libxml2's default size limits stay on.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                          huge_tree=False)
# pandoc's XML writer escapes these five alike in text and in attribute values.
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                          "'": "&#39;"})


def parse(data: bytes) -> etree._Element:
    return etree.fromstring(data, _PARSER)


def w(name: str) -> str:
    """A WordprocessingML name as lxml spells it: w("p") is the tag of <w:p>."""
    return f"{{{W_NS}}}{name}"


def place(parent: etree._Element, child: etree._Element, order: tuple[str, ...]) -> None:
    """`child` in `parent` where the schema puts it: in place of any element of its name, else
    before the first child whose name comes after its name in `order` (the schema's sequence),
    else last. Word refuses a part whose elements are out of their schema order."""
    name = etree.QName(child).localname
    for old in parent.findall(child.tag):
        parent.remove(old)
    later = order[order.index(name) + 1:]
    following = next((c for c in parent if isinstance(c.tag, str)
                      and etree.QName(c).localname in later), None)
    if following is not None:
        following.addprevious(child)
    else:
        parent.append(child)


def around(data: bytes) -> tuple[bytes, bytes]:
    """What a part has before and after its root element: the XML declaration and the white
    space on either side, which a tree does not keep but the part's bytes do."""
    head = b""
    if data.startswith(b"<?xml"):
        end = data.index(b"?>") + 2
        rest = data[end:]
        head = data[:end] + rest[:len(rest) - len(rest.lstrip())]
    return head, data[len(data.rstrip()):]


def write(root: etree._Element, like: bytes, *, pandoc: bool = True) -> bytes:
    """`root` as the bytes of a part, with what `like` (the part as read) has around its root
    element. `pandoc`: written as pandoc writes XML; lxml's own writer differs in two ways,
    `<x/>` for `<x />` and `'` and `"` unescaped in text, and every part Briefsmith touches
    would change bytes. Otherwise as lxml writes, as Word does (the theme is Word's file)."""
    head, tail = around(like)
    return head + markup(root, pandoc=pandoc) + tail


def markup(root: etree._Element, *, pandoc: bool = True) -> bytes:
    """`root` as UTF-8 XML without a declaration; `pandoc` as for write."""
    if not pandoc:
        return etree.tostring(root, encoding="utf-8", xml_declaration=False)
    out: list[str] = []
    _element(root, {}, {XML_NS: "xml"}, out)
    return "".join(out).encode("utf-8")


def _element(node: etree._Element, inherited: dict[str | None, str], prefixes: dict[str, str],
             out: list[str]) -> None:
    """`prefixes`: the prefix of each namespace URI in scope, for the attributes' names."""
    if not isinstance(node.tag, str):  # a comment or processing instruction, as lxml has it
        out.append(etree.tostring(node, encoding="unicode", with_tail=False))
        return
    scope = node.nsmap
    name = _name(node.tag, node.prefix)
    out.append(f"<{name}")
    if scope != inherited:  # declared here: lxml lists this element's own first
        out.extend(f' xmlns{":" if prefix else ""}{prefix or ""}="{uri.translate(_ESCAPES)}"'
                   for prefix, uri in scope.items() if inherited.get(prefix) != uri)
        prefixes = {uri: prefix for prefix, uri in reversed(scope.items()) if prefix is not None}
        prefixes[XML_NS] = "xml"
    for key, value in node.attrib.items():
        prefix = prefixes.get(key[1:key.find("}")]) if key[0] == "{" else None
        out.append(f' {_name(key, prefix)}="{value.translate(_ESCAPES)}"')
    if node.text is None and len(node) == 0:
        out.append(" />")
        return
    out.append(f">{node.text.translate(_ESCAPES)}" if node.text else ">")
    for child in node:
        _element(child, scope, prefixes, out)
        if child.tail:
            out.append(child.tail.translate(_ESCAPES))
    out.append(f"</{name}>")


@functools.cache
def _name(tag: str, prefix: str | None) -> str:
    local = tag.rpartition("}")[2]
    return f"{prefix}:{local}" if prefix else local
