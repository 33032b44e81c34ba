"""Perspectives and `build.py balance`: the declared list, viewpoints on sources and blocks, and
the counts per brief and audience (first-hand and second-hand), on a copied fixture project."""

from __future__ import annotations

import json
from pathlib import Path

from _content_edits import BLOCKS, SOURCE, assert_fails, assert_ok, edit, write
from _perspectives import AUTHORITY, with_perspectives

DECLARED = ("the perspectives are declared in briefsmith.yaml (line 1): local-news, critics, "
            "authority")


def test_declared_viewpoints_pass(project: Path, cli) -> None:
    with_perspectives(project)
    assert_ok(cli(project, "check"), project)


def test_unknown_viewpoint_of_a_source_with_did_you_mean(project: Path, cli) -> None:
    with_perspectives(project)
    edit(project, SOURCE, "viewpoint: local-news", "viewpoint: local-new")
    assert_fails(cli(project, "check"), project,
                 "content/sources/harbour-report.yaml:4:12: unknown viewpoint 'local-new' in "
                 f"source 'harbour-report' (did you mean 'local-news'?); {DECLARED}")


def test_unknown_viewpoint_of_a_block(project: Path, cli) -> None:
    with_perspectives(project)
    edit(project, BLOCKS, "viewpoint: critics", "viewpoint: critic")
    assert_fails(cli(project, "check"), project,
                 "content/blocks/harbour.yaml:13:14: unknown viewpoint 'critic' in block "
                 f"'critics-view' (did you mean 'critics'?); {DECLARED}")


def test_a_declared_list_needs_every_source_to_name_one(project: Path, cli) -> None:
    with_perspectives(project)
    edit(project, AUTHORITY + ".yaml", "viewpoint: authority\n", "")
    assert_fails(cli(project, "check"), project,
                 "content/sources/authority-statement.yaml:1:1: source 'authority-statement' "
                 "has no 'viewpoint': briefsmith.yaml declares the project's perspectives "
                 "(line 1), so every source names the one it is written from; add "
                 "'viewpoint: <id>' (one of: local-news, critics, authority)")


def test_a_block_citing_two_perspectives_must_name_its_own(project: Path, cli) -> None:
    with_perspectives(project)
    edit(project, BLOCKS, "      quote: \"the new quay serves the whole town\"\n",
         "      quote: \"the new quay serves the whole town\"\n"
         "    - source: harbour-report\n      quote: \"used the new quay in its first year\"\n")
    assert_fails(cli(project, "check"), project,
                 "content/blocks/harbour.yaml:32:3: position block 'authority-proud' cites "
                 "sources written from different perspectives (authority, local-news) and "
                 "names none of its own: add 'viewpoint: <id>' for the perspective it voices")


def test_viewpoint_belongs_to_positions_and_quotes_only(project: Path, cli) -> None:
    edit(project, BLOCKS, '  figure: "1,200 boats"\n', '  figure: "1,200 boats"\n'
                                                     "  viewpoint: local-news\n")
    run = cli(project, "check")
    assert run.code == 1
    first = run.err_lines[0]
    assert first.startswith("content/blocks/harbour.yaml:5:3: unknown key 'viewpoint' in block "
                            "'boats-first-year'; allowed keys: as_of, ")
    assert "viewpoint" not in first.split("allowed keys: ")[1]


def test_bad_perspective_list_in_briefsmith_yaml(project: Path, cli) -> None:
    write(project, "briefsmith.yaml", 'perspectives:\n  Local_News: "Local news"\n'
                                      '  critics: ""\n')
    assert_fails(cli(project, "check"), project,
                 "briefsmith.yaml:2:3: perspective id 'Local_News' in briefsmith.yaml must use "
                 "lowercase letters, digits and single hyphens (e.g. 'humanitarian')",
                 "briefsmith.yaml:3:12: 'critics' of 'perspectives' in briefsmith.yaml is "
                 "empty: give it a value")


