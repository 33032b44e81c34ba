"""Run renders in worker processes, each with a memory cap and a time limit.

WeasyPrint is CPU-bound and single-threaded, so separate processes are what use a second core.
They also contain hostile input: a render that would exhaust memory or never finish stops with a
clear error naming its output, instead of taking the build (or the machine) down with it.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import resource
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from multiprocessing.pool import AsyncResult, Pool
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from ..core.errors import BriefsmithError, Problems, RenderError, frames, printable
from ..core.files import INTERRUPTS, signals_deferred
from ..core.models import Origin
from ..theme.templates import code_at, template_frame  # the rule shared with the in-process render

T = TypeVar("T")
RENDER_SECONDS = int(os.environ.get("BRIEFSMITH_RENDER_SECONDS", "300"))
MEMORY_MB = int(os.environ.get("BRIEFSMITH_MEMORY_MB", "4096"))
# How long a stopped worker gets to unwind (kill its pandoc, remove its temporary files) before
# it is killed outright: a render stuck inside C code never runs a Python signal handler.
STOP_SECONDS = 5.0

_STATE: dict[str, Any] = {}


def _init_worker(state: dict[str, Any], memory_mb: int) -> None:
    # Ctrl-C reaches the whole process group: the parent alone decides what an interrupt means,
    # so a worker ignores it rather than dying with a traceback of its own. SIGTERM is how the
    # parent stops a worker; turned into SystemExit, it unwinds the render (killing pandoc and
    # removing temporary files on the way) and multiprocessing exits quietly. Both were blocked
    # by run_all while this process was forked, so none can arrive before these are in place.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, INTERRUPTS)
    _STATE.update(state)
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


class _WorkerFailure(RenderError):
    """A render stopped by something other than a Briefsmith error; run_all names its output."""


def _call(fn: Callable[[dict[str, Any], Any], T],
          task: Any) -> tuple[T | BriefsmithError, float]:
    started = time.perf_counter()
    try:
        outcome: T | BriefsmithError = fn(_STATE, task)
    except BriefsmithError as exc:
        outcome = exc
    except MemoryError:
        outcome = _WorkerFailure(f"the render ran out of memory (limit {MEMORY_MB} MB per "
                                 "render): look for very large text, tables or images")
    except RecursionError as exc:
        where, code = _template_origin(exc.__traceback__)
        outcome = _WorkerFailure(
            f"the template calls itself too deeply (endless recursion?): fix the template at "
            f"this line{code}" if where else "the document is nested too deeply to lay out",
            where)
    except Exception as exc:  # e.g. a template's {{ 1/0 }}: one clear line, not a traceback
        where, code = _template_origin(exc.__traceback__)
        what = f"{type(exc).__name__}: {printable(str(exc), 200)}".rstrip(": ")
        if where:
            outcome = _WorkerFailure(f"the template raised {what}: fix the template at this "
                                     f"line{code}", where)
        else:  # a bug in Briefsmith or a library: its traceback is kept for the report
            outcome = _WorkerFailure(f"the render failed with {what} (at "
                                     f"{_innermost(exc.__traceback__)}); run again with "
                                     "--debug for the traceback", where)
            outcome.detail = traceback.format_exc()
    return outcome, time.perf_counter() - started


def _innermost(tb: TracebackType | None) -> str:
    """Where an unexpected error was raised, for the bug report: 'csl.py:150'."""
    walked = frames(tb)
    if not walked:
        return "unknown place"
    filename, line = walked[-1]
    return f"{Path(filename).name}:{line}"


def _template_origin(tb: TracebackType | None) -> tuple[Origin | None, str]:
    """The innermost template line in a traceback (Jinja maps template frames to .j2 files),
    and what that line says, as `: `{{ 1/0 }}``."""
    root = getattr(_STATE.get("project"), "root", None)
    return template_frame(tb, root if isinstance(root, Path) else None), code_at(tb)


def run_all(fn: Callable[[dict[str, Any], Any], T], state: dict[str, Any],
            tasks: Sequence[Any], jobs: int, labels: Sequence[str],
            on_done: Callable[[int, T | BriefsmithError, float], None] | None = None,
            ) -> list[T | BriefsmithError]:
    """Results in task order; an error for a task is returned in its place, not raised.
    `on_done(index, outcome, seconds)` is called as each task finishes, in finishing order."""
    with Workers(fn, state, tasks, jobs, labels, on_done) as workers:
        return workers.results(range(len(tasks)))


class Workers:
    """Tasks started in worker processes on entry, their results collected later, in any
    order: so the parent can do its own part of the work (the build runs check's findings)
    while the workers render. Leaving the block stops every worker, finished or not."""

    def __init__(self, fn: Callable[[dict[str, Any], Any], T], state: dict[str, Any],
                 tasks: Sequence[Any], jobs: int, labels: Sequence[str],
                 on_done: Callable[[int, T | BriefsmithError, float], None] | None = None):
        self.fn, self.state, self.tasks, self.jobs = fn, state, tasks, jobs
        self.labels, self.on_done = labels, on_done
        self.pool: Pool | None = None
        self.pending: list[AsyncResult[tuple[Any, float]]] = []
        self.stopped = False

    def __enter__(self) -> Workers:
        if not self.tasks:
            return self
        context = multiprocessing.get_context("fork")
        processes = max(1, min(self.jobs, len(self.tasks)))
        # Frozen while forking: a worker's cycle collector then never walks (and so never
        # writes to, copying the page) the objects it inherits, the whole loaded project
        gc.freeze()
        try:
            with signals_deferred():  # see _init_worker
                self.pool = context.Pool(processes, _init_worker, (self.state, MEMORY_MB),
                                         maxtasksperchild=None)
        finally:
            gc.unfreeze()

        def report(index: int) -> Callable[[tuple[Any, float]], None]:
            return lambda done: self.on_done(index, *done) if self.on_done else None

        self.pending = [self.pool.apply_async(_call, (self.fn, task), callback=report(i))
                        for i, task in enumerate(self.tasks)]
        return self

    def results(self, indices: Iterable[int]) -> list[Any]:
        """The outcomes of these tasks, waiting for each. After a render over the time limit
        the workers are stopped, and every task not yet collected is "not rendered"."""
        results = []
        for index in indices:
            label = self.labels[index]
            if self.stopped:
                results.append(RenderError(f"{label}: not rendered: an earlier render was "
                                           "stopped"))
                continue
            try:
                outcome = self.pending[index].get(timeout=RENDER_SECONDS)[0]
                if isinstance(outcome, _WorkerFailure):
                    detail = outcome.detail
                    outcome = RenderError(f"{label}: {outcome.message}", outcome.origin)
                    outcome.detail = detail
                results.append(outcome)
            except multiprocessing.TimeoutError:
                self.stop()  # the label says what the task was: a render, a comparison
                results.append(RenderError(f"{label}: took longer than "
                                           f"{RENDER_SECONDS} s and was stopped: look for very "
                                           "long or deeply nested content"))
        return results

    def stop(self) -> None:
        if self.pool is not None:
            _stop(self.pool, finished=all(job.ready() for job in self.pending))
        self.pool, self.stopped = None, True

    def __exit__(self, *exc: object) -> None:
        # Also on Ctrl-C or SIGTERM: no worker may outlive the build, still rendering.
        self.stop()


def gather(outcomes: Sequence[T | BriefsmithError],
           origins: Sequence[Origin]) -> tuple[list[T], list[BriefsmithError]]:
    """The results that succeeded, and every error (several found in one task unpacked), each
    with a place: an error that has none gets its task's `origins` entry."""
    values: list[T] = []
    errors: list[BriefsmithError] = []
    for outcome, origin in zip(outcomes, origins, strict=True):
        if isinstance(outcome, Problems):
            errors.extend(outcome.errors)
        elif isinstance(outcome, BriefsmithError):
            errors.append(outcome.at(origin))
        else:
            values.append(outcome)
    return values, errors


def _stop(pool: Pool, finished: bool = False) -> None:
    """Terminate the pool and wait for every worker to be gone. A second Ctrl-C waits until
    this is done; a worker that does not unwind within STOP_SECONDS is killed.

    When every task has `finished`, the workers are told to leave instead. Terminating takes
    the task queue's read lock first (multiprocessing's Pool._help_stuff_finish), and an idle
    worker holds that lock while it waits for a task: 3 of 25 warm HTML builds in a row took
    5.3 s, waiting out STOP_SECONDS for the watchdog; closed instead, none did."""
    with signals_deferred():
        workers = multiprocessing.active_children()

        def kill_all() -> None:
            for worker in workers:
                worker.kill()

        watchdog = threading.Timer(STOP_SECONDS, kill_all)
        watchdog.daemon = True
        watchdog.start()
        try:
            if finished:
                pool.close()
            else:
                pool.terminate()
            pool.join()
        finally:
            watchdog.cancel()

