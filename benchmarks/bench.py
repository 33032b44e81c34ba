#!/usr/bin/env python3
"""Briefsmith benchmark: build speed, pipeline overhead, parallel speed-up, scaling, pandoc.

A benchmark, not a test: it prints figures and compares them with their targets, and its exit
status is 0 unless something could not be measured at all. Every figure is measured in this one
run, side by side, because the machines it runs on are shared and noisy: compare the ratios, not
absolute seconds from another day. Where a measurement is cheap it is repeated (--reps, default
3) and the median is reported.

    .venv/bin/python benchmarks/bench.py            # everything (sizes 6, 60, 600)
    .venv/bin/python benchmarks/bench.py --quick    # sizes 6, 60; one repetition
    make bench

Everything is built from copies of the project in a temporary folder; nothing is written to
the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.dont_write_bytecode = True  # leave no __pycache__ behind in the repository

REPO = Path(__file__).resolve().parent.parent
BUILD_PY = REPO / "build.py"
sys.path.insert(0, str(REPO))  # this checkout's briefsmith, installed or not
PROJECT_PARTS = ("content", "briefs", "templates", "csl", "briefsmith.yaml")
NOT_PROJECT = {"output", "briefsmith", "tests", "benchmarks", "docs", "scripts", "build", "dist"}
SUMMARY_RE = re.compile(r"^built (\d+), skipped (\d+), failed (\d+) in ([\d.]+) s", re.M)
WROTE_RE = re.compile(r"^wrote (.+?)(?: \((\d+) pages?\))?$", re.M)
PROGRESS_RE = re.compile(r"\] (?:built|failed) (\S+) \((\S+)\) \(([^)]*)\) in ([\d.]+) s")
PAR_TARGET = 1.10  # pipeline / bare WeasyPrint, at most
SPEEDUP_TARGET = 1.8  # -j 2 over -j 1, at least
EDIT_MARK = "Benchmark edit"


# --------------------------------------------------------------------------- running builds


@dataclass
class Run:
    """One `build.py` invocation: wall time (everything the user waits for) and its summary."""

    args: list[str]
    seconds: float
    code: int
    stdout: str
    stderr: str
    built: int = 0
    skipped: int = 0
    failed: int = 0
    wrote: list[tuple[str, int | None]] = field(default_factory=list)
    worker: list[tuple[str, str, str, float]] = field(default_factory=list)  # brief, aud, fmts, s
    cpu: float = 0.0  # CPU seconds of the build and its workers

    @property
    def ok(self) -> bool:
        is_build = "build" in self.args
        return self.code == 0 and (not is_build or SUMMARY_RE.search(self.stdout) is not None)

    def problem(self) -> str:
        tail = (self.stderr.strip() or self.stdout.strip()).splitlines()[-5:]
        return f"`build.py {' '.join(self.args)}` exited {self.code}: " + " | ".join(tail)


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def children_cpu() -> float:
    """CPU seconds used so far by finished child processes (and the workers they reaped)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def build_py(project: Path, *args: str) -> Run:
    argv = [sys.executable, str(BUILD_PY), "--project", str(project), *args]
    cpu = children_cpu()
    started = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=child_env(), check=False)
    seconds = time.perf_counter() - started
    run = Run(list(args), seconds, proc.returncode, proc.stdout, proc.stderr)
    run.cpu = children_cpu() - cpu
    summaries = SUMMARY_RE.findall(proc.stdout)
    if summaries:
        built, skipped, failed, _ = summaries[-1]
        run.built, run.skipped, run.failed = int(built), int(skipped), int(failed)
    run.wrote = [(path, int(pages) if pages else None)
                 for path, pages in WROTE_RE.findall(proc.stdout)
                 if not path.endswith(".md")]
    run.worker = [(b, a, f, float(s)) for b, a, f, s in PROGRESS_RE.findall(proc.stderr)]
    return run


class BenchError(Exception):
    pass


def checked(run: Run) -> Run:
    if not run.ok:
        raise BenchError(run.problem())
    return run


def med(values: Sequence[float]) -> float:
    return statistics.median(values)


def loadavg() -> str:
    try:
        return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        return "?"


def project_parts() -> list[str]:
    """What a project is: content/, briefs/, templates/, csl/, briefsmith.yaml, and any other
    top-level folder briefsmith.yaml points into (a logo under assets/, a template tree)."""
    parts = [name for name in PROJECT_PARTS if (REPO / name).exists()]
    config = REPO / "briefsmith.yaml"
    if config.is_file():
        text = config.read_text(encoding="utf-8")
        for entry in sorted(REPO.iterdir()):
            if (entry.is_dir() and entry.name not in parts and entry.name not in NOT_PROJECT
                    and not entry.name.startswith(".")
                    and re.search(rf"(?<![\w./-]){re.escape(entry.name)}/", text)):
                parts.append(entry.name)
    return parts


def copy_project(dest: Path, briefs: bool = True) -> Path:
    dest.mkdir(parents=True)
    for name in project_parts():
        src = REPO / name
        if name == "briefs" and not briefs:
            (dest / name).mkdir()
        elif src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dest / name)
    return dest


def fmt_s(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.1f} s"


def note(text: str = "") -> None:
    print(text, flush=True)


# --------------------------------------------------------------------------- results table


@dataclass
class Row:
    part: str
    figure: str
    value: str
    target: str = "-"
    status: str = "-"


ROWS: list[Row] = []


def row(part: str, figure: str, value: str, target: str = "-", status: str = "-") -> None:
    ROWS.append(Row(part, figure, value, target, status))


def at_most(value: float, target: float) -> str:
    if value <= target:
        return f"met ({(target - value) / target:.0%} margin)"
    return f"NOT met: {value - target:.2f}x over ({(value - target) / target:.0%})"


def at_least(value: float, target: float) -> str:
    if value >= target:
        return f"met ({(value - target) / target:.0%} margin)"
    return f"NOT met: {target - value:.2f}x short ({(target - value) / target:.0%})"


