"""Quotes stay verbatim in the PDF: copying a quote out of a brief gives the source's words.

For every quote block each sample PDF shows, the quoted words are looked for in the text that two
independent extractors (pypdf and poppler's pdftotext) read back from the PDF. The only
normalisation is the one a reader's copy and paste needs: Unicode NFKC and any run of whitespace
(a line break included) as one space. A hyphen or soft hyphen at a line end is NOT undone, so an
automatically hyphenated word ("adver-" / "saries") or letter-spaced text fails the test.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
from conftest import REPO
from pypdf import PdfReader

from briefsmith.content.select import select
from briefsmith.pipeline import load_and_verify

CONTENT = load_and_verify(REPO)
OUTPUTS = [(b, a) for b in sorted(CONTENT.briefs) for a in CONTENT.briefs[b].audiences]
QUOTE_FIGURE = re.compile(r'<figure class="block quote" id="block-([a-z0-9-]+)"')


def shown_quotes(out: Path, brief: str, audience: str) -> list[tuple[str, str]]:
    """(block id, words) of every quote block the output shows, read from the HTML made from the
    same template in the same build (an audience's template may leave sections out)."""
    html = (out / brief / f"{brief}-{audience}.html").read_text(encoding="utf-8")
    return [(bid, CONTENT.blocks[bid].words) for bid in QUOTE_FIGURE.findall(html)]


def normalise(text: str) -> str:
    """What copy and paste gives a reader: NFKC (so a ligature is its letters) and whitespace,
    line breaks included, as single spaces. Nothing else: no hyphen is joined or dropped."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()


def pypdf_text(pdf: Path) -> str:
    return normalise(" ".join(page.extract_text() or "" for page in PdfReader(pdf).pages))


def pdftotext_text(pdf: Path) -> str:
    result = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"],
                            capture_output=True, check=True)
    return normalise(result.stdout.decode("utf-8"))


EXTRACTORS = {"pypdf": pypdf_text, "pdftotext": pdftotext_text}


def test_the_sample_shows_quote_blocks(built_sample: Path) -> None:
    """The test below means something only if the sample PDFs show quotes: every quote block of
    each brief is shown in its parliamentary, NGO or student PDF."""
    for brief in CONTENT.briefs:
        model = CONTENT.briefs[brief]
        quotes = {b.id for s in select(CONTENT, model, CONTENT.audiences["ngo"]).sections
                  for b in s.blocks if b.type == "quote"}
        shown = {bid for a in ("parliamentary", "ngo", "student")
                 for bid, _ in shown_quotes(built_sample, brief, a)}
        assert len(quotes) >= 3 and quotes <= shown, (brief, quotes - shown)


@pytest.mark.slow
@pytest.mark.parametrize("extractor", sorted(EXTRACTORS))
@pytest.mark.parametrize(("brief", "audience"), OUTPUTS)
def test_every_quote_is_extracted_whole(built_sample: Path, brief: str, audience: str,
                                        extractor: str) -> None:
    if extractor == "pdftotext" and shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (poppler-utils) is not installed: make test installs it")
    text = EXTRACTORS[extractor](built_sample / brief / f"{brief}-{audience}.pdf")
    missing = [(bid, words) for bid, words in shown_quotes(built_sample, brief, audience)
               if normalise(words) not in text]
    detail = []
    for bid, words in missing:
        # Show what the PDF holds where the quote should be, from its first three words.
        start = text.find(" ".join(normalise(words).split()[:3]))
        found = text[start:start + len(words) + 20] if start >= 0 else "(not found at all)"
        detail.append(f"{bid}:\n  quote: {words}\n  PDF:   {found}")
    assert not missing, (f"{extractor} does not read these quotes whole from "
                         f"{brief}-{audience}.pdf (hyphenated or letter-spaced?):\n"
                         + "\n".join(detail))
