"""Issue 8: a build stopped by Ctrl-C or SIGTERM, and the order of a failed build's stderr.

An interrupted build prints one line saying how many outputs it had replaced, exits 130
(SIGINT) or 143 (SIGTERM), leaves no render worker running and no temporary file, and every
output it had not replaced is the last good file, byte for byte. A failed build's located
problems are the first lines on stderr, before the progress lines, and the count is last.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from briefsmith.cli import Progress
from briefsmith.core.files import recording_writes, write_all

from .hostile_support import REPO, add_to_template, digest, problem_lines, refused

OUTPUTS = [f"harbour/harbour-{a}.{f}" for a in ("parliamentary", "ngo", "student")
           for f in ("pdf", "html")]
PROGRESS = re.compile(r"^\[\d+/\d+\] (built|failed) ")
# About a billion loop steps in the NGO template: that render alone takes a minute or more, so
# the build is certainly still rendering when the signal arrives, and a worker that was not
# stopped would certainly still be running when the build has exited.
ENDLESS = "{% for i in range(100000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}"
NOTHING_WRITTEN = "briefsmith: interrupted: no output written, every output kept as it was"


@pytest.fixture
def slow(full_baseline: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """The fully built minimal project, its NGO render made very slow; and its output hashes."""
    root = tmp_path / "project"
    shutil.copytree(full_baseline, root, symlinks=True)
    before = digest(root / "output")
    add_to_template(root, ENDLESS)
    return root, before


def _session(sid: int) -> list[str]:
    """Every process left in the build's session (it was started as a session leader): render
    workers and pandoc included, zombies too."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # exited while we looked
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[3]) == sid or int(fields[1]) == sid:
            found.append(f"{entry.name} ({stat[stat.index('(') + 1:stat.rindex(')')]}, "
                         f"state {fields[0]})")
    return found


def _children(pid: int) -> int:
    count = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                count += int(stat[stat.rindex(")") + 2:].split()[1]) == pid
    return count


def _start(root: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "build.py", "--project", str(root), "build", "--force", "-j", "2"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True)


def _wait_for_workers(proc: subprocess.Popen[str], timeout: float = 120) -> None:
    """Until the pool's two workers exist and have had time to start rendering."""
    deadline = time.monotonic() + timeout
    while _children(proc.pid) < 2:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the build never started its render workers"
        time.sleep(0.05)
    time.sleep(2)
    assert proc.poll() is None, "the build ended before it could be interrupted"


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code", "group"), [
    (signal.SIGINT, 130, True),    # Ctrl-C: the terminal signals the whole process group
    (signal.SIGTERM, 143, False),  # `kill PID`, a CI runner cancelling: the build alone
    (signal.SIGTERM, 143, True),   # a service manager stopping every process of the job
], ids=["ctrl-c", "sigterm", "sigterm-to-group"])
def test_interrupted_render_stops_everything_and_keeps_every_output(
        slow: tuple[Path, dict[str, str]], guarded_env: dict[str, str], signum: int, code: int,
        group: bool) -> None:
    root, before = slow
    proc = _start(root, guarded_env)
    try:
        _wait_for_workers(proc)
        started = time.monotonic()
        (os.killpg if group else os.kill)(proc.pid, signum)
        out, err = proc.communicate(timeout=60)
        seconds = time.monotonic() - started
        left = _session(proc.pid)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)
    assert (proc.returncode, err, out) == (code, NOTHING_WRITTEN + "\n", "")
    assert left == [], f"still running after the build exited: {left}"
    assert seconds < 30, f"the build took {seconds:.0f} s to stop"
    assert digest(root / "output") == before
    assert list((root / "output").rglob("*.tmp")) == []
    # The lock went with it: the next build runs (the NGO render, fixed, included).
    template = root / "templates/ngo/brief.html.j2"
    template.write_text(template.read_text().replace(ENDLESS + "\n", ""), encoding="utf-8")
    again = subprocess.run([sys.executable, "build.py", "--project", str(root), "build",
                            "--audience", "ngo", "--format", "html"], cwd=REPO, env=guarded_env,
                           capture_output=True, text=True, timeout=300, check=False)
    assert again.returncode == 0, again.stderr


