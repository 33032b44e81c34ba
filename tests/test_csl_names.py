"""Names and bibliographic details reach the citation style as the source file states them
(issue 21): an organisation is never split into a person, a person's parts are the ones written,
and a journal article keeps its volume, issue, pages and DOI. Rendered by the real pandoc."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from conftest import FIXTURES

from briefsmith.content.load import parse_text
from briefsmith.content.validate import load_source
from briefsmith.core.errors import Collector
from briefsmith.core.models import Citation, Origin, Source
from briefsmith.pipeline import load_project
from briefsmith.render.csl import ASSETS_CSL, format_citations
from briefsmith.render.html import source_view

APA, CHICAGO, IEEE = (ASSETS_CSL / f"{name}.csl" for name in
                      ("apa", "chicago-notes-bibliography", "ieee"))

SOURCES = {
    "hrw": """\
title: "L'État et les armes"
label: "HRW report"
kind: report
csl_type: report
language: fr
authors: ["Human Rights Watch"]
publisher: "Human Rights Watch"
published: "2025"
""",
    "icrc": """\
title: "Mines and the law"
label: "ICRC page"
kind: other
csl_type: webpage
outlet: "ICRC"
authors: [{literal: "International Committee of the Red Cross"}]
published: "2025"
""",
    "berg": """\
title: "Why states leave disarmament treaties"
label: "Journal article"
kind: analysis
csl_type: article-journal
outlet: "Journal of Peace Research"
authors:
  - {family: "Berg", given: "Pedro", particle: "van der", suffix: "Jr."}
  - {family: "Ruiz García", given: "Ana"}
published: "2024-03"
volume: 61
issue: "2"
pages: "211-229"
doi: "10.1177/00223433241234567"
""",
    "ruiz": """\
