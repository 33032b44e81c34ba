"""Markdown in content blocks → sanitised HTML fragments.

Block text is pasted from anywhere, so it is untrusted: raw HTML is shown as text, not
interpreted, and the result passes a tight allowlist (nh3) where links may only be https or
mailto and no element can load a resource.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import markdown
import nh3
from markdown.extensions import Extension
from markupsafe import Markup

ALLOWED_TAGS = {"p", "em", "strong", "ul", "ol", "li", "a", "code", "blockquote", "br"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = {"https", "mailto"}
MAX_BRACKETS = 200  # Python-Markdown's link parser is quadratic in runs of '['
MAX_DEPTH = 12  # WeasyPrint hits RecursionError at about 140 nested elements; briefs need few
_TAG = re.compile(r"<(/?)([a-z0-9]+)[^>]*?(/?)>")
_VOID = {"br", "hr", "img"}


class MarkupLimitError(ValueError):
    """Text that would make the Markdown parser or the renderer misbehave."""


def _escape(text: str) -> str:
    # Escaping '<' and '&' first turns raw HTML into visible text: Python-Markdown has no safe
    # mode, and an allowlist alone would still keep the text inside unknown tags.
    return text.replace("&", "&amp;").replace("<", "&lt;")


@lru_cache(maxsize=4096)
def markdown_html(text: str) -> Markup:
    """Render trusted-shape HTML from untrusted Markdown; the result is safe to insert."""
    if text.count("[") > MAX_BRACKETS:
        raise MarkupLimitError(f"text has {text.count('[')} '[' characters; the limit is "
                               f"{MAX_BRACKETS}")
    rendered = markdown.markdown(_escape(text), extensions=[], output_format="html")
    clean = nh3.clean(rendered, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                      url_schemes=URL_SCHEMES, link_rel="noopener noreferrer")
    if (depth := nesting_depth(clean)) > MAX_DEPTH:
        raise MarkupLimitError(f"text nests {depth} levels deep (lists or quotes inside each "
                               f"other); the limit is {MAX_DEPTH}")
    return Markup(clean)


def nesting_depth(html: str) -> int:
    depth = deepest = 0
    for closing, name, self_closing in _TAG.findall(html):
        if name in _VOID or self_closing:
            continue
        depth += -1 if closing else 1
        deepest = max(deepest, depth)
    return deepest


def inline_html(text: str) -> Markup:
    """Markdown for one-paragraph contexts (table cells, list items): without the <p> wrapper."""
    html = str(markdown_html(text)).strip()
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return Markup(html)


# The inline patterns that make an <img>: inline `![a](src)`, reference `![a][ref]` and
# shortcut `![ref]`. Raw HTML never becomes an element (it is escaped first), so these are the
# only way block text can ask for an image.
_IMAGE_PATTERNS = ("image_link", "image_reference", "short_image_ref")
_STASHED = re.compile("\x02[^\x03]*\x03")  # Python-Markdown's placeholder for a code span


class _ImageRecorder(Extension):
    """Records the Markdown of every image the parser actually makes, as its author wrote it.

    Asking the parser, rather than matching `![...]` with a regex, keeps the verdict the same as
    the render's: `![x]` inside a code span, or a reference to a definition that does not
    exist, stays text and is not an image."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        for name in _IMAGE_PATTERNS:
            processor = md.inlinePatterns[name]
            processor.handleMatch = self._recording(processor.handleMatch)  # type: ignore[method-assign]

    def _recording(self, handle: Callable[..., Any]) -> Callable[..., Any]:
        def record(match: re.Match[str], data: str) -> Any:
            element, start, end = handle(match, data)
            if element is not None and start is not None and end is not None:
                written = _STASHED.sub("\u2026", data[start:end])
                self.found.append(written.replace("&lt;", "<").replace("&amp;", "&"))
            return element, start, end
        return record


@lru_cache(maxsize=1024)
def images_in(text: str) -> tuple[str, ...]:
    """The images in a Markdown text, as written, in order. The sanitiser drops every <img>, so
    an image would vanish from the brief without a word: validation refuses them instead."""
    if "![" not in text:  # every image syntax starts so; most texts need no parse at all
        return ()
    recorder = _ImageRecorder()
    markdown.markdown(_escape(text), extensions=[recorder], output_format="html")
    return tuple(recorder.found)