def print_table() -> None:
    headers = ("part", "figure", "measured", "target", "status")
    cells = [headers, *[(r.part, r.figure, r.value, r.target, r.status) for r in ROWS]]
    widths = [max(len(c[i]) for c in cells) for i in range(len(headers))]
    line = "  ".join("-" * w for w in widths)
    note()
    note("Summary (all figures from this one run; ratios are the comparable part)")
    note(line)
    cells[1:] = sorted(cells[1:], key=lambda c: c[0])  # by part; stable within a part
    for i, c in enumerate(cells):
        note("  ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)).rstrip())
        if i == 0:
            note(line)
    note(line)


# --------------------------------------------------------------------------- project in-process


def load(project: Path) -> Any:
    from briefsmith.pipeline import load_project

    return load_project(project)


def selections(project_obj: Any) -> list[Any]:
    from briefsmith.content.select import select
    from briefsmith.pipeline import plan

    content = project_obj.content
    return [select(content, brief, aud, project_obj.config.citation_styles)
            for brief, aud in plan(content, None, None)]


def pick_block(project_obj: Any) -> tuple[Any, str]:
    """A block used by exactly one brief, with plain text and no per-audience wording."""
    content = project_obj.content
    users: dict[str, set[str]] = {}
    for brief in content.briefs.values():
        refs = [*brief.summary, *(r for s in brief.sections for r in s.blocks)]
        for ref in refs:
            users.setdefault(ref.id, set()).add(brief.id)
    preferred = ("context", "fact", "event", "position")
    candidates = sorted(
        (preferred.index(b.type), b.id) for b in content.blocks.values()
        if len(users.get(b.id, ())) == 1 and b.type in preferred and b.text
        and not b.wording and b.audiences is None)
    if not candidates:
        raise BenchError("no block is used by exactly one brief")
    block = content.blocks[candidates[0][1]]
    return block, next(iter(users[block.id]))


def edit_block_text(project: Path, block: Any, mark: str) -> Path:
    """Put `mark` at the start of the block's `text` value, in place, keeping the YAML valid."""
    origin = block.at("text")
    path = project / origin.path
    lines = path.read_text(encoding="utf-8").split("\n")
    i, col = origin.line - 1, origin.col - 1
    value = lines[i][col:]
    if value[:1] in (">", "|"):  # block scalar: the text starts on the next non-empty line
        j = i + 1
        while not lines[j].strip():
            j += 1
        indent = len(lines[j]) - len(lines[j].lstrip())
        lines[j] = lines[j][:indent] + mark + " " + lines[j][indent:]
    elif value[:1] in ('"', "'"):
        lines[i] = lines[i][:col + 1] + mark + " " + lines[i][col + 1:]
    else:
        lines[i] = lines[i][:col] + mark + " " + lines[i][col:]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def capture_pdf_html(project_obj: Any, sels: list[Any], cache_dir: Path
                     ) -> tuple[list[dict[str, str]], float]:
    """The exact HTML (and base URL) the pipeline hands to WeasyPrint for each PDF output:
    run pipeline.render_one with the PDF stage replaced by a recorder."""
    import briefsmith.formats.pdf as pdf_module
    from briefsmith.pipeline import render_one

    captured: list[dict[str, str]] = []
    current: dict[str, str] = {}

    def recorder(html: str, base_dir: Path, *args: Any, **kwargs: Any) -> Any:
        captured.append({**current, "html": html, "base_url": base_dir.as_uri() + "/"})
        log = SimpleNamespace(missing_glyphs=[], refused=[], errors=[], warnings=[])
        return SimpleNamespace(log=log, pages=0, blocks_from=lambda page: [])

    real, real_write = pdf_module.render_document, pdf_module.write
    pdf_module.render_document = recorder
    pdf_module.write = lambda rendered, identifier: b""
    started = time.perf_counter()
    try:
        for sel in sels:
            current.update(brief=sel.brief.id, audience=sel.audience.name)
            render_one(project_obj, sel, ("pdf",), cache_dir)
    finally:
        pdf_module.render_document, pdf_module.write = real, real_write
    return captured, time.perf_counter() - started


def fontconfig_env() -> dict[str, str]:
    """The private fontconfig file the pipeline uses, so bare WeasyPrint sees the same fonts."""
    env = child_env()
    try:
        from briefsmith.formats.pdf import _fontconfig_file

        env["FONTCONFIG_FILE"] = str(_fontconfig_file())
    except (ImportError, AttributeError):
        pass
    return env


def bare(jobs: list[dict[str, str]], work: Path, variant: str | None = None) -> dict[str, Any]:
    """Render each HTML with bare WeasyPrint in one fresh process (see --_bare)."""
    spec = work / f"bare-{time.monotonic_ns()}.json"
    spec.write_text(json.dumps({"jobs": jobs, "variant": variant}), encoding="utf-8")
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "--_bare", str(spec)], capture_output=True,
                          text=True, env=fontconfig_env(), check=False)
    wall = time.perf_counter() - started
    spec.unlink()
    if proc.returncode != 0:
        raise BenchError(f"bare WeasyPrint run failed: {proc.stderr.strip()[-500:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall"] = wall
    return result


def bare_main(spec_path: str) -> int:
    """Child process: import WeasyPrint, then time HTML(string=..).write_pdf() per job.
    A job with `markdown` first runs pandoc (-f markdown -t html5 --standalone) on it."""
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    started = time.perf_counter()
    import weasyprint

    out: dict[str, Any] = {"import": time.perf_counter() - started, "renders": []}
    for job in spec["jobs"]:
        item: dict[str, Any] = {"name": job["name"]}
        html = job.get("html")
        if "markdown" in job:
            t0 = time.perf_counter()
            proc = subprocess.run([job["pandoc"], "-f", "markdown", "-t", "html5", "--standalone"],
                                  input=job["markdown"], capture_output=True, text=True,
                                  check=True)
            item["pandoc"] = time.perf_counter() - t0
            html = proc.stdout
        variant = {"pdf_variant": spec["variant"]} if spec.get("variant") else {}
        t0 = time.perf_counter()
        # what HTML(string=.., base_url=..).write_pdf() does, kept apart to count the pages
        document = weasyprint.HTML(string=html, base_url=job["base_url"]).render(**variant)
        data = document.write_pdf(**variant)
        item["weasyprint"] = time.perf_counter() - t0
        item["pages"] = len(document.pages)
        if job.get("pdf"):
            Path(job["pdf"]).write_bytes(data)
        out["renders"].append(item)
    print(json.dumps(out))
    return 0


# --------------------------------------------------------------------------- a. incremental


def part_a(work: Path, reps: int) -> None:
    note("a. Cold build, no-op rebuild and one-block-edit rebuild of the sample project")
    note("   (default -j, i.e. one worker per core; pdf,html; fresh --out and citeproc cache)")
    colds, noops, edits = [], [], []
    rebuilt_sets: list[tuple[str, ...]] = []
    last: dict[str, Any] = {}
    for rep in range(reps):
        project = copy_project(work / f"a-project-{rep}")
        out = work / f"a-out-{rep}"
        cold = checked(build_py(project, "build", "--out", str(out)))
        colds.append(cold.seconds)
        if rep == 0 and not (out / ".cache" / "citeproc").is_dir():
            note("   note: no citeproc cache in the output folder; 'fresh cache' not guaranteed")
        for _ in range(3):
            noop = checked(build_py(project, "build", "--out", str(out)))
            noops.append(noop.seconds)
            if noop.built:
                note(f"   ! a no-op rebuild rebuilt {noop.built} outputs")
        project_obj = load(project)
        block, brief_id = pick_block(project_obj)
        expected = sorted(
            f"{s.brief.id}/{s.brief.id}-{s.audience.name}.{fmt}"
            for s in selections(project_obj) if any(b.id == block.id for b in s.blocks)
            for fmt in ("pdf", "html"))
        edited = edit_block_text(project, block, f"{EDIT_MARK} {rep + 1}.")
        edit = checked(build_py(project, "build", "--out", str(out)))
        edits.append(edit.seconds)
        rebuilt = tuple(sorted(Path(p).relative_to(out.resolve()).as_posix() for p, _ in edit.wrote
                               if not Path(p).name.startswith(".")))
        rebuilt_sets.append(rebuilt)
        visible = [r for r in rebuilt if r.endswith(".html")
                   and f"{EDIT_MARK} {rep + 1}." in (out / r).read_text(encoding="utf-8")]
        last = dict(block=block, brief=brief_id, file=edited.relative_to(project),
                    expected=expected, edit=edit, cold=cold, visible=visible)
        note(f"   rep {rep + 1}: cold {fmt_s(cold.seconds)} ({cold.built} built), no-op "
             f"{fmt_s(med(noops[-3:]))}, edit rebuild {fmt_s(edit.seconds)} "
             f"(built {edit.built}, skipped {edit.skipped})   load {loadavg()}")
    edit, block = last["edit"], last["block"]
    note(f"   edited block '{block.id}' ({block.type}) in {last['file']}, used only by brief "
         f"'{last['brief']}'")
    note(f"   re-rendered {edit.built}, skipped {edit.skipped}: {', '.join(rebuilt_sets[-1])}")
    html_rebuilt = [r for r in rebuilt_sets[-1] if r.endswith(".html")]
    missing_edit = sorted(set(html_rebuilt) - set(last["visible"]))
    if missing_edit:
        note(f"   the edited text does not appear in: {', '.join(missing_edit)} "
             "(rebuilt although the block is not shown)")
    consistent = len(set(rebuilt_sets)) == 1
    matches = list(rebuilt_sets[-1]) == last["expected"]
    if not matches:
        note(f"   expected exactly: {', '.join(last['expected'])}")
    cold_s, noop_s, edit_s = med(colds), med(noops), med(edits)
    total = last["cold"].built
    rep_note = f" (median of {reps})" if reps > 1 else ""
    row("a", "cold build" + rep_note, f"{fmt_s(cold_s)} for {total} outputs")
    row("a", f"no-op rebuild (median of {len(noops)})", f"{fmt_s(noop_s)}  "
        f"({cold_s / noop_s:.0f}x faster than cold)")
    row("a", "one-block-edit rebuild" + rep_note,
        f"{fmt_s(edit_s)}: re-rendered {edit.built}, skipped {edit.skipped} "
        f"({edit_s / cold_s:.0%} of cold)")
    row("a", "only outputs using the block rebuilt",
        f"{edit.built} of {total}" + ("" if consistent else " (varied between reps)"),
        f"exactly {len(last['expected'])}", "met" if matches and consistent else "NOT met")


