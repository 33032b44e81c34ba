"""An empty YAML file is more often content that was lost than content never written: it is a
warning (with its path) from `check` and `build`, or, where a file must say something, an error
that says the file is empty."""

from __future__ import annotations

from pathlib import Path

import pytest
from _content_edits import BRIEF, SOURCE, assert_fails, write

OK = "ok: 1 briefs, 4 blocks, 1 sources, 3 quotes verified\n"
EMPTY_TEXTS = ["", "\n\n", "# Blocks will go here.\n", "\ufeff", "---\n", "---\n# later\n...\n"]
EMPTY_IDS = ["nothing", "blank-lines", "comment", "bom", "document-marker", "markers-comment"]


def warning(rel: str) -> str:
    return f"{rel}: warning: the file is empty: add content or delete it"


@pytest.mark.slow
@pytest.mark.parametrize("text", EMPTY_TEXTS, ids=EMPTY_IDS)
def test_empty_block_file_is_a_warning(project: Path, cli, text: str) -> None:
    write(project, "content/blocks/empty.yaml", text)
    run = cli(project, "check")
    assert run.code == 0, run.err
    assert run.err_lines == [warning("content/blocks/empty.yaml")]
    assert run.out == OK


@pytest.mark.slow
def test_empty_house_style_is_a_warning(project: Path, cli) -> None:
    write(project, "briefsmith.yaml", "# our house style\n")
    run = cli(project, "check")
    assert run.code == 0, run.err
    assert run.err_lines == [warning("briefsmith.yaml")]


@pytest.mark.slow
def test_build_prints_the_warnings_and_still_succeeds(project: Path, cli) -> None:
    write(project, "briefsmith.yaml", "")
    write(project, "content/blocks/empty.yaml", "")
    run = cli(project, "build", "--audience", "ngo", "--format", "html")
    assert run.code == 0, run.err
    assert run.err_lines == [warning("briefsmith.yaml"), warning("content/blocks/empty.yaml")]
    assert (project / "output/harbour/harbour-ngo.html").is_file()


@pytest.mark.parametrize("text", ["", "# to do\n", "---\n"], ids=["nothing", "comment", "marker"])
@pytest.mark.parametrize(("rel", "message"), [
    (BRIEF, "the file is empty: a brief file must be a mapping of key: value lines; write its "
            "title, date, audiences and sections, or delete the file"),
    (SOURCE, "the file is empty: a source file must be a mapping of key: value lines; write "
             "its label and kind, or delete the file"),
    ("templates/ngo/audience.yaml", "the file is empty: audience.yaml must be a mapping of "
                                    "key: value lines; write its label, citation_style and "
                                    "notes"),
], ids=["brief", "source", "audience"])
def test_where_a_file_must_say_something_the_error_says_it_is_empty(
        project: Path, cli, rel: str, message: str, text: str) -> None:
    write(project, rel, text)
    run = cli(project, "check")
    assert run.code == 1
    assert f"{rel}:1:1: {message}" in run.err_lines  # (the brief also loses its audience)


def test_a_block_file_that_says_null_is_not_a_list(project: Path, cli) -> None:
    """Not empty, and not blocks either: an error, not silence."""
    write(project, "content/blocks/extra.yaml", "~\n")
    assert_fails(cli(project, "check"), project,
                 "content/blocks/extra.yaml:1:1: a block file must be a YAML list of blocks "
                 "('- id: ...')")
