"""Conflicting and changing figures (issue 9): claims, values, resolutions and the notes.

Each test builds a real project (the minimal fixture plus a second source and claim facts) in
tmp_path and runs the real CLI; the PDF is rendered by WeasyPrint and read back with pypdf.
"""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import pytest
from conftest import copy_project
from pypdf import PdfReader

SURVEY_TEXT = """Fishing Co-operative Survey
A survey by the fishing co-operative counted about 900 boats at the new quay in 2026, \
its first year.
By the end of 2027, its second year, more than 2,000 boats had used the quay.
Some 300 crews now land their catch at the quay.
Fishing crews make up 40% of its users, the co-operative says.
"""

SURVEY_META = """title: "Fishing Co-operative Survey"
label: "Survey by the fishing co-operative"
kind: report
outlet: "Fishing Co-operative"
authors: [{family: "Hansen", given: "Bo"}]
published: "2027-12-01"
url: "https://example.org/survey"
perspective: "the fishing crews' own count of boats and crews at the quay"
"""

BOATS = """- id: authority-boats
  type: fact
  claim: quay-boats
  value: "1,200 boats"
  as_of: "2026"
  text: "The harbour report says 1,200 boats used the new quay in its first year."
  cites:
    - source: harbour-report
      quote: "1,200 boats used the new quay in its first year"

- id: survey-boats
  type: fact
  claim: quay-boats
  value: {number: 900, qualifier: about, unit: boats}
  as_of: "2026"
  text: "The survey counted about 900 boats at the new quay in 2026, its first year."
  cites:
    - source: quay-survey
      quote: "counted about 900 boats at the new quay in 2026, its first year"
"""

SECOND_YEAR = """
- id: survey-second-year
  type: fact
  claim: quay-boats
  value: "more than 2,000 boats"
  as_of: "2027"
  text: "The survey says more than 2,000 boats had used the quay by the end of 2027."
  cites:
    - source: quay-survey
      quote: "By the end of 2027, its second year, more than 2,000 boats had used the quay."
"""

CREWS = """
- id: crews-count
  type: fact
  claim: quay-crews
  value: "some 300 crews"
  as_of: "2027"
  text: "The survey says some 300 crews now land their catch at the quay."
  cites:
    - source: quay-survey
      quote: "Some 300 crews now land their catch at the quay."

- id: crews-share
  type: fact
  claim: quay-crews
  value: "40%"
  as_of: "2027"
  text: "The survey says fishing crews make up 40% of the quay's users."
  cites:
    - source: quay-survey
      quote: "Fishing crews make up 40% of its users"
"""

UNDATED = """
- id: crews-landing
  type: fact
  claim: quay-landing-crews
  value: "some 300 crews"
  text: "The survey says some 300 crews land their catch at the quay."
  cites:
    - source: quay-survey
      quote: "Some 300 crews now land their catch"
"""

ACCEPT = """- claim: quay-boats
  as_of: "2026"
  accept: >-
    The two counts cover different things: the authority counts every boat
    that used the quay, the co-operative only the boats it saw.
"""


def make(root: Path, blocks: str, resolutions: str | None = None,
         shown: str | None = "survey-boats") -> Path:
    """The minimal fixture with a second source, `blocks` as content/blocks/claims.yaml and
    `survey-boats` added to the brief's facts section (only that side: the note must still
    cite the other)."""
    copy_project("minimal", root)
    (root / "content/sources/quay-survey.txt").write_text(SURVEY_TEXT, encoding="utf-8")
    (root / "content/sources/quay-survey.yaml").write_text(SURVEY_META, encoding="utf-8")
    (root / "content/blocks/claims.yaml").write_text(blocks, encoding="utf-8")
    if resolutions is not None:
        (root / "content/resolutions.yaml").write_text(resolutions, encoding="utf-8")
    if shown:
        brief = root / "briefs/harbour.yaml"
        text = brief.read_text(encoding="utf-8")
        brief.write_text(text.replace("blocks: [boats-first-year, review-asked]",
                                      f"blocks: [boats-first-year, {shown}, review-asked]"),
                         encoding="utf-8")
    return root


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "project"


