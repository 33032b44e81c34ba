"""`briefsmith serve`: the live preview, driven as a user drives it.

One real server (a subprocess of `build.py serve`) on a copy of the minimal fixture, real
builds, and Debian's headless Chromium spoken to with the Chrome DevTools Protocol over
--remote-debugging-pipe (file descriptors 3 and 4, NUL-separated JSON: no driver, no npm
package). The page is opened once; every later change must reach it by itself.
"""

from __future__ import annotations

import http.client
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from _chromium import Chromium
from conftest import REPO, copy_project

BLOCKS = "content/blocks/harbour.yaml"
WAIT = 30.0  # seconds a change may take to reach the page on a loaded 2-core machine


class Server:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.log = root.parent / "serve.log"
        self.proc = subprocess.Popen(
            [sys.executable, str(REPO / "build.py"), "--project", str(root), "serve",
             "--port", "0"],
            stdout=subprocess.PIPE, stderr=self.log.open("w"), text=True,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], 60)
        line = self.proc.stdout.readline() if ready else ""
        assert line.startswith("serving http://127.0.0.1:"), (line, self.log.read_text())
        self.url = line.split()[1]
        self.port = int(self.url.rstrip("/").rsplit(":", 1)[1])

    def get(self, path: str, host: str | None = None) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.putrequest("GET", path, skip_host=True)
            conn.putheader("Host", host or f"127.0.0.1:{self.port}")
            conn.endheaders()
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()


def until(what: Callable[[], Any], seconds: float, step: float = 0.1) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = what()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = copy_project("minimal", tmp_path_factory.mktemp("serve") / "project")
    srv = Server(root)
    try:
        # the first build's HTML: what the page tests open
        assert until(lambda: srv.get("/brief/harbour/ngo/")[0] == 200, 60), srv.log.read_text()
        yield srv
    finally:
        if srv.proc.poll() is None:
            srv.proc.kill()
            srv.proc.wait()


def set_question(root: Path, line: str) -> None:
    """Replace the text line of block quay-question (the fixture's last block)."""
    path = root / BLOCKS
    lines = path.read_text(encoding="utf-8").split("\n")
    start = lines.index("- id: quay-question")
    index = next(i for i in range(start, len(lines)) if lines[i].startswith("  text:"))
    lines[index] = line
    # replaced whole, as most editors save: the preview never reads a half-written file
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text("\n".join(lines), encoding="utf-8")
    os.replace(tmp, path)


