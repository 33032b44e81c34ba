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
    """The real sample with a press audience made as the README says, but listed nowhere."""
    shutil.copytree(sample / "templates/minister", sample / "templates/press")
    audience = sample / "templates/press/audience.yaml"
    lines = audience.read_text(encoding="utf-8").splitlines()
    audience.write_text("\n".join("label: Press pack" if line.startswith("label:") else line
                                  for line in lines) + "\n", encoding="utf-8")
    return sample


def test_audience_no_brief_lists_is_an_error(press: Path, cli) -> None:
    run = cli(press, "build", "--audience", "press")
    assert (run.code, run.out) == (1, "")
    assert run.err_lines == [PRESS_ERROR, "briefsmith: 1 problem; nothing was written"]
    assert not (press / "output").exists()


def test_audience_the_named_brief_does_not_list_is_an_error(press: Path, cli) -> None:
    run = cli(press, "--audience", "press", "uk-treaty-debate")
    assert run.code == 1
    assert run.err_lines == [
        "brief 'uk-treaty-debate' does not list audience 'press': add press to the audiences: "
        "list of briefs/uk-treaty-debate.yaml, then build again",
        "briefsmith: 1 problem; nothing was written"]


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
