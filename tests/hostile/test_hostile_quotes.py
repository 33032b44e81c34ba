"""Group 3: quote tricks. A cited passage verifies only if it is really in the source; anything
that would make it look different from what it is is refused; every message shows hidden
characters escaped (\\u202e), never raw, so a terminal or CI log cannot be tricked either."""

from __future__ import annotations

import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .hostile_support import NGO_HTML, REPO, SOURCE_TEXT, edit, problem_lines, set_quote

BOATS = "1,200 boats used the new quay in its first year - twice the number it had forecast"
BOATS_YAML = f'"{BOATS}"'
CRITICS_YAML = "'Critics say the quay \"was built for tourists, not for fishing crews\"'"
NOT_IN_SOURCE = ("quote in block 'boats-first-year' is not in source 'harbour-report' "
                 "(content/sources/harbour-report.txt); closest passage")
RAW_HIDDEN = ("\u200b", "\u202e", "\u0007", "\u2066", "\ufeff")


def _check_fails(cli, root: Path) -> str:
    run = cli(root, "check")
    assert run.code == 1, run.err
    [line] = problem_lines(run.err_lines)
    assert not any(ch in run.err for ch in RAW_HIDDEN), ascii(run.err)
    return line


@pytest.mark.parametrize(("char", "named"), [
    ("\u200b", "the invisible character U+200B (ZERO WIDTH SPACE)"),
    ("\u202e", "the invisible character U+202E (RIGHT-TO-LEFT OVERRIDE)"),
    ("\u2066", "the invisible character U+2066 (LEFT-TO-RIGHT ISOLATE)"),
    ("\u0007", "the control character U+0007"),
    ("\u00ad", "the invisible character U+00AD (SOFT HYPHEN)"),
], ids=["zero-width-space", "bidi-override", "bidi-isolate", "control-bel", "soft-hyphen"])
def test_hidden_character_in_a_quote_is_refused(project: Path, cli, char: str,
                                                named: str) -> None:
    where = set_quote(project, BOATS_YAML, BOATS.replace("boats", "bo" + char + "ats"))
    assert _check_fails(cli, project) == (
        f"{where}: quote in block 'boats-first-year' contains {named}: delete it and retype "
        "the passage")


@pytest.mark.parametrize(("char", "shown"), [("\u202e", "\\u202e"), ("\u200b", "\\u200b")],
                         ids=["bidi-override", "zero-width-space"])
def test_hidden_character_in_the_source_is_shown_escaped(project: Path, cli, char: str,
                                                         shown: str) -> None:
    """The quote is clean but the stored source is not: the quote does not verify, and the
    closest passage shows the hidden character as an escape the user can see."""
    edit(project, SOURCE_TEXT, "1,200 boats", f"1,200 {char}boats")
    line = _check_fails(cli, project)
    assert line.startswith(f"content/blocks/harbour.yaml:8:14: {NOT_IN_SOURCE} (para 2, ")
    assert f'"1,200 {shown}boats used the new quay in its first year' in line


def test_cyrillic_homoglyph_in_a_quote_does_not_verify(project: Path, cli) -> None:
    """Cyrillic 'а' (U+0430) looks like Latin 'a' but is another letter: NFKC keeps it."""
    set_quote(project, BOATS_YAML, BOATS.replace("boats", "bo\u0430ts"))
    line = _check_fails(cli, project)
    assert line.startswith(f"content/blocks/harbour.yaml:8:14: {NOT_IN_SOURCE} (para 2, ")
    assert line.endswith(f'"{BOATS}." - copy the passage exactly')


def test_fullwidth_letters_verify_under_nfkc(project: Path, cli) -> None:
    """Decision (docs/content-format.md: quotes are compared under NFKC): fullwidth 'ｂｏａｔｓ'
    is a compatibility form of 'boats', visibly different rather than a look-alike, so it
    verifies, and the pinpoint is the real paragraph."""
    set_quote(project, BOATS_YAML, BOATS.replace("boats", "\uff42\uff4f\uff41\uff54\uff53"))
    run = cli(project, "check")
    assert run.code == 0, run.err
    assert run.out == "ok: 1 briefs, 4 blocks, 1 sources, 3 quotes verified\n"


@pytest.mark.slow
def test_quote_spanning_two_paragraphs_verifies_with_a_range(project: Path, cli) -> None:
    set_quote(project, CRITICS_YAML,
              "twice the number it had forecast. Critics say the quay")
    run = cli(project, "build", "--audience", "ngo", "--format", "html")
    assert run.code == 0, run.err
    html = (project / NGO_HTML).read_text(encoding="utf-8")
    assert "paras 2\u20133." in html


def test_short_quote_that_occurs_twice_is_refused(project: Path, cli) -> None:
    with (project / SOURCE_TEXT).open("a", encoding="utf-8") as source:
        source.write("The review will be public.\n")
    where = set_quote(project, BOATS_YAML, "The review will")
    assert _check_fails(cli, project) == (
        f"{where}: quote in block 'boats-first-year' occurs 2 times in source 'harbour-report' "
        "(paras 4, 5): quote a longer passage so the pinpoint is unambiguous")


def test_quote_over_the_length_limit_is_refused(project: Path, cli) -> None:
    quote = " ".join(f"word{i}" for i in range(2500))
    where = set_quote(project, BOATS_YAML, quote)
    assert _check_fails(cli, project) == (
        f"{where}: 'quote' of cite 1 of block 'boats-first-year' is {len(quote):,} characters; "
        "the limit is 20,000: shorten it")


def _long_source_and_quote() -> tuple[str, str]:
    rng = random.Random(7)
    words = ["harbour", "quay", "boats", "review", "council", "fishing", "crews", "tourists"]
    source = "\n".join(" ".join(rng.choice(words) for _ in range(60)) for _ in range(200))
    quote = " ".join(rng.choice(words) for _ in range(2500))[:19_000].rsplit(" ", 1)[0]
    return source, quote


@pytest.mark.slow
def test_long_quote_missing_from_a_long_source_fails_fast(
        project: Path, guarded_env: dict[str, str]) -> None:
    source, quote = _long_source_and_quote()
    with (project / SOURCE_TEXT).open("a", encoding="utf-8") as text:
        text.write(source + "\n")
    set_quote(project, BOATS_YAML, quote)
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "build.py", "--project", str(project), "check"],
                          cwd=REPO, env=guarded_env, capture_output=True, text=True,
                          timeout=4, check=False)
    assert time.perf_counter() - started < 4
    assert proc.returncode == 1
    assert NOT_IN_SOURCE in proc.stderr


@pytest.mark.parametrize("char", ["\u202e", "\u2066", "\u2069"], ids=["rlo", "lri", "pdi"])
def test_disguising_character_in_block_text_is_refused(project: Path, cli, char: str) -> None:
    """Not only quotes: any text a brief shows may not carry bidi overrides or controls."""
    path = project / "content" / "blocks" / "harbour.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Critics say the quay was built",
                                 f"Critics say{char} the quay was built"), encoding="utf-8")
    run = cli(project, "check")
    assert run.code == 1
    [line] = [ln for ln in run.err_lines if "invisible character" in ln]
    assert f"U+{ord(char):04X}" in line and char not in line
    assert line.startswith("content/blocks/harbour.yaml:")
    assert line.endswith("which can make text read differently from what it says: delete it")