# --------------------------------------------------------------------------- b + c + e


def part_b(work: Path, reps: int) -> dict[str, Any]:
    note("b. Pipeline overhead over bare WeasyPrint on the same HTML (PDF only, -j 1)")
    project = copy_project(work / "b-project")
    out = work / "b-out"
    started = time.perf_counter()
    project_obj = load(project)
    load_s = time.perf_counter() - started
    sels = selections(project_obj)
    jobs, prep_s = capture_pdf_html(project_obj, sels, out / ".cache" / "citeproc")
    for job in jobs:
        job["name"] = f"{job.pop('brief')}/{job.pop('audience')}"
    note(f"   in-process: load+verify {fmt_s(load_s)}, HTML for {len(jobs)} PDFs (Jinja2 + "
         f"citeproc, cold cache) {fmt_s(prep_s)}")
    check_runs, pipes, bares, bare_imports = [], [], [], []
    per_output: dict[str, list[float]] = {}
    pages: dict[str, int] = {}
    worker: dict[str, list[float]] = {}
    for rep in range(reps):
        check_runs.append(checked(build_py(project, "check")).seconds)
        pipe = checked(build_py(project, "build", "--out", str(out), "--format", "pdf",
                                "--force", "-j", "1"))
        pipes.append(pipe.seconds)
        for b, a, _, s in pipe.worker:
            worker.setdefault(f"{b}/{a}", []).append(s)
        result = bare(jobs, work)
        bare_total = sum(r["weasyprint"] for r in result["renders"])
        for r in result["renders"]:
            per_output.setdefault(r["name"], []).append(r["weasyprint"])
            pages[r["name"]] = r["pages"]
        bares.append(bare_total)
        bare_imports.append(result["import"])
        note(f"   rep {rep + 1}: pipeline {fmt_s(pipe.seconds)} ({pipe.built} PDFs), bare "
             f"WeasyPrint {fmt_s(bare_total)} (+ import {fmt_s(result['import'])}, process "
             f"{fmt_s(result['wall'])})   load {loadavg()}")
    ua = bare(jobs, work, "pdf/ua-1")
    ua_total = sum(r["weasyprint"] for r in ua["renders"])
    pipe_s, bare_s = med(pipes), med(bares)
    # each repetition's pipeline and bare runs are back to back: the median of the paired ratios
    ratio = med([p / b for p, b in zip(pipes, bares, strict=True)])
    ratio_import = med([p / (b + i) for p, b, i in zip(pipes, bares, bare_imports, strict=True)])
    note(f"   bare WeasyPrint with pdf_variant='pdf/ua-1' (what the pipeline asks for), once: "
         f"{fmt_s(ua_total)} ({ua_total / bare_s:.2f}x plain)")
    note(f"   `build.py check` (start-up, load, validate, verify quotes): {fmt_s(med(check_runs))}")
    rep_note = f" (median of {reps})" if reps > 1 else ""
    row("b", f"pipeline build --force -j 1, {len(jobs)} PDFs" + rep_note, fmt_s(pipe_s))
    row("b", "bare WeasyPrint HTML().write_pdf(), sum" + rep_note, fmt_s(bare_s))
    pair_note = f" (median of {reps} paired)" if reps > 1 else ""
    row("b", "pipeline / bare WeasyPrint" + pair_note, f"{ratio:.2f}x", f"<= {PAR_TARGET:.2f}x",
        at_most(ratio, PAR_TARGET))
    row("b", "pipeline / (bare + WeasyPrint import)" + pair_note, f"{ratio_import:.2f}x",
        f"<= {PAR_TARGET:.2f}x", at_most(ratio_import, PAR_TARGET))
    row("b", "pipeline / bare with pdf/ua-1 (once)", f"{pipe_s / ua_total:.2f}x")
    return {"project": project, "out": out, "project_obj": project_obj, "sels": sels,
            "jobs": jobs, "worker": worker, "pipe_s": pipe_s,
            "bare": {name: med(times) for name, times in per_output.items()}, "pages": pages}


def autogroup() -> bool:
    try:
        return Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip() == "1"
    except OSError:
        return False


def schedule(durations: Sequence[float], workers: int) -> float:
    """When the last of these tasks ends if each goes, in order, to the first free worker."""
    free = [0.0] * workers
    for d in durations:
        i = free.index(min(free))
        free[i] += d
    return max(free)


