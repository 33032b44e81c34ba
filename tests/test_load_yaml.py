"""Stage 1, the strict YAML loader: every surprise YAML 1.1 would hide is one exact error line.

Each test writes one bad input into a copy of the minimal project and runs the real `check`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _content_edits import BLOCKS, BRIEF, SOURCE_TEXT, assert_fails, assert_ok, edit, write

from briefsmith.content.load import load_yaml
from briefsmith.pipeline import load_and_verify

YES_NO = ("would be read as a yes/no value by YAML 1.1: write true or false, or put the text "
          "in quotes")


def test_duplicate_key_names_both_lines(project: Path, cli) -> None:
    write(project, BRIEF, (project / BRIEF).read_text() + 'title: "Another title"\n')
    run = cli(project, "check")
    assert_fails(run, project,
                 "briefs/harbour.yaml:15:1: duplicate key 'title' (first at line 1): keep only one")


def test_duplicate_key_inside_a_block(project: Path, cli) -> None:
    edit(project, BLOCKS, '  figure: "1,200 boats"\n', '  figure: "1,200 boats"\n  text: "Again"\n')
    run = cli(project, "check")
    assert_fails(run, project,
                 "content/blocks/harbour.yaml:5:3: duplicate key 'text' (first at line 3): "
                 "keep only one")


def test_anchor_is_refused(project: Path, cli) -> None:
    edit(project, BLOCKS, 'figure: "1,200 boats"', 'figure: &fig "1,200 boats"')
    run = cli(project, "check")
    assert_fails(run, project, "content/blocks/harbour.yaml:4:11: anchors (&name) are not "
                               "allowed: write each value out")


def test_alias_is_refused(project: Path, cli) -> None:
    edit(project, BLOCKS, 'figure: "1,200 boats"', "figure: *fig")
    run = cli(project, "check")
    assert_fails(run, project, "content/blocks/harbour.yaml:4:11: aliases (*name) are not "
                               "allowed: write the value out")


@pytest.mark.parametrize("tag", ["!!str", "!!int", "!!binary", "!local"])
def test_explicit_tag_is_refused_as_written(project: Path, cli, tag: str) -> None:
    edit(project, BLOCKS, 'figure: "1,200 boats"', f'figure: {tag} "1,200 boats"')
    run = cli(project, "check")
    assert_fails(run, project, f"content/blocks/harbour.yaml:4:11: tags ({tag}) are not "
                               "allowed: remove the tag")


def test_merge_key_is_refused(project: Path, cli) -> None:
    edit(project, BLOCKS, "  type: question\n", '  type: question\n  <<: {title: "Merged"}\n')
    run = cli(project, "check")
    assert_fails(run, project, "content/blocks/harbour.yaml:29:3: merge keys (<<) are not "
                               "allowed: write each key out")


@pytest.mark.parametrize("word", ["no", "yes", "on", "off", "Y", "n", "No", "OFF"])
def test_yaml11_boolean_unquoted_is_an_error(project: Path, cli, word: str) -> None:
    edit(project, BLOCKS, "  type: fact\n", f"  type: fact\n  title: {word}\n")
    run = cli(project, "check")
    assert_fails(run, project, f"content/blocks/harbour.yaml:3:10: '{word}' {YES_NO}")


@pytest.mark.parametrize("word", ["no", "yes", "on", "off", "Y"])
@pytest.mark.parametrize("quote", ['"', "'"])
def test_yaml11_boolean_quoted_is_text(project: Path, cli, word: str, quote: str) -> None:
    edit(project, BLOCKS, "  type: fact\n", f"  type: fact\n  title: {quote}{word}{quote}\n")
    assert_ok(cli(project, "check"), project)
    assert load_and_verify(project).blocks["boats-first-year"].title == word


def test_every_yes_no_value_in_a_file_is_listed(project: Path, cli) -> None:
    edit(project, BRIEF, 'subtitle: "A fixture brief"\n', "subtitle: yes\nabout: off\n")
    run = cli(project, "check")
    assert_fails(run, project,
                 f"briefs/harbour.yaml:2:11: 'yes' {YES_NO}",
                 f"briefs/harbour.yaml:3:8: 'off' {YES_NO}")


def test_space_hash_would_cut_an_unquoted_value(project: Path, cli) -> None:
    edit(project, BLOCKS, 'figure: "1,200 boats"', "figure: 1,200 boats #approx")
    run = cli(project, "check")
    assert_fails(run, project,
                 "content/blocks/harbour.yaml:4:11: a ' #' after an unquoted value starts a YAML "
                 "comment and cuts the text: put the value in quotes")


def test_hash_inside_quotes_or_words_is_kept(project: Path, cli) -> None:
    edit(project, BLOCKS, 'figure: "1,200 boats"', 'figure: "1,200 boats #approx"')
    edit(project, BLOCKS, 'as_of: "2026"', "as_of: 2026\n  title: Boats#1")
    assert_ok(cli(project, "check"), project)
    block = load_and_verify(project).blocks["boats-first-year"]
    assert (block.figure, block.title, block.as_of) == ("1,200 boats #approx", "Boats#1", "2026")


def test_comment_after_plain_value_is_refused_but_comment_lines_are_fine(project: Path,
                                                                         cli) -> None:
    edit(project, BLOCKS, "- id: critics-view\n", "# The critics\n- id: critics-view  # ok\n")
    run = cli(project, "check")
    # A comment after a plain id would cut nothing, but the rule is simple: quote or drop it.
    assert_fails(run, project,
                 "content/blocks/harbour.yaml:11:7: a ' #' after an unquoted value starts a YAML "
                 "comment and cuts the text: put the value in quotes")
    edit(project, BLOCKS, "- id: critics-view  # ok\n", "- id: critics-view\n")
    assert_ok(cli(project, "check"), project)


def test_plain_values_stay_exactly_as_written(project: Path) -> None:
    write(project, "scratch.yaml",
          "time: 1:20\noctal: 010\ndate: 2023-01-01\nfloat: 1e3\nhex: 0x1F\nsep: 1_000\n"
          "decimal: 12.50\ninf: .inf\nint: 12\nneg: -3\nyes_word: true\nno_word: False\n"
          "nothing: null\ntilde: ~\nempty:\n")
    data = load_yaml(project / "scratch.yaml", project)
    assert dict(data) == {
        "time": "1:20", "octal": "010", "date": "2023-01-01", "float": "1e3", "hex": "0x1F",
        "sep": "1_000", "decimal": "12.50", "inf": ".inf", "int": 12, "neg": -3,
        "yes_word": True, "no_word": False, "nothing": None, "tilde": None, "empty": None,
    }


def test_unquoted_dates_and_times_reach_the_brief_unchanged(project: Path, cli) -> None:
    edit(project, BLOCKS, 'figure: "1,200 boats"', "figure: 1:20")
    edit(project, BLOCKS, 'as_of: "2026"', "as_of: 2026-03-02")
    edit(project, BRIEF, 'date: "2026-11-23"', "date: 2026-11-23")
    assert_ok(cli(project, "check"), project, editorial=True)
    content = load_and_verify(project)
    block = content.blocks["boats-first-year"]
    assert (block.figure, block.as_of) == ("1:20", "2026-03-02")
    assert content.briefs["harbour"].date == "2026-11-23"


def test_invalid_utf8_names_line_and_column(project: Path, cli) -> None:
    path = project / BRIEF
    path.write_bytes(path.read_bytes().replace(b"A fixture brief", b"A caf\xe9 brief"))
    run = cli(project, "check")
    assert_fails(run, project,
                 "briefs/harbour.yaml:2:17: byte 0xE9 is not valid UTF-8: save the file as UTF-8 "
                 "(in most editors: Save As, Encoding: UTF-8)")


def test_invalid_utf8_in_a_source_text(project: Path, cli) -> None:
    path = project / SOURCE_TEXT
    path.write_bytes(path.read_bytes().replace(b"in 2027", b"in \x93 2027"))
    run = cli(project, "check")
    assert_fails(run, project,
                 "content/sources/harbour-report.txt:5:27: byte 0x93 is not valid UTF-8: save the "
                 "file as UTF-8 (in most editors: Save As, Encoding: UTF-8)")


def test_byte_order_mark_is_accepted(project: Path, cli) -> None:
    for rel in (BRIEF, BLOCKS):
        path = project / rel
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert_ok(cli(project, "check"), project)
    assert load_and_verify(project).briefs["harbour"].title == "The new quay"


def test_byte_order_mark_does_not_shift_columns(project: Path, cli) -> None:
    path = project / BRIEF
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b'"The new quay"', b"no"))
    run = cli(project, "check")
    assert_fails(run, project, f"briefs/harbour.yaml:1:8: 'no' {YES_NO}")


@pytest.mark.parametrize(("old", "new", "line"), [
    pytest.param('subtitle: "A fixture brief"', "subtitle: Harbour: the new quay",
                 "briefs/harbour.yaml:2:18: invalid YAML: a ':' here starts a new key: put a "
                 "value that contains ': ' in quotes, or fix the indentation", id="colon-in-value"),
    pytest.param('  - id: views', "\t- id: views",
                 "briefs/harbour.yaml:12:1: invalid YAML: a tab is not allowed here: use spaces",
                 id="tab"),
    pytest.param('    title: "Views"', '    title: "Views',
                 "briefs/harbour.yaml:13:12: invalid YAML: this quoted value is never closed: "
                 "add the closing quote", id="unclosed-quote"),
    pytest.param("keywords: [harbour, quay]", "keywords: [harbour, quay",
                 "briefs/harbour.yaml:7:8: invalid YAML: expected ',' or ']', but found ':' "
                 "(in the [...] list that starts at line 6): check the quotes and indentation "
                 "here and on the lines above", id="unclosed-list"),
    pytest.param("author: \"Test Library\"", "author: @library",
                 "briefs/harbour.yaml:5:9: invalid YAML: an unquoted value cannot start with '@': "
                 "put the value in quotes", id="reserved-character"),
    pytest.param("    title: \"Facts\"", "   title: \"Facts\"",
                 "briefs/harbour.yaml:10:4: invalid YAML: a new key is not expected here (in the "
                 "list that starts at line 9): check the quotes and indentation here and on the "
                 "lines above", id="bad-indentation"),
    pytest.param('subtitle: "A fixture brief"', 'subtitle: "A fixture brief',
                 "briefs/harbour.yaml:2:11: invalid YAML: the quoted value that starts here is not "
                 "closed on its line (the file stops making sense at line 3): add the closing \", "
                 "or write a long value as a >- block", id="quote-closed-on-the-next-line"),
])
def test_yaml_syntax_error_names_line_and_column(project: Path, cli, old: str, new: str,
                                                 line: str) -> None:
    edit(project, BRIEF, old, new)
    assert_fails(cli(project, "check"), project, line)


def test_control_character_is_one_line_not_a_crash(project: Path, cli) -> None:
    edit(project, BRIEF, 'author: "Test Library"', 'author: "Test\x07Library"')
    run = cli(project, "check")
    assert_fails(run, project, "briefs/harbour.yaml:5:14: invalid YAML: the control character "
                               "U+0007 is not allowed in a YAML file: delete it")


@pytest.mark.parametrize("text", ["- title: The new quay\n", "The new quay\n"])
def test_brief_file_must_be_a_mapping(project: Path, cli, text: str) -> None:
    write(project, BRIEF, text)
    run = cli(project, "check")
    assert_fails(run, project,
                 "briefs/harbour.yaml:1:1: a brief file must be a mapping of key: value lines")


@pytest.mark.parametrize("text", ["", "# empty\n"])
def test_empty_brief_file_says_it_is_empty(project: Path, cli, text: str) -> None:
    write(project, BRIEF, text)
    run = cli(project, "check")
    assert_fails(run, project,
                 "briefs/harbour.yaml:1:1: the file is empty: a brief file must be a mapping of "
                 "key: value lines; write its title, date, audiences and sections, or delete the "
                 "file")


def test_block_file_must_be_a_list(project: Path, cli) -> None:
    write(project, "content/blocks/extra.yaml", "id: extra\ntype: question\ntext: Why?\n")
    run = cli(project, "check")
    assert_fails(run, project, "content/blocks/extra.yaml:1:1: a block file must be a YAML list "
                               "of blocks ('- id: ...')")


@pytest.mark.parametrize("text", ["", "\n\n", "# Blocks will go here.\n", "\ufeff"])
def test_empty_block_file_is_a_warning(project: Path, cli, text: str) -> None:
    write(project, "content/blocks/empty.yaml", text)
    run = cli(project, "check")
    assert run.code == 0
    assert run.err_lines == ["content/blocks/empty.yaml: warning: the file is empty: add content "
                             "or delete it"]
    assert run.out == "ok: 1 briefs, 4 blocks, 1 sources, 3 quotes verified\n"


def test_merge_conflict_markers_are_named_at_their_line(project: Path, cli) -> None:
    """Git's markers make YAML fail a line or two later with "could not find expected ':'";
    the user needs to hear what they are."""
    edit(project, BLOCKS, "- id: critics-view", "<<<<<<< HEAD\n- id: critics-view")
    edit(project, BLOCKS, "- id: review-asked", "=======\n>>>>>>> theirs\n- id: review-asked")
    assert_fails(cli(project, "check"), project,
                 "content/blocks/harbour.yaml:10:1: a merge conflict is left in this file (git's "
                 "'<<<<<<<', '=======' and '>>>>>>>' lines): keep the lines you want, then "
                 "delete the marker lines")


def test_an_unclosed_quote_is_named_where_it_opens_not_lines_later(project: Path, cli) -> None:
    edit(project, BLOCKS, 'text: "Critics say the quay was built for tourists rather than '
                          'fishing crews."',
         'text: "Critics say the quay was built for tourists rather than fishing crews.')
    assert_fails(cli(project, "check"), project,
                 "content/blocks/harbour.yaml:14:9: invalid YAML: the quoted value that starts "
                 "here is not closed on its line (the file stops making sense at line 17): add "
                 "the closing \", or write a long value as a >- block")