AUTHORITY = ('        Report on the harbour\'s new quay (harbour-report), para 2: "1,200 boats '
             'used the new quay in its first year"')
SURVEY = ('        Survey by the fishing co-operative (quay-survey), para 2: "counted about 900 '
          'boats at the new quay in 2026, its first year"')


def test_conflict_text_report(root: Path, cli) -> None:
    make(root, BOATS)
    run = cli(root, "conflicts")
    assert run.code == 0, run.err
    assert run.out == "\n".join([
        "CONFLICT (1)",
        "  claim 'quay-boats', as of 2026, unit boats",
        "    unresolved: record a resolution in content/resolutions.yaml",
        "    - authority-boats: 1,200 boats (as of 2026)  content/blocks/claims.yaml:1",
        AUTHORITY,
        "    - survey-boats: about 900 boats (as of 2026)  content/blocks/claims.yaml:11",
        SURVEY,
        "",
        "2 facts in 1 claim: 1 conflict, 0 unit mismatches, 0 facts without as_of, "
        "0 changes over time; 1 unresolved",
        ""])


SECOND = ('        Survey by the fishing co-operative (quay-survey), para 3: "By the end of 2027, '
          'its second year, more than 2,000 boats had used the quay."')
COUNTS = ('6 facts in 3 claims: 1 conflict, 1 unit mismatch, 1 fact without as_of, 1 change over '
          'time; 2 unresolved')


def test_other_groups_text_report(root: Path, cli) -> None:
    make(root, BOATS + SECOND_YEAR + CREWS + UNDATED, ACCEPT)
    run = cli(root, "conflicts")
    assert run.code == 0, run.err  # a report: what it finds is not a failure
    assert run.out == "\n".join([
        "CONFLICT (1)",
        "  claim 'quay-boats', as of 2026, unit boats",
        "    accepted (content/resolutions.yaml:1): The two counts cover different things: the "
        "authority counts every boat that used the quay, the co-operative only the boats it saw.",
        "    - authority-boats: 1,200 boats (as of 2026)  content/blocks/claims.yaml:1",
        AUTHORITY,
        "    - survey-boats: about 900 boats (as of 2026)  content/blocks/claims.yaml:11",
        SURVEY,
        "",
        "UNIT MISMATCH (1)",
        "  claim 'quay-crews'",
        "    unresolved: record a resolution in content/resolutions.yaml",
        "    - crews-count: some 300 crews [crews] (as of 2027)  content/blocks/claims.yaml:31",
        '        Survey by the fishing co-operative (quay-survey), para 4: "Some 300 crews now '
        'land their catch at the quay."',
        "    - crews-share: 40% [%] (as of 2027)  content/blocks/claims.yaml:41",
        '        Survey by the fishing co-operative (quay-survey), para 5: "Fishing crews make up '
        '40% of its users"',
        "",
        "NEEDS AS_OF (1)",
        "  claim 'quay-landing-crews', unit crews",
        "    unresolved: add the period the value describes (as_of), or resolve the conflict it "
        "is a side of",
        "    - crews-landing: some 300 crews (no as_of)  content/blocks/claims.yaml:51",
        '        Survey by the fishing co-operative (quay-survey), para 4: "Some 300 crews now '
        'land their catch"',
        "",
        "CHANGED OVER TIME (1)",
        "  claim 'quay-boats', unit boats",
        "    - authority-boats: 1,200 boats (as of 2026)  content/blocks/claims.yaml:1",
        AUTHORITY,
        "    - survey-boats: about 900 boats (as of 2026)  content/blocks/claims.yaml:11",
        SURVEY,
        "    - survey-second-year: more than 2,000 boats (as of 2027)  "
        "content/blocks/claims.yaml:21",
        SECOND,
        "",
        COUNTS,
        ""])


