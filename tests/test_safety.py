"""Untrusted content stays inert, the renderer sees only the project, and nothing good is lost."""

from __future__ import annotations

import fcntl
import hashlib
import os
import socket
from pathlib import Path

import pytest
from hostile.hostile_support import set_block_text
from pypdf import PdfReader

from briefsmith.core.files import LOCK_NAME

BLOCKS = Path("content/blocks/harbour.yaml")


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and ".cache" not in p.parts
            and p.name != LOCK_NAME}


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def add_to_template(root: Path, audience: str, html: str) -> None:
    path = root / "templates" / audience / "brief.html.j2"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("{% block summary %}", "{% block summary %}" + html, 1),
                    encoding="utf-8")


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "outside-secret.txt"
    path.write_text("TOP-SECRET-OUTSIDE-THE-PROJECT", encoding="utf-8")
    return path


def test_markdown_image_of_a_local_file_is_refused_and_never_loaded(project: Path, cli,
                                                                     secret: Path) -> None:
    set_block_text(project, "critics-view", f"Critics object. ![x](file://{secret})")
    run = cli(project, "build", "--audience", "ngo")
    assert run.code == 1
    assert run.err_lines[0].startswith("content/blocks/harbour.yaml:14:26: block 'critics-view' "
                                       "has an image in its text (![x](file:///")
    assert run.err_lines[0].endswith("): block text cannot show images; remove it, and show "
                                     "the image as a block of type 'figure' (or a chart as type "
                                     "'chart'), with alt text, caption and cited credit (see "
                                     "docs/content-format.md, Figures and charts)")
    assert not (project / "output").exists()


@pytest.mark.slow
def test_raw_html_in_content_is_shown_as_text(project: Path, cli) -> None:
    set_block_text(project, "critics-view",
                   'Critics <script>alert(1)</script> say <b>no</b> and '
                   '[click](javascript:alert(1)) or [read](https://example.org/a).')
    run = cli(project, "build", "--audience", "ngo", "--format", "html")
    assert run.code == 0, run.err
    html = (project / "output/harbour/harbour-ngo.html").read_text(encoding="utf-8")
    assert "<script>" not in html and "<b>no</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "javascript:" not in html
    assert '<a href="https://example.org/a" rel="noopener noreferrer">read</a>' in html


@pytest.mark.slow
def test_template_cannot_read_a_file_outside_the_project(project: Path, cli,
                                                         secret: Path) -> None:
    assert cli(project, "build", "--audience", "ngo").code == 0
    before = digest(project / "output")
    add_to_template(project, "ngo", f'<img src="file://{secret}" alt="x">')
    run = cli(project, "build", "--audience", "ngo")
    assert run.code == 1
    assert (f"briefs/harbour.yaml:1:1: harbour (ngo): refused to load 'file://{secret}' "
            "requested by a template or stylesheet (it is outside the project): only files "
            "inside the project's "
            "templates/ and content/ folders can be used") in run.err_lines
    assert digest(project / "output") == before


@pytest.mark.slow
def test_symlink_out_of_the_project_is_refused(project: Path, cli, secret: Path) -> None:
    (project / "templates" / "ngo" / "logo.png").symlink_to(secret)
    add_to_template(project, "ngo", '<img src="logo.png" alt="logo">')
    run = cli(project, "build", "--audience", "ngo")
    assert run.code == 1
    assert "refused to load 'file://" in run.err and "logo.png" in run.err
    assert not (project / "output" / "harbour").exists()


@pytest.mark.slow
def test_network_is_never_contacted(project: Path, cli) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.setblocking(False)
        port = server.getsockname()[1]
        add_to_template(project, "ngo", f'<img src="http://127.0.0.1:{port}/x.png" alt="x">')
        run = cli(project, "build", "--audience", "ngo")
        with pytest.raises(BlockingIOError):
            server.accept()  # nobody connected
    assert run.code == 1
    assert (f"refused to load 'http://127.0.0.1:{port}/x.png' requested by a template or "
            "stylesheet (the renderer never uses the network)") in run.err


@pytest.mark.slow
def test_missing_glyph_fails_the_build_naming_the_block(project: Path, cli) -> None:
    set_block_text(project, "critics-view", "Critics object \u0e01 loudly.")
    run = cli(project, "build", "--audience", "ngo")
    assert run.code == 1
    assert any(line.endswith("block 'critics-view' has characters no font can draw: U+0E01 'ก' "
                             "(Thai): add a font that covers Thai, e.g. Noto Sans Thai, to the "
                             "project fontconfig (briefsmith/theme/fonts.py)")
               for line in run.err_lines), run.err_lines


@pytest.mark.slow
def test_failed_build_leaves_every_earlier_output_byte_identical(project: Path, cli) -> None:
    assert cli(project, "build").code == 0
    before = digest(project / "output")
    assert len([name for name in before if name.endswith((".pdf", ".html"))]) == 6
    path = project / BLOCKS
    path.write_text(path.read_text(encoding="utf-8").replace("twice the number",
                                                             "three times the number"))
    run = cli(project, "build")
    assert run.code == 1
    assert run.err_lines[-1] == "briefsmith: 1 problem; no output was written"
    assert digest(project / "output") == before
    assert not [p for p in (project / "output").rglob("*.tmp")]


def test_a_second_build_at_the_same_time_is_refused(project: Path, cli) -> None:
    out = project / "output"
    out.mkdir()
    fd = os.open(out / LOCK_NAME, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        run = cli(project, "build", "--audience", "ngo", "--format", "html")
    finally:
        os.close(fd)
    assert run.code == 1
    assert (f"{out / LOCK_NAME}: another build is writing to this output folder: wait for it "
            "to finish and run the build again") in run.err_lines
    assert not (out / "harbour").exists()


def test_check_writes_nothing(project: Path, cli) -> None:
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    assert cli(project, "check").code == 0
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before


@pytest.mark.slow
def test_same_inputs_give_byte_identical_outputs(project: Path, cli, tmp_path: Path) -> None:
    assert cli(project, "build", "--out", str(tmp_path / "a")).code == 0
    assert cli(project, "build", "--out", str(tmp_path / "b")).code == 0
    first, second = digest(tmp_path / "a"), digest(tmp_path / "b")
    assert len([name for name in first if name.endswith((".pdf", ".html"))]) == 6
    assert first == second


@pytest.mark.slow
def test_outputs_are_readable_by_others(project: Path, cli) -> None:
    assert cli(project, "build", "--audience", "ngo").code == 0
    mode = (project / "output/harbour/harbour-ngo.pdf").stat().st_mode & 0o777
    assert mode & 0o044 == 0o044 or os.umask(os.umask(0)) & 0o044
