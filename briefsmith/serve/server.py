"""Live preview: `briefsmith serve` builds, watches and serves the briefs on 127.0.0.1.

A save is seen by polling (freshness.Digests, every POLL_SECONDS: no extra dependency, a few
milliseconds per look). What it affects is rebuilt by `pipeline.build`, which skips every
output whose recorded inputs did not change: first the HTML, after which every open page is
told to reload, then the PDFs. Both run in one long-lived worker process that has imported the
pipeline and WeasyPrint and rendered once before the first save, so a save pays for the render
only. A PDF build still running when the next save comes is stopped (SIGINT, which the build
turns into a clean stop: its render workers ended, nothing half-written), so the new HTML never
waits for an old PDF.

The server is the standard library's, bound to 127.0.0.1 only, answering GET only; a Host
header other than 127.0.0.1:PORT or localhost:PORT is refused (a web page elsewhere cannot
reach it through DNS rebinding), and only files inside output/ are ever served.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import re
import signal
import sys
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from ..builder.freshness import snapshot
from ..builder.request import BuildRequest
from ..core.errors import BriefsmithError, BriefsmithWarning, OutputError
from ..core.files import signals_deferred
from ..core.models import Origin
from ..core.paths import open_inside
from ..formats.pdf import render_pdf
from ..pipeline import load_project
from ..run import run_build
from . import preview

HOST = "127.0.0.1"
POLL_SECONDS = 0.1
KEEPALIVE_SECONDS = 15.0
STOP_SECONDS = 10.0  # how long a stopping build may take before the worker is killed
_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")  # a brief id or an audience name
Log = Callable[[str], None]


# --------------------------------------------------------------------------- the warm worker


def _worker_main(conn: Connection, server_end: Connection, root: Path, out_dir: Path,
                 override: Path | None, audience: str | None, listening: int) -> None:
    """The build process. In its own process group, so that Ctrl-C in the terminal reaches
    the server only, which then stops it; SIGINT from the server means "stop this build" and
    is let through only while a build runs."""
    os.close(listening)  # the server's socket: a worker left behind must not hold the port
    # The server's end of the pipe, a copy made by fork: while this process holds it, a server
    # that is killed (SIGKILL, a closed terminal's SIGHUP) never reads as gone, and this
    # process would wait for its next build for ever.
    server_end.close()
    os.setpgrp()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    signal.pthread_sigmask(signal.SIG_SETMASK, {signal.SIGINT})
    # A PDF build stopped for a newer save stops its render processes with SIGTERM, which
    # they turn into SystemExit; one that lands in a destructor is printed as "Exception
    # ignored". Expected here, several times a minute: those are not shown (the render
    # processes inherit this hook); anything else still is.
    sys.unraisablehook = _unraisable

    started = time.perf_counter()
    _warm_up(out_dir)
    conn.send(("ready", time.perf_counter() - started))
    while True:
        try:
            message = conn.recv()
        except EOFError:  # the server is gone
            return
        if message[0] != "build":
            return
        formats: tuple[str, ...] = message[1]
        signal.sigtimedwait({signal.SIGINT}, 0)  # a stop that came after the last build ended
        reply: tuple[Any, ...]
        try:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
            try:
                result = run_build(root, out_dir, BuildRequest(
                    audiences=(audience,) if audience else None, formats=formats,
                    override=override))
            finally:
                signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
            reply = ("done", [o.path.as_posix() for o in result.outputs], result.seconds,
                     result.warnings)
        except BriefsmithError as exc:
            reply = ("problems", exc.lines())
        except KeyboardInterrupt:  # run_build removed what the build left half-written
            reply = ("cancelled",)
        conn.send(reply)


def _unraisable(info: Any) -> None:
    if not isinstance(info.exc_value, SystemExit):
        sys.__unraisablehook__(info)


def _warm_up(out_dir: Path) -> None:
    """One tiny render, so that WeasyPrint, its fonts and fontconfig are loaded here and every
    render process the build forks from here starts with them."""

    with contextlib.suppress(BriefsmithError):  # fonts missing: the build reports it, located
        render_pdf("<!DOCTYPE html><html lang=\"en\"><title>warm-up</title><p>Warm-up</p>",
                   out_dir, (), identifier="warm-up", epoch=0, origin=Origin("warm-up"))


class WarmWorker:
    """The server's handle on the build process: one build at a time, each answered once."""

    def __init__(self, root: Path, out_dir: Path, override: Path | None,
                 audience: str | None, listening: int) -> None:
        context = multiprocessing.get_context("fork")  # before any thread of the server
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=_worker_main,
            args=(child, self.conn, root, out_dir, override, audience, listening),
            # not a daemon: a daemon may not start the render processes a build forks; it ends
            # when the server asks, or when the server is gone (its end of the pipe closes)
            name="briefsmith-preview-worker")
        with signals_deferred():  # no Ctrl-C between fork and the child's own handlers
            self.process.start()
        child.close()
        self.ready_seconds: float | None = None

    def wait_ready(self, stop: threading.Event) -> bool:
        while not stop.is_set():
            if self.conn.poll(0.1):
                self.ready_seconds = self.conn.recv()[1]
                return True
            if not self.process.is_alive():
                raise RuntimeError("the preview's build process stopped while starting")
        return False

    def submit(self, formats: tuple[str, ...]) -> None:
        self.conn.send(("build", formats))

    def reply(self, timeout: float) -> tuple[Any, ...] | None:
        if self.conn.poll(timeout):
            return self.conn.recv()
        if not self.process.is_alive():
            raise RuntimeError("the preview's build process stopped")
        return None

    def cancel(self) -> None:
        if self.process.pid is not None and self.process.is_alive():
            os.kill(self.process.pid, signal.SIGINT)

    def close(self) -> None:
        """Ask it to end; if it does not, SIGTERM (its render workers are stopped on the way
        out), and kill as the last resort."""
        with contextlib.suppress(OSError):
            self.conn.send(("stop",))
        self.process.join(STOP_SECONDS)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(STOP_SECONDS)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


