"""Group 1: YAML tricks in content files. Each is refused with one line naming the place, fast,
with nothing written and the last good outputs untouched."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from .hostile_support import BLOCKS, EXTRA_BLOCKS, digest, edit, problem_lines, write

BILLION_LAUGHS = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{c}: &{c} [{','.join(['*' + p] * 9)}]" for p, c in zip("abcdefgh", "bcdefghi",
                                                                 strict=True)]) + "\n"

CRITICS_TEXT = '  text: "Critics say the quay was built for tourists rather than fishing crews."'
CRITICS_STANCE = "  stance: \"against the quay's design\""
CRITICS_QUOTE = ("      quote: 'Critics say the quay \"was built for tourists, not for fishing "
                 "crews\"'")


def _build(cli, root: Path):
    before = digest(root / "output")
    started = time.perf_counter()
    run = cli(root, "build", "--audience", "ngo", "--format", "html")
    seconds = time.perf_counter() - started
    assert run.code == 1, run.err
    assert digest(root / "output") == before
    return run, seconds


def test_billion_laughs_alias_bomb_is_refused_at_the_first_anchor(hproject: Path, cli) -> None:
    write(hproject, EXTRA_BLOCKS, BILLION_LAUGHS)
    run, seconds = _build(cli, hproject)
    assert problem_lines(run.err_lines) == [
        f"{EXTRA_BLOCKS}:1:4: anchors (&name) are not allowed: write each value out"]
    assert seconds < 5


def test_alias_without_anchor_is_refused(hproject: Path, cli) -> None:
    edit(hproject, BLOCKS, CRITICS_TEXT, "  text: *critics")
    run, _ = _build(cli, hproject)
    assert problem_lines(run.err_lines) == [
        f"{BLOCKS}:14:9: aliases (*name) are not allowed: write the value out"]


def test_merge_key_is_refused(hproject: Path, cli) -> None:
    edit(hproject, BLOCKS, CRITICS_STANCE, CRITICS_STANCE + "\n  <<: {text: \"smuggled\"}")
    run, _ = _build(cli, hproject)
    assert problem_lines(run.err_lines) == [
        f"{BLOCKS}:14:3: merge keys (<<) are not allowed: write each key out"]


def test_python_object_tag_is_refused_and_never_constructed(hproject: Path, cli,
                                                            tmp_path: Path) -> None:
    pwned = tmp_path / "pwned"
    write(hproject, EXTRA_BLOCKS,
          f'- id: tagged\n  type: !!python/object/apply:os.system ["touch {pwned}"]\n'
          '  text: "x"\n')
    run, _ = _build(cli, hproject)
    assert problem_lines(run.err_lines) == [
        f"{EXTRA_BLOCKS}:2:9: tags (!!python/object/apply:os.system) are not allowed: "
        "remove the tag"]
    assert not pwned.exists()


def test_file_over_two_megabytes_is_refused_before_parsing(hproject: Path, cli) -> None:
    body = "- id: huge\n  type: context\n  text: \"" + "a" * 2_100_000 + "\"\n"
    write(hproject, EXTRA_BLOCKS, body)
    run, seconds = _build(cli, hproject)
    assert problem_lines(run.err_lines) == [
        f"{EXTRA_BLOCKS}: file is {len(body):,} bytes; the limit is 2,000,000: split it"]
    assert seconds < 5


def _nested(shape: str) -> str:
    """3,000 levels of [ ] or 800 levels of indented mappings (both well under 2 MB)."""
    if shape == "flow":
        return "[" * 3000 + "]" * 3000 + "\n"
    return "".join("  " * i + f"k{i}:\n" for i in range(800)) + "  " * 800 + "x: 1\n"


@pytest.mark.parametrize("shape", ["flow", "block"])
def test_deeply_nested_yaml_costs_no_output(hproject: Path, cli, shape: str) -> None:
    """Safety half: whatever the loader does with such nesting, nothing is written."""
    write(hproject, EXTRA_BLOCKS, _nested(shape))
    before = digest(hproject / "output")
    code = cli(hproject, "build", "--audience", "ngo", "--format", "html").code
    assert code == 1
    assert digest(hproject / "output") == before


@pytest.mark.parametrize("shape", ["flow", "block"])
def test_deeply_nested_yaml_gets_a_one_line_message(hproject: Path, cli, shape: str) -> None:
    write(hproject, EXTRA_BLOCKS, _nested(shape))
    run = cli(hproject, "check")
    assert run.code == 1
    [line] = problem_lines(run.err_lines)
    assert line.startswith(f"{EXTRA_BLOCKS}:")


def test_nul_byte_is_refused(hproject: Path, cli) -> None:
    write(hproject, EXTRA_BLOCKS, b'- id: nul\n  type: context\n  text: "a\x00b"\n')
    run, _ = _build(cli, hproject)
    assert problem_lines(run.err_lines) == [
        f"{EXTRA_BLOCKS}:3:11: invalid YAML: the control character U+0000 is not allowed in a "
        "YAML file: delete it"]


def test_invalid_utf8_is_refused(hproject: Path, cli) -> None:
    write(hproject, EXTRA_BLOCKS, b'- id: latin\n  type: context\n  text: "caf\xe9"\n')
    run, _ = _build(cli, hproject)
    assert problem_lines(run.err_lines) == [
        f"{EXTRA_BLOCKS}:3:13: byte 0xE9 is not valid UTF-8: save the file as UTF-8 (in most "
        "editors: Save As, Encoding: UTF-8)"]


def test_duplicate_key_hiding_a_second_quote_is_refused(hproject: Path, cli) -> None:
    """A second `quote:` would silently win in plain YAML, citing a passage nobody checked."""
    edit(hproject, BLOCKS, CRITICS_QUOTE,
         '      quote: "the council has asked for a review"\n' + CRITICS_QUOTE)
    run, _ = _build(cli, hproject)
    assert problem_lines(run.err_lines) == [
        f"{BLOCKS}:18:7: duplicate key 'quote' (first at line 17): keep only one"]


def test_space_hash_that_would_cut_a_value_is_refused(hproject: Path, cli) -> None:
    edit(hproject, BLOCKS, CRITICS_STANCE, "  stance: against the quay #1 design")
    run, _ = _build(cli, hproject)
    assert problem_lines(run.err_lines) == [
        f"{BLOCKS}:13:11: a ' #' after an unquoted value starts a YAML comment and cuts the "
        "text: put the value in quotes"]


def test_yaml_1_1_no_is_refused(hproject: Path, cli) -> None:
    edit(hproject, BLOCKS, CRITICS_STANCE, "  stance: no")
    run, _ = _build(cli, hproject)
    assert problem_lines(run.err_lines) == [
        f"{BLOCKS}:13:11: 'no' would be read as a yes/no value by YAML 1.1: write true or "
        "false, or put the text in quotes"]
