"""Markdown in content blocks → sanitised HTML fragments.

Block text is pasted from anywhere, so it is untrusted: raw HTML is shown as text, not
interpreted, and the result passes a tight allowlist (nh3) where links may only be https or
mailto and no element can load a resource.
"""

from __future__ import annotations

from functools import lru_cache

import markdown
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {"p", "em", "strong", "ul", "ol", "li", "a", "code", "blockquote", "br"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = {"https", "mailto"}
MAX_BRACKETS = 200  # Python-Markdown's link parser is quadratic in runs of '['


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
    return Markup(clean)


def inline_html(text: str) -> Markup:
    """Markdown for one-paragraph contexts (table cells, list items): without the <p> wrapper."""
    html = str(markdown_html(text)).strip()
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return Markup(html)
