"""Audience contracts (`contract:` in audience.yaml): each rule broken with its exact message,
naming the brief's line and the rule's line, and passing once fixed. The page budget through a
real build, read back with pypdf. Every project is a copy of tests/fixtures/minimal."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from _content_edits import BLOCKS, BRIEF, SOURCE_TEXT, assert_ok, edit, write
from _perspectives import with_perspectives
from pypdf import PdfReader

from briefsmith.evidence.readability import readability, syllables

HEADS = {
    "parliamentary": "label: Parliamentary briefing\ncitation_style: chicago-notes-bibliography\n"
                     "notes: footnotes\nexclude_types: [recommendation]\n",
    "ngo": "label: Briefing for partners\ncitation_style: chicago-notes-bibliography\n"
           "notes: endnotes\n",
    "student": "label: Student primer\ncitation_style: apa\nnotes: in-text\n",
    "minister": "label: Key points\ncitation_style: ieee\nnotes: in-text\n"
                "exclude_types: [recommendation, question]\n",
}  # four lines or fewer, so `contract:` is line 5 and its first rule line 6


def contract(root: Path, audience: str, rules: str) -> None:
    """Replace the copied audience.yaml with one whose contract is `rules` (lines under
    `contract:`, each indented two spaces)."""
    head = HEADS[audience] + "\n" * (4 - HEADS[audience].count("\n"))
    write(root, f"templates/{audience}/audience.yaml", head + "contract:\n" + rules)


def warnings(run) -> list[str]:
    return [line for line in run.err_lines if ": warning: " in line]


def strict_fails(cli, root: Path, *expected: str) -> None:
    """`check` passes with exactly these warnings; `check --strict` fails on them."""
    run = cli(root, "check")
    assert run.code == 0, run.err
    assert warnings(run) == list(expected)
    run = cli(root, "check", "--strict")
    assert run.code == 1
    assert run.err_lines[-1] == (f"briefsmith: {len(expected)} editorial warning"
                                 f"{'s' if len(expected) != 1 else ''} with --strict; "
                                 "no output was written")


# -- parts -----------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_missing_part(project: Path, cli) -> None:
    contract(project, "parliamentary", "  parts: [summary, contents, glossary, disclaimer]\n")
    strict_fails(cli, project,
                 "briefs/harbour.yaml:1:1: warning: brief 'harbour' for audience "
                 "'parliamentary' has no 'glossary' part (no element with id=\"glossary\" on "
                 "its page): the audience promises summary, contents, glossary, disclaimer "
                 "(rule: templates/parliamentary/audience.yaml:6)")
    contract(project, "parliamentary", "  parts: [summary, contents, sources, disclaimer]\n")
    assert_ok(cli(project, "check"), project)


@pytest.mark.slow
def test_parts_out_of_order(project: Path, cli) -> None:
    contract(project, "parliamentary", "  parts: [contents, summary, disclaimer, sources]\n")
    strict_fails(cli, project,
                 "briefs/harbour.yaml:1:1: warning: brief 'harbour' for audience "
                 "'parliamentary' shows its parts in the order summary, contents, sources, "
                 "disclaimer; the audience promises contents, summary, disclaimer, sources "
                 "(rule: templates/parliamentary/audience.yaml:6)")


@pytest.mark.slow
def test_the_repository_contracts_hold_for_the_minimal_project(project: Path, cli) -> None:
    assert_ok(cli(project, "check"), project)


# -- forbidden types -------------------------------------------------------------------------

ASK = """
- id: ask-review
  type: recommendation
  actor: "The council"
  text: "Review the quay."
  cites:
    - source: harbour-report
      quote: "the council has asked for a review"