def test_qualifiers_decide_what_conflicts(root: Path, cli) -> None:
    """"nearly 1,250" allows 1,200 (within 10 % below); "over 1,300" does not."""
    close = BOATS.replace("{number: 900, qualifier: about, unit: boats}",
                          "{number: 1250, qualifier: nearly, unit: boats}")
    make(root, close)
    assert "0 conflicts" in cli(root, "conflicts").out
    (root / "content/blocks/claims.yaml").write_text(
        BOATS.replace("{number: 900, qualifier: about, unit: boats}", '"over 1,300 boats"'),
        encoding="utf-8")
    assert "1 conflict," in cli(root, "conflicts").out


def test_json_structure(root: Path, cli) -> None:
    make(root, BOATS + SECOND_YEAR + CREWS + UNDATED, ACCEPT)
    run = cli(root, "conflicts", "--format", "json")
    assert run.code == 0, run.err
    data = json.loads(run.out)
    assert set(data) == {"version", "findings", "unused_resolutions", "counts"}
    assert data["version"] == 1
    assert data["counts"] == {"claims": 3, "facts": 6, "conflict": 1, "unit-mismatch": 1,
                              "needs-as-of": 1, "changed-over-time": 1, "unresolved": 2}
    assert [f["kind"] for f in data["findings"]] == [
        "conflict", "unit-mismatch", "needs-as-of", "changed-over-time"]
    conflict = data["findings"][0]
    assert {k: conflict[k] for k in ("claim", "as_of", "unit", "scope", "status")} == {
        "claim": "quay-boats", "as_of": "2026", "unit": "boats", "scope": None,
        "status": "accepted"}
    assert conflict["resolution"] == {
        "at": "content/resolutions.yaml:1", "as_of": "2026", "prefer": None, "note": None,
        "accept": "The two counts cover different things: the authority counts every boat "
                  "that used the quay, the co-operative only the boats it saw."}
    assert conflict["sides"][1] == {
        "block": "survey-boats", "at": "content/blocks/claims.yaml:11", "as_of": "2026",
        "scope": None,
        "value": {"kind": "number", "written": "about 900 boats", "number": "900",
                  "bound": "approximate", "qualifier": "about", "unit": "boats",
                  "members": None},
        "citations": [{"source": "quay-survey", "label": "Survey by the fishing co-operative",
                       "quote": "counted about 900 boats at the new quay in 2026, its first year",
                       "pinpoint": "para 2", "first_para": 2, "last_para": 2,
                       "at": "content/blocks/claims.yaml:19:14"}]}
    assert data["findings"][3]["status"] is None  # a change over time is not a problem
    assert data["unused_resolutions"] == []


def test_set_values_and_undated_sides(root: Path, cli) -> None:
    """Two sets differ; an undated side is compared with every period, and a resolution of its
    conflict settles its NEEDS AS_OF too."""
    blocks = BOATS + """
- id: owners-report
  type: fact
  claim: quay-owners
  value: {set: [the council]}
  as_of: "2026"
  text: "The harbour report says the council has asked for a review."
  cites:
    - source: harbour-report
      quote: "the council has asked for a review"

- id: owners-survey
  type: fact
  claim: quay-owners
  value: {set: [the council, the co-operative]}
  text: "The survey says fishing crews make up 40% of the quay's users."
  cites:
    - source: quay-survey
      quote: "Fishing crews make up 40% of its users"
"""
    make(root, blocks, ACCEPT + '- claim: quay-owners\n  accept: "Different owners."\n')
    data = json.loads(cli(root, "conflicts", "--format", "json").out)
    owners = [f for f in data["findings"] if f["claim"] == "quay-owners"]
    assert [(f["kind"], f["status"], [s["block"] for s in f["sides"]]) for f in owners] == [
        ("conflict", "accepted", ["owners-report", "owners-survey"]),
        ("needs-as-of", "accepted", ["owners-survey"])]
    assert owners[0]["sides"][1]["value"]["members"] == ["the council", "the co-operative"]
    assert owners[0]["sides"][1]["value"]["written"] == "the council and the co-operative"