# --------------------------------------------------------------------------- events


class Hub:
    """What every open page is told: a generation number that grows with each good HTML
    build, and the problems of the last build; and the warnings of the last good one, which the
    index lists."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.generation = 0
        self.problems: list[str] = []
        self.warnings: list[BriefsmithWarning] = []
        self.clients: list[queue.SimpleQueue[bytes | None]] = []

    def _publish(self, message: bytes) -> None:
        for client in self.clients:
            client.put(message)

    def reload(self) -> None:
        with self.lock:
            self.generation += 1
            self.problems = []
            self._publish(preview.sse("reload", self.generation))

    def set_problems(self, lines: list[str]) -> None:
        with self.lock:
            self.problems = list(lines)
            self._publish(preview.sse("problems", self.problems))

    def set_warnings(self, warnings: list[BriefsmithWarning]) -> None:
        with self.lock:
            self.warnings = list(warnings)

    def pdf_done(self, paths: list[str]) -> None:
        with self.lock:
            self._publish(preview.sse("pdf", paths))

    def state(self) -> tuple[int, list[str]]:
        with self.lock:
            return self.generation, list(self.problems)

    @staticmethod
    def _keepalive() -> bytes:
        return b": keep-alive\n\n"

    def subscribe(self, since: int | None) -> queue.SimpleQueue[bytes | None]:
        client: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        with self.lock:
            self.clients.append(client)
            if since is not None and since != self.generation:
                client.put(preview.sse("reload", self.generation))
            elif self.problems:
                client.put(preview.sse("problems", self.problems))
        return client

    def unsubscribe(self, client: queue.SimpleQueue[bytes | None]) -> None:
        with self.lock:
            if client in self.clients:
                self.clients.remove(client)

    def close(self) -> None:
        with self.lock:
            for client in self.clients:
                client.put(None)


# --------------------------------------------------------------------------- watch and build


def _watch(root: Path, out_dir: Path, override: Path | None, stop: threading.Event,
           changed: threading.Event, first: tuple[str | None, ...]) -> None:
    last = first
    while not stop.wait(POLL_SECONDS):
        snap = snapshot(root, out_dir, override)
        if snap != last:
            last = snap
            changed.set()


class Builder:
    """Runs one save's builds in order: HTML, pages told to reload, then PDF."""

    def __init__(self, worker: WarmWorker, hub: Hub, log: Log, stop: threading.Event,
                 changed: threading.Event) -> None:
        self.worker, self.hub, self.log = worker, hub, log
        self.stop, self.changed = stop, changed

    def run(self) -> None:
        try:
            self._run()
        except (EOFError, OSError, RuntimeError) as exc:
            if self.stop.is_set():
                return
            why = str(exc) or type(exc).__name__
            line = (f"briefsmith: the preview's build process stopped ({why}): no more "
                    "rebuilds; stop `serve` with Ctrl-C and start it again")
            self.log(line)
            self.hub.set_problems([line])

    def _run(self) -> None:
        if not self.worker.wait_ready(self.stop):
            return
        self.log(f"build process ready in {self.worker.ready_seconds:.1f} s")
        while not self.stop.is_set():
            if not self.changed.wait(0.1):
                continue
            self.changed.clear()
            started = time.perf_counter()
            outcome = self._build(("html",), cancellable=False)
            if outcome is None:
                return
            if not self._report("HTML", outcome, started):
                continue
            if self.changed.is_set():
                continue  # a newer save: its HTML first
            outcome = self._build(("pdf",), cancellable=True)
            if outcome is None:
                return
            self._report("PDF", outcome, started)

    def _build(self, formats: tuple[str, ...], cancellable: bool) -> tuple[Any, ...] | None:
        """The worker's answer, or None when the server is stopping."""
        self.worker.submit(formats)
        cancelled = False
        deadline = None
        while True:
            reply = self.worker.reply(0.02)
            if reply is not None:
                return None if self.stop.is_set() else reply
            if self.stop.is_set() and deadline is None:
                self.worker.cancel()
                deadline = time.monotonic() + STOP_SECONDS
            elif deadline is not None and time.monotonic() > deadline:
                return None  # close() ends it
            elif cancellable and not cancelled and self.changed.is_set():
                self.worker.cancel()
                cancelled = True

    def _report(self, what: str, outcome: tuple[Any, ...], started: float) -> bool:
        kind = outcome[0]
        if kind == "problems":
            lines: list[str] = outcome[1]
            for line in lines:
                self.log(line)
            self.log(f"briefsmith: {len(lines)} problem{'s' if len(lines) != 1 else ''} "
                     f"({what}); the preview shows them and waits for the next save")
            self.hub.set_problems(lines)
            return False
        if kind == "cancelled":
            self.log(f"{what}: stopped for a newer save")
            return False
        paths, seconds = outcome[1], outcome[2]
        after = time.perf_counter() - started
        if what == "HTML":
            self.hub.set_warnings(outcome[3])  # the index lists them
            if paths or self.hub.state()[1]:
                self.hub.reload()
        elif paths:
            self.hub.pdf_done(paths)
        if paths:
            self.log(f"{what}: rebuilt {len(paths)} in {seconds:.2f} s ({after:.2f} s after "
                     "the save was seen)" + ("; pages told to reload" if what == "HTML" else ""))
        else:
            self.log(f"{what}: up to date ({seconds:.2f} s)")
        return True


