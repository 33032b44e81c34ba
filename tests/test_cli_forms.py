"""Issue 8: build options without the word `build`, an audience no brief lists, and a Python
without Briefsmith's dependencies. Each message is asserted word for word."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, copy_project

from briefsmith.cli import GLOBAL_OPTIONS, _missing_dependency, _parser, main, with_command

PRESS_ERROR = ("no brief lists audience 'press': add press to the audiences: list of "
               "briefs/ottawa-treaty-2025.yaml or briefs/uk-treaty-debate.yaml, then build again")
MINISTER_WARNING = ("templates/minister/audience.yaml: warning: no brief lists audience "
                    "'minister', so it is never built: add minister to the audiences: list of "
                    "a brief in briefs/")


def _outputs(out: Path) -> dict[str, str]:
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file()
            and not any(part.startswith(".") for part in p.relative_to(out).parts)}


# --- 1. build options at the top level ------------------------------------------------------

@pytest.mark.parametrize(("argv", "expected"), [
    ([], ["build"]),
    (["--force", "-j", "2", "--shard", "1/2"], ["build", "--force", "-j", "2", "--shard", "1/2"]),
    (["--project", "p", "--force"], ["--project", "p", "build", "--force"]),
    (["--project=p", "--templates", "t", "-j2"], ["--project=p", "--templates", "t", "build",
                                                 "-j2"]),
    (["--proj", "p", "--audience", "ngo", "harbour"],
     ["--proj", "p", "build", "--audience", "ngo", "harbour"]),
    (["--project", "p"], ["--project", "p", "build"]),
    (["list"], ["list"]),
    (["--project", "p", "check"], ["--project", "p", "check"]),
    (["build", "--force"], ["build", "--force"]),
    (["chek"], ["chek"]),  # a typo stays a usage error, never a build
    (["--help"], ["--help", "build"]),  # argparse acts on --help first: the top-level help
])
def test_build_is_put_where_the_command_goes(argv: list[str], expected: list[str]) -> None:
    assert with_command(argv) == expected


def test_global_options_table_matches_the_parser() -> None:
    parser = _parser()
    top = {s: a.nargs != 0 for s, a in parser._option_string_actions.items()}
    assert top == GLOBAL_OPTIONS


@pytest.mark.slow
def test_top_level_build_options_build_the_same_outputs(project: Path, tmp_path: Path,
                                                        cli) -> None:
    other = shutil.copytree(project, tmp_path / "other")
    spelled = cli(project, "build", "--force", "-j", "2", "--shard", "1/2", "--format", "html",
                  "--out", str(tmp_path / "a"))
    short = cli(other, "--force", "-j", "2", "--shard", "1/2", "--format", "html", "--out",
                str(tmp_path / "b"))
    assert (spelled.code, short.code) == (0, 0), spelled.err + short.err
    assert _outputs(tmp_path / "a") == _outputs(tmp_path / "b") != {}
    assert short.out.replace(str(tmp_path / "b"), "OUT").splitlines()[:-1] == \
        spelled.out.replace(str(tmp_path / "a"), "OUT").splitlines()[:-1]


@pytest.mark.slow
def test_top_level_build_options_through_build_py(project: Path) -> None:
    """The real command line: `python build.py --project P --audience ngo --format html
    --explain harbour` (argv from sys.argv)."""
    proc = subprocess.run([sys.executable, "build.py", "--project", str(project), "--audience",
                           "ngo", "--format", "html", "--explain", "harbour"], cwd=REPO,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == f"wrote {project}/output/harbour/harbour-ngo.html"
    assert "  brief.html.j2" in proc.stdout  # --explain reached the build
    assert sorted(_outputs(project / "output")) == ["harbour/harbour-ngo.html"]


def test_top_level_help_says_build_is_the_default(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert out.startswith("usage: briefsmith [-h] [--version] [--project PROJECT] "
                          "[--templates DIR] [--debug] COMMAND ...")
    assert out.endswith("With no COMMAND, or when the first argument is an option of build, "
                        "the command is build: `briefsmith --force -j 2` is `briefsmith build "
                        "--force -j 2` (see `briefsmith build --help`).")


def test_build_help_after_a_build_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--force", "--help"])
    assert capsys.readouterr().out.startswith("usage: briefsmith build ")


# --- 2. an audience no brief lists ----------------------------------------------------------

@pytest.fixture
def press(sample: Path) -> Path:
    """The real sample with a press audience made as the guide says, but listed nowhere."""
    shutil.copytree(sample / "templates/minister", sample / "templates/press")
    audience = sample / "templates/press/audience.yaml"
    lines = audience.read_text(encoding="utf-8").splitlines()
    audience.write_text("\n".join("label: Press pack" if line.startswith("label:") else line
                                  for line in lines) + "\n", encoding="utf-8")
    return sample


def test_audience_no_brief_lists_is_an_error(press: Path, cli) -> None:
    run = cli(press, "build", "--audience", "press")
    assert (run.code, run.out) == (1, "")
    assert run.err_lines == [PRESS_ERROR, "briefsmith: 1 problem; no output was written"]
    assert not (press / "output").exists()


def test_audience_the_named_brief_does_not_list_is_an_error(press: Path, cli) -> None:
    run = cli(press, "--audience", "press", "uk-treaty-debate")
    assert run.code == 1
    assert run.err_lines == [
        "brief 'uk-treaty-debate' does not list audience 'press': add press to the audiences: "
        "list of briefs/uk-treaty-debate.yaml, then build again",
        "briefsmith: 1 problem; no output was written"]


@pytest.mark.slow
def test_audience_no_brief_lists_is_one_warning_on_a_plain_build(project: Path, cli) -> None:
    """The minimal project has its own copy of templates/minister/, which its brief does not
    list."""
    run = cli(project, "build", "--format", "html")
    assert run.code == 0, run.err
    assert run.err_lines == [MINISTER_WARNING]
    only_ngo = cli(project, "build", "--format", "html", "--audience", "ngo", "--force")
    assert only_ngo.code == 0
    assert only_ngo.err_lines == []


@pytest.mark.slow
def test_builtin_audiences_are_not_warned_about(tmp_path: Path, cli) -> None:
    """Without a templates/ folder the audiences are Briefsmith's own (minister among them):
    the project made none of them, so there is nothing to warn about."""
    root = copy_project("minimal", tmp_path / "project")
    shutil.rmtree(root / "templates")
    run = cli(root, "build", "--format", "html")
    assert run.code == 0, run.err
    assert run.err_lines == []


# --- 3. a Python without the dependencies ---------------------------------------------------

def _one_line(python: str, reason: str) -> str:
    return (f"briefsmith: the Python packages Briefsmith needs are not installed for {python} "
            f"({reason}): run `make briefs` first, then use .venv/bin/python build.py")


def test_python_without_site_packages_gets_one_line(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-S", "build.py", "check"], cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=False)
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == _one_line(sys.executable, "No module named 'yaml'") + "\n"


def test_isolated_python_without_the_packages_gets_one_line() -> None:
    """`python3 -I` leaves the script's folder off sys.path too: build.py still finds the
    Briefsmith beside it, which then names what is missing."""
    base = Path(sys.base_prefix) / "bin" / "python3"
    probe = subprocess.run([str(base), "-I", "-c", "import jinja2, yaml, markdown, nh3, "
                            "weasyprint, pypandoc"], capture_output=True, timeout=60, check=False)
    if probe.returncode == 0:
        pytest.skip(f"{base} has every dependency installed")
    proc = subprocess.run([str(base), "-I", "build.py", "check"], cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=False)
    assert (proc.returncode, proc.stdout) == (1, "")
    [line] = proc.stderr.splitlines()
    assert line.startswith(f"briefsmith: the Python packages Briefsmith needs are not "
                           f"installed for {base} (No module named '")
    assert line.endswith("'): run `make briefs` first, then use .venv/bin/python build.py")


def test_a_missing_part_of_briefsmith_keeps_its_traceback() -> None:
    """A module of Briefsmith itself that cannot be imported is a bug to report, with where."""
    code = ("import sys; sys.modules['briefsmith.pipeline'] = None; "
            "from briefsmith.cli import main; sys.exit(main(['check']))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 1
    assert "Traceback (most recent call last)" in proc.stderr
    assert proc.stderr.splitlines()[-1].startswith("ModuleNotFoundError: import of "
                                                   "briefsmith.pipeline halted")
    assert "make briefs" not in proc.stderr


@pytest.mark.parametrize(("name", "dependency"), [
    ("yaml", True), ("weasyprint.text", True), ("briefsmith.theme.fonts", False),
    ("briefsmith", False),
    ("_ctypes", False), ("sqlite3", False), (None, False)])
def test_which_missing_modules_are_missing_dependencies(name: str | None,
                                                        dependency: bool) -> None:
    assert _missing_dependency(ModuleNotFoundError("x", name=name)) is dependency


@pytest.mark.slow
def test_audience_takes_a_list_as_format_does(project: Path, cli) -> None:
    run = cli(project, "build", "--audience", "parliamentary, ngo", "--format", "html")
    assert run.code == 0, run.err
    assert sorted(p.name for p in (project / "output" / "harbour").glob("*.html")) == [
        "harbour-ngo.html", "harbour-parliamentary.html"]
    bad = cli(project, "build", "--audience", "parliamentary,nope")
    assert bad.code == 1
    assert bad.err_lines[0] == ("no audience 'nope': audiences are minister, ngo, parliamentary, "
                                "student")


@pytest.mark.slow
@pytest.mark.parametrize("given", ["briefs/harbour.yaml", "harbour.yaml", "harbour"])
def test_a_brief_may_be_named_by_its_file_as_a_shell_completes_it(project: Path, cli,
                                                                  given: str) -> None:
    run = cli(project, "build", given, "--format", "html", "--audience", "ngo")
    assert run.code == 0, run.err
    assert (project / "output" / "harbour" / "harbour-ngo.html").is_file()


def test_a_file_outside_briefs_is_not_a_brief(project: Path, cli, tmp_path: Path) -> None:
    run = cli(project, "build", str(tmp_path / "harbour.yaml"))
    assert run.code == 1
    assert run.err_lines[0] == (f"'{tmp_path / 'harbour.yaml'}' is not in this project's briefs/ "
                                f"folder ({project / 'briefs'}): give a brief's id or its file "
                                "there")


@pytest.mark.parametrize("make", ["a file", "no parent"])
def test_an_output_folder_that_cannot_be_written_is_one_line(project: Path, cli,
                                                             tmp_path: Path, make: str) -> None:
    """As a read-only folder does for a user who is not root (tests here may run as root, for
    whom no folder is read-only): the OS error in one line, never a traceback."""
    if make == "a file":
        out = tmp_path / "taken"
        out.write_text("not a folder")
        reason = "File exists"
    else:
        out = tmp_path / "missing" / "file-in-the-way"
        (tmp_path / "missing").write_text("a file where a folder should be")
        reason = "Not a directory"
    run = cli(project, "build", "--format", "html", "--out", str(out))
    assert run.code == 1
    assert run.err_lines == [
        f"{out}: cannot write to the output folder ({reason}): make it a folder you can write "
        "to, or give another with --out", "briefsmith: 1 problem; no output was written"]


def test_a_source_without_its_metadata_file_is_one_problem_not_one_per_citing_block(
        project: Path, cli) -> None:
    (project / "content" / "sources" / "harbour-report.yaml").unlink()
    run = cli(project, "check")
    assert run.code == 1
    assert run.err_lines == [
        "content/sources/harbour-report.txt:1:1: source text has no metadata file: add "
        "content/sources/harbour-report.yaml", "briefsmith: 1 problem; no output was written"]


@pytest.mark.slow
def test_a_build_prints_a_warning_once_and_check_lists_them_all(project: Path, cli) -> None:
    source = project / "content" / "sources" / "harbour-report.yaml"
    text = source.read_text(encoding="utf-8")
    source.write_text("\n".join(line for line in text.splitlines()
                                if not line.startswith("outlet:")) + "\n", encoding="utf-8")
    first = cli(project, "build", "--format", "html")
    warned = [line for line in first.err_lines if "does not state its outlet" in line]
    assert len(warned) == 1
    again = cli(project, "build", "--format", "html", "--force")
    assert warned[0] not in again.err_lines  # nor the unlisted minister audience: 2 in all
    assert ("briefsmith: 2 warnings printed by an earlier build, not repeated: `build.py check` "
            "lists them all") in again.err_lines
    assert warned[0] in cli(project, "check").err_lines


@pytest.mark.slow
def test_a_finding_about_one_audience_is_printed_only_by_a_build_of_it(project: Path,
                                                                        cli) -> None:
    contract = project / "templates" / "student" / "audience.yaml"
    contract.write_text(contract.read_text(encoding="utf-8").replace(
        "reading_level: {max_grade: 11}", "reading_level: {max_grade: 1}"), encoding="utf-8")
    level = "for audience 'student' reads at grade"
    assert any(level in line for line in cli(project, "build", "--format", "html").err_lines)
    other = cli(project, "build", "--format", "html", "--audience", "ngo", "--force")
    assert other.code == 0, other.err
    assert not any(level in line for line in other.err_lines)