def check_lines(root: Path, cli) -> list[str]:
    run = cli(root, "check")
    assert run.code == 1
    return run.err_lines


def test_resolution_validation_errors(root: Path, cli) -> None:
    make(root, BOATS + CREWS, """- claim: quay-boat
  accept: "x"
- claim: quay-boats
  prefer: survey-boat
  note: "y"
- claim: quay-boats
  as_of: "2026"
  prefer: crews-count
  note: "y"
- claim: quay-boats
  note: "y"
- claim: quay-boats
  prefer: survey-boats
- claim: quay-crews
  accept: "a"
  prefer: crews-count
  colour: red
- claim: quay-boats
  as_of: "2027"
  prefer: survey-boats
  note: "y"
""")
    both = ("give one, 'prefer: <block id>' with a 'note', or 'accept: <why the difference "
            "stands>'")
    assert check_lines(root, cli) == [
        "content/resolutions.yaml:1:10: resolution 1 names unknown claim 'quay-boat' (did you "
        "mean 'quay-boats'?); claims are the 'claim' keys of fact blocks in content/blocks/",
        "content/resolutions.yaml:4:11: resolution for claim 'quay-boats' prefers unknown block "
        "'survey-boat' (did you mean 'survey-boats'?); the facts of that claim are: "
        "authority-boats, survey-boats",
        "content/resolutions.yaml:8:11: resolution for claim 'quay-boats' prefers block "
        "'crews-count', which is not a fact of that claim; its facts are: authority-boats, "
        "survey-boats",
        f"content/resolutions.yaml:10:3: resolution for claim 'quay-boats' has neither 'prefer' "
        f"nor 'accept': {both}",
        "content/resolutions.yaml:12:3: resolution for claim 'quay-boats' prefers block "
        "'survey-boats' without a 'note': say in one sentence why that source is preferred "
        "(the brief shows it)",
        f"content/resolutions.yaml:14:3: resolution for claim 'quay-crews' has both 'prefer' and "
        f"'accept': {both}",
        "content/resolutions.yaml:17:3: unknown key 'colour' in resolution 6; allowed keys: "
        "accept, as_of, claim, note, prefer",
        "content/resolutions.yaml:20:11: resolution for claim 'quay-boats' as of 2027 prefers "
        "block 'survey-boats', which is as of 2026: prefer a block of that period",
        "briefsmith: 8 problems; no output was written",
    ]