# --------------------------------------------------------------------------- HTTP


class PreviewServer(ThreadingHTTPServer):
    daemon_threads = True  # an open event stream must not keep the process alive
    block_on_close = False

    def __init__(self, port: int, root: Path, out_dir: Path, override: Path | None,
                 audience: str | None, hub: Hub) -> None:
        super().__init__((HOST, port), Handler)
        self.root, self.out_dir, self.override = root, out_dir, override
        self.audience, self.hub = audience, hub
        self.hosts = {f"127.0.0.1:{self.port}", f"localhost:{self.port}"}
        self._index: tuple[tuple[str | None, ...], list[Any]] | None = None
        self._index_lock = threading.Lock()
        self.closing = threading.Event()

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def listing(self) -> list[tuple[str, str, list[tuple[str, str]]]]:
        """Briefs and their audiences, loaded when the project changed since the last look;
        while the project does not load, the last listing that did."""

        snap = snapshot(self.root, self.out_dir, self.override)
        with self._index_lock:
            if self._index is not None and self._index[0] == snap:
                return list(self._index[1])
            try:
                content = load_project(self.root, self.override).content
            except BriefsmithError:
                return list(self._index[1]) if self._index else []
            rows = [(b.id, b.title, [(a, content.audiences[a].label) for a in b.audiences
                                     if self.audience is None or a == self.audience])
                    for b in sorted(content.briefs.values(), key=lambda b: b.id)]
            self._index = (snap, rows)
            return list(rows)

    def output_file(self, brief: str, audience: str, fmt: str) -> Path | None:
        """The built file for a brief and audience, or None: names are checked before they
        become a path, and the path must stay inside output/."""
        if not (_SEGMENT.match(brief) and _SEGMENT.match(audience)) or ".." in brief + audience:
            return None
        path = self.out_dir / brief / f"{brief}-{audience}.{fmt}"
        real = path.resolve()
        if not real.is_relative_to(self.out_dir) or not real.is_file():
            return None
        return path


