"""A pinpoint is the style's locator for one paragraph as for several: every bundled CSL style
writes the same label and punctuation before 'para 4' as before 'paras 4, 7' (pandoc once kept a
single 'para 4' as loose text after the citation: '[1], para 4' beside '[1, Paras 4, 7]')."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from briefsmith.core.models import Citation, Name, Origin, Source
from briefsmith.render.csl import format_citations

STYLES = sorted((Path(__file__).resolve().parent.parent / "briefsmith" / "assets" / "csl")
                .glob("*.csl"))
SOURCE = Source(id="harbour", title="Harbour Report", label="Harbour Report", kind="report",
                outlet=None, authors=(Name(family="Byron", given="Ada"),), editors=(),
                published="2026-01-05", url=None, accessed=None, perspective=None, notes=None,
                paragraphs=tuple(f"Paragraph {i}." for i in range(1, 9)), text_path="x.txt",
                origin=Origin("content/sources/harbour.yaml", 1, 1))


def cite(*spans: tuple[int, int]) -> tuple[Citation, ...]:
    return tuple(Citation(SOURCE, f"Paragraph {a}.", a, b, Origin("b.yaml", 1, 1))
                 for a, b in spans)


@pytest.mark.slow
@pytest.mark.parametrize("style", STYLES, ids=[s.stem for s in STYLES])
def test_one_paragraph_and_several_get_the_same_label_and_punctuation(style: Path) -> None:
    # each alone, as a first citation: a later one would be a note style's "Ibid."
    texts = [re.sub(r"<[^>]+>", "", format_citations([occurrence], style, "en-GB",
                                                     None).citations[0])
             for occurrence in (cite((4, 4)), cite((4, 4), (7, 7)), cite((6, 7)))]
    found = [re.search(r"(?i)(.*?)\b(para)(s?)\b\.? ?(\d[\d, \u2013]*)", t) for t in texts]
    assert all(found), texts
    before = {m.group(1) for m in found if m}
    labels = {m.group(2) for m in found if m}
    assert len(before) == 1, f"{style.stem}: different text before the pinpoint: {texts}"
    assert len(labels) == 1, f"{style.stem}: {texts}"
    assert [m.group(3) for m in found if m] == ["", "s", "s"], texts
    assert [m.group(4).strip() for m in found if m] == ["4", "4, 7", "6\u20137"], texts


def test_ieee_writes_the_paragraph_label_in_lower_case() -> None:
    """The vendored ieee.csl capitalised every label but "p.": "[1, Para. 4]" mid-citation."""
    ieee = STYLES[[s.stem for s in STYLES].index("ieee")]
    texts = [re.sub(r"<[^>]+>", "", format_citations([occurrence], ieee, "en-GB",
                                                     None).citations[0])
             for occurrence in (cite((4, 4)), cite((4, 4), (7, 7)), cite((6, 7)))]
    assert texts == ["[1, para. 4]", "[1, paras 4, 7]", "[1, paras 6\u20137]"]
