"""Helpers for the error-message tests: edit a copied project's real files, check what users see.

Not a test module (pytest collects test_*.py only); imported by test_load_yaml,
test_validate_schema, test_citations and test_cli_basics.
"""

from __future__ import annotations

from pathlib import Path

BLOCKS = "content/blocks/harbour.yaml"
BRIEF = "briefs/harbour.yaml"
SOURCE = "content/sources/harbour-report.yaml"
SOURCE_TEXT = "content/sources/harbour-report.txt"


def edit(root: Path, rel: str, old: str, new: str) -> None:
    """Replace `old` (which must occur exactly once) by `new` in one of the project's files."""
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {rel}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def summary(count: int) -> str:
    return f"briefsmith: {count} problem{'s' if count != 1 else ''}; no output was written"


def assert_fails(run, root: Path, *lines: str) -> None:
    """The command failed with exactly these problem lines (in order), and wrote nothing."""
    assert run.code == 1, run.out + run.err
    expected = [*lines, summary(len(lines))]
    assert run.err_lines == expected, "\n".join(["stderr was:", *run.err_lines,
                                                 "expected:", *expected])
    assert run.out == ""
    assert not (root / "output").exists()


def assert_ok(run, root: Path, editorial: bool = False) -> None:
    """`check` passed with no warnings and wrote nothing. With `editorial`, warnings of the
    editorial checks (`check --strict` fails on them) are allowed: the edit under test is about
    validation, and makes the prose say what its shortened passage no longer does."""
    assert run.code == 0, run.err
    lines = [line for line in run.err_lines if not (editorial and ": warning: " in line)]
    assert lines == [], run.err
    assert run.out.startswith("ok: ")
    assert not (root / "output").exists()