class Handler(BaseHTTPRequestHandler):
    server: PreviewServer
    protocol_version = "HTTP/1.1"
    server_version = "briefsmith-preview"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the builds' lines are what a user reads in the terminal

    def do_GET(self) -> None:
        if self.headers.get("Host", "") not in self.server.hosts:
            self._send(HTTPStatus.FORBIDDEN, b"forbidden: open the preview at "
                       b"http://127.0.0.1:PORT/ or http://localhost:PORT/\n", "text/plain")
            return
        url = urlsplit(self.path)
        parts = [unquote(p) for p in url.path.split("/")[1:]]
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the reader left
            self._route(parts, url.query)

    def _route(self, parts: list[str], query: str) -> None:
        server = self.server
        if parts in ([""], ["index.html"]):
            generation, problems = server.hub.state()
            rows = []
            for brief, title, audiences in server.listing():
                rows.append((brief, title, [
                    (name, label, server.output_file(brief, name, "html") is not None,
                     server.output_file(brief, name, "pdf") is not None)
                    for name, label in audiences]))
            with server.hub.lock:
                warnings = list(server.hub.warnings)
            self._send(HTTPStatus.OK, preview.index_page(rows, generation, problems,
                                                         "Briefsmith preview", warnings),
                       "text/html")
        elif parts == ["events"]:
            since = parse_qs(query).get("since", [""])[0]
            self._events(int(since) if since.isdigit() else None)
        elif len(parts) == 4 and parts[0] == "brief" and parts[3] == "":
            path = server.output_file(parts[1], parts[2], "html")
            if path is None:
                self._not_found()
                return
            generation, problems = server.hub.state()
            with open_inside(path, (server.out_dir,)) as handle:
                page = handle.read()
            self._send(HTTPStatus.OK, preview.inject(page, generation, problems), "text/html")
        elif len(parts) == 3 and parts[0] == "brief" and server.output_file(
                parts[1], parts[2], "html") is not None:
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)
            self.send_header("Location", f"/brief/{parts[1]}/{parts[2]}/")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif len(parts) == 3 and parts[0] == "pdf" and parts[2].endswith(".pdf"):
            path = server.output_file(parts[1], parts[2][:-len(".pdf")], "pdf")
            if path is None:
                self._not_found()
                return
            with open_inside(path, (server.out_dir,)) as handle:
                data = handle.read()
            self._send(HTTPStatus.OK, data, "application/pdf",
                       {"Content-Disposition": f'inline; filename="{path.name}"'})
        else:
            self._not_found()

    def _not_found(self) -> None:
        self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain")

    def _send(self, status: HTTPStatus, body: bytes, kind: str,
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind if kind == "application/pdf"
                         else f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _events(self, since: int | None) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        hub = self.server.hub
        client = hub.subscribe(since)
        try:
            self.wfile.write(b"retry: 500\n\n")
            self.wfile.flush()
            while not self.server.closing.is_set():
                try:
                    message = client.get(timeout=KEEPALIVE_SECONDS)
                except queue.Empty:
                    message = Hub._keepalive()
                if message is None:
                    return
                self.wfile.write(message)
                self.wfile.flush()
        finally:
            hub.unsubscribe(client)


# --------------------------------------------------------------------------- the command


def serve(root: Path, override: Path | None, port: int, audience: str | None,
          log: Log | None = None) -> None:
    """Serve until Ctrl-C or SIGTERM (raised here as KeyboardInterrupt, as the CLI does for
    every command); the worker, the threads and the socket are all gone when this returns."""

    out_dir = (root / "output").resolve()
    log = log or (lambda line: print(line, file=sys.stderr, flush=True))
    hub = Hub()
    stop, changed = threading.Event(), threading.Event()
    first = snapshot(root, out_dir, override)
    changed.set()  # the first build: whatever is stale since the last one
    try:
        server = PreviewServer(port, root, out_dir, override, audience, hub)
    except OSError as exc:
        raise OutputError(f"cannot listen on {HOST}:{port}: {exc.strerror}: give another "
                          "--port, or --port 0 for a free one") from exc
    threads: list[threading.Thread] = []
    worker: WarmWorker | None = None
    try:
        # forked before any thread starts; it closes its copy of the listening socket
        worker = WarmWorker(root, out_dir, override, audience, server.fileno())
        builder = Builder(worker, hub, log, stop, changed)
        threads = [threading.Thread(target=builder.run, name="preview-build", daemon=True),
                   threading.Thread(target=_watch, args=(root, out_dir, override, stop, changed,
                                                         first),
                                    name="preview-watch", daemon=True)]
        for thread in threads:
            thread.start()
        print(f"serving http://{HOST}:{server.port}/ (Ctrl-C to stop)", flush=True)
        server.serve_forever(poll_interval=0.2)
    finally:
        with signals_deferred():  # stopping must finish: a second Ctrl-C waits for it
            stop.set()
            hub.close()
            server.closing.set()
            server.server_close()
            for thread in threads:
                thread.join(STOP_SECONDS + 1)
            if worker is not None:
                worker.close()