"""


@pytest.mark.slow
def test_a_forbidden_type_put_before_the_audience(project: Path, cli) -> None:
    (project / BLOCKS).write_text((project / BLOCKS).read_text() + ASK, encoding="utf-8")
    edit(project, BRIEF, "blocks: [boats-first-year, review-asked]",
         "blocks: [boats-first-year, review-asked, ask-review]")
    contract(project, "ngo", "  forbid_types: [recommendation]\n")
    contract(project, "parliamentary", "  parts: [summary]\n")  # the repository's forbids too
    strict_fails(cli, project,
                 "briefs/harbour.yaml:11:46: warning: brief 'harbour' puts recommendation block "
                 "'ask-review' in section 'facts', and audience 'ngo' forbids recommendation "
                 "blocks: move it to a brief for another audience, or give the block an "
                 "'audiences:' list without ngo (rule: templates/ngo/audience.yaml:6)")
    # it is left out as well, as an excluded type would be
    run = cli(project, "build", "--audience", "ngo", "--format", "html")
    assert run.code == 0, run.err
    assert "block-ask-review" not in (project / "output/harbour/harbour-ngo.html").read_text()
    edit(project, BLOCKS, '  actor: "The council"\n',
         '  actor: "The council"\n  audiences: [student]\n')
    run = cli(project, "check")
    assert run.code == 0 and warnings(run) == [], run.err


# -- balance ---------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_section_with_one_perspective(project: Path, cli) -> None:
    with_perspectives(project)
    edit(project, BRIEF, "blocks: [critics-view, authority-proud, quay-question]",
         "blocks: [critics-view, quay-question]")
    contract(project, "parliamentary", "  balance: {min_perspectives: 2}\n")
    strict_fails(cli, project,
                 "briefs/harbour.yaml:12:5: warning: section 'views' of brief 'harbour' shows 1 "
                 "perspective (Critics of the quay) in its positions and quotes for audience "
                 "'parliamentary', which asks for at least 2: add a position from another "
                 "perspective, or say why in the section's 'balance_note:' "
                 "(rule: templates/parliamentary/audience.yaml:6)")
    run = cli(project, "balance")
    assert "  sections with fewer than 2 perspectives: views (critics)\n" in run.out
    edit(project, BRIEF, '    title: "Views"\n',
         '    title: "Views"\n    balance_note: "The authority did not comment."\n')
    run = cli(project, "check")
    assert run.code == 0 and warnings(run) == [], run.err
    run = cli(project, "build", "--audience", "parliamentary", "--format", "html")
    assert run.code == 0, run.err
    html = (project / "output/harbour/harbour-parliamentary.html").read_text()
    assert ('<h2><span class="section-number">2</span> Views</h2>\n'
            '<div class="balance-note"><p>The authority did not comment.</p></div>') in html


@pytest.mark.slow
def test_two_perspectives_pass_and_no_list_means_no_rule(project: Path, cli) -> None:
    contract(project, "parliamentary", "  balance: {min_perspectives: 2}\n")
    assert_ok(cli(project, "check"), project)  # nothing declared: nothing to count by
    with_perspectives(project)
    assert_ok(cli(project, "check"), project)  # critics and the authority


# -- acronyms --------------------------------------------------------------------------------

RNLI_TITLE = '    title: "Views from the quay and the RNLI"\n'


@pytest.mark.slow
def test_an_undefined_acronym(project: Path, cli) -> None:
    edit(project, BRIEF, '    title: "Views"\n', RNLI_TITLE)
    contract(project, "student", "  define_acronyms: true\n")
    strict_fails(cli, project,
                 "briefs/harbour.yaml:12:5: warning: 'RNLI' is used in section 'views' "
                 "for audience 'student', and no term block in brief 'harbour' defines it: add "
                 "a term block for RNLI to the brief, or list it under define_acronyms: "
                 "{allow: [...]} (rule: templates/student/audience.yaml:6)")
    contract(project, "student", "  define_acronyms: {allow: [RNLI]}\n")
    assert_ok(cli(project, "check"), project)


def test_an_acronym_defined_by_a_term_block(project: Path, cli) -> None:
    edit(project, BRIEF, '    title: "Views"\n', RNLI_TITLE)
    contract(project, "student", "  define_acronyms: true\n")
    (project / SOURCE_TEXT).write_text((project / SOURCE_TEXT).read_text()
                                       + "The Royal National Lifeboat Institution (RNLI) "
                                       "keeps a lifeboat at the quay.\n")
    (project / BLOCKS).write_text((project / BLOCKS).read_text() + """
- id: term-rnli
  type: term
  term: "Royal National Lifeboat Institution (RNLI)"
  text: "The charity that runs lifeboats; it keeps one at the quay."
  cites:
    - source: harbour-report
      quote: "Royal National Lifeboat Institution (RNLI) keeps a lifeboat"