def part_c(b: dict[str, Any], reps: int, jobs: int) -> None:
    note(f"c. Forced builds at -j 1 and -j {jobs} (pdf,html; docs = files the build wrote)")
    project, out = b["project"], b["out"]
    rates: dict[int, list[float]] = {1: [], jobs: []}
    busy: dict[int, list[float]] = {1: [], jobs: []}
    serial_runs: list[Run] = []
    for rep in range(reps):
        for j in (1, jobs) if rep % 2 == 0 else (jobs, 1):  # alternate the order against drift
            run = checked(build_py(project, "build", "--out", str(out), "--force", "-j", str(j)))
            rates[j].append(run.built / run.seconds)
            busy[j].append(run.cpu / run.seconds)
            if j == 1:
                serial_runs.append(run)
            note(f"   rep {rep + 1}: -j {j}: {run.built} docs in {fmt_s(run.seconds)} = "
                 f"{run.built / run.seconds:.2f} docs/s; CPU {fmt_s(run.cpu)} "
                 f"({run.cpu / run.seconds:.2f} cores busy)   load {loadavg()}")
    one, many = med(rates[1]), med(rates[jobs])
    # the two runs of a repetition are back to back: the median of the paired ratios
    paired = [m / o for o, m in zip(rates[1], rates[jobs], strict=True)]
    speedup = med(paired)
    note(f"   speed-up per repetition: {', '.join(f'{r:.2f}x' for r in paired)}")
    if med(busy[jobs]) < 0.75 * jobs:
        why = ("the kernel shares the CPU between sessions (sched_autogroup), so other "
               "sessions' work caps this build" if autogroup() else "other work shares the CPU")
        note(f"   at -j {jobs} the build kept only {med(busy[jobs]):.2f} cores busy: {why}; "
             "the speed-up measured here is a floor")
    # What the task list allows on an idle machine, from the -j 1 run's per-task times.
    serial = serial_runs[len(serial_runs) // 2]
    tasks = [s for *_, s in serial.worker]
    if tasks:
        outside = max(0.0, serial.seconds - sum(tasks))
        in_order = serial.seconds / (outside + schedule(tasks, jobs))
        longest = serial.seconds / (outside + schedule(sorted(tasks, reverse=True), jobs))
        note(f"   -j 1 per-task seconds: {', '.join(f'{t:.1f}' for t in tasks)}; outside the "
             f"workers {fmt_s(outside)}")
        note(f"   best possible on an idle machine with this task order: {in_order:.2f}x; "
             f"longest first: {longest:.2f}x")
    rep_note = f" (median of {reps})" if reps > 1 else ""
    row("c", "docs/s at -j 1" + rep_note, f"{one:.2f} ({med(busy[1]):.2f} cores busy)")
    row("c", f"docs/s at -j {jobs}" + rep_note, f"{many:.2f} ({med(busy[jobs]):.2f} cores busy)")
    target = SPEEDUP_TARGET if jobs == 2 else None
    row("c", f"speed-up -j {jobs} / -j 1" + (f" (median of {reps} paired)" if reps > 1 else ""),
        f"{speedup:.2f}x",
        f">= {target}x" if target else "-", at_least(speedup, target) if target else "-")
    if tasks:
        row("c", "idle-machine bound, this task order", f"{in_order:.2f}x (longest first "
            f"{longest:.2f}x)")


def markdown_of(selection: Any) -> str:
    """The brief for one audience as plain Markdown: headings and paragraphs."""
    brief, audience = selection.brief, selection.audience.name
    lines = ["---", f"title: {json.dumps(brief.title)}"]
    if brief.subtitle:
        lines.append(f"subtitle: {json.dumps(brief.subtitle)}")
    lines += [f"date: {json.dumps(brief.date)}", "---", ""]
    for section in selection.sections:
        lines += [f"## {section.section.title}", ""]
        if section.section.intro:
            lines += [section.section.intro, ""]
        for block in section.blocks:
            if block.title or block.term:
                lines += [f"### {block.title or block.term}", ""]
            if block.words:
                lines += [f"> {block.words}", ">", f"> — {block.speaker}", ""]
            text = block.text_for(audience)
            if text:
                lines += [text, ""]
    return "\n".join(lines)


def font_count(pdf: Path) -> str:
    """Fonts embedded in a PDF (poppler's pdffonts), or '?'."""
    tool = shutil.which("pdffonts")
    if tool is None or not pdf.is_file():
        return "?"
    proc = subprocess.run([tool, str(pdf)], capture_output=True, text=True, check=False)
    return str(len(proc.stdout.splitlines()[2:])) if proc.returncode == 0 else "?"


def part_e(b: dict[str, Any], work: Path, reps: int) -> None:
    note("e. pandoc -> WeasyPrint on equivalent Markdown vs Briefsmith, per brief (PDF)")
    try:
        import pypandoc

        pandoc = pypandoc.get_pandoc_path()
    except (ImportError, OSError) as exc:
        note(f"   skipped: pandoc is not available ({exc})")
        row("e", "pandoc -> WeasyPrint", "skipped: no pandoc")
        return
    project, out = b["project"], b["out"]
    chosen: dict[str, Any] = {}
    for sel in b["sels"]:  # one audience per brief: parliamentary when it has it
        current = chosen.get(sel.brief.id)
        if current is None or sel.audience.name == "parliamentary":
            chosen[sel.brief.id] = sel
    mdir = work / "e-markdown"
    mdir.mkdir()
    jobs = [{"name": bid, "markdown": markdown_of(sel), "pandoc": pandoc,
             "base_url": mdir.as_uri() + "/", "pdf": str(mdir / f"{bid}.pdf")}
            for bid, sel in sorted(chosen.items())]
    for job in jobs:
        (mdir / f"{job['name']}.md").write_text(job["markdown"], encoding="utf-8")
    pandoc_runs: dict[str, list[tuple[float, float]]] = {}
    pandoc_pages: dict[str, int] = {}
    ends: dict[str, list[float]] = {}
    for _ in range(reps):
        result = bare(jobs, work)
        for r in result["renders"]:
            pandoc_runs.setdefault(r["name"], []).append((r["pandoc"], r["weasyprint"]))
            pandoc_pages[r["name"]] = r["pages"]
        for bid, sel in sorted(chosen.items()):
            run = checked(build_py(project, "build", bid, "--audience", sel.audience.name,
                                   "--format", "pdf", "--force", "-j", "1", "--out", str(out)))
            ends.setdefault(bid, []).append(run.seconds)
    for bid, sel in sorted(chosen.items()):
        name = f"{bid}/{sel.audience.name}"
        p = med([a for a, _ in pandoc_runs[bid]])
        w = med([c for _, c in pandoc_runs[bid]])
        worker = b["worker"].get(name)
        bs_worker = med(worker) if worker else float("nan")
        bs_bare = b.get("bare", {}).get(name)
        end = med(ends[bid])
        bs_pdf = out / bid / f"{bid}-{sel.audience.name}.pdf"
        bs_pages = b.get("pages", {}).get(name, "?")
        note(f"   {bid} ({sel.audience.name}):")
        note(f"     pandoc {fmt_s(p)} + WeasyPrint {fmt_s(w)} = {fmt_s(p + w)} "
             f"({pandoc_pages[bid]} pages, {font_count(mdir / f'{bid}.pdf')} fonts embedded)")
        note(f"     Briefsmith: {fmt_s(end)} end to end (one-output CLI build), "
             f"{fmt_s(bs_worker)} in the worker (b's -j 1 build); its HTML in bare WeasyPrint "
             + (fmt_s(bs_bare) if bs_bare else "?")
             + f" ({bs_pages} pages, {font_count(bs_pdf)} fonts embedded)")
        row("e", f"{bid}: pandoc+WeasyPrint vs Briefsmith",
            f"{fmt_s(p + w)} vs {fmt_s(end)} end to end ({end / (p + w):.1f}x)")


# --------------------------------------------------------------------------- d. scaling


def variant_project(dest: Path, outputs: int, base: Any) -> tuple[Path, int]:
    """A copy of the content and templates with outputs/3 small generated briefs."""
    project = copy_project(dest, briefs=False)
    content = base.content
    audiences = [a for a in ("parliamentary", "ngo", "student") if a in content.audiences]
    audiences += [a for a in sorted(content.audiences) if a not in audiences]
    audiences = audiences[:3]
    eligible = sorted((len(b.text or "") + len(b.words or ""), b.id)
                      for b in content.blocks.values()
                      if b.type in ("context", "fact", "event", "position", "term", "quote")
                      and b.audiences is None)
    pool = sorted(bid for _, bid in eligible[:max(6, len(eligible) // 2)])  # the shorter half
    count = -(-outputs // len(audiences))
    for i in range(count):
        k = (i * 2) % len(pool)
        ids = [pool[(k + n) % len(pool)] for n in range(2)]
        brief = [
            f'title: "Variant brief {i + 1}"',
            'date: "2026-11-23"',
            f"audiences: [{', '.join(audiences)}]",
            f"summary: [{ids[0]}]",
            "sections:",
            "  - id: background",
            '    title: "Background"',
            f"    blocks: [{ids[0]}]",
            "  - id: positions",
            '    title: "Positions"',
            f"    blocks: [{ids[1]}]",
            "",
        ]
        (project / "briefs" / f"variant-{i + 1:03d}.yaml").write_text("\n".join(brief),
                                                                       encoding="utf-8")
    return project, count * len(audiences)


def part_d(work: Path, sizes: list[int], jobs: int, base: Any) -> None:
    note(f"d. Scaling: generated projects, forced PDF builds at -j {jobs}")
    first_rate = None
    for size in sizes:
        project, total = variant_project(work / f"d-project-{size}", size, base)
        run = checked(build_py(project, "build", "--out", str(work / f"d-out-{size}"),
                               "--format", "pdf", "--force", "-j", str(jobs)))
        rate = run.built / run.seconds
        first_rate = first_rate or rate
        pages = [p for _, p in run.wrote if p]
        span = f"{min(pages)}-{max(pages)} pages each" if pages else "pages unknown"
        note(f"   {total} outputs ({total // 3} briefs x 3 audiences, {span}): "
             f"{fmt_s(run.seconds)} = {rate:.2f} outputs/s   load {loadavg()}")
        row("d", f"{total} outputs, -j {jobs}", f"{fmt_s(run.seconds)}, {rate:.2f} outputs/s"
            + ("" if rate == first_rate else f" ({rate / first_rate:.2f}x the rate at "
               f"{sizes[0]})"))


# --------------------------------------------------------------------------- main


# --------------------------------------------------------------------------- g. fonts, per page

FONT_PROGRAMS_TARGET = 8  # distinct embedded font programs per PDF, at most
ONE_BRIEF_TARGET = 1.25  # one-brief CLI build / pandoc -> bare WeasyPrint, at most
G_BRIEF, G_AUDIENCE = "ottawa-treaty-2025", "parliamentary"


def font_programs(pdf: Path) -> tuple[int, int]:
    """(distinct FontFile/FontFile2/FontFile3 streams, how many of them are variable fonts)."""
    import io

    from fontTools.ttLib import TTFont
    from pypdf import PdfReader
    from pypdf.generic import IndirectObject

    streams: dict[int, bytes] = {}
    for page in PdfReader(pdf).pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            for part in [d.get_object() for d in font.get("/DescendantFonts", [])] or [font]:
                descriptor = part.get("/FontDescriptor")
                descriptor = descriptor.get_object() if descriptor is not None else {}
                for key in ("/FontFile", "/FontFile2", "/FontFile3"):
                    ref = descriptor.raw_get(key) if key in descriptor else None
                    if isinstance(ref, IndirectObject):
                        streams[ref.idnum] = ref.get_object().get_data()
    variable = 0
    for data in streams.values():
        try:
            with TTFont(io.BytesIO(data)) as parsed:
                variable += "fvar" in parsed
        except Exception:  # a bare CFF (FontFile3) program is no variable TrueType font
            pass
    return len(streams), variable


def plain_html(text: str, pages_hint: int) -> str:
    """A plain document of the given text: paragraphs only, the brief's body font and size."""
    import html as html_module

    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    body = "\n".join(f"<p>{html_module.escape(' '.join(p.split()))}</p>" for p in paragraphs)
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>plain</title>"
            "<style>@page { size: A4; margin: 26mm 25mm 25mm 25mm; } "
            "html { font: 10.5pt/1.45 'Source Serif 4', serif; } p { margin: 0 0 2.5mm; }"
            f"</style></head><body><!-- about {pages_hint} pages -->\n{body}\n</body></html>")


def timed_process(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one fresh process."""
    cpu = children_cpu()
    started = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env or child_env(),
                          check=False)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise BenchError(f"`{' '.join(argv[:3])} ...` exited {proc.returncode}: "
                         f"{proc.stderr.strip()[-300:]}")
    return seconds, children_cpu() - cpu


RSS_PROBE = """
import json, resource, sys
from pathlib import Path
from briefsmith import pipeline
from briefsmith.builder.rebuild import BuildRequest
result = pipeline.build(Path(sys.argv[1]), Path(sys.argv[2]),
                        BuildRequest(formats=("pdf",), jobs=2, force=True))
print(json.dumps({"outputs": len(result.outputs),
                  "main": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "child": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def peak_rss(project: Path, out: Path) -> None:
    """Peak resident memory of the build's main process and of its largest worker. The workers
    are forked and reaped before the probe asks, so RUSAGE_CHILDREN's maximum is the largest
    worker's (or a pandoc it ran, if that were larger); Linux reports kilobytes."""
    run = subprocess.run([sys.executable, "-c", RSS_PROBE, str(project), str(out)],
                         capture_output=True, text=True, check=False, cwd=project)
    if run.returncode != 0:
        row("g", "peak RSS per worker", f"not measured: {run.stderr.strip()[-200:]}")
        return
    got = json.loads(run.stdout.strip().splitlines()[-1])
    row("g", f"peak RSS, largest worker (-j 2, {got['outputs']} PDFs)",
        f"{got['child'] / 1024:.0f} MB (main process {got['main'] / 1024:.0f} MB)")


def part_g(work: Path, reps: int) -> None:
    """Font programs per PDF; one brief's per-page time against bare WeasyPrint on a plain
    document of the same text; one brief built alone against pandoc -> bare WeasyPrint."""
    n = max(3, reps)
    note(f"g. Fonts embedded per PDF; per-page render time and the one-brief ratio "
         f"({G_BRIEF}, {G_AUDIENCE}; median of {n}, alternating, each run a fresh process)")
    project = copy_project(work / "g-project")
    out = work / "g-out"
    checked(build_py(project, "build", "--format", "pdf", "--force", "--out", str(out)))
    pdfs = sorted(out.rglob("*.pdf"))
    counts = {p.name: font_programs(p) for p in pdfs}
    most = max(c for c, _ in counts.values())
    variable = sum(v for _, v in counts.values())
    note("   font programs per PDF: " + ", ".join(f"{name.removesuffix('.pdf')} {c}"
                                                   for name, (c, _) in counts.items()))
    row("g", f"font programs per PDF (most, of {len(pdfs)} PDFs)", str(most),
        f"<= {FONT_PROGRAMS_TARGET}", at_most(most, FONT_PROGRAMS_TARGET))
    row("g", "variable fonts embedded (all PDFs)", str(variable), "0",
        "met" if variable == 0 else "NOT met")

    peak_rss(project, work / "g-rss")

    # the brief's own HTML output, for the plain document's text and for pandoc
    checked(build_py(project, "build", G_BRIEF, "--audience", G_AUDIENCE, "--format", "html",
                     "--force", "--out", str(out)))
    brief_html = out / G_BRIEF / f"{G_BRIEF}-{G_AUDIENCE}.html"
    brief_pdf = out / G_BRIEF / f"{G_BRIEF}-{G_AUDIENCE}.pdf"
    from pypdf import PdfReader

    brief_pages = len(PdfReader(brief_pdf).pages)
    text = "\n\n".join(page.extract_text() or "" for page in PdfReader(brief_pdf).pages)
    plain = work / "g-plain.html"
    plain.write_text(plain_html(text, brief_pages), encoding="utf-8")
    try:
        import pypandoc

        pandoc: str | None = str(pypandoc.get_pandoc_path())
    except (ImportError, OSError):
        pandoc = None
    env = fontconfig_env()  # bare WeasyPrint sees the fonts the pipeline sees
    weasy = [sys.executable, "-m", "weasyprint"]
    one: list[float] = []
    plain_s: list[float] = []
    pandoc_s: list[float] = []
    one_cpu: list[float] = []
    pandoc_cpu: list[float] = []
    plain_pages = 0
    one_args = ("build", G_BRIEF, "--audience", G_AUDIENCE, "--format", "pdf", "--force",
                "--out", str(work / "g-one"))
    # The first build into a new output folder fills its caches (citations, compiled
    # templates): reported on its own, not mixed into the median of the rebuilds below, which
    # are what a user sees rebuilding a brief before a meeting.
    first = checked(build_py(project, *one_args))
    for _ in range(n):
        run = checked(build_py(project, *one_args))
        one.append(run.seconds)
        one_cpu.append(run.cpu)
        seconds, _ = timed_process([*weasy, str(plain), str(work / "g-plain.pdf")], env)
        plain_s.append(seconds)
        plain_pages = len(PdfReader(work / "g-plain.pdf").pages)
        if pandoc:
            p_s, p_cpu = timed_process([pandoc, "-f", "html", "-t", "html5", "--standalone",
                                        "-o", str(work / "g-pandoc.html"), str(brief_html)])
            w_s, w_cpu = timed_process([*weasy, str(work / "g-pandoc.html"),
                                        str(work / "g-pandoc.pdf")], env)
            pandoc_s.append(p_s + w_s)
            pandoc_cpu.append(p_cpu + w_cpu)
    one_s, bare_s = med(one), med(plain_s)
    per_page, bare_page = one_s / brief_pages, bare_s / max(plain_pages, 1)
    note(f"   one brief, CLI build: {fmt_s(one_s)} for {brief_pages} pages = "
         f"{fmt_s(per_page)}/page")
    note(f"   plain document of its text ({len(text):,} characters), bare `python -m "
         f"weasyprint`: {fmt_s(bare_s)} for {plain_pages} pages = {fmt_s(bare_page)}/page")
    row("g", "per-page time: one brief / bare WeasyPrint plain document",
        f"{per_page / bare_page:.2f}x ({fmt_s(per_page)} vs {fmt_s(bare_page)} per page)")
    if not pandoc_s:
        row("g", "one-brief ratio (CLI / pandoc -> WeasyPrint)", "skipped: no pandoc")
        return
    pandoc_med = med(pandoc_s)
    pandoc_pages = len(PdfReader(work / "g-pandoc.pdf").pages)
    ratio = one_s / pandoc_med
    cpu_ratio = med(one_cpu) / med(pandoc_cpu)
    note(f"   pandoc -f html -t html5 --standalone + bare `python -m weasyprint`: "
         f"{fmt_s(pandoc_med)} ({pandoc_pages} pages)   load {loadavg()}")
    note(f"   CPU seconds: CLI build {med(one_cpu):.2f}, pandoc + WeasyPrint "
         f"{med(pandoc_cpu):.2f} = {cpu_ratio:.2f}x (less sensitive to a busy machine)")
    note(f"   the first build into a new output folder (its caches empty): {fmt_s(first.seconds)}"
         f", CPU {first.cpu:.2f} s")
    row("g", "one-brief ratio: CLI build / pandoc -> bare WeasyPrint",
        f"{ratio:.2f}x ({fmt_s(one_s)} vs {fmt_s(pandoc_med)})", f"<= {ONE_BRIEF_TARGET:.2f}x",
        at_most(ratio, ONE_BRIEF_TARGET))
    row("g", "one-brief ratio in CPU seconds", f"{cpu_ratio:.2f}x", f"<= {ONE_BRIEF_TARGET:.2f}x",
        at_most(cpu_ratio, ONE_BRIEF_TARGET))
    row("g", "one brief, first build into a new folder / pandoc -> bare WeasyPrint",
        f"{first.seconds / pandoc_med:.2f}x ({fmt_s(first.seconds)})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="sizes 6,60 and one repetition (a few minutes)")
    parser.add_argument("--reps", type=int, default=None,
                        help="repetitions of the cheap measurements, median reported "
                             "(default 3; 1 with --quick)")
    parser.add_argument("--sizes", default=None,
                        help="output counts for the scaling runs (default 6,60,600; 6,60 with "
                             "--quick)")
    parser.add_argument("-j", "--jobs", type=int, default=2,
                        help="worker processes for the parallel runs (default 2)")
    parser.add_argument("--parts", default="abcdefgsh",
                        help="which parts to run (default abcdefgsh)")
    parser.add_argument("--compare-with", type=Path, default=None, metavar="CHECKOUT",
                        help="part f: also time the no-op build of another checkout of "
                             "Briefsmith (e.g. a `git worktree` of the last release)")
    parser.add_argument("--_bare", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    # a plain `kill` unwinds like Ctrl-C, so the temporary folder is removed
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args._bare:
        return bare_main(args._bare)
    reps = args.reps or (1 if args.quick else 3)
    sizes = [int(s) for s in (args.sizes or ("6,60" if args.quick else "6,60,600")).split(",")]
    if not BUILD_PY.is_file():
        print(f"bench: {BUILD_PY} not found", file=sys.stderr)
        return 1
    from importlib.metadata import version

    started = time.perf_counter()
    note(f"Briefsmith benchmark: {' '.join(sys.argv)}")
    note(f"   {os.cpu_count()} cores, load average {loadavg()}; WeasyPrint "
         f"{version('weasyprint')}; Python {sys.version.split()[0]}; repetitions {reps}")
    note("   shared, noisy machine: every figure is from this run; compare ratios")
    note(f"   project copied for every run: {', '.join(project_parts())}")
    note()
    failures = 0
    with tempfile.TemporaryDirectory(prefix="briefsmith-bench-") as tmp:
        work = Path(tmp)
        b_state: dict[str, Any] | None = None
        steps: list[tuple[str, Callable[[], Any]]] = [
            ("a", lambda: part_a(work, reps)),
            ("b", lambda: part_b(work, reps)),
            ("c", lambda: part_c(b_state, reps, args.jobs) if b_state else None),
            ("e", lambda: part_e(b_state, work, reps) if b_state else None),
            ("d", lambda: part_d(work, sizes, args.jobs, load(copy_project(work / "d-base")))),
            ("f", lambda: part_f(work, reps, args.compare_with)),
            ("g", lambda: part_g(work, reps)),
            ("s", lambda: part_s(work, reps)),
            ("h", lambda: part_h(work, reps)),
        ]
        for name, step in steps:
            if name not in args.parts:
                continue
            if name in "ce" and b_state is None:
                b_state = prepare_b(work)
            part_started = time.perf_counter()
            try:
                result = step()
            except BenchError as exc:
                failures += 1
                note(f"   FAILED: {exc}")
                row(name, "could not measure", str(exc)[:80])
                continue
            if name == "b":
                b_state = result
            note(f"   ({name} took {fmt_s(time.perf_counter() - part_started)})")
            note()
    print_table()
    note(f"wall time {fmt_s(time.perf_counter() - started)}; load average at the end "
         f"{loadavg()}")
    return 1 if failures else 0


def part_f(work: Path, reps: int, compare: Path | None) -> None:
    note("f. No-op build: with a 200 MB unrelated file in the project root, and (with "
         "--compare-with) against another checkout of Briefsmith")
    plain = copy_project(work / "f-plain")
    big = copy_project(work / "f-big")
    with open(big / "recording.mp4", "wb") as handle:  # not sparse: real bytes on disk
        chunk = os.urandom(1 << 20)
        for _ in range(200):
            handle.write(chunk)
    projects = {"plain": plain, "200 MB file": big}
    other_py = compare / "build.py" if compare else None
    if other_py is not None:
        projects["other checkout"] = copy_project(work / "f-other")
    for name, project in projects.items():
        script = other_py if name == "other checkout" else BUILD_PY
        proc = subprocess.run([sys.executable, str(script), "--project", str(project), "build"],
                              capture_output=True, text=True, env=child_env(), check=False)
        if proc.returncode != 0:
            raise BenchError(f"{name}: first build failed: {proc.stderr.strip()[-200:]}")
    times: dict[str, list[float]] = {name: [] for name in projects}
    for _ in range(max(5, reps * 3)):  # alternating, so the load hits each side alike
        for name, project in projects.items():
            script = other_py if name == "other checkout" else BUILD_PY
            started = time.perf_counter()
            proc = subprocess.run([sys.executable, str(script), "--project", str(project),
                                   "build"], capture_output=True, text=True, env=child_env(),
                                  check=False)
            times[name].append(time.perf_counter() - started)
            if "(nothing changed)" not in proc.stdout:
                raise BenchError(f"{name}: the no-op build rebuilt: {proc.stdout[-200:]}")
    plain_s = med(times["plain"])
    note(f"   no-op, median of {len(times['plain'])}: plain {fmt_s(plain_s)}, with a 200 MB "
         f"file {fmt_s(med(times['200 MB file']))} (load {loadavg()})")
    row("f", "no-op with a 200 MB unrelated file / without",
        f"{med(times['200 MB file']) / plain_s:.2f}", "<= 1.10",
        at_most(med(times["200 MB file"]) / plain_s, 1.10))
    if other_py is not None:
        other_s = med(times["other checkout"])
        note(f"   no-op of {compare}: {fmt_s(other_s)}")
        row("f", "no-op, this checkout / the other", f"{plain_s / other_s:.2f}", "<= 1.10",
            at_most(plain_s / other_s, 1.10))


def prepare_b(work: Path) -> dict[str, Any]:
    """What c and e need when b itself is not run: a project copy, its selections."""
    project = work / "b-project"
    if not project.is_dir():
        copy_project(project)
    project_obj = load(project)
    return {"project": project, "out": work / "b-out", "project_obj": project_obj,
            "sels": selections(project_obj), "worker": {}, "jobs": []}


# --------------------------------------------------------------------------- s. live preview

WARM_PDF = r"""
import json, sys, time
from pathlib import Path
from briefsmith.core.models import Origin
from briefsmith.formats.pdf import render_pdf
from briefsmith.pipeline import BuildRequest, build
root, out, brief = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
# as serve's worker does: WeasyPrint and its fonts loaded here, before the builds fork
render_pdf("<p>warm-up</p>", root, (), identifier="w", epoch=0, origin=Origin("w"))
first = True
for _ in sys.stdin:  # one forced PDF build per line read; the first one only warms up
    lines = []
    started = time.perf_counter()
    build(root, out, BuildRequest(briefs=[brief], formats=("pdf",), force=True), lines.append)
    seconds = time.perf_counter() - started
    renders = [float(line.rsplit(" in ", 1)[1].split()[0]) for line in lines]
    print(json.dumps({"build": seconds, "renders": renders, "warm-up": first}), flush=True)
    first = False
"""


class EventStream:
    """The preview's /events, read in a thread: (monotonic time, event name) as they come."""

    def __init__(self, port: int) -> None:
        import http.client
        import threading

        self.events: list[tuple[float, str]] = []
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        self.conn.request("GET", "/events")
        self.response = self.conn.getresponse()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            for raw in self.response:
                line = raw.decode("utf-8").rstrip("\n")
                if line.startswith("event: "):
                    self.events.append((time.monotonic(), line[len("event: "):]))
        except (OSError, ValueError):
            pass

    def wait(self, name: str, after: float, timeout: float) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for at, event in list(self.events):
                if event == name and at >= after:
                    return at
                if event == "problems" and at >= after:
                    raise BenchError("the preview reported a problem after the edit")
            time.sleep(0.005)
        raise BenchError(f"no '{name}' event within {timeout:.0f} s of the save")

    def close(self) -> None:
        self.conn.close()


def part_s(work: Path, reps: int) -> None:
    """From saving a block file to (a) the reload event for the rebuilt HTML and (b) the
    replaced PDF, with `serve` on a copy of the sample; beside it, the same PDFs built by a
    warm process (pipeline imported, one build done) with nothing else to do."""
    import urllib.request

    edits = max(5, reps)
    note(f"s. Live preview: block file saved -> HTML reloaded, -> PDF replaced "
         f"(serve, sample, median of {edits} edits)")
    project = copy_project(work / "s-project")
    checked(build_py(project, "build"))  # output/ current: serve starts with nothing to do
    project_obj = load(project)
    block, brief_id = pick_block(project_obj)
    affected = [s for s in selections(project_obj) if any(b.id == block.id for b in s.blocks)]
    page = f"/brief/{affected[0].brief.id}/{affected[0].audience.name}/"
    log = work / "s-serve.log"
    proc = subprocess.Popen([sys.executable, str(BUILD_PY), "--project", str(project), "serve",
                             "--port", "0"], stdout=subprocess.PIPE, stderr=log.open("w"),
                            text=True, env=child_env())
    # the warm process: its own copy and output folder, so the two never share a build lock
    warm_project = copy_project(work / "s-warm-project")
    warm_log = work / "s-warm.log"
    warm_proc = subprocess.Popen([sys.executable, "-c", WARM_PDF, str(warm_project),
                                  str(work / "s-warm-out"), brief_id], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=warm_log.open("w"),
                                 text=True, env=child_env())

    def warm_build() -> dict[str, Any]:
        assert warm_proc.stdin is not None and warm_proc.stdout is not None
        warm_proc.stdin.write("go\n")
        warm_proc.stdin.flush()
        answer = warm_proc.stdout.readline()
        if not answer:
            warm_proc.wait()
            raise BenchError(f"warm build failed: {warm_log.read_text()[-300:]}")
        return json.loads(answer)  # type: ignore[no-any-return]

    html_s, pdf_s, warm_s, renders, served = [], [], [], [], 0
    try:
        warm_build()  # imports, fonts, citeproc cache: what serve's worker has before a save
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("serving http://127.0.0.1:"):
            raise BenchError(f"serve did not start: {line!r} {log.read_text()[-300:]}")
        url = line.split()[1]
        port = int(url.rstrip("/").rsplit(":", 1)[1])
        deadline = time.monotonic() + 300
        while "PDF: " not in log.read_text():  # the first (nothing to do) builds are over
            if time.monotonic() > deadline or proc.poll() is not None:
                raise BenchError(f"serve's first build did not end: {log.read_text()[-300:]}")
            time.sleep(0.1)
        events = EventStream(port)
        try:
            for i in range(edits):
                mark = f"Preview edit {i + 1}."
                edit_block_text(project, block, mark)
                saved = time.monotonic()
                html_s.append(events.wait("reload", saved, 120) - saved)
                with urllib.request.urlopen(url.rstrip("/") + page, timeout=60) as response:
                    served += mark in response.read().decode("utf-8")
                pdf_s.append(events.wait("pdf", saved, 600) - saved)
                warm = warm_build()  # next to it, while serve is idle
                warm_s.append(warm["build"])
                renders += warm["renders"]
                note(f"   edit {i + 1}: reload sent {fmt_s(html_s[-1])}, PDF replaced "
                     f"{fmt_s(pdf_s[-1])} after the save; warm build of those PDFs "
                     f"{fmt_s(warm_s[-1])}   load {loadavg()}")
                time.sleep(0.5)
        finally:
            events.close()
    finally:
        warm_proc.kill()
        warm_proc.wait()
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
    if code != 130:
        note(f"   ! serve exited {code} on Ctrl-C, not 130")
    inside = [float(m) for m in re.findall(r"^HTML: rebuilt \d+ in ([\d.]+) s", log.read_text(),
                                            re.M)][-edits:]
    pdf_counts = sorted({int(n) for n in re.findall(r"^PDF: rebuilt (\d+) in", log.read_text(),
                                                    re.M)})
    warm_m, render_s = med(warm_s), max(renders)
    html_m, pdf_m = med(html_s), med(pdf_s)
    note(f"   edited block '{block.id}' (brief '{brief_id}'): {len(affected)} outputs affected; "
         f"the new text was in the served page after {served} of {edits} reloads")
    note(f"   of the HTML figure, pipeline.build in serve's worker took {fmt_s(med(inside))} "
         "(median); the rest is seeing the save and telling the page")
    note(f"   PDFs the preview rebuilt per save: {', '.join(map(str, pdf_counts)) or '?'}")
    note(f"   warm process, brief '{brief_id}' forced as PDF ({len(renders) // len(warm_s)} "
         f"outputs): {fmt_s(warm_m)} (median of {len(warm_s)}), longest single render "
         f"{fmt_s(render_s)}")
    row("s", f"save -> HTML reload sent (median of {edits})",
        f"{fmt_s(html_m)} for {len(affected)} HTML outputs", "<= 0.5 s",
        "met" if html_m <= 0.5 else f"NOT met: {html_m - 0.5:.2f} s over")
    row("s", f"save -> PDF replaced (median of {edits})", f"{fmt_s(pdf_m)} "
        f"({pdf_m / warm_m:.2f}x a warm build of the same PDFs, {fmt_s(warm_m)})",
        "<= 1.0x warm build", at_most(pdf_m / warm_m, 1.0))
    row("s", "new text in the served page after reload", f"{served} of {edits}",
        f"{edits} of {edits}", "met" if served == edits else "NOT met")



# --------------------------------------------------------------------------- h. scale

SCALE_COPIES = 46  # the sample's blocks 46 times: about 3,300 blocks and 4,500 quotes
CHECK_RATIO_TARGET = 4.0  # 3,000-block check / the sample's check, at most
CACHE_FILES = ("quotes.json", "fidelity.json")


def timed_check(project: Path, cold: bool) -> tuple[float, float]:
    """Wall and CPU seconds (the process and its render workers) of one `build.py check`."""
    cache = project / "output" / ".cache"
    if cold:
        for name in CACHE_FILES:
            (cache / name).unlink(missing_ok=True)
    run = checked(build_py(project, "check"))
    if not all((cache / name).is_file() for name in CACHE_FILES):
        raise BenchError(f"check did not write its caches in {cache}")
    return run.seconds, run.cpu


def part_h(work: Path, reps: int) -> None:
    """3,000-block `check` against the sample's (cold and warm caches), and the no-op build of
    a 1,000-output project against the sample's no-op, every pair alternating."""
    from scale_project import scale_project

    n = max(5, reps * 2)
    note(f"h. Scale: a {SCALE_COPIES}-copy project's check / the sample's (median of {n}, "
         "alternating), cold and warm caches")
    sample = copy_project(work / "h-sample")
    big = work / "h-big"
    counts = scale_project(big, SCALE_COPIES)
    note(f"   generated: {counts['blocks']} blocks, {counts['quotes']} quotes, "
         f"{counts['sources']} sources, the sample's {counts['briefs']} briefs "
         "(benchmarks/scale_project.py)")
    for project in (sample, big):  # the folder the first default build makes
        (project / "output" / ".cache").mkdir(parents=True)
    times: dict[tuple[str, bool], list[float]] = {}
    cpu: dict[tuple[str, bool], list[float]] = {}
    for _ in range(n):
        for cold in (True, False):  # cold: no cache files; warm: the ones the cold run wrote
            for name, project in (("sample", sample), ("big", big)):
                wall, used = timed_check(project, cold)
                times.setdefault((name, cold), []).append(wall)
                cpu.setdefault((name, cold), []).append(used)
    for cold in (True, False):
        label = "cold" if cold else "warm"
        small_s, big_s = med(times[("sample", cold)]), med(times[("big", cold)])
        small_c, big_c = med(cpu[("sample", cold)]), med(cpu[("big", cold)])
        note(f"   {label}: sample {fmt_s(small_s)}, {counts['blocks']} blocks {fmt_s(big_s)} "
             f"= {big_s / small_s:.2f}x; CPU seconds {small_c:.2f} and {big_c:.2f} = "
             f"{big_c / small_c:.2f}x   load {loadavg()}")
        row("h", f"{counts['blocks']}-block check / sample check, {label} cache",
            f"{big_s / small_s:.2f}", f"<= {CHECK_RATIO_TARGET:.0f}",
            at_most(big_s / small_s, CHECK_RATIO_TARGET))
    noop_1000(work, reps)


def noop_1000(work: Path, reps: int) -> None:
    """The part-d generator's project at 1,000 outputs (334 briefs x 3 audiences), built once
    as HTML only (the PDFs would take an hour on 2 cores), then the no-op `build --format
    html` timed against the sample's, both built the same way first."""
    base = load(copy_project(work / "h-base"))
    big, total = variant_project(work / "h-noop-big", 1000, base)
    sample = copy_project(work / "h-noop-sample")
    first: dict[str, float] = {}
    for name, project in (("sample", sample), ("big", big)):
        run = checked(build_py(project, "build", "--format", "html", "-j", "2"))
        first[name] = run.seconds
        if run.built == 0:
            raise BenchError(f"{name}: the first build built nothing")
    note(f"   {total} HTML outputs built once in {fmt_s(first['big'])} (-j 2); the sample's "
         f"in {fmt_s(first['sample'])}")
    for name, project in (("sample", sample), ("big", big)):
        # A build made while Briefsmith's own code was being edited (a working tree shared with
        # other work) is out of date at once: build again until a build changes nothing.
        for _ in range(3):
            run = checked(build_py(project, "build", "--format", "html", "-j", "2"))
            if "(nothing changed)" in run.stdout:
                break
        else:
            raise BenchError(f"{name}: every build rebuilt something; is the code changing?")
    times: dict[str, list[float]] = {"sample": [], "big": []}
    for _ in range(max(5, reps * 2)):
        for name, project in (("sample", sample), ("big", big)):
            run = checked(build_py(project, "build", "--format", "html"))
            if "(nothing changed)" not in run.stdout:
                raise BenchError(f"{name}: the no-op build rebuilt (was Briefsmith's code "
                                 f"edited meanwhile?): {run.stdout[-200:]}")
            times[name].append(run.seconds)
    small_s, big_s = med(times["sample"]), med(times["big"])
    note(f"   no-op, median of {len(times['big'])}: sample {fmt_s(small_s)}, {total} outputs "
         f"{fmt_s(big_s)} = {big_s / small_s:.2f}x   load {loadavg()}")
    row("h", f"{total}-output no-op build / sample no-op (html)", f"{big_s / small_s:.2f}")


if __name__ == "__main__":
    sys.exit(main())
