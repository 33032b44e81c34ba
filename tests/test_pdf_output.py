"""The sample briefs, rendered by WeasyPrint and read back with pypdf: what a reader gets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import REPO
from pypdf import PdfReader

from briefsmith.content.select import select
from briefsmith.pipeline import load_and_verify

CONTENT = load_and_verify(REPO)
OUTPUTS = [(b, a) for b in sorted(CONTENT.briefs) for a in CONTENT.briefs[b].audiences]
FULL = [(b, a) for b, a in OUTPUTS if a in ("parliamentary", "ngo", "student")]
BIBLIOGRAPHY_HEADING = {"student": "Further reading and references", "minister": "Sources"}


def pdf_path(out: Path, brief: str, audience: str) -> Path:
    return out / brief / f"{brief}-{audience}.pdf"


def page_texts(reader: PdfReader) -> list[str]:
    return [page.extract_text() or "" for page in reader.pages]


def flat(text: str) -> str:
    """Undo line wrapping and hyphenation so phrases can be searched for."""
    text = re.sub(r"-\n(?=[a-z])", "", text)
    return re.sub(r"\s+", " ", text)


def outline_titles(outline: list) -> list[str]:
    titles = []
    for item in outline:
        if isinstance(item, list):
            titles.extend(outline_titles(item))
        else:
            titles.append(item.title)
    return titles


def html_note_count(out: Path, brief: str, audience: str) -> int:
    html = (out / brief / f"{brief}-{audience}.html").read_text(encoding="utf-8")
    return len(re.findall(r'<li id="note-\d+">', html))


@pytest.mark.slow
def test_every_brief_is_built_for_each_of_its_audiences(built_sample: Path) -> None:
    assert len(OUTPUTS) >= 6
    for brief, audience in OUTPUTS:
        assert pdf_path(built_sample, brief, audience).stat().st_size > 10_000
        assert (built_sample / brief / f"{brief}-{audience}.html").is_file()


@pytest.mark.slow
@pytest.mark.parametrize(("brief", "audience"), OUTPUTS)
def test_metadata_title_author_language_keywords(built_sample: Path, brief: str,
                                                 audience: str) -> None:
    model = CONTENT.briefs[brief]
    reader = PdfReader(pdf_path(built_sample, brief, audience))
    meta = reader.metadata
    assert meta.title == model.title
    assert meta.author == model.author
    assert meta.get("/Keywords") == ", ".join(model.keywords)
    assert meta.get("/CreationDate", "").startswith("D:" + model.date.replace("-", ""))
    root = reader.trailer["/Root"]
    assert root["/Lang"] == (model.language or "en-GB")
    assert bool(root["/MarkInfo"]["/Marked"])  # tagged PDF
    assert "/StructTreeRoot" in root


@pytest.mark.slow
@pytest.mark.parametrize(("brief", "audience"), FULL)
def test_page_count_title_sections_and_bookmarks(built_sample: Path, brief: str,
                                                 audience: str) -> None:
    model = CONTENT.briefs[brief]
    reader = PdfReader(pdf_path(built_sample, brief, audience))
    assert 3 <= len(reader.pages) <= 20
    texts = page_texts(reader)
    assert model.title in flat(texts[0])
    body = flat("\n".join(texts))
    bookmarks = outline_titles(reader.outline)
    selection = select(CONTENT, model, CONTENT.audiences[audience])
    for section in selection.sections:
        title = section.section.title
        if audience == "student" and not any(
                b.type not in ("term", "question", "event") for b in section.blocks):
            continue  # the primer shows such sections as its glossary, timeline and questions
        assert title in body
        assert any(title in mark for mark in bookmarks), (title, bookmarks)
    assert "Bibliography" in bookmarks or "Further reading and references" in bookmarks
    for n in range(2, len(reader.pages) + 1):  # the cover page carries no running footer
        assert f"Page {n} of {len(reader.pages)}" in texts[n - 1]
        assert model.title[:30] in flat(texts[n - 1])  # running header


@pytest.mark.slow
@pytest.mark.parametrize("brief", sorted(CONTENT.briefs))
def test_parliamentary_footnotes_sit_on_the_page_of_their_call(built_sample: Path,
                                                               brief: str) -> None:
    reader = PdfReader(pdf_path(built_sample, brief, "parliamentary"))
    expected = html_note_count(built_sample, brief, "parliamentary")
    assert expected > 10
    seen: list[int] = []
    for text in page_texts(reader):
        lines = text.splitlines()
        notes = [int(m.group(1)) for line in lines if (m := re.match(r"(\d+)\. \S", line))]
        body = "\n".join(line for line in lines if not re.match(r"\d+\. \S", line))
        for number in notes:
            # the call is a superscript number glued to the text it follows
            assert re.search(rf"\D{number}(\D|$)", body), f"call {number} not on its page"
        seen.extend(notes)
    assert seen == list(range(1, expected + 1))


@pytest.mark.slow
@pytest.mark.parametrize("brief", sorted(CONTENT.briefs))
def test_ngo_endnote_markers_link_to_their_notes(built_sample: Path, brief: str) -> None:
    reader = PdfReader(pdf_path(built_sample, brief, "ngo"))
    expected = html_note_count(built_sample, brief, "ngo")
    destinations = set(reader.named_destinations)
    targets = []
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            dest = annot.get("/Dest") or (annot.get("/A") or {}).get("/D")
            if isinstance(dest, str) and dest.startswith("note-"):
                targets.append(dest)
    assert expected > 10
    assert targets == [f"note-{k}" for k in range(1, expected + 1)]
    assert {f"note-{k}" for k in range(1, expected + 1)} <= destinations
    notes_text = flat("\n".join(page_texts(reader))).split(" Notes ")[-1]
    assert "para" in notes_text


@pytest.mark.slow
@pytest.mark.parametrize(("brief", "audience"), OUTPUTS)
def test_bibliography_lists_each_cited_source(built_sample: Path, brief: str,
                                              audience: str) -> None:
    reader = PdfReader(pdf_path(built_sample, brief, audience))
    text = flat("\n".join(page_texts(reader)))
    heading = BIBLIOGRAPHY_HEADING.get(audience, "Bibliography")
    bibliography = text.rsplit(heading, 1)[1]
    selection = select(CONTENT, CONTENT.briefs[brief], CONTENT.audiences[audience])
    shown = selection.blocks
    if audience == "minister":  # the one-pager shows five key points and the figures only
        shown = selection.summary[:5] + tuple(b for b in selection.blocks if b.type == "fact")
    cited = {c.source for b in shown for c in CONTENT.citations[b.id]}
    assert cited
    for source in cited:
        # styles change capitalisation; compare the first words of the title
        words = source.display_title.strip("[]").split()[:4]
        assert re.search(r"\W+".join(map(re.escape, words)), bibliography, re.I), source.id


@pytest.mark.slow
def test_student_primer_cites_author_date_in_text(built_sample: Path) -> None:
    reader = PdfReader(pdf_path(built_sample, "ottawa-treaty-2025", "student"))
    text = flat("\n".join(page_texts(reader)))
    assert re.search(r"\(Graham, n\.d\., para\. \d+", text)
    assert "Key terms" in text and "Timeline" in text and "Questions for discussion" in text


@pytest.mark.slow
def test_missing_metadata_is_shown_not_invented(built_sample: Path) -> None:
    reader = PdfReader(pdf_path(built_sample, "ottawa-treaty-2025", "parliamentary"))
    text = flat("\n".join(page_texts(reader)))
    assert "not stated" in text
    assert "n.d." in text  # no date is given by any sample source
    for source in CONTENT.sources.values():
        assert source.published is None and source.url is None


@pytest.mark.slow
@pytest.mark.parametrize("brief", sorted(b for b, a in OUTPUTS if a == "minister"))
def test_minister_key_points_fit_on_one_page(built_sample: Path, brief: str) -> None:
    reader = PdfReader(pdf_path(built_sample, brief, "minister"))
    assert len(reader.pages) == 1
    text = flat(page_texts(reader)[0])
    assert "Key points" in text and "Sources" in text
    model = CONTENT.briefs[brief]
    selection = select(CONTENT, model, CONTENT.audiences["minister"])
    assert len(selection.summary) >= 3 and re.search(r"\[\d, paras?\.? \d", text)
    if any(b.type == "fact" for b in selection.blocks):
        assert "Figures" in text


def test_no_brief_ends_on_a_page_of_colophon_alone(built_sample: Path) -> None:
    """What comes before the colophon or disclaimer (the last reference, or the NGO's 'about'
    box) shares its page: a reader turning to the last page finds the brief's own end there."""
    import html as html_module

    checked = 0
    for pdf in sorted(built_sample.glob("*/*.pdf")):
        reader = PdfReader(pdf)
        if len(reader.pages) == 1:
            continue
        page = " ".join((reader.pages[-1].extract_text() or "").split())
        assert "Briefsmith" in page  # the colophon itself is there
        markup = pdf.with_suffix(".html").read_text(encoding="utf-8")
        entries = re.findall(r'<li[^>]*class="csl-entry"[^>]*>(.*?)</li>|<li>(.*?)</li>',
                             markup.split('class="bibliography', 1)[1].split("</ul>", 1)[0])
        last = re.sub(r"<[^>]+>", "", "".join(entries[-1]))
        words = " ".join(html_module.unescape(last).split()[:4])
        assert words and words in page, f"{pdf.name}: the last page holds the colophon alone"
        checked += 1
    assert checked >= 6