@pytest.mark.slow
def test_index_lists_every_brief_for_every_audience(server: Server) -> None:
    status, headers, body = server.get("/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    page = body.decode()
    assert "The new quay" in page
    for audience in ("parliamentary", "ngo", "student"):
        assert f'href="/brief/harbour/{audience}/"' in page
        assert f'href="/pdf/harbour/{audience}.pdf"' in page or "PDF not built yet" in page


@pytest.mark.slow
def test_index_lists_the_last_builds_warnings_in_three_parts(server: Server) -> None:
    """The same warnings the command line prints: where, what kind, what to do."""
    index = until(lambda: (page := server.get("/")[2].decode()) and "warning" in page and page,
                  30)
    assert '<h2 id="warnings">' in index
    assert ('<li><code>templates/minister/audience.yaml</code> <span class="kind">audience'
            "</span> no brief lists audience &#x27;minister&#x27;, so it is never built") in index


def test_a_warning_is_escaped_in_the_preview() -> None:
    from briefsmith.core.errors import BriefsmithWarning
    from briefsmith.core.origin import Origin
    from briefsmith.serve.preview import warning_list

    shown = warning_list([BriefsmithWarning(Origin("content/blocks/<b>.yaml", 3, 5),
                                            '<img src=x onerror="alert(1)">', "fidelity")])
    assert "<img" not in shown and "<b>" not in shown
    assert "content/blocks/&lt;b&gt;.yaml:3:5" in shown
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in shown
    assert warning_list([]) == ""


def test_page_follows_saves_and_shows_problems_until_fixed(server: Server,
                                                           browser: Chromium) -> None:
    browser.open(server.url + "brief/harbour/ngo/")
    assert until(lambda: "Who should a public quay serve first?" in browser.text(), WAIT), \
        (browser.text()[:300], server.log.read_text())
    marker = browser.evaluate("window.__opened_once = 'yes'")
    assert marker == "yes"
    # the preview is the built page, with the fonts it carries (test_html_fonts.py)
    assert browser.evaluate("[...document.fonts].filter(f => f.family.replace(/\"/g, '') "
                            "=== 'Source Serif 4').length") == 6

    set_question(server.root, '  text: "Who should the quay serve in winter, asks the editor?"')
    assert until(lambda: "serve in winter, asks the editor" in browser.text(), WAIT), \
        server.log.read_text()
    # it reloaded by itself: the value set on the old document is gone
    assert browser.evaluate("window.__opened_once || 'reloaded'") == "reloaded"
    # the preview's script is added when served, never written into output/
    built = (server.root / "output/harbour/harbour-ngo.html").read_text(encoding="utf-8")
    assert "serve in winter" in built and "briefsmith-preview" not in built

    set_question(server.root, '  text: [unclosed "<b>bold</b>')
    def banner() -> str:
        return str(browser.evaluate(
            "(document.getElementById('briefsmith-problems') || {}).innerText || ''"))

    shown = until(lambda: f"{BLOCKS}:" in banner() and "invalid YAML" in banner(), WAIT)
    assert shown, (banner(), server.log.read_text())
    text = banner()
    assert "1 problem" in text, text
    # a line number after the file name, as every Briefsmith problem has
    line = next(part for part in text.split() if part.startswith(f"{BLOCKS}:"))
    assert line.split(":")[1].isdigit(), text
    # the page under the banner is the last good build
    assert "serve in winter, asks the editor" in browser.text()
    assert browser.evaluate("document.querySelector('#briefsmith-problems b')") is None

    set_question(server.root, '  text: "Who should the quay serve in spring?"')
    assert until(lambda: "serve in spring" in browser.text()
                 and "harbour.yaml:" not in browser.text(), WAIT), server.log.read_text()
    assert browser.evaluate("document.getElementById('briefsmith-problems')") is None


@pytest.mark.slow
def test_pdf_is_one_click_away(server: Server) -> None:
    def pdf() -> bool:
        status, headers, body = server.get("/pdf/harbour/ngo.pdf")
        return status == 200 and headers["Content-Type"] == "application/pdf" \
            and body.startswith(b"%PDF-")

    assert until(pdf, 60, 0.5), server.log.read_text()
    index = server.get("/")[2].decode()
    assert 'href="/pdf/harbour/ngo.pdf"' in index


@pytest.mark.slow
@pytest.mark.parametrize("path", [
    "/pdf/../../../../etc/passwd", "/pdf/harbour/..%2F..%2F..%2Fetc%2Fpasswd.pdf",
    "/pdf/%2e%2e/ngo.pdf", "/brief/../../", "/brief/harbour/..%2f..%2f/",
    "/output/harbour/harbour-ngo.html", "/pdf/harbour/nobody.pdf",
    "/pdf/.briefsmith-manifest/x.pdf", "/brief/harbour/ngo/../../../../etc/passwd"])
def test_nothing_outside_the_built_files_is_served(server: Server, path: str) -> None:
    status, _, body = server.get(path)
    assert status == 404, (path, body[:200])
    assert b"root:" not in body


@pytest.mark.slow
def test_other_hosts_are_refused(server: Server) -> None:
    assert server.get("/", host=f"localhost:{server.port}")[0] == 200
    for host in (f"evil.example:{server.port}", "127.0.0.1", f"127.0.0.1:{server.port + 1}",
                 f"localhost.evil.example:{server.port}"):
        status, _, body = server.get("/brief/harbour/ngo/", host=host)
        assert status == 403 and b"The new quay" not in body, host


def test_only_get(server: Server) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request("POST", "/", body=b"x")
        response = conn.getresponse()
        assert response.status == 501
    finally:
        conn.close()


@pytest.mark.slow
def test_port_taken_or_invalid_is_one_line(server: Server, tmp_path: Path) -> None:
    for port, says in ((str(server.port), f"cannot listen on 127.0.0.1:{server.port}"),
                       ("70000", "--port 70000 is not valid")):
        proc = subprocess.run([sys.executable, str(REPO / "build.py"), "--project",
                               str(server.root), "serve", "--port", port],
                              capture_output=True, text=True, timeout=60, check=False)
        assert proc.returncode == 1 and says in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr


def test_ctrl_c_stops_server_and_worker(server: Server) -> None:
    workers = subprocess.run(["pgrep", "-P", str(server.proc.pid)], capture_output=True,
                             text=True, check=False).stdout.split()
    assert workers, "the warm build process is not running"
    server.proc.send_signal(signal.SIGINT)
    assert server.proc.wait(30) == 130
    for pid in workers:
        assert until(lambda p=pid: not Path(f"/proc/{p}").exists(), 10), f"{pid} still there"
    assert "Traceback" not in server.log.read_text()


@pytest.mark.slow
def test_a_killed_server_leaves_no_worker_behind(tmp_path: Path) -> None:
    """SIGKILL, or the SIGHUP of a closed terminal, gives the server no chance to stop its
    build process: that process sees the pipe close and leaves by itself."""
    server = Server(copy_project("minimal", tmp_path / "project"))
    try:
        workers = until(lambda: subprocess.run(["pgrep", "-P", str(server.proc.pid)],
                                               capture_output=True, text=True,
                                               check=False).stdout.split(), 30)
        assert workers, "the warm build process is not running"
        server.proc.kill()
        server.proc.wait(30)
        for pid in workers:
            assert until(lambda p=pid: not Path(f"/proc/{p}").exists(), 30), f"{pid} stayed"
    finally:
        if server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait()