""", encoding="utf-8")
    edit(project, BRIEF, "blocks: [boats-first-year, review-asked]",
         "blocks: [boats-first-year, review-asked, term-rnli]")
    assert_ok(cli(project, "check"), project)


# -- reading level ---------------------------------------------------------------------------

def test_flesch_kincaid_grade_of_a_known_text() -> None:
    text = readability("The cat sat on the mat.")
    assert (text.words, text.sentences, text.syllables) == (6, 1, 6)
    assert text.grade == pytest.approx(0.39 * 6 + 11.8 - 15.59)  # -1.45
    two = readability("Humanitarian organisations disagree. *Treaties* are [agreed](https://x.org)"
                      " by states!")
    assert (two.words, two.sentences, two.syllables) == (8, 2, 20)
    assert round(two.grade, 2) == round(0.39 * 4 + 11.8 * 20 / 8 - 15.59, 2) == 15.47
    assert [syllables(w) for w in ("treaty", "agreed", "humanitarian", "the", "mines",
                                   "little", "yes")] == [2, 2, 5, 1, 1, 2, 1]


@pytest.mark.slow
def test_prose_above_the_audience_reading_level(project: Path, cli) -> None:
    contract(project, "student", "  reading_level: {max_grade: 3}\n")
    strict_fails(cli, project,
                 "briefs/harbour.yaml:1:1: warning: the editor's prose of brief 'harbour' for "
                 "audience 'student' reads at grade 3.9 (Flesch-Kincaid, 41 words), above the "
                 "audience's 3: simplify the hardest blocks first: critics-view (5.8), "
                 "boats-first-year (3.8), review-asked (3.7) "
                 "(rule: templates/student/audience.yaml:6)")
    contract(project, "student", "  reading_level: {max_grade: 4.5}\n")
    assert_ok(cli(project, "check"), project)


# -- the contract itself ---------------------------------------------------------------------

def test_a_malformed_contract_is_located(project: Path, cli) -> None:
    contract(project, "minister", "  page: 1\n  forbid_types: [recomendation]\n"
                                  "  balance: {min_perspectives: 0}\n")
    run = cli(project, "check")
    assert run.code == 1
    assert run.err_lines[:3] == [
        "templates/minister/audience.yaml:6:3: unknown key 'page' in 'contract' of audience "
        "'minister' (did you mean 'pages'?); allowed keys: balance, define_acronyms, "
        "forbid_types, pages, parts, reading_level",
        "templates/minister/audience.yaml:7:18: unknown block type 'recomendation' in "
        "'forbid_types' (did you mean 'recommendation'?)",
        "templates/minister/audience.yaml:8:31: 'min_perspectives' of 'contract' of audience "
        "'minister' must be a whole number of 1 or more: a number of perspectives, e.g. 2",
    ]


# -- page budget, through a real build -------------------------------------------------------

@pytest.mark.slow
def test_the_page_budget(project: Path, cli) -> None:
    edit(project, BRIEF, "[parliamentary, ngo, student]", "[parliamentary, ngo, student, minister]")
    contract(project, "minister", "  pages: 1\n")
    run = cli(project, "build", "--audience", "minister", "--format", "pdf")
    assert run.code == 0, run.err
    pdf = project / "output/harbour/harbour-minister.pdf"
    assert len(PdfReader(pdf).pages) == 1
    pdf.unlink()
    long = " ".join(["The quay was busier than forecast in every month of its first year."] * 80)
    edit(project, BLOCKS, '  figure: "1,200 boats"\n',
         f'  figure: "1,200 boats"\n  wording:\n    minister: "{long}"\n')
    run = cli(project, "build", "--audience", "minister", "--format", "pdf")
    assert run.code == 1
    pages = re.search(r"the PDF has (\d+) pages", run.err)
    assert pages and int(pages.group(1)) > 1, run.err  # how many depends on the house style
    assert run.err_lines == [
        f"briefs/harbour.yaml:1:1: harbour (minister): the PDF has {pages.group(1)} pages and "
        "audience 'minister' allows 1; on page 2 and after: boats-first-year: shorten what the "
        "brief gives this audience (rule: templates/minister/audience.yaml:6)",
        "briefsmith: 1 problem; no output was written"]
    assert not pdf.exists()
