"""An HTML page's own fonts: the characters it shows, and its `@font-face` rules in its head.

In: one output's complete HTML. Out: the same page with one more `<style>` element before
`</head>`, holding theme/webfonts.py's rules for the characters the page can show: its text,
the strings its stylesheets print (`content: "\\201C"`), the other case of each letter (for
`text-transform`), and the few characters a browser prints by itself (list markers, quotes).
A character left out would be drawn from another font, so this errs on the side of more.
Only the formats a browser shows get them (core/formats.py: `carries_fonts`): WeasyPrint draws
the PDF with the same faces through fontconfig, and the PDF's page is left as it was.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from ..theme.webfonts import font_face_rules

# What a browser may print that the page's text and stylesheets do not hold: digits and "." for
# list and note numbers, the list bullets, quotation marks (`<q>`), the no-break space.
BROWSER_CHARACTERS = "0123456789.\u00a0\u2022\u25e6\u25aa\u2018\u2019\u201c\u201d"
_HIDDEN = {"style", "script", "template", "title", "noscript"}
_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_STRING = re.compile(r""""((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)'""", re.S)
_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})[ \t\n\r\f]?|\\\n|\\(.)", re.S)
_HEAD_END = re.compile(r"</head\s*>", re.I)


class _Text(HTMLParser):
    """The text of the page that is drawn, and the text of its `<style>` elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hidden: list[str] = []
        self.text: set[str] = set()
        self.css: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.hidden:
            del self.hidden[self.hidden.index(tag):]

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.text.update(data)
        elif self.hidden[-1] == "style":
            self.css.append(data)


def css_strings(css: str) -> str:
    """Every string a stylesheet holds, its escapes decoded: what `content:` and `quotes:` print
    (font family names and URLs come along; their characters cost a few glyphs at most)."""
    found = []
    for match in _STRING.finditer(_COMMENT.sub("", css)):
        found.append(_ESCAPE.sub(_unescape, match.group(1) or match.group(2) or ""))
    return "".join(found)


def _unescape(match: re.Match[str]) -> str:
    if match.group(1):
        code = int(match.group(1), 16)
        return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
    return match.group(2) or ""  # an escaped newline continues the string


def shown_characters(html: str) -> frozenset[str]:
    """The characters the page can show (see the module's docstring)."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    chars = set(parser.text) | set(css_strings("".join(parser.css))) | set(BROWSER_CHARACTERS)
    for ch in list(chars):
        chars.update(ch.upper() + ch.lower() + ch.title())
    return frozenset(chars)  # spaces too: a word space drawn from another font has its width


def with_fonts(html: str, cache: Path | None = None) -> str:
    """The page with its `@font-face` rules, in a `<style>` element of their own just before
    `</head>` (before `<body>`, or first, in a page without one). `cache`: the folder of made
    subsets, output/.cache/fonts (theme/webfonts.woff2)."""
    rules = font_face_rules(shown_characters(html), cache)
    block = f'<style class="briefsmith-fonts">\n{rules}\n</style>\n'
    end = _HEAD_END.search(html)
    if end is None:
        end = re.search(r"<body[\s>]", html, re.I)
    at = end.start() if end else 0
    return html[:at] + block + html[at:]
