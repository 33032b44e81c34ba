"""Group 6: resource exhaustion. Input built to make a parser or the renderer take too long or
too much memory fails fast with one clear line; the last good outputs stay byte-identical."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from PIL import Image

from briefsmith.builder import parallel

from .hostile_support import (
    BRIEF_AT,
    add_to_template,
    digest,
    problem_lines,
    refused,
    set_block_text,
)


def _fails(cli, root: Path, fmt: str = "html") -> tuple[list[str], float]:
    before = digest(root / "output")
    started = time.perf_counter()
    run = cli(root, "build", "--audience", "ngo", "--format", fmt)
    seconds = time.perf_counter() - started
    assert run.code == 1, run.err
    assert digest(root / "output") == before
    return problem_lines(run.err_lines), seconds


@pytest.mark.slow
def test_8000_open_brackets_fail_fast(hproject: Path, cli) -> None:
    """Python-Markdown's link parser is quadratic in runs of '[': 8,000 took ~20 s."""
    where = set_block_text(hproject, "critics-view", "[" * 8000)
    lines, seconds = _fails(cli, hproject)
    assert lines == [f"{where}: text has 8000 '[' characters; the limit is 200: simplify the "
                     "text"]
    assert seconds < 5


@pytest.mark.slow
@pytest.mark.parametrize(("text", "depth"), [
    ("> " * 200 + "deep", 201),
    ("- " * 200 + "deep", 400),
    ("1. " * 200 + "deep", 400),
], ids=["blockquotes", "bullet-lists", "numbered-lists"])
def test_200_levels_of_nesting_is_a_message_not_a_recursion_error(hproject: Path, cli,
                                                                  text: str,
                                                                  depth: int) -> None:
    where = set_block_text(hproject, "critics-view", text)
    lines, seconds = _fails(cli, hproject)
    assert lines == [f"{where}: text nests {depth} levels deep (lists or quotes inside each "
                     "other); the limit is 12: simplify the text"]
    assert seconds < 10


@pytest.mark.slow
def test_25000_character_block_text_is_refused(hproject: Path, cli) -> None:
    where = set_block_text(hproject, "critics-view", "word " * 5000)
    lines, _ = _fails(cli, hproject)
    assert lines == [f"{where}: 'text' of block 'critics-view' is 24,999 characters; the limit "
                     "is 20,000: shorten it"]


@pytest.fixture(scope="module")
def huge_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """6000 x 6000 pixels (36 million; the limit is 25 million) in about 35 KB."""
    path = tmp_path_factory.mktemp("huge-image") / "huge.png"
    Image.new("L", (6000, 6000)).save(path)
    return path


@pytest.mark.slow
def test_huge_image_file_in_templates_is_refused(hproject: Path, cli, huge_png: Path) -> None:
    (hproject / "templates/ngo/huge.png").write_bytes(huge_png.read_bytes())
    add_to_template(hproject, '<img src="huge.png" alt="a huge image">')
    lines, _ = _fails(cli, hproject, "pdf")
    assert lines == [refused(f"file://{hproject}/templates/ngo/huge.png",
                             "image is 6000 x 6000 pixels; the limit is 25,000,000 pixels")]


@pytest.mark.slow
def test_huge_image_through_asset_data_url_is_refused(hproject: Path, cli,
                                                      huge_png: Path) -> None:
    """asset() inlines the image as a data: URL; the pixel limit applies to it too."""
    (hproject / "templates/ngo/huge.png").write_bytes(huge_png.read_bytes())
    add_to_template(hproject, "<img src=\"{{ asset('huge.png') }}\" alt=\"a huge image\">")
    [line], _ = _fails(cli, hproject, "pdf")
    assert re.fullmatch(
        rf"{BRIEF_AT}: harbour \(ngo\): refused to load 'data:image/png;base64,\S{{18}}\u2026' "
        r"requested by a template or stylesheet \(image is 6000 x 6000 pixels; the limit is "
        rf"25,000,000 pixels\): use a smaller file", line), line


@pytest.mark.slow
def test_render_over_the_time_limit_is_stopped(hproject: Path, cli,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "RENDER_SECONDS", 2)  # read when the pool waits
    add_to_template(hproject, "{% for i in range(10 ** 9) %}{% endfor %}")
    lines, seconds = _fails(cli, hproject)
    assert lines == [f"{BRIEF_AT}: harbour (ngo): took longer than 2 s and was stopped: look "
                     "for very long or deeply nested content"]
    assert seconds < 15


def _address_space_mb() -> int:
    status = Path("/proc/self/status").read_text()
    match = re.search(r"VmSize:\s+(\d+) kB", status)
    assert match, "no VmSize in /proc/self/status"
    return int(match.group(1)) // 1024


@pytest.mark.slow
def test_render_over_the_memory_limit_is_stopped(hproject: Path, cli,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker is forked from this process, so its address space starts at this process's
    size: the limit is that plus 400 MB, and the template asks for 3 GB."""
    limit = _address_space_mb() + 400
    monkeypatch.setattr(parallel, "MEMORY_MB", limit)  # passed to each worker as it starts
    add_to_template(hproject, "{% set n = 3 * 10 ** 9 %}{{ ('x' * n) | length }}")
    lines, seconds = _fails(cli, hproject)
    assert lines == [f"{BRIEF_AT}: harbour (ngo): the render ran out of memory (limit {limit} "
                     "MB per render): look for very large text, tables or images"]
    assert seconds < 15
