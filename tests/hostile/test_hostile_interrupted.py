"""Group 7: builds killed part-way and builds started at the same time.

A scheduled build can be killed at any moment (SIGKILL, the OOM killer, a power cut). After
that, every output is either the last good file, byte for byte, or a complete new one; nothing
is truncated or empty; the only leftovers are Briefsmith's own temporary files, which the next
successful build removes. A build that finds another one writing is refused and writes nothing.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from briefsmith.core.files import LOCK_NAME

from .hostile_support import REPO, digest, edit, problem_lines, write

AUDIENCES = ("parliamentary", "ngo", "student")
OUTPUTS = [f"harbour/harbour-{a}.{f}" for a in AUDIENCES for f in ("pdf", "html")]
MANIFEST = ".briefsmith-manifest.json"
OLD_TEXT = '  text: "Critics say the quay was built for tourists rather than fishing crews."'
NEW_WORDS = "Critics now say the quay was built for tourists, a revised view."
OWN_TEMP = re.compile(r"\..+\.tmp|[0-9a-f]{64}\.\d+\.tmp")


@pytest.fixture
def revised(full_baseline: Path, tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    """A copy of the fully built project whose content has since changed, so that a new build
    writes different files; and the last good bytes of every output."""
    root = tmp_path / "project"
    shutil.copytree(full_baseline, root, symlinks=True)
    good = {rel: (root / "output" / rel).read_bytes() for rel in OUTPUTS}
    edit(root, "content/blocks/harbour.yaml", OLD_TEXT, f'  text: "{NEW_WORDS}"')
    return root, good


def _start_build(root: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "build.py", "--project", str(root), "build", "--force"], cwd=REPO,
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the build and its render workers and pandoc: its own process group."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(30)


def _first_output_replaced(root: Path, good: dict[str, bytes], proc: subprocess.Popen[bytes],
                           timeout: float = 90) -> None:
    before = {rel: (root / "output" / rel).stat().st_ino for rel in OUTPUTS}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        for rel in OUTPUTS:
            try:
                if (root / "output" / rel).stat().st_ino != before[rel]:
                    return
            except FileNotFoundError:
                return  # never expected: the consistency check will say so
        time.sleep(0.002)
    raise AssertionError("the build never replaced an output")


def _assert_consistent(root: Path, good: dict[str, bytes]) -> list[Path]:
    """Each output is the good old file or a complete new one; returns the temp files."""
    out = root / "output"
    for rel in OUTPUTS:
        data = (out / rel).read_bytes()
        assert data, f"{rel} is empty"
        if data == good[rel]:
            continue
        if rel.endswith(".pdf"):
            assert data.rstrip().endswith(b"%%EOF"), f"{rel} is truncated"
            reader = PdfReader(io.BytesIO(data))
            text = " ".join("".join(p.extract_text() or "" for p in reader.pages).split())
            assert "a revised view" in text, f"{rel} is neither the old nor the new PDF"
        else:
            assert data.rstrip().endswith(b"</html>"), f"{rel} is truncated"
            assert NEW_WORDS.encode() in data, f"{rel} is neither the old nor the new HTML"
    json.loads((out / MANIFEST).read_text(encoding="utf-8"))  # old or new, never half
    temps, strays = [], []
    for path in out.rglob("*"):
        rel = path.relative_to(out).as_posix()
        if path.is_dir() or rel in OUTPUTS or rel in (MANIFEST, LOCK_NAME):
            continue
        if OWN_TEMP.fullmatch(path.name):
            temps.append(path)
        elif not ((rel.startswith(".cache/citeproc/") and path.suffix == ".json")
                  or (rel.startswith(".cache/templates/") and path.suffix == ".jinja")
                  or (rel.startswith(".cache/fonts/") and path.suffix == ".woff2")
                  or rel in (".cache/stat-cache.json", ".cache/warnings-shown.json")):
            strays.append(rel)
    assert strays == [], f"unexpected files in output/: {strays}"
    return temps


@pytest.mark.slow
@pytest.mark.parametrize("kill_at", [0.5, 1.5, 3.0, "first-output-replaced"],
                         ids=["after-0.5s", "after-1.5s", "after-3s", "mid-write"])
def test_killed_build_never_costs_the_last_good_output(revised: tuple[Path, dict[str, bytes]],
                                                       guarded_env: dict[str, str], cli,
                                                       kill_at: float | str) -> None:
    root, good = revised
    proc = _start_build(root, guarded_env)
    try:
        if kill_at == "first-output-replaced":
            _first_output_replaced(root, good, proc)
        else:
            time.sleep(float(kill_at))
    finally:
        _kill(proc)
    _assert_consistent(root, good)
    # The next successful build, whatever it builds, leaves no temporary file behind.
    run = cli(root, "build", "--audience", "ngo", "--format", "html")
    assert run.code == 0, run.err
    assert _assert_consistent(root, good) == []
    assert not list((root / "output").rglob("*.tmp"))


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait(30)
    return proc.pid


def test_next_build_removes_stale_temp_files_of_dead_builds_only(hproject: Path, cli) -> None:
    """Temp files as a killed build leaves them (its pid in the name, the pid gone) are
    removed; those of a live process (a report or cache entry being written) and files that
    are not Briefsmith's are left alone."""
    out = hproject / "output"
    dead = _dead_pid()
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        stale = [
            write(out, f"harbour/.harbour-ngo.pdf.{dead}.k3j9x2ab.tmp", b"%PDF-1.7 trunc"),
            write(out, f".{MANIFEST}.{dead}.q8w7e6r5.tmp", b'{"schema": 1, "outp'),
            write(out, f".cache/citeproc/{'ab' * 32}.{dead}.tmp", b'{"class": "no'),
        ]
        kept = [
            write(out, f"harbour/.harbour-ngo.html.{live.pid}.a1b2c3d4.tmp", b"<!DOCTYPE"),
            write(out, "harbour/notes.tmp", b"the user's own file"),
        ]
        run = cli(hproject, "build", "--audience", "ngo", "--format", "html")
        assert run.code == 0, run.err
        assert [p for p in stale if p.exists()] == []
        assert [p for p in kept if not p.exists()] == []
    finally:
        live.kill()
        live.wait(30)


