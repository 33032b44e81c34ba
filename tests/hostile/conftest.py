"""The hostile-input suite runs with the network blocked.

One audit hook is installed for the whole session (audit hooks cannot be removed); a module-level
flag arms it for each test. While armed, every socket connect or name lookup is appended to a
log file in the test's tmp_path and refused with PermissionError. Render workers are forked, so
they inherit the hook and the flag: an attempt in a worker is logged too (and fails the render).
After each test the log must be empty, or the test fails. Builds started with `subprocess` get
the same guard from netguard/sitecustomize.py (see `guarded_env`).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from briefsmith.cli import main

from .hostile_support import (
    SECRET,
    attempts,
    copy_minimal,
    install_network_guard,
    network_guard,
)

HERE = Path(__file__).resolve().parent

install_network_guard()


@pytest.fixture(autouse=True)
def no_network(tmp_path: Path) -> Iterator[Path]:
    """Every hostile test: any connect or lookup, here or in a worker, fails the test."""
    with network_guard(tmp_path / "network-attempts.log") as log:
        yield log
    if attempts(log):
        pytest.fail(f"the network was contacted:\n{attempts(log)}")


@pytest.fixture
def guarded_env(no_network: Path) -> dict[str, str]:
    """Environment for a subprocess build: the same guard, logging to the same file."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(HERE / "netguard"), *filter(None, [env.get("PYTHONPATH")])])
    env["HOSTILE_NETWORK_LOG"] = str(no_network)
    return env


@pytest.fixture(scope="session")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The minimal project with its NGO brief built (PDF and HTML): the last good outputs."""
    root = copy_minimal(tmp_path_factory.mktemp("hostile-baseline") / "project")
    log = root.parent / "network-attempts.log"
    with network_guard(log):
        assert main(["--project", str(root), "build", "--audience", "ngo"]) == 0
    assert not attempts(log)
    return root


@pytest.fixture(scope="session")
def full_baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The minimal project with every audience built: for the interrupted-build tests."""
    root = copy_minimal(tmp_path_factory.mktemp("hostile-full") / "project")
    log = root.parent / "network-attempts.log"
    with network_guard(log):
        assert main(["--project", str(root), "build"]) == 0
    assert not attempts(log)
    return root


@pytest.fixture
def hproject(baseline: Path, tmp_path: Path) -> Path:
    """A copy of the built baseline project, outputs included, safe to make hostile."""
    dest = tmp_path / "project"
    shutil.copytree(baseline, dest, symlinks=True)
    return dest


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A file outside the project whose contents must never reach an output."""
    path = tmp_path / "outside-secret.txt"
    path.write_text(SECRET + "\n", encoding="utf-8")
    return path
