"""Stage 3, quote verification: the documented normalisation, the paragraph rule and every refusal.

The minimal fixture's source text has these paragraphs (non-blank lines):
  1 Harbour Report
  2 The harbour authority said on Monday that 1,200 boats used the new quay in its first year —
    twice the number it had forecast.
  3 Critics say the quay “was built for tourists, not for fishing crews”, and the council has asked
    for a review.
  4 The review will report in 2027.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from _content_edits import BLOCKS, SOURCE_TEXT, assert_fails, assert_ok, edit, write
from hypothesis import given, settings
from hypothesis import strategies as st

from briefsmith.content.read import load_content
from briefsmith.core.vocabulary import normalise
from briefsmith.evidence.citations import verify_content
from briefsmith.pipeline import load_and_verify

BOATS_QUOTE = "1,200 boats used the new quay in its first year - twice the number it had forecast"
CRITICS_QUOTE = "'Critics say the quay \"was built for tourists, not for fishing crews\"'"
REVIEW_QUOTE = '"the council has asked for a review. The review will report in 2027."'
NOT_IN_SOURCE = "is not in source 'harbour-report' (content/sources/harbour-report.txt)"


def locators(root: Path) -> dict[str, list[str]]:
    content = load_and_verify(root)
    return {bid: [c.locator for c in cites] for bid, cites in content.citations.items()}


def test_fixture_locators(project: Path) -> None:
    assert locators(project) == {
        "boats-first-year": ["para 2"],
        "critics-view": ["para 3"],
        "review-asked": ["paras 3\u20134"],
        "quay-question": [],
    }


def test_verify_content_on_loaded_content(project: Path) -> None:
    citations = verify_content(load_content(project))
    review = citations["review-asked"][0]
    assert (review.first_para, review.last_para, review.locator) == (3, 4, "paras 3\u20134")
    assert review.source.id == "harbour-report"
    assert str(review.origin) == "content/blocks/harbour.yaml:25:14"


@pytest.mark.slow
@pytest.mark.parametrize(("source_old", "source_new", "quote_old", "quote_new"), [
    pytest.param("“was built for tourists, not for fishing crews”",
                 '"was built for tourists, not for fishing crews"',
                 CRITICS_QUOTE,
                 "'Critics say the quay “was built for tourists, not for fishing crews”'",
                 id="curly-quote-in-quote-straight-in-source"),
    pytest.param("Critics say", "Critics\u2019 say", CRITICS_QUOTE,
                 "'Critics'' say the quay \"was built for tourists, not for fishing crews\"'",
                 id="curly-apostrophe-in-source-straight-in-quote"),
    pytest.param("first year — twice", "first year – twice",
                 BOATS_QUOTE, BOATS_QUOTE.replace(" - ", " \u2014 "),
                 id="en-dash-in-source-em-dash-in-quote"),
    pytest.param("first year — twice", "first year \u2212 twice",
                 BOATS_QUOTE, BOATS_QUOTE, id="minus-sign-in-source-hyphen-in-quote"),
    pytest.param("1,200 boats", "1,200\u00a0boats", BOATS_QUOTE, BOATS_QUOTE,
                 id="nfkc-non-breaking-space"),
    pytest.param("fishing crews", "\ufb01shing crews", CRITICS_QUOTE, CRITICS_QUOTE,
                 id="nfkc-fi-ligature"),
    pytest.param("used the new quay", "used  the\tnew   quay", BOATS_QUOTE, BOATS_QUOTE,
                 id="runs-of-spaces-in-source"),
])
def test_normalisation_rule_verifies(project: Path, cli, source_old: str, source_new: str,
                                     quote_old: str, quote_new: str) -> None:
    edit(project, SOURCE_TEXT, source_old, source_new)
    if quote_new != quote_old:
        edit(project, BLOCKS, quote_old, quote_new)
    assert_ok(cli(project, "check"), project)
    assert locators(project)["boats-first-year"] == ["para 2"]
    assert locators(project)["critics-view"] == ["para 3"]


@pytest.mark.slow
@pytest.mark.parametrize("scalar", [
    pytest.param(">-\n        1,200 boats used the new quay\n        in its first year -\n"
                 "        twice the number it had forecast", id="folded-block"),
    pytest.param("|\n        1,200 boats used the new quay\n        in its first year  -  twice\n"
                 "        the number it had forecast\n", id="literal-block-with-line-breaks"),
    pytest.param('"1,200 boats used the new quay\n        in its first year - twice the number it '
                 'had forecast"', id="wrapped-double-quoted"),
])
def test_line_wraps_and_spaces_in_the_quote_verify(project: Path, cli, scalar: str) -> None:
    edit(project, BLOCKS, f'"{BOATS_QUOTE}"', scalar)
    assert_ok(cli(project, "check"), project)
    assert locators(project)["boats-first-year"] == ["para 2"]


def test_normalise_is_the_documented_rule() -> None:
    assert normalise("  \u201cA\u201d \u2018b\u2019\u2013c\u2014d\u2212e\u00a0f\n\n g\ufb01 ") == (
        "\"A\" 'b'-c-d-e f gfi")


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(
    "ab \t\n\r\x0b\x0c\x1c\x85\u00a0\u2002\u2028\u3000\u2018\u2019\u201c\u201d\u00ab\u00bb"
    "\u2010\u2013\u2014\u2212\u2032\u2033\ufb01\u00bd\u00e9e\u0301"), max_size=40))
def test_normalise_is_the_rule_as_first_written(text: str) -> None:
    """The fast `normalise` gives what its plain definition gives: NFKC, the character table,
    every run of whitespace one space, no space at either end."""
    from briefsmith.core.vocabulary import _TRANSLATE

    plain = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).translate(_TRANSLATE))
    assert normalise(text) == plain.strip()


def test_changed_word_names_block_source_and_closest_passage(project: Path, cli) -> None:
    edit(project, BLOCKS, "not for fishing crews", "not for fishing boats")
    run = cli(project, "check")
    assert_fails(run, project,
                 f"content/blocks/harbour.yaml:17:14: quote in block 'critics-view' {NOT_IN_SOURCE}"
                 "; closest passage (para 3, 93% alike): \"Critics say the quay \"was built for "
                 "tourists, not for fishing crews\",\" - copy the passage exactly")


def test_changed_case_is_not_the_same_quote(project: Path, cli) -> None:
    edit(project, BLOCKS, "quote: \"the council has", "quote: \"The council has")
    run = cli(project, "check")
    assert_fails(run, project,
                 f"content/blocks/harbour.yaml:25:14: quote in block 'review-asked' {NOT_IN_SOURCE}"
                 "; closest passage (paras 3\u20134, 99% alike): \"the council has asked for a "
                 "review. The review will report in 2027.\" - copy the passage exactly")


@pytest.mark.parametrize(("quote", "closest"), [
    # Found as a substring, but "200 boats" misstates "1,200 boats": not a verified quote.
    pytest.param("200 boats used the new quay", '(para 2, 96% alike): "1,200 boats used the new '
                 'quay"', id="number-cut-at-thousands-separator"),
    pytest.param("arbour authority said on Monday", '(para 2, 98% alike): "harbour authority '
                 'said on Monday"', id="starts-mid-word"),
    pytest.param("Critics say the qua", '(para 3, 97% alike): "Critics say the quay"',
                 id="ends-mid-word"),
])
def test_quote_must_be_whole_words(project: Path, cli, quote: str, closest: str) -> None:
    edit(project, BLOCKS, f'"{BOATS_QUOTE}"', f'"{quote}"')
    run = cli(project, "check")
    assert_fails(run, project,
                 f"content/blocks/harbour.yaml:8:14: quote in block 'boats-first-year' "
                 f"{NOT_IN_SOURCE}; closest passage {closest} - copy the passage exactly")


def test_quote_spanning_two_paragraphs_gets_both(project: Path) -> None:
    content = load_and_verify(project)
    assert content.citations["review-asked"][0].locator == "paras 3\u20134"
    assert content.citations["boats-first-year"][0].locator == "para 2"


def test_blank_lines_are_not_counted_and_headings_are(project: Path) -> None:
    text = (project / SOURCE_TEXT).read_text(encoding="utf-8")
    first, rest = text.split("\n", 1)
    write(project, SOURCE_TEXT,
          "\n\n" + first + "\n   \n\t\nBy our harbour reporter\n\n\n" + rest.replace("\n", "\n\n"))
    assert locators(project) == {
        "boats-first-year": ["para 3"],
        "critics-view": ["para 4"],
        "review-asked": ["paras 4\u20135"],
        "quay-question": [],
    }


def test_windows_line_endings_count_the_same(project: Path) -> None:
    path = project / SOURCE_TEXT
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert locators(project)["review-asked"] == ["paras 3\u20134"]


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x0c", "\x85", "\x1e"])
def test_only_line_breaks_end_a_paragraph(project: Path, separator: str) -> None:
    # A text editor shows these inside one line; splitting there would shift every later number.
    edit(project, SOURCE_TEXT, "said on Monday that", f"said on Monday{separator}that")
    assert locators(project) == {
        "boats-first-year": ["para 2"],
        "critics-view": ["para 3"],
        "review-asked": ["paras 3\u20134"],
        "quay-question": [],
    }


def test_ambiguous_quote_names_both_paragraphs(project: Path, cli) -> None:
    write(project, SOURCE_TEXT, (project / SOURCE_TEXT).read_text(encoding="utf-8")
          + "\nThe review will report in 2027.\n")
    edit(project, BLOCKS, REVIEW_QUOTE, '"The review will report in 2027."')
    run = cli(project, "check")
    assert_fails(run, project,
                 "content/blocks/harbour.yaml:25:14: quote in block 'review-asked' occurs 2 times "
                 "in source 'harbour-report' (paras 4, 5): quote a longer passage so the pinpoint "
                 "is unambiguous")


def test_longer_passage_makes_a_repeated_sentence_unambiguous(project: Path, cli) -> None:
    write(project, SOURCE_TEXT, (project / SOURCE_TEXT).read_text(encoding="utf-8")
          + "\nThe review will report in 2027.\n")
    assert_ok(cli(project, "check"), project)
    assert locators(project)["review-asked"] == ["paras 3\u20134"]


@pytest.mark.parametrize(("quote", "count"), [("the council", 2), ("council", 1)])
def test_too_short_quote(project: Path, cli, quote: str, count: int) -> None:
    edit(project, BLOCKS, REVIEW_QUOTE, f'"{quote}"')
    run = cli(project, "check")
    assert_fails(run, project,
                 f"content/blocks/harbour.yaml:25:14: quote in block 'review-asked' is too short "
                 f"({count} word(s)); quote at least 3 words so the passage can be found and "
                 "pinpointed")


@pytest.mark.slow
def test_three_words_are_enough(project: Path, cli) -> None:
    edit(project, BLOCKS, REVIEW_QUOTE, '"council has asked"')
    assert_ok(cli(project, "check"), project, editorial=True)
    assert locators(project)["review-asked"] == ["para 3"]


@pytest.mark.parametrize(("written", "shown"), [
    pytest.param("\u200b", "the invisible character U+200B (ZERO WIDTH SPACE)", id="zero-width"),
    pytest.param("\u202e", "the invisible character U+202E (RIGHT-TO-LEFT OVERRIDE)",
                 id="bidi-override"),
    pytest.param("\u2066", "the invisible character U+2066 (LEFT-TO-RIGHT ISOLATE)",
                 id="bidi-isolate"),
    pytest.param("\ufeff", "the invisible character U+FEFF (ZERO WIDTH NO-BREAK SPACE)",
                 id="bom-inside"),
    pytest.param("\u00ad", "the invisible character U+00AD (SOFT HYPHEN)", id="soft-hyphen"),
    pytest.param("\\a", "the control character U+0007", id="bell-escape"),
    pytest.param("\\x1b", "the control character U+001B", id="escape-escape"),
])
def test_hidden_character_in_quote_is_refused_and_shown(project: Path, cli, written: str,
                                                        shown: str) -> None:
    edit(project, BLOCKS, REVIEW_QUOTE, f'"the council{written} has asked for a review."')
    run = cli(project, "check")
    assert_fails(run, project,
                 f"content/blocks/harbour.yaml:25:14: quote in block 'review-asked' contains "
                 f"{shown}: delete it and retype the passage")


def test_hidden_character_in_words_is_refused(project: Path, cli) -> None:
    edit(project, BLOCKS, '  type: question\n  text: "Who should a public quay serve first?"\n',
         '  type: quote\n  speaker: "Critics"\n  words: "built for\u200b tourists"\n  cites:\n'
         f"    - source: harbour-report\n      quote: {CRITICS_QUOTE}\n")
    run = cli(project, "check")
    assert_fails(run, project,
                 "content/blocks/harbour.yaml:30:10: 'words' of block 'quay-question' contains the "
                 "invisible character U+200B (ZERO WIDTH SPACE): delete it")


@pytest.mark.parametrize(("words", "ok"), [
    ("was built for tourists", True),
    ("“was built for tourists, not for fishing crews”", True),  # normalised like the quote
    ("built for fishing crews", False),  # "not for fishing crews" in the source
    ("was built for visitors", False),
])
def test_quote_block_words_must_be_inside_its_cited_quote(project: Path, cli, words: str,
                                                          ok: bool) -> None:
    edit(project, BLOCKS, '  type: question\n  text: "Who should a public quay serve first?"\n',
         f'  type: quote\n  speaker: "Critics"\n  words: "{words}"\n  cites:\n'
         f"    - source: harbour-report\n      quote: {CRITICS_QUOTE}\n")
    run = cli(project, "check")
    if ok:
        assert_ok(run, project, editorial=True)
        return
    assert_fails(run, project,
                 "content/blocks/harbour.yaml:30:10: the 'words' of quote block 'quay-question' "
                 "are not inside any of its cited quotes: cite the passage that contains them "
                 "word for word")


def test_every_failing_quote_is_listed(project: Path, cli) -> None:
    edit(project, BLOCKS, "twice the number it had forecast", "three times the forecast")
    edit(project, BLOCKS, "not for fishing crews", "not for the fishing crews")
    run = cli(project, "check")
    assert run.code == 1
    assert [line.split(": quote in block ")[0] for line in run.err_lines[:-1]] == [
        "content/blocks/harbour.yaml:8:14", "content/blocks/harbour.yaml:17:14"]
    assert run.err_lines[-1] == "briefsmith: 2 problems; no output was written"


# --- The product requirement, on the real sample content ----------------------------------

SAMPLE_BLOCK_FILE = "content/blocks/global-south.yaml"
SAMPLE_QUOTE = ("Countries like Mozambique, Angola, Cambodia, and Nicaragua have had vast swaths "
                "of land rendered unusable due to decades of war and indiscriminate landmine "
                "deployment.")


def test_one_changed_word_in_the_real_sample_is_caught(sample: Path, cli) -> None:
    block_file = (sample / SAMPLE_BLOCK_FILE).read_text(encoding="utf-8")
    line_no, line = next((n, text) for n, text in enumerate(block_file.splitlines(), 1)
                         if SAMPLE_QUOTE in text)
    col = line.index('"') + 1
    # The paragraph holding the passage, counted by the documented rule (non-blank lines).
    paragraphs = [p for p in (sample / "content/sources/ottawa-global-south.txt")
                  .read_text(encoding="utf-8").split("\n") if p.strip()]
    para = next(n for n, text in enumerate(paragraphs, 1) if SAMPLE_QUOTE in text)

    edit(sample, SAMPLE_BLOCK_FILE, SAMPLE_QUOTE, SAMPLE_QUOTE.replace("vast", "huge"))
    run = cli(sample, "check")

    assert run.code == 1
    problems = run.err_lines
    assert problems[-1] == "briefsmith: 1 problem; no output was written"
    assert len(problems) == 2
    assert re.fullmatch(
        rf"{SAMPLE_BLOCK_FILE}:{line_no}:{col}: quote in block 'gs-mined-land' is not in source "
        r"'ottawa-global-south' \(content/sources/ottawa-global-south\.txt\); closest passage "
        rf"\(para {para}, 9\d% alike\): \"{re.escape(SAMPLE_QUOTE)}\" - copy the passage exactly",
        problems[0],
    ), problems[0]
    assert not (sample / "output").exists()