def test_interrupt_during_writing_counts_the_files_really_replaced(tmp_path: Path) -> None:
    """Ctrl-C arriving while write_all replaces files stops it between two files: each file is
    the old one or the new one, and the record names exactly the new ones. (The build writes
    every output with write_all, after every render is done.)"""
    out = tmp_path / "output"
    names = [Path(f"brief/file-{i:02}.pdf") for i in range(40)]
    for name in names:
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(b"old")
    new = {name: b"new" + bytes(1_000_000) for name in names}
    first = (out / names[0]).stat().st_ino

    def interrupt_after_first_file() -> None:
        deadline = time.monotonic() + 30
        while (out / names[0]).stat().st_ino == first and time.monotonic() < deadline:
            time.sleep(0.0005)
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

    sender = threading.Thread(target=interrupt_after_first_file)
    with recording_writes() as written:
        sender.start()
        with pytest.raises(KeyboardInterrupt):
            write_all(out, new)
            time.sleep(30)  # all written before the signal came: the wait ends in it
    sender.join()
    replaced = [out / n for n in names if (out / n).read_bytes() != b"old"]
    assert all((out / n).read_bytes() in (b"old", new[n]) for n in names)
    assert written == replaced
    print(f"{len(written)} of {len(names)} replaced before the interrupt")
    assert written and len(written) < len(names), "the interrupt did not land mid-loop"
    assert list(out.rglob("*.tmp")) == []


# A PDF-only failure: the HTML renders, so `check` passes and the build fails at its render.
UNREACHABLE = "http://127.0.0.1:9/x.png"
REFUSED = refused(UNREACHABLE, "the renderer never uses the network")


@pytest.mark.slow
def test_located_problems_come_first_on_stderr(hproject: Path,
                                               guarded_env: dict[str, str]) -> None:
    """In a CI log (stderr not a terminal) the progress lines are printed after the problems,
    and the count is last."""
    add_to_template(hproject, f'<img src="{UNREACHABLE}" alt="x">')
    proc = subprocess.run([sys.executable, "build.py", "--project", str(hproject), "build",
                           "--force", "-j", "2", "--format", "pdf"], cwd=REPO, env=guarded_env,
                          capture_output=True, text=True, timeout=300, check=False)
    lines = proc.stderr.splitlines()
    assert proc.returncode == 1, proc.stderr
    assert lines[0] == REFUSED
    assert lines[-1] == "briefsmith: 1 problem; no output was written"
    progress = lines[1:-1]
    assert sorted(re.sub(r" in [\d.]+ s$", "", p.split("] ", 1)[1]) for p in progress) == [
        "built harbour (parliamentary) (pdf)", "built harbour (student) (pdf)",
        "failed harbour (ngo) (pdf)"]
    assert all(PROGRESS.match(p) for p in progress)
    assert proc.stdout == ""


@pytest.mark.slow
def test_located_problems_come_first_in_process(hproject: Path, cli) -> None:
    add_to_template(hproject, f'<img src="{UNREACHABLE}" alt="x">')
    run = cli(hproject, "build", "--force", "-j", "2", "--format", "pdf")
    assert run.code == 1
    assert problem_lines(run.err_lines) == [REFUSED]
    assert [PROGRESS.match(line) is not None for line in run.err.splitlines()] == [
        False, True, True, True, False]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_bar_is_cleared_before_the_problems(
        monkeypatch: pytest.MonkeyPatch) -> None:
    screen = _Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    progress = Progress()
    progress("[1/2] built harbour (ngo) (html) in 0.1 s")
    progress.clear()
    print("briefs/harbour.yaml:1:1: a problem", file=sys.stderr)
    progress.release()
    assert screen.getvalue() == ("\r\033[K[##########----------] [1/2] built harbour (ngo) "
                                 "(html) in 0.1 s\r\033[Kbriefs/harbour.yaml:1:1: a problem\n")