def test_failed_build_removes_no_temp_file_and_writes_nothing(hproject: Path, cli) -> None:
    """Clean-up belongs to a build that writes: a failing one touches nothing at all."""
    out = hproject / "output"
    stale = write(out, f"harbour/.harbour-ngo.pdf.{_dead_pid()}.k3j9x2ab.tmp", b"%PDF-1.7")
    before = digest(out)
    add = "  text: \"[" + "[" * 300 + "\"\n"
    edit(hproject, "content/blocks/harbour.yaml", OLD_TEXT, add.rstrip("\n"))
    run = cli(hproject, "build", "--audience", "ngo", "--format", "html")
    assert run.code == 1
    assert digest(out) == before
    assert stale.exists()


@pytest.mark.slow
def test_second_build_while_one_holds_the_lock_is_refused(hproject: Path, cli,
                                                          guarded_env: dict[str, str]) -> None:
    out = hproject / "output"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\nfrom pathlib import Path\n"
         "from briefsmith.core.files import build_lock\n"
         "with build_lock(Path(sys.argv[1])):\n    print('locked', flush=True)\n"
         "    time.sleep(120)\n", str(out)],
        cwd=REPO, env=guarded_env, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        edit(hproject, "content/blocks/harbour.yaml", OLD_TEXT, f'  text: "{NEW_WORDS}"')
        before = digest(out)
        run = cli(hproject, "build", "--audience", "ngo")
        assert run.code == 1
        assert problem_lines(run.err_lines) == [
            f"{out / LOCK_NAME}: another build is writing to this output folder: wait for it "
            "to finish and run the build again"]
        assert run.err_lines[-1] == "briefsmith: 1 problem; no output was written"
        assert digest(out) == before
    finally:
        holder.kill()
        holder.wait(30)
    # The lock dies with its holder: the next build goes through.
    run = cli(hproject, "build", "--audience", "ngo", "--format", "html")
    assert run.code == 0, run.err
    assert NEW_WORDS in (out / "harbour/harbour-ngo.html").read_text(encoding="utf-8")