def test_value_validation_errors(root: Path, cli) -> None:
    fact = """
- id: {id}
  type: fact
  {extra}
  text: "The harbour report says 1,200 boats used the new quay in its first year."
  cites:
    - source: harbour-report
      quote: "1,200 boats used the new quay in its first year"
"""
    cases = [("words", 'claim: quay-boats\n  value: "lots of boats"\n  as_of: "2026"'),
             ("commas", 'claim: quay-boats\n  value: "1,20 boats"\n  as_of: "2026"'),
             ("hedge", 'claim: quay-boats\n  value: {number: 900, qualifier: approx}'),
             ("twice", 'claim: quay-owners\n  value: {set: [Council, council]}'),
             ("no-claim", 'value: "1,200 boats"\n  as_of: "2026"'),
             ("no-value", 'claim: quay-boats\n  as_of: "2026"'),
             ("both", 'claim: quay-boats\n  value: {set: [a], number: 3}')]
    make(root, "".join(fact.format(id=i, extra=e) for i, e in cases), shown=None)
    forms = ('a number with an optional qualifier and unit, e.g. "about 1,200 boats" or '
             "{number: 1200, qualifier: about, unit: boats}, or a set, e.g. "
             "{set: [Poland, Finland]}")
    assert check_lines(root, cli) == [
        f"content/blocks/claims.yaml:5:10: 'value' of block 'words' is 'lots of boats'; write "
        f"{forms}",
        f"content/blocks/claims.yaml:15:10: 'value' of block 'commas' is '1,20 boats'; write "
        f"{forms}",
        "content/blocks/claims.yaml:25:35: 'qualifier' of 'value' of block 'hedge' is 'approx' "
        "(did you mean 'approximately'?); "
        "choose one of: no more than, as much as, as many as, just under, close to, not quite, "
        "nearly, almost, fewer than, less than, up to, under, no fewer than, no less than, "
        "upwards of, in excess of, more than, at least, over, above, exceeding, an estimated, "
        "approximately, estimated, roughly, around, about, some, circa, exactly (or leave it out "
        "for an exact number)",
        "content/blocks/claims.yaml:34:26: 'council' is listed twice in 'set' of 'value' of "
        "block 'twice': remove one",
        "content/blocks/claims.yaml:42:10: block 'no-claim' has a 'value' but no 'claim': add "
        "'claim: <key>' naming what it measures, shared by facts about the same thing",
        "content/blocks/claims.yaml:49:3: block 'no-value' is missing required key 'value': add "
        "the line 'value: ...'",
        "content/blocks/claims.yaml:61:21: unknown key 'number' in 'value' of block 'both'; "
        "allowed keys: set",
        "briefsmith: 7 problems; no output was written",
    ]


UNRESOLVED = ("content/blocks/claims.yaml:3:10: warning: sources differ on claim 'quay-boats' "
              "as of 2026: 'authority-boats' says 1,200 boats; 'survey-boats' says about 900 "
              "boats: prefer one or accept the difference in content/resolutions.yaml (see "
              "`build.py conflicts`)")


@pytest.mark.slow
def test_check_strict_fails_on_an_unresolved_conflict_until_resolved(root: Path, cli) -> None:
    make(root, BOATS)
    run = cli(root, "check", "--strict")
    assert run.code == 1
    assert run.err_lines == [UNRESOLVED, "briefsmith: 1 editorial warning with --strict; "
                                         "no output was written"]
    run = cli(root, "check")  # without --strict it is a warning
    assert run.code == 0 and UNRESOLVED in run.err_lines
    (root / "content/resolutions.yaml").write_text(ACCEPT, encoding="utf-8")
    run = cli(root, "check", "--strict")
    assert run.code == 0, run.err
    assert run.err_lines == []


@pytest.mark.slow
def test_a_resolution_that_settles_nothing_is_a_warning(root: Path, cli) -> None:
    make(root, BOATS.replace("{number: 900, qualifier: about, unit: boats}", '"1,200 boats"'),
         ACCEPT)
    run = cli(root, "check", "--strict")
    assert run.code == 1
    assert run.err_lines[0] == (
        "content/resolutions.yaml:1:3: warning: the resolution for claim 'quay-boats' as of "
        "2026 settles nothing: its facts no longer differ; delete it")


def note_text(html: str) -> str:
    """The words of the output's full "sources differ" note, tags removed."""
    match = re.search(r'<div class="sources-differ" role="note">(.*?)</div>', html, re.S)
    assert match, "no sources-differ note"
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


SIDES = ("Report on the harbour's new quay: 1,200 boats{a} Survey by the fishing co-operative: "
         "about 900 boats{b}")
NOTES = {"parliamentary": (" 4", " 5"), "ngo": (" 4", " 5"),
         "student": (" (Byron, 2026, para. 2)", " (Hansen, 2027, para. 2)")}


