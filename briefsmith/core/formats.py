"""The output formats, in one table: what each is made by and where its notes go.

In: nothing. Out: `FORMATS`, by name. The template context, the citation filler, the pipeline's
renderer choice and the command line's `--format` all read this table, instead of each testing
format names of its own. Only the standard library: the no-op build imports it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Format:
    """`renderer`: what turns the page's HTML into the file ("none": the HTML is the file).
    `page_notes`: footnotes can sit at the foot of a printed page (WeasyPrint's
    `float: footnote`); elsewhere an audience's footnotes become a list at the end.
    `own_notes`: the format numbers and places notes itself (Word's footnotes and endnotes), so
    the page carries no list. `back_links`: a listed note links back to where it is cited (a
    page one scrolls; a printed page has no use for the link). `carries_fonts`: the page holds
    its own fonts (`@font-face` rules with data: URLs, render/page_fonts.py), because a browser
    has none of the renderer's; WeasyPrint and Word get theirs elsewhere."""

    name: str
    renderer: str
    page_notes: bool
    own_notes: bool
    back_links: bool
    carries_fonts: bool = False

    def notes_at_end(self, notes: str) -> bool:
        """Whether the page ends with a list of notes, for an audience's `notes:` setting."""
        return not self.own_notes and (notes == "endnotes"
                                       or (notes == "footnotes" and not self.page_notes))


FORMATS: dict[str, Format] = {
    "pdf": Format("pdf", renderer="weasyprint", page_notes=True, own_notes=False,
                  back_links=False),
    "html": Format("html", renderer="none", page_notes=False, own_notes=False,
                   back_links=True, carries_fonts=True),
    "docx": Format("docx", renderer="pandoc", page_notes=False, own_notes=True,
                   back_links=False),
}
