"""Markdown in content blocks → sanitised HTML fragments.

Block text is pasted from anywhere, so it is untrusted: raw HTML is shown as text, not
interpreted, and the result passes a tight allowlist (nh3) where links may only be https or
mailto and no element can load a resource.
"""

from __future__ import annotations

import re
from functools import lru_cache

import markdown
import nh3
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


@lru_cache(maxsize=4096)
def markdown_html(text: str) -> Markup:
    """Render trusted-shape HTML from untrusted Markdown; the result is safe to insert."""
    if text.count("[") > MAX_BRACKETS:
        raise MarkupLimitError(f"text has {text.count('[')} '[' characters; the limit is "
                               f"{MAX_BRACKETS}")
    # Escaping '<' and '&' first turns raw HTML into visible text: Python-Markdown has no safe
    # mode, and an allowlist alone would still keep the text inside unknown tags.
    escaped = text.replace("&", "&amp;").replace("<", "&lt;")
    rendered = markdown.markdown(escaped, extensions=[], output_format="html")
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