@pytest.mark.slow
@pytest.mark.parametrize("resolution, expected", [
    (None, "Sources differ " + SIDES),
    (ACCEPT, "Sources differ " + SIDES + " Editor’s note: The two counts cover different "
             "things: the authority counts every boat that used the quay, the co-operative only "
             "the boats it saw."),
    ('- claim: quay-boats\n  prefer: survey-boats\n  note: "The co-operative counted on the '
     'quay itself."\n',
     "Sources differ · this briefing uses about 900 boats "
     + SIDES.replace("{b}", " (used here){b}")
     + " Editor’s note: The co-operative counted on the quay itself."),
])
def test_note_in_every_audience_html(root: Path, cli, resolution: str | None,
                                     expected: str) -> None:
    make(root, BOATS, resolution)
    run = cli(root, "build", "--format", "html")
    assert run.code == 0, run.err
    for audience, (a, b) in NOTES.items():
        html = (root / f"output/harbour/harbour-{audience}.html").read_text(encoding="utf-8")
        assert note_text(html) == expected.format(a=a, b=b), audience


@pytest.mark.slow
def test_note_in_the_pdf(root: Path, cli) -> None:
    make(root, BOATS)
    run = cli(root, "build", "--audience", "parliamentary", "--format", "pdf")
    assert run.code == 0, run.err
    reader = PdfReader(root / "output/harbour/harbour-parliamentary.pdf")
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Sources differ" in text
    assert "Report on the harbour’s new quay: 1,200 boats" in text.replace("'", "’")
    assert "Survey by the fishing co-operative: about 900 boats" in text
    # the side this brief does not show is cited and listed like any other source
    assert "Fishing Co-operative Survey" in text


@pytest.mark.slow
def test_a_resolution_or_the_other_side_changing_rebuilds_the_brief(root: Path, cli) -> None:
    """The note quotes a block the brief does not list and the resolutions file: both are
    inputs of the output, so a plain build after editing either one renders it again."""
    make(root, BOATS)
    assert cli(root, "build", "--format", "html").code == 0
    page = root / "output/harbour/harbour-ngo.html"
    assert "Editor’s note" not in page.read_text(encoding="utf-8")
    (root / "content/resolutions.yaml").write_text(ACCEPT, encoding="utf-8")
    assert cli(root, "build", "--format", "html").code == 0
    assert "The two counts cover different things" in page.read_text(encoding="utf-8")
    claims = root / "content/blocks/claims.yaml"
    claims.write_text(claims.read_text(encoding="utf-8").replace('value: "1,200 boats"',
                                                                 'value: "1,250 boats"'),
                      encoding="utf-8")
    assert cli(root, "build", "--format", "html").code == 0
    assert "1,250 boats" in page.read_text(encoding="utf-8")


@pytest.mark.slow
def test_later_sides_point_back_to_the_note(root: Path, cli) -> None:
    make(root, BOATS, shown="authority-boats, survey-boats")
    assert cli(root, "build", "--format", "html", "--audience", "parliamentary").code == 0
    html = (root / "output/harbour/harbour-parliamentary.html").read_text(encoding="utf-8")
    assert html.count('<div class="sources-differ" role="note">') == 1
    assert html.count("Sources differ on this point: see the note above.") == 1
    assert html.index("sources-differ\" role") < html.index("see the note above")


def test_a_block_file_that_cannot_be_read_is_the_only_error(sample: Path, cli) -> None:
    """The sample's resolution names a claim of content/blocks/claims.yaml: with that file's
    YAML broken, the one error is the YAML's, not also "unknown claim" for the resolution."""
    blocks = sample / "content" / "blocks" / "claims.yaml"
    assert "ottawa-withdrawing-states" in (sample / "content" / "resolutions.yaml").read_text(
        encoding="utf-8")
    with blocks.open("a", encoding="utf-8") as handle:
        handle.write('  - id: broken\ntext: "unclosed\n')
    lines = check_lines(sample, cli)
    assert lines[-1] == "briefsmith: 1 problem; no output was written", lines
    assert lines[0].startswith("content/blocks/claims.yaml:") and "invalid YAML" in lines[0]
