"""Stage 2, the closed schema: each wrong key, type, id, date or reference is one exact line.

Each test edits a copy of the minimal project (tests/fixtures/minimal) and runs the real `check`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _content_edits import (
    BLOCKS,
    BRIEF,
    SOURCE,
    SOURCE_TEXT,
    assert_fails,
    assert_ok,
    edit,
    write,
)

from briefsmith.pipeline import load_and_verify

EXTRA = "content/blocks/extra.yaml"
CITES = ["  cites:", "    - source: harbour-report",
         '      quote: "used the new quay in its first year"']

# One valid block of every type; each entry is (key, the block's line for that key).
VALID_BLOCKS: dict[str, list[tuple[str, str]]] = {
    "context": [("text", '  text: "The quay opened a year ago."'), ("cites", "\n".join(CITES))],
    "fact": [("text", '  text: "1,200 boats used it."'), ("figure", '  figure: "1,200"'),
             ("as_of", '  as_of: "2026"'),  # faithful to its passage: no fidelity warning
             ("cites", '  cites:\n    - source: harbour-report\n'
                       '      quote: "1,200 boats used the new quay in its first year"')],
    "quote": [("speaker", '  speaker: "Critics"'), ("words", '  words: "built for tourists"'),
              ("cites", '  cites:\n    - source: harbour-report\n'
                        '      quote: "was built for tourists, not for fishing crews"')],
    "position": [("actor", '  actor: "Critics"'), ("stance", '  stance: "against"'),
                 ("text", '  text: "It serves tourists."'), ("cites", "\n".join(CITES))],
    "event": [("date", '  date: "2027"'), ("text", '  text: "The review will report."'),
              ("cites", '  cites:\n    - source: harbour-report\n'
                        '      quote: "The review will report in 2027."')],
    "term": [("term", '  term: "Quay"'), ("text", '  text: "A landing place."'),
             ("cites", "\n".join(CITES))],
    "question": [("text", '  text: "Who is the quay for?"')],
    "recommendation": [("actor", '  actor: "The council"'), ("text", '  text: "Review it."'),
                       ("cites", "\n".join(CITES))],
}
REQUIRED = {
    "context": ["text", "cites"],
    "fact": ["text", "as_of", "cites"],
    "quote": ["words", "speaker", "cites"],
    "position": ["actor", "stance", "text", "cites"],
    "event": ["date", "text", "cites"],
    "term": ["term", "text", "cites"],
    "question": ["text"],
    "recommendation": ["actor", "text", "cites"],
}


def block_yaml(btype: str, without: str | None = None) -> str:
    lines = [f"- id: extra-{btype}", f"  type: {btype}"]
    lines += [line for key, line in VALID_BLOCKS[btype] if key != without]
    return "\n".join(lines) + "\n"


def test_one_valid_block_of_every_type_passes(project: Path, cli) -> None:
    write(project, EXTRA, "\n".join(block_yaml(t) for t in VALID_BLOCKS))
    run = cli(project, "check")
    assert_ok(run, project)
    assert run.out == "ok: 1 briefs, 12 blocks, 1 sources, 10 quotes verified\n"


@pytest.mark.parametrize(("btype", "key"),
                         [(t, k) for t, keys in REQUIRED.items() for k in keys])
def test_missing_required_key_per_block_type(project: Path, cli, btype: str, key: str) -> None:
    write(project, EXTRA, block_yaml(btype, without=key))
    run = cli(project, "check")
    assert_fails(run, project, f"content/blocks/extra.yaml:1:3: block 'extra-{btype}' is missing "
                               f"required key '{key}': add the line '{key}: ...'")


def test_missing_type_lists_the_types(project: Path, cli) -> None:
    write(project, EXTRA, '- id: extra\n  text: "Why?"\n')
    run = cli(project, "check")
    assert_fails(run, project, "content/blocks/extra.yaml:1:3: block 'extra' is missing required "
                               "key 'type'; choose one of: context, fact, quote, position, event, "
                               "term, question, recommendation, figure, chart")


def test_unknown_type_with_did_you_mean(project: Path, cli) -> None:
    edit(project, BLOCKS, "  type: question", "  type: questoin")
    run = cli(project, "check")
    # The brief uses this invalid block: that is not reported a second time as an unknown block.
    assert_fails(run, project, "content/blocks/harbour.yaml:28:9: 'type' of block 'quay-question' "
                               "is 'questoin' (did you mean 'question'?); choose one of: context, "
                               "fact, quote, position, event, term, question, recommendation, "
                               "figure, chart")


@pytest.mark.parametrize(("rel", "old", "new", "line"), [
    pytest.param(BLOCKS, '  figure: "1,200 boats"', '  figur: "1,200 boats"',
                 "content/blocks/harbour.yaml:4:3: unknown key 'figur' in block 'boats-first-year' "
                 "(did you mean 'figure'?); allowed keys: as_of, audiences, cites, claim, "
                 "figure, id, inference, scope, text, title, type, value, wording",
                 id="block-typo"),
    pytest.param(BLOCKS, '  figure: "1,200 boats"', '  speaker: "Ada"',
                 "content/blocks/harbour.yaml:4:3: unknown key 'speaker' in block "
                 "'boats-first-year'; allowed keys: as_of, audiences, cites, claim, figure, id, "
                 "inference, scope, text, title, type, value, wording", id="key-of-another-type"),
    pytest.param(BLOCKS, "      quote: 'Critics", "      qoute: 'Critics",
                 "content/blocks/harbour.yaml:16:7: cite 1 of block 'critics-view' is missing "
                 "required key 'quote': add the line 'quote: ...'\n"
                 "content/blocks/harbour.yaml:17:7: unknown key 'qoute' in cite 1 of block "
                 "'critics-view' (did you mean 'quote'?); allowed keys: quote, source",
                 id="cite-typo"),
    pytest.param(BRIEF, 'subtitle: "A fixture brief"', 'subtitel: "A fixture brief"',
                 "briefs/harbour.yaml:2:1: unknown key 'subtitel' in brief 'harbour' (did you mean "
                 "'subtitle'?); allowed keys: about, audiences, author, citation_style, date, "
                 "keywords, language, meeting, sections, subtitle, summary, templates, title",
                 id="brief-typo"),
    pytest.param(BRIEF, '    title: "Views"', '    title: "Views"\n    intro_text: "Hi"',
                 "briefs/harbour.yaml:14:5: unknown key 'intro_text' in section 2 of brief "
                 "'harbour' (did you mean 'intro'?); allowed keys: balance_note, blocks, id, "
                 "intro, title",
                 id="section-typo"),
    pytest.param(SOURCE, "authors: [", "author: [",
                 "content/sources/harbour-report.yaml:5:1: unknown key 'author' in source "
                 "'harbour-report' (did you mean 'authors'?); allowed keys: accessed, authors, "
                 "csl_type, doi, edition, editors, genre, isbn, issue, kind, label, language, "
                 "notes, number, outlet, pages, perspective, place, published, publisher, series, "
                 "short_title, title, url, viewpoint, volume",
                 id="source-typo"),
])
def test_unknown_key(project: Path, cli, rel: str, old: str, new: str, line: str) -> None:
    edit(project, rel, old, new)
    assert_fails(cli(project, "check"), project, *line.split("\n"))


@pytest.mark.parametrize(("old", "new", "line"), [
    pytest.param('  text: "Who should a public quay serve first?"', "  text: [Who, Why]",
                 "content/blocks/harbour.yaml:29:9: 'text' of block 'quay-question' must be text, "
                 "not a list: write one value, in quotes (or as a >- block for several lines)",
                 id="list-for-text"),
    pytest.param('  actor: "Critics"', "  actor: {name: Critics}",
                 "content/blocks/harbour.yaml:12:10: 'actor' of block 'critics-view' must be text, "
                 "not a mapping: write one value, in quotes (or as a >- block for several lines)",
                 id="mapping-for-text"),
    pytest.param('  actor: "Critics"', "  actor: true",
                 "content/blocks/harbour.yaml:12:10: 'actor' of block 'critics-view' must be text, "
                 "not 'True': write one value, in quotes (or as a >- block for several lines)",
                 id="boolean-for-text"),
    pytest.param("  type: question", "  type: question\n  audiences: student",
                 "content/blocks/harbour.yaml:29:14: 'audiences' of block 'quay-question' must be "
                 "a list, e.g. [a, b]", id="text-for-list"),
    pytest.param("  type: question", '  type: question\n  wording: "Plainer"',
                 "content/blocks/harbour.yaml:29:12: 'wording' of block 'quay-question' must be a "
                 "mapping of key: value lines", id="text-for-mapping"),
    pytest.param("  type: question", "  type: question\n  cites: harbour-report",
                 "content/blocks/harbour.yaml:29:10: 'cites' of block 'quay-question' must be a "
                 "list of {source: <id>, quote: <exact passage>}", id="text-for-cites"),
    pytest.param("  type: question", "  type: question\n  cites: [harbour-report]",
                 "content/blocks/harbour.yaml:29:11: cite 1 of block 'quay-question' must be a "
                 "mapping with 'source' and 'quote'", id="text-for-cite"),
])
def test_wrong_type_in_a_block(project: Path, cli, old: str, new: str, line: str) -> None:
    edit(project, BLOCKS, old, new)
    assert_fails(cli(project, "check"), project, line)


@pytest.mark.parametrize(("old", "new", "line"), [
    pytest.param("keywords: [harbour, quay]", "keywords: harbour",
                 "briefs/harbour.yaml:6:11: 'keywords' of brief 'harbour' must be a list, "
                 "e.g. [a, b]", id="keywords"),
    pytest.param("[parliamentary, ngo, student]", "parliamentary",
                 "briefs/harbour.yaml:4:12: 'audiences' of brief 'harbour' must be a list, "
                 "e.g. [a, b]", id="audiences-reported-once"),
])
def test_wrong_type_in_a_brief(project: Path, cli, old: str, new: str, line: str) -> None:
    edit(project, BRIEF, old, new)
    assert_fails(cli(project, "check"), project, line)


def test_sections_must_be_a_list(project: Path, cli) -> None:
    text = (project / BRIEF).read_text()
    write(project, BRIEF, text.split("sections:")[0] + "sections: facts\n")
    assert_fails(cli(project, "check"), project,
                 "briefs/harbour.yaml:8:11: 'sections' of brief 'harbour' must be a list of "
                 "{id, title, blocks: [...]}")


@pytest.mark.parametrize(("value", "line"), [
    ("", "briefs/harbour.yaml:4:11: brief 'harbour' names no audiences: list at least one, "
         "e.g. [parliamentary, ngo, student]"),
    (" []", "briefs/harbour.yaml:4:12: brief 'harbour' names no audiences: list at least one, "
            "e.g. [parliamentary, ngo, student]"),
])
def test_brief_without_audiences(project: Path, cli, value: str, line: str) -> None:
    edit(project, BRIEF, "audiences: [parliamentary, ngo, student]", f"audiences:{value}")
    assert_fails(cli(project, "check"), project, line)


@pytest.mark.parametrize("value", ["", " []"])
def test_brief_without_sections(project: Path, cli, value: str) -> None:
    text = (project / BRIEF).read_text()
    write(project, BRIEF, text.split("sections:")[0] + f"sections:{value}\n")
    run = cli(project, "check")
    col = 10 if value == "" else 11
    assert_fails(run, project, f"briefs/harbour.yaml:8:{col}: brief 'harbour' has no sections: "
                               "add at least one")


@pytest.mark.parametrize("bad", ["Boats_First", "two--hyphens", "-leading", "trailing-",
                                 "caf\u00e9", '"with space"'])
def test_bad_block_id(project: Path, cli, bad: str) -> None:
    write(project, EXTRA, f"- id: {bad}\n  type: question\n  text: Why?\n")
    shown = bad.strip('"')
    assert_fails(cli(project, "check"), project,
                 f"content/blocks/extra.yaml:1:7: block id '{shown}' must use lowercase letters, "
                 "digits and single hyphens (e.g. 'casualties-2023')")


def test_all_digit_block_id_is_an_id_not_a_number(project: Path, cli) -> None:
    write(project, EXTRA, "- id: 2023\n  type: question\n  text: Why?\n")
    edit(project, BRIEF, "blocks: [critics-view, quay-question]",
         "blocks: [critics-view, quay-question, 2023]")
    assert_ok(cli(project, "check"), project)
    assert load_and_verify(project).blocks["2023"].text == "Why?"


@pytest.mark.parametrize(("text", "line"), [
    ("- type: question\n  text: Why?\n",
     "content/blocks/extra.yaml:1:3: block is missing 'id': start each block with '- id: ' and an "
     "id of lowercase letters, digits and hyphens"),
    ("- id: [a]\n  type: question\n  text: Why?\n",
     "content/blocks/extra.yaml:1:7: block 'id' must be text of lowercase letters, digits and "
     "hyphens (e.g. 'casualties-2023')"),
    ("- just text\n",
     "content/blocks/extra.yaml:1:3: each block must be a mapping starting with 'id:'"),
])
def test_block_without_a_usable_id(project: Path, cli, text: str, line: str) -> None:
    write(project, EXTRA, text)
    assert_fails(cli(project, "check"), project, line)


def test_bad_section_id(project: Path, cli) -> None:
    edit(project, BRIEF, "  - id: facts", "  - id: Facts")
    assert_fails(cli(project, "check"), project,
                 "briefs/harbour.yaml:9:9: section id 'Facts' must use lowercase letters, digits "
                 "and single hyphens (e.g. 'casualties-2023')")


def test_bad_block_id_in_a_brief_list(project: Path, cli) -> None:
    edit(project, BRIEF, "summary: [boats-first-year]", "summary: [Boats First]")
    assert_fails(cli(project, "check"), project,
                 "briefs/harbour.yaml:7:11: 'Boats First' in 'summary' of brief 'harbour' is not a "
                 "block id: block ids use lowercase letters, digits and single hyphens")


def test_bad_source_id_is_the_file_name(project: Path, cli) -> None:
    write(project, "content/sources/Extra_Source.yaml",
          "label: Extra\nkind: news\nperspective: none\n")
    write(project, "content/sources/Extra_Source.txt", "One two three.\n")
    assert_fails(cli(project, "check"), project,
                 "content/sources/Extra_Source.yaml:1:1: source id 'Extra_Source' is the file name "
                 "and must use lowercase letters, digits and single hyphens: rename the file "
                 "(e.g. 'casualties-2023.yaml')")


def test_bad_brief_id_is_the_file_name(project: Path, cli) -> None:
    (project / BRIEF).rename(project / "briefs" / "Harbour Brief.yaml")
    assert_fails(cli(project, "check"), project,
                 "briefs/Harbour Brief.yaml:1:1: brief id 'Harbour Brief' is the file name and "
                 "must use lowercase letters, digits and single hyphens: rename the file "
                 "(e.g. 'casualties-2023.yaml')")


def test_duplicate_block_id_across_files_names_the_first_place(project: Path, cli) -> None:
    write(project, "content/blocks/more.yaml", "\n- id: quay-question\n  type: question\n"
                                               "  text: Again?\n")
    assert_fails(cli(project, "check"), project,
                 "content/blocks/more.yaml:2:3: block id 'quay-question' is already used at "
                 "content/blocks/harbour.yaml:27:3: rename one")


def test_duplicate_block_id_in_one_file(project: Path, cli) -> None:
    edit(project, BLOCKS, "- id: quay-question", "- id: critics-view")
    edit(project, BRIEF, "blocks: [critics-view, quay-question]", "blocks: [critics-view]")
    assert_fails(cli(project, "check"), project,
                 "content/blocks/harbour.yaml:27:3: block id 'critics-view' is already used at "
                 "content/blocks/harbour.yaml:10:3: rename one")


@pytest.mark.parametrize(("bad", "hint"), [
    ("harbour-reprt", " (did you mean 'harbour-report'?)"),
    ("minutes-2026", ""),
])
def test_unknown_source_in_cites(project: Path, cli, bad: str, hint: str) -> None:
    edit(project, BLOCKS, "    - source: harbour-report\n      quote: \"1,200",
         f"    - source: {bad}\n      quote: \"1,200")
    assert_fails(cli(project, "check"), project,
                 f"content/blocks/harbour.yaml:7:15: block 'boats-first-year' cites unknown source "
                 f"'{bad}'{hint}; sources are files in content/sources/")


def test_source_with_errors_is_not_also_reported_as_unknown(project: Path, cli) -> None:
    edit(project, SOURCE, "kind: news", "kind: newz")
    assert_fails(cli(project, "check"), project,
                 "content/sources/harbour-report.yaml:3:7: 'kind' of source 'harbour-report' is "
                 "'newz' (did you mean 'news'?); choose one of: news, analysis, opinion, "
                 "commentary, think-tank paper, report, treaty, government statement, other")


def test_missing_source_metadata_key(project: Path, cli) -> None:
    edit(project, SOURCE, "perspective: \"local news report giving the authority's figures and "
                          "its critics' view\"\n", "")
    assert_fails(cli(project, "check"), project,
                 "content/sources/harbour-report.yaml:1:1: source 'harbour-report' is cited by "
                 "block 'boats-first-year' (content/blocks/harbour.yaml:1:3) but has no "
                 "'perspective': write how the source sees the question in your own words as "
                 "'perspective:'")


@pytest.mark.parametrize(("old", "new", "line"), [
    pytest.param("blocks: [boats-first-year, review-asked]",
                 "blocks: [boats-first-year, review-askd]",
                 "briefs/harbour.yaml:11:32: brief 'harbour' uses unknown block 'review-askd' (did "
                 "you mean 'review-asked'?); block ids are defined in content/blocks/*.yaml",
                 id="did-you-mean"),
    pytest.param("summary: [boats-first-year]", "summary: [harbour-history]",
                 "briefs/harbour.yaml:7:11: brief 'harbour' uses unknown block 'harbour-history'; "
                 "block ids are defined in content/blocks/*.yaml", id="in-summary"),
])
def test_unknown_block_in_a_brief(project: Path, cli, old: str, new: str, line: str) -> None:
    edit(project, BRIEF, old, new)
    assert_fails(cli(project, "check"), project, line)


def test_block_used_twice_in_a_brief(project: Path, cli) -> None:
    edit(project, BRIEF, "blocks: [critics-view, quay-question]",
         "blocks: [critics-view, quay-question, boats-first-year]")
    assert_fails(cli(project, "check"), project,
                 "briefs/harbour.yaml:14:43: block 'boats-first-year' is used twice in brief "
                 "'harbour' (first at line 11): remove one")


def test_summary_may_repeat_a_section_block(project: Path, cli) -> None:
    assert "summary: [boats-first-year]" in (project / BRIEF).read_text()
    assert_ok(cli(project, "check"), project)


@pytest.mark.parametrize(("rel", "old", "new", "line"), [
    pytest.param(BRIEF, "[parliamentary, ngo, student]", "[parlamentary, ngo, student]",
                 "briefs/harbour.yaml:4:13: unknown audience 'parlamentary' (did you mean "
                 "'parliamentary'?); each audience is a folder under templates/ (known: minister, "
                 "ngo, parliamentary, student)", id="brief"),
    pytest.param(BRIEF, "[parliamentary, ngo, student]", "[parliamentary, ngo, ngo]",
                 "briefs/harbour.yaml:4:33: audience 'ngo' is listed twice", id="brief-twice"),
    pytest.param(BLOCKS, "  type: question\n", "  type: question\n  audiences: [studnt]\n",
                 "content/blocks/harbour.yaml:29:15: unknown audience 'studnt' in block "
                 "'quay-question' (did you mean 'student'?); known: minister, ngo, parliamentary, "
                 "student",
                 id="block-audiences"),
    pytest.param(BLOCKS, "  type: question\n", "  type: question\n  wording:\n    press: Hi\n",
                 "content/blocks/harbour.yaml:30:5: unknown audience 'press' in 'wording' of "
                 "block 'quay-question'; known: minister, ngo, parliamentary, student",
                 id="block-wording"),
])
def test_unknown_audience(project: Path, cli, rel: str, old: str, new: str, line: str) -> None:
    edit(project, rel, old, new)
    assert_fails(cli(project, "check"), project, line)


def test_known_audiences_and_wording_pass(project: Path, cli) -> None:
    edit(project, BLOCKS, "  type: question\n",
         "  type: question\n  audiences: [student, ngo]\n  wording:\n    student: Who is it for?\n")
    assert_ok(cli(project, "check"), project)
    block = load_and_verify(project).blocks["quay-question"]
    assert block.audiences == ("student", "ngo")
    assert block.text_for("student") == "Who is it for?"


@pytest.mark.parametrize(("rel", "old", "new", "line"), [
    pytest.param(BRIEF, 'date: "2026-11-23"', 'date: "23/11/2026"',
                 "briefs/harbour.yaml:3:7: 'date' of brief 'harbour' is '23/11/2026'; write it as "
                 "YYYY-MM-DD in quotes", id="brief-date"),
    pytest.param(BRIEF, 'date: "2026-11-23"', 'date: "2026-11"',
                 "briefs/harbour.yaml:3:7: 'date' of brief 'harbour' is '2026-11'; write it as "
                 "YYYY-MM-DD in quotes", id="brief-date-needs-a-day"),
    pytest.param(BRIEF, 'date: "2026-11-23"', 'date: "2026-02-30"',
                 "briefs/harbour.yaml:3:7: 'date' of brief 'harbour' is '2026-02-30', which is not "
                 "a date in the calendar: check the day and month",
                 id="brief-date-not-in-calendar"),
    pytest.param(BLOCKS, 'as_of: "2026"', 'as_of: "March 2026"',
                 "content/blocks/harbour.yaml:5:10: 'as_of' of block 'boats-first-year' is 'March "
                 "2026'; write it as YYYY, YYYY-MM or YYYY-MM-DD in quotes", id="fact-as-of"),
    pytest.param(BLOCKS, 'as_of: "2026"', 'as_of: "26"',
                 "content/blocks/harbour.yaml:5:10: 'as_of' of block 'boats-first-year' is '26'; "
                 "write it as YYYY, YYYY-MM or YYYY-MM-DD in quotes", id="fact-two-digit-year"),
    pytest.param(BLOCKS, 'date: "2026"', 'date: "2026-13"',
                 "content/blocks/harbour.yaml:21:9: 'date' of block 'review-asked' is '2026-13'; "
                 "write it as YYYY, YYYY-MM or YYYY-MM-DD in quotes", id="event-month-13"),
    pytest.param(BLOCKS, 'date: "2026"', 'date: "2025-02-29"',
                 "content/blocks/harbour.yaml:21:9: 'date' of block 'review-asked' is "
                 "'2025-02-29', which is not a date in the calendar: check the day and month",
                 id="event-not-a-leap-year"),
    pytest.param(SOURCE, 'published: "2026-03-02"', "published: 2026-3-2",
                 "content/sources/harbour-report.yaml:6:12: 'published' of source "
                 "'harbour-report' is '2026-3-2'; write it as YYYY, YYYY-MM or YYYY-MM-DD in "
                 "quotes", id="source-published"),
    pytest.param(SOURCE, 'accessed: "2026-03-05"', 'accessed: "2026-03"',
                 "content/sources/harbour-report.yaml:8:11: 'accessed' of source 'harbour-report' "
                 "is '2026-03'; write it as YYYY-MM-DD in quotes", id="source-accessed"),
])
def test_bad_date(project: Path, cli, rel: str, old: str, new: str, line: str) -> None:
    edit(project, rel, old, new)
    assert_fails(cli(project, "check"), project, line)


def test_leap_day_is_a_date(project: Path, cli) -> None:
    edit(project, BLOCKS, 'date: "2026"', 'date: "2024-02-29"')
    run = cli(project, "check")
    assert run.code == 0, run.err
    # valid; the fidelity check only notes that the passages do not give the year 2024
    assert [line for line in run.err_lines if "event year not in its passages" not in line] == []


@pytest.mark.parametrize("url", ["http://example.org/harbour", "example.org/harbour",
                                 "ftp://example.org/harbour"])
def test_url_must_be_https(project: Path, cli, url: str) -> None:
    edit(project, SOURCE, 'url: "https://example.org/harbour"', f'url: "{url}"')
    assert_fails(cli(project, "check"), project,
                 "content/sources/harbour-report.yaml:7:6: 'url' of source 'harbour-report' must "
                 "start with https://: give the article's https address, or null if it is not "
                 "known")


def test_source_text_file_missing(project: Path, cli) -> None:
    (project / SOURCE_TEXT).unlink()
    assert_fails(cli(project, "check"), project,
                 "content/sources/harbour-report.yaml:1:1: source 'harbour-report' is cited by "
                 "block 'boats-first-year' (content/blocks/harbour.yaml:1:3) but has no text "
                 "file: save the article's verbatim text as content/sources/harbour-report.txt")


def test_source_text_without_metadata(project: Path, cli) -> None:
    write(project, "content/sources/minutes.txt", "The council met on Monday.\n")
    assert_fails(cli(project, "check"), project,
                 "content/sources/minutes.txt:1:1: source text has no metadata file: add "
                 "content/sources/minutes.yaml")


@pytest.mark.parametrize("text", ["", "\n   \n\n"])
def test_source_text_empty(project: Path, cli, text: str) -> None:
    write(project, SOURCE_TEXT, text)
    run = cli(project, "check")
    assert_fails(run, project, "content/sources/harbour-report.txt:1:1: source text is empty: "
                               "paste the article's text")


@pytest.mark.parametrize(("value", "line"), [
    (" []", "content/blocks/harbour.yaml:6:10: 'cites' of block 'boats-first-year' is empty: "
            "cite at least one source"),
    ("", "content/blocks/harbour.yaml:6:9: 'cites' of block 'boats-first-year' is empty: "
         "cite at least one source"),
])
def test_empty_cites(project: Path, cli, value: str, line: str) -> None:
    edit(project, BLOCKS, '  cites:\n    - source: harbour-report\n      quote: "1,200 boats used '
                          'the new quay in its first year - twice the number it had forecast"\n',
         f"  cites:{value}\n")
    assert_fails(cli(project, "check"), project, line)


def test_question_block_needs_no_cites(project: Path, cli) -> None:
    assert "cites" not in (project / BLOCKS).read_text().split("- id: quay-question")[1]
    assert_ok(cli(project, "check"), project)
    assert load_and_verify(project).citations["quay-question"] == ()


def test_question_block_may_cite(project: Path, cli) -> None:
    edit(project, BLOCKS, '  text: "Who should a public quay serve first?"\n',
         '  text: "Who should a public quay serve first?"\n' + "\n".join(CITES) + "\n")
    assert_ok(cli(project, "check"), project)
    assert [c.locator for c in load_and_verify(project).citations["quay-question"]] == ["para 2"]


def test_check_lists_every_problem_of_a_file(project: Path, cli) -> None:
    write(project, EXTRA, "\n".join([
        "- id: extra-fact",                      # 1
        "  type: fact",                          # 2
        '  txt: "Typo in a key"',                # 3  unknown key (and so 'text' is missing)
        '  as_of: "last year"',                  # 4  bad date
        "  audiences: [ngo, press]",             # 5  unknown audience
        "  cites:",                              # 6
        "    - source: harbour-reports",         # 7  unknown source
        '      quote: "1,200 boats"',            # 8  too short
        "- id: Extra_Term",                      # 9  bad id
        "  type: term",                          # 10
        "- id: extra-event",                     # 11
        "  type: event",                         # 12
        '  date: "2026-02-31"',                  # 13 not in the calendar
        "  text: [a, b]",                        # 14 list for text
        "  cites: []",                           # 15 empty cites
        "",
    ]))
    run = cli(project, "check")
    lines = [
        "content/blocks/extra.yaml:1:3: block 'extra-fact' is missing required key 'text': add "
        "the line 'text: ...'",
        "content/blocks/extra.yaml:3:3: unknown key 'txt' in block 'extra-fact' (did you mean "
        "'text'?); allowed keys: as_of, audiences, cites, claim, figure, id, inference, scope, "
        "text, title, type, value, wording",
        "content/blocks/extra.yaml:4:10: 'as_of' of block 'extra-fact' is 'last year'; write it "
        "as YYYY, YYYY-MM or YYYY-MM-DD in quotes",
        "content/blocks/extra.yaml:5:20: unknown audience 'press' in block 'extra-fact'; known: "
        "minister, ngo, parliamentary, student",
        "content/blocks/extra.yaml:7:15: block 'extra-fact' cites unknown source "
        "'harbour-reports' (did you mean 'harbour-report'?); sources are files in "
        "content/sources/",
        "content/blocks/extra.yaml:8:14: quote in block 'extra-fact' is too short (2 word(s)); "
        "quote at least 3 words so the passage can be found and pinpointed",
        "content/blocks/extra.yaml:9:7: block id 'Extra_Term' must use lowercase letters, digits "
        "and single hyphens (e.g. 'casualties-2023')",
        "content/blocks/extra.yaml:13:9: 'date' of block 'extra-event' is '2026-02-31', which is "
        "not a date in the calendar: check the day and month",
        "content/blocks/extra.yaml:14:9: 'text' of block 'extra-event' must be text, not a list: "
        "write one value, in quotes (or as a >- block for several lines)",
        "content/blocks/extra.yaml:15:10: 'cites' of block 'extra-event' is empty: cite at least "
        "one source",
    ]
    assert_fails(run, project, *lines)
    assert len(run.err_lines) == 11
    assert run.err_lines[-1] == "briefsmith: 10 problems; no output was written"


def test_check_lists_problems_of_every_file_together(project: Path, cli) -> None:
    edit(project, BRIEF, 'date: "2026-11-23"', 'date: "soon"')
    edit(project, SOURCE, "kind: news", "kind: blog")
    edit(project, BLOCKS, "  type: question\n", "  type: question\n  title: yes\n")
    run = cli(project, "check")
    assert_fails(
        run, project,
        "briefs/harbour.yaml:3:7: 'date' of brief 'harbour' is 'soon'; write it as YYYY-MM-DD in "
        "quotes",
        "content/blocks/harbour.yaml:29:10: 'yes' would be read as a yes/no value by YAML 1.1: "
        "write true or false, or put the text in quotes",
        "content/sources/harbour-report.yaml:3:7: 'kind' of source 'harbour-report' is 'blog'; "
        "choose one of: news, analysis, opinion, commentary, think-tank paper, report, treaty, "
        "government statement, other",
    )


@pytest.mark.parametrize(("remove", "missing"), [
    ('authors: [{family: "Byron", given: "Ada"}]\n', "author"),
    ('outlet: "The Harbour Gazette"\n', "outlet"),
    ('published: "2026-03-02"\n', "date"),
    ('url: "https://example.org/harbour"\n', "URL"),
    ('title: "Harbour Report"\n', "title"),
])
def test_missing_metadata_is_a_warning(project: Path, cli, remove: str, missing: str) -> None:
    edit(project, SOURCE, remove, "")
    run = cli(project, "check")
    assert run.code == 0
    # without a published date the fixture's years are the editor's dating: fidelity notes it
    assert [line for line in run.err_lines if "year not in its passages" not in line] == [
        f"content/sources/harbour-report.yaml: warning: source 'harbour-report' does not "
        f"state its {missing}; the brief will show 'not stated'"]
    assert run.out == "ok: 1 briefs, 4 blocks, 1 sources, 3 quotes verified\n"
    assert not (project / "output").exists()


def test_all_missing_metadata_in_one_warning(project: Path, cli) -> None:
    write(project, SOURCE, "title: null\nlabel: \"Harbour report\"\nkind: news\noutlet: null\n"
                           "authors: []\npublished: null\nurl: null\nperspective: \"local news\"\n")
    run = cli(project, "check")
    assert run.code == 0
    assert [line for line in run.err_lines if "year not in its passages" not in line] == [
                             "content/sources/harbour-report.yaml: warning: source "
                             "'harbour-report' does not state its author, outlet, date, URL, "
                             "title; the brief will show 'not stated'"]