def test_without_a_declared_list_any_viewpoint_id_is_accepted(project: Path, cli) -> None:
    edit(project, SOURCE, "kind: news\n", "kind: news\nviewpoint: whatever-we-like\n")
    assert_ok(cli(project, "check"), project)
    run = cli(project, "balance", "--format", "json")
    row = json.loads(run.out)["briefs"][0]["perspectives"][0]
    assert row == {"id": "whatever-we-like", "label": "whatever-we-like", "blocks": 1,
                   "words": 12, "first_hand": 1, "second_hand": 0, "through": []}


EXPECTED_TEXT = """\
harbour (parliamentary): 2 position and quote blocks
  perspective  blocks  words  first-hand  second-hand  label
  critics           1     12           0            1  Critics of the quay
  authority         1      9           1            0  The harbour authority
  only second-hand: critics (through local-news)
  reading level: grade 4.4, Flesch-Kincaid, editor's prose, 50 words; hardest: authority-proud \
6.3, critics-view 5.8, boats-first-year 3.8
"""


def test_balance_text_per_brief_and_audience(project: Path, cli) -> None:
    with_perspectives(project)
    run = cli(project, "balance")
    assert run.code == 0, run.err
    tables = run.out.split("\n\n")
    assert [t.splitlines()[0] for t in tables] == [
        "harbour (parliamentary): 2 position and quote blocks",
        "harbour (ngo): 2 position and quote blocks",
        "harbour (student): 2 position and quote blocks"]
    # the repository's parliamentary contract asks for two perspectives per section
    assert tables[0] + "\n" == EXPECTED_TEXT.replace(
        "  reading level", "  sections with fewer than 2 perspectives: none\n  reading level")
    assert tables[2].endswith("reading level: grade 4.4 (budget 11), Flesch-Kincaid, editor's "
                              "prose, 50 words; hardest: authority-proud 6.3, critics-view 5.8, "
                              "boats-first-year 3.8\n")


def test_balance_follows_the_audience_selection(project: Path, cli) -> None:
    """A block not meant for an audience is not counted for it, as the build leaves it out."""
    with_perspectives(project)
    edit(project, BLOCKS, '  actor: "Critics"\n', '  actor: "Critics"\n  audiences: [ngo]\n')
    run = cli(project, "balance", "harbour", "--format", "json")
    assert run.code == 0, run.err
    counts = {(r["audience"], p["id"]): p["blocks"] for r in json.loads(run.out)["briefs"]
              for p in r["perspectives"]}
    assert counts == {("parliamentary", "authority"): 1, ("ngo", "critics"): 1,
                      ("ngo", "authority"): 1, ("student", "authority"): 1}


def test_balance_json(project: Path, cli) -> None:
    with_perspectives(project)
    run = cli(project, "balance", "--format", "json")
    assert run.code == 0, run.err
    first = json.loads(run.out)["briefs"][0]
    assert first["brief"] == "harbour" and first["audience"] == "parliamentary"
    assert first["perspectives"] == [
        {"id": "critics", "label": "Critics of the quay", "blocks": 1, "words": 12,
         "first_hand": 0, "second_hand": 1, "through": ["local-news"]},
        {"id": "authority", "label": "The harbour authority", "blocks": 1, "words": 9,
         "first_hand": 1, "second_hand": 0, "through": []}]
    assert first["second_hand_only"] == ["critics"]
    assert first["sections"][1] == {"id": "views", "title": "Views",
                                    "perspectives": ["critics", "authority"],
                                    "balance_note": False}
    assert first["reading_level"]["hardest"][0] == {"block": "authority-proud", "grade": 6.3,
                                                    "words": 9}


def test_balance_of_an_unknown_brief(project: Path, cli) -> None:
    run = cli(project, "balance", "harbor")
    assert run.code == 1
    assert run.err_lines[0] == "no brief 'harbor': briefs are harbour (files in briefs/)"