title: "A name as written"
label: "Plain string"
kind: analysis
authors: ["Ana Ruiz García"]
published: "2023"
""",
}


def load(sid: str, text: str) -> Source:
    rel = f"content/sources/{sid}.yaml"
    errors = Collector()
    source = load_source(parse_text(text, rel), rel, sid, f"content/sources/{sid}.txt",
                         b"Paragraph one.\n", errors)
    assert errors.errors == [] and source is not None
    return source


def bibliography(style: Path) -> dict[str, str]:
    sources = [load(sid, text) for sid, text in SOURCES.items()]
    occurrence = tuple(Citation(s, "Paragraph one.", 1, 1, Origin("b.yaml", 1, 1))
                       for s in sources)
    formatted = format_citations([occurrence], style, "en-GB", None)
    return {sid: html.unescape(re.sub(r"<[^>]+>", "", entry))
            for sid, entry in formatted.bibliography}


def test_apa_prints_organisations_whole_and_people_as_their_parts() -> None:
    entries = bibliography(APA)
    assert entries["hrw"] == "Human Rights Watch. (2025). L’État et les armes. Human Rights Watch."
    assert entries["icrc"] == ("International Committee of the Red Cross. (2025). Mines and the "
                               "law. ICRC.")
    assert entries["berg"] == ("van der Berg, P., Jr., & Ruiz García, A. (2024). Why states leave "
                               "disarmament treaties. Journal of Peace Research, 61(2), 211–229. "
                               "https://doi.org/10.1177/00223433241234567")
    # a plain string is a name as written: never "García, A. R.", a person who does not exist
    assert entries["ruiz"] == "Ana Ruiz García. (2023). A name as written."


def test_chicago_prints_organisations_whole_and_keeps_a_french_title_as_written() -> None:
    entries = bibliography(CHICAGO)
    # a report is no chapter ("In Human Rights Watch"), and a French title is not title-cased
    assert entries["hrw"] == "Human Rights Watch. L’État et les armes. Human Rights Watch, 2025."
    assert entries["icrc"] == ("International Committee of the Red Cross. ‘Mines and the Law’. "
                               "ICRC, 2025.")
    assert entries["berg"] == ("Berg, Pedro van der, Jr., and Ana Ruiz García. ‘Why States Leave "
                               "Disarmament Treaties’. Journal of Peace Research 61, no. 2 "
                               "(2024): 211–29. https://doi.org/10.1177/00223433241234567.")
    assert entries["ruiz"] == "Ana Ruiz García. A Name as Written. 2023."


@pytest.mark.parametrize(("written", "apa", "chicago"), [
    ("Human Rights Watch", "Human Rights Watch. (2025). A report.",
     "Human Rights Watch. A Report. 2025."),
    ("International Committee of the Red Cross",
     "International Committee of the Red Cross. (2025). A report.",
     "International Committee of the Red Cross. A Report. 2025."),
    ("Pedro van der Berg Jr.", "Pedro van der Berg Jr. (2025). A report.",
     "Pedro van der Berg Jr. A Report. 2025."),
])
def test_a_name_written_as_a_string_is_printed_as_written(written: str, apa: str,
                                                          chicago: str) -> None:
    """Before issue 21 every name was split at its last space: 'Watch, H. R. (2025)' (APA),
    'Watch, Human Rights' (Chicago), 'Jr., P. van der B.'."""
    source = load("org", f'title: "A report"\nlabel: "L"\nkind: report\npublished: "2025"\n'
                         f'authors: ["{written}"]\n')
    occurrence = (Citation(source, "Paragraph one.", 1, 1, Origin("b.yaml", 1, 1)),)
    for style, expected in ((APA, apa), (CHICAGO, chicago)):
        [(_, entry)] = format_citations([occurrence], style, "en-GB", None).bibliography
        assert html.unescape(re.sub(r"<[^>]+>", "", entry)) == expected


def test_the_brief_shows_each_name_as_written() -> None:
    view = source_view(load("berg", SOURCES["berg"]))
    assert view.authors == ("Pedro van der Berg Jr.", "Ana Ruiz García")
    assert source_view(load("hrw", SOURCES["hrw"])).authors == ("Human Rights Watch",)
    assert view.missing == ()  # its DOI is its address, its outlet the journal


@pytest.mark.parametrize(("authors", "message"), [
    ('[{first: "Ada", family: "Byron"}]',
     "content/sources/s.yaml:5:12: unknown key 'first' in author 1 of source 's'; allowed keys: "
     "dropping_particle, family, given, literal, particle, suffix"),
    ('[{family: "", given: "Ada"}]',
     "content/sources/s.yaml:5:20: 'family' of author 1 of source 's' is empty: give it a value"),
    ('[{given: "Ada"}]',
     "content/sources/s.yaml:5:11: author 1 of source 's' has no 'family' or 'literal': write a "
     "person as {family: Byron, given: Ada} (a single name as {family: Cher}) and an "
     "organisation as {literal: Human Rights Watch}"),
    ('["Ada Byron", {literal: "Human Rights Watch", family: "Watch"}]',
     "content/sources/s.yaml:5:25: author 2 of source 's' has 'literal' and 'family': "
     "'literal' is a name written whole (an organisation); write it alone, or write a person's "
     "parts without it"),
    ('["Ada Byron", ["nested"]]',
     "content/sources/s.yaml:5:24: author 2 of source 's' must be non-empty text (a name written "
     "whole) or a mapping of its parts, e.g. {family: Byron, given: Ada}"),
])
def test_a_name_mapping_is_checked_at_its_place(authors: str, message: str) -> None:
    text = f'title: "T"\nlabel: "L"\nkind: news\nperspective: "p"\nauthors: {authors}\n'
    errors = Collector()
    load_source(parse_text(text, "content/sources/s.yaml"), "content/sources/s.yaml", "s",
                "content/sources/s.txt", b"Text.\n", errors)
    assert [str(e) for e in errors.errors] == [message]


def test_an_imported_collection_is_cited_as_its_records_say(project: Path, cli) -> None:
    """Zotero's CSL JSON through import-refs, the project's loader and pandoc: the
    organisation stays whole, the report is a report, the French title keeps its case."""
    assert cli(project, "import-refs", str(FIXTURES / "refs" / "issue21.json")).code == 0
    content = load_project(project).content  # no .txt yet: uncited, so only warned about
    sources = [content.sources[sid] for sid in ("hrw-2025-etat", "icrc-2025-ccm-withdrawal",
                                                "states-parties-ottawa")]
    occurrence = tuple(Citation(s, "x", 4, 4, Origin("b.yaml", 1, 1)) for s in sources)
    found = {}
    for style in (APA, CHICAGO):
        formatted = format_citations([occurrence], style, "en-GB", None)
        found[style.stem] = {sid: html.unescape(re.sub(r"<[^>]+>", "", entry))
                             for sid, entry in formatted.bibliography}
    assert found["apa"] == {
        "hrw-2025-etat": "Human Rights Watch. (2025). L’État et les armes : le retrait des "
                         "traités de désarmement (Rapport HRW-2025-04). Human Rights Watch. "
                         "https://www.hrw.org/fr/report/2025/04/01/letat-et-les-armes",
        "icrc-2025-ccm-withdrawal": "van der Berg, P., Jr., Ruiz García, A., & International "
                                    "Committee of the Red Cross. (2025). Treaty withdrawal and "
                                    "the protection of civilians. International Review of the "
                                    "Red Cross, 107(928), 1–24. "
                                    "https://doi.org/10.1017/S1816383125000012",
        "states-parties-ottawa": "States parties to the Ottawa Convention. (n.d.). Retrieved "
                                 "https://www.icrc.org/en/states-parties-ottawa",
    }
    assert found["chicago-notes-bibliography"]["hrw-2025-etat"] == (
        "Human Rights Watch. L’État et les armes : le retrait des traités de désarmement. "
        "Rapport HRW-2025-04. Human Rights Watch, 2025. "
        "https://www.hrw.org/fr/report/2025/04/01/letat-et-les-armes.")
