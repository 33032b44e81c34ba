"""The network guard itself: an attempt here, in a forked worker or in a subprocess is caught."""

from __future__ import annotations

import multiprocessing
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from .hostile_support import attempts


def _lookup_in_child() -> None:
    try:
        socket.getaddrinfo("example.org", 443)
    except PermissionError:
        sys.exit(3)
    sys.exit(0)


def test_guard_refuses_and_records_a_connect_in_this_process(no_network: Path) -> None:
    with socket.socket() as sock, pytest.raises(PermissionError, match="blocked"):
        sock.connect(("127.0.0.1", 9))
    assert "socket.connect" in attempts(no_network)
    no_network.unlink()  # the attempt was this test's own


def test_guard_catches_a_lookup_in_a_forked_worker(no_network: Path) -> None:
    child = multiprocessing.get_context("fork").Process(target=_lookup_in_child)
    child.start()
    child.join(30)
    assert child.exitcode == 3
    assert f"pid {child.pid}: socket.getaddrinfo" in attempts(no_network)
    no_network.unlink()


def test_guard_catches_a_lookup_in_a_subprocess(no_network: Path,
                                                guarded_env: dict[str, str]) -> None:
    code = "import socket\nsocket.getaddrinfo('example.org', 443)\n"
    proc = subprocess.run([sys.executable, "-c", code], env=guarded_env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert proc.returncode == 1
    assert "PermissionError: network access blocked" in proc.stderr
    assert "socket.getaddrinfo" in attempts(no_network)
    no_network.unlink()
