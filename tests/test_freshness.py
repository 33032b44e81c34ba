"""Never stale: each output is skipped only on its own record of what it was made from, and
nothing outside the project is opened to decide it."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from briefsmith.builder.manifest import MANIFEST, Manifest

EDITED = "Critics claim the quay was built for tourists rather than fishing crews."
ORIGINAL = "Critics say the quay was built for tourists rather than fishing crews."
BLOCKS = "content/blocks/harbour.yaml"
OUTPUTS = {f"harbour/harbour-{a}.{f}" for a in ("parliamentary", "ngo", "student")
           for f in ("pdf", "html")}


def summary(run) -> str:
    return run.out.strip().splitlines()[-1]


def files(out: Path) -> dict[str, bytes]:
    return {rel: (out / rel).read_bytes() for rel in OUTPUTS}


def written(run) -> set[str]:
    return {line.split("/output/", 1)[1].split(" ")[0] for line in run.out.splitlines()
            if line.startswith("wrote ")}


@pytest.mark.slow
def test_an_edit_built_for_one_audience_then_reverted_is_built_again(project: Path,
                                                                       cli) -> None:
    """The issue's reproduction: a partial build of an edit, then the edit put back; the plain
    build must not trust its earlier record of the whole project."""
    assert cli(project, "build").code == 0
    good = files(project / "output")
    blocks = project / BLOCKS
    original = blocks.read_text()
    blocks.write_text(original.replace(ORIGINAL, EDITED))
    partial = cli(project, "build", "harbour", "--audience", "parliamentary")
    assert written(partial) == {"harbour/harbour-parliamentary.pdf",
                                "harbour/harbour-parliamentary.html"}
    assert EDITED in (project / "output/harbour/harbour-parliamentary.html").read_text()
    blocks.write_text(original)
    run = cli(project, "build")
    assert run.code == 0
    assert written(run) == {"harbour/harbour-parliamentary.pdf",
                            "harbour/harbour-parliamentary.html"}
    assert summary(run).startswith("built 2, skipped 4, failed 0 in ")
    assert files(project / "output") == good
    again = cli(project, "build")
    assert summary(again).startswith("built 0, skipped 6, failed 0 in ")
    assert summary(again).endswith(" s (nothing changed)")


@pytest.mark.slow
def test_a_same_size_edit_with_its_old_mtime_put_back_is_seen(project: Path, cli) -> None:
    assert cli(project, "build").code == 0
    blocks = project / BLOCKS
    before = os.stat(blocks)
    same_size = ORIGINAL.replace("say", "sey")
    blocks.write_text(blocks.read_text().replace(ORIGINAL, same_size))
    os.utime(blocks, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(blocks).st_size == before.st_size
    assert os.stat(blocks).st_mtime_ns == before.st_mtime_ns
    run = cli(project, "build")
    assert summary(run).startswith("built 6, skipped 0, failed 0 in ")
    assert same_size in (project / "output/harbour/harbour-ngo.html").read_text()


@pytest.mark.slow
def test_an_output_overwritten_with_its_old_size_and_mtime_is_rebuilt(project: Path,
                                                                     cli) -> None:
    assert cli(project, "build").code == 0
    pdf = project / "output/harbour/harbour-student.pdf"
    good = pdf.read_bytes()
    before = os.stat(pdf)
    pdf.write_bytes(good[:100] + b"X" * (len(good) - 100))
    os.utime(pdf, ns=(before.st_atime_ns, before.st_mtime_ns))
    run = cli(project, "build")
    assert written(run) == {"harbour/harbour-student.pdf"}
    assert pdf.read_bytes() == good


@pytest.mark.slow
def test_files_the_build_does_not_read_change_nothing(project: Path, cli) -> None:
    assert cli(project, "build").code == 0
    (project / "notes.md").write_text("meeting notes")
    (project / "tests").mkdir()
    (project / "tests" / "test_x.py").write_text("x = 1")
    (project / "build.log").write_text("log")
    (project / "old-brief.pdf").write_bytes(b"%PDF-1.7")
    run = cli(project, "build")
    assert summary(run).startswith("built 0, skipped 6, failed 0 in ")
    assert summary(run).endswith(" s (nothing changed)")


@pytest.mark.slow
def test_each_output_records_the_files_it_was_made_from(project: Path, cli) -> None:
    assert cli(project, "build").code == 0
    manifest = Manifest.read(project / "output")
    reads = manifest.outputs["harbour/harbour-ngo.pdf"]["reads"]
    assert any(key.startswith("font:") and key.endswith(".ttf") for key in reads)
    assert {"code", "file:briefs/harbour.yaml", "file:content/blocks/harbour.yaml",
            "file:content/sources/harbour-report.yaml",
            "file:content/sources/harbour-report.txt",
            "tree:templates/ngo", "tree:templates/_base"} <= set(reads)
    assert not any("student" in key or "parliamentary" in key for key in reads)
    data = json.loads((project / "output" / MANIFEST).read_text())
    assert "snapshot" not in json.dumps(data["runs"])


def _opened_by(root: Path, outside: Path, *args: str) -> tuple[int, list[str], str]:
    """Run the CLI in a fresh interpreter with an audit hook that records every file opened
    under `outside`."""
    code = (
        "import sys\n"
        "opened = []\n"
        f"watch = {str(outside)!r}\n"
        "def hook(event, args):\n"
        "    if event == 'open' and isinstance(args[0], (str, bytes)) and "
        "str(args[0] if isinstance(args[0], str) else args[0].decode()).startswith(watch):\n"
        "        opened.append(str(args[0]))\n"
        "sys.addaudithook(hook)\n"
        "from briefsmith.cli import main\n"
        f"rc = main(['--project', {str(root)!r}, *{list(args)!r}])\n"
        "print('OPENED', opened)\n"
        "sys.exit(rc)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    opened_line = [line for line in proc.stdout.splitlines() if line.startswith("OPENED ")]
    assert opened_line, proc.stdout + proc.stderr
    return proc.returncode, ast.literal_eval(opened_line[0][7:]), proc.stderr


@pytest.mark.slow
def test_a_link_to_a_file_outside_the_project_is_never_opened(project: Path,
                                                               tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    secret = outside / "secret.txt"
    secret.write_text("not the project's")
    (project / "content" / "notes.txt").symlink_to(secret)
    (project / "templates" / "_base" / "notes.css").symlink_to(secret)
    code, opened, err = _opened_by(project, outside, "build", "--format", "html")
    assert code == 0, err
    assert opened == []
    code, opened, err = _opened_by(project, outside, "build", "--format", "html")
    assert code == 0, err
    assert opened == []


def test_a_source_text_linked_outside_is_refused_before_it_is_opened(project: Path,
                                                                     tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    text = project / "content/sources/harbour-report.txt"
    (outside / "harbour-report.txt").write_bytes(text.read_bytes())
    text.unlink()
    text.symlink_to(outside / "harbour-report.txt")
    code, opened, err = _opened_by(project, outside, "check")
    assert code == 1
    assert opened == []
    assert err.splitlines()[0] == (
        "content/sources/harbour-report.txt:1:1: source text "
        "content/sources/harbour-report.txt is a link to a file outside the project: copy the "
        "article's text into the project instead")


def test_a_block_file_linked_outside_is_refused_before_it_is_opened(project: Path,
                                                                    tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    blocks = project / BLOCKS
    (outside / "harbour.yaml").write_bytes(blocks.read_bytes())
    blocks.unlink()
    blocks.symlink_to(outside / "harbour.yaml")
    code, opened, err = _opened_by(project, outside, "check")
    assert code == 1
    assert opened == []
    assert err.splitlines()[0] == (
        "content/blocks/harbour.yaml: this file is a link to a file outside the project: "
        "copy the file into the project instead")


@pytest.mark.slow
@pytest.mark.parametrize("rel", ["templates/ngo/style.css", "templates/ngo/brief.html.j2",
                                 "templates/_base/blocks.html.j2"])
def test_a_template_or_stylesheet_linked_outside_is_refused_before_it_is_opened(
        project: Path, tmp_path: Path, rel: str) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    path = project / rel
    (outside / path.name).write_bytes(path.read_bytes())
    path.unlink()
    path.symlink_to(outside / path.name)
    code, opened, err = _opened_by(project, outside, "check")
    assert code == 1
    assert opened == []
    assert err.splitlines()[0] == (f"{rel}: this file is a link to a file outside the project: "
                                   "copy the file into the project instead")


@pytest.mark.slow
def test_a_changed_module_in_any_folder_of_the_package_rebuilds(project: Path, cli,
                                                                 tmp_path: Path) -> None:
    """The code is an input of every output: the same code found elsewhere changes nothing,
    and one edited module in a wing's subfolder rebuilds everything."""
    import shutil

    import briefsmith

    copy = tmp_path / "code"
    shutil.copytree(Path(briefsmith.__file__).parent, copy / "briefsmith",
                    ignore=shutil.ignore_patterns("__pycache__"))

    def build_with_copy() -> str:
        code = ("import sys; from briefsmith.cli import main; "
                f"sys.exit(main(['--project', {str(project)!r}, 'build', '--format', 'html']))")
        env = {**os.environ, "PYTHONPATH": str(copy), "PYTHONDONTWRITEBYTECODE": "1"}
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env=env, cwd=copy, check=False)  # not the checkout's package
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.strip().splitlines()[-1]

    assert cli(project, "build", "--format", "html").code == 0
    assert build_with_copy().endswith("(nothing changed)")
    module = copy / "briefsmith" / "evidence" / "fidelity.py"
    module.write_text(module.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    assert build_with_copy().startswith("built 3, skipped 0, failed 0 in ")
