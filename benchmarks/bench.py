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
    from briefsmith.pipeline import plan
    from briefsmith.select import select

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
    import briefsmith.pdf as pdf_module
    from briefsmith.pipeline import render_one

    captured: list[dict[str, str]] = []
    current: dict[str, str] = {}

    def recorder(html: str, base_dir: Path, *args: Any, **kwargs: Any) -> Any:
        captured.append({**current, "html": html, "base_url": base_dir.as_uri() + "/"})
        return b"", SimpleNamespace(missing_glyphs=[], refused=[], errors=[], warnings=[]), 0

    real = pdf_module.render_pdf
    pdf_module.render_pdf = recorder
    started = time.perf_counter()
    try:
        for sel in sels:
            current.update(brief=sel.brief.id, audience=sel.audience.name)
            render_one(project_obj, sel, ("pdf",), cache_dir)
    finally:
        pdf_module.render_pdf = real
    return captured, time.perf_counter() - started


def fontconfig_env() -> dict[str, str]:
    """The private fontconfig file the pipeline uses, so bare WeasyPrint sees the same fonts."""
    env = child_env()
    try:
        from briefsmith.pdf import _fontconfig_file

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
    parser.add_argument("--parts", default="abcdef", help="which parts to run (default abcdef)")
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


if __name__ == "__main__":
    sys.exit(main())
