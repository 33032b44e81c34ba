"""Command line: `briefsmith [build|check|list|templates]`. The only place errors are caught."""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from . import __version__
from .errors import BriefsmithError, ContentError

FORMATS = ("pdf", "html")  # kept here, not imported: the no-op path imports no pipeline code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="briefsmith",
        description="Build policy briefs (PDF and HTML) from verified content blocks.",
    )
    parser.add_argument("--version", action="version", version=f"briefsmith {__version__}")
    parser.add_argument("--project", type=Path, default=None,
                        help="project folder holding briefs/, content/ and templates/ "
                             "(default: the current folder)")
    parser.add_argument("--templates", type=Path, default=None, metavar="DIR",
                        help="a template tree (audience folders and _base/) searched before "
                             "the project's templates/")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    build = sub.add_parser("build", help="build briefs (default: every brief, every audience)",
                           description="Build briefs as PDF and HTML into output/.")
    build.add_argument("briefs", nargs="*", metavar="BRIEF", help="brief ids (default: all)")
    build.add_argument("--audience", help="build only this audience")
    build.add_argument("--format", default="pdf,html",
                       help="comma-separated output formats: pdf, html (default: pdf,html)")
    build.add_argument("--out", type=Path, default=None,
                       help="output folder (default: output/ in the project)")
    build.add_argument("-j", "--jobs", type=int, default=None,
                       help="render this many outputs at once (default: the number of cores)")
    build.add_argument("--explain", action="store_true",
                       help="print the file that won for every template, stylesheet and "
                            "citation style used")
    build.add_argument("--force", action="store_true",
                       help="rebuild every output, even those whose inputs did not change")
    build.add_argument("--shard", default=None, metavar="K/N",
                       help="build only share K of N (a stable split by brief and audience, "
                            "for CI matrices)")
    build.add_argument("--report", nargs="?", const="", default=None, metavar="PATH",
                       help="write a change report (default: output/CHANGES.md), also when "
                            "the build fails")
    manifest = sub.add_parser("merge-manifests",
                              help="combine the manifests of shards built on different machines",
                              description="Merge shard manifests (output/.briefsmith-manifest"
                                          ".json files) into one output folder's manifest.")
    manifest.add_argument("parts", nargs="+", type=Path, metavar="PART",
                          help="output folders or manifest files of the shards")
    manifest.add_argument("--out", type=Path, default=None,
                          help="output folder to write the merged manifest to (default: "
                               "output/ in the project)")
    watch = sub.add_parser("watch", help="rebuild what a saved file affects, until Ctrl-C",
                           description="Watch the project and rebuild the outputs a saved "
                                       "file affects.")
    watch.add_argument("--audience", help="only this audience")
    watch.add_argument("--format", default="pdf,html", help="pdf, html or pdf,html")
    watch.add_argument("--interval", type=float, default=0.5, help="seconds between looks")
    sub.add_parser("check", help="validate content and verify every quote; writes nothing",
                   description="Validate every file and verify every quote; writes nothing.")
    sub.add_parser("list", help="list briefs, audiences, sources and blocks",
                   description="List briefs, audiences, sources and blocks.")
    templates = sub.add_parser("templates", help="list or copy overridable templates",
                               description="List overridable templates or copy one to edit.")
    tsub = templates.add_subparsers(dest="templates_command", metavar="ACTION", required=True)
    tlist = tsub.add_parser("list", help="every template and named block, and the file that "
                                         "wins for each audience")
    tlist.add_argument("--audience", help="only this audience")
    tcopy = tsub.add_parser("copy", help="copy a built-in template into templates/AUDIENCE/ "
                                         "(never overwrites)")
    tcopy.add_argument("audience", metavar="AUDIENCE")
    tcopy.add_argument("name", nargs="?", default="brief.html.j2", metavar="NAME",
                       help="file to copy (default: brief.html.j2)")
    return parser


def main(argv: list[str] | None = None, default_project: Path | None = None) -> int:
    args = _parser().parse_args(argv)
    root = (args.project or default_project or Path.cwd()).resolve()
    override = args.templates.resolve() if args.templates else None
    try:
        if override is not None and not override.is_dir():
            raise ContentError(f"--templates {args.templates}: no such folder")
        if args.command == "check":
            return _check(root, override)
        if args.command == "list":
            return _list(root, override)
        if args.command == "templates":
            return _templates(root, override, args)
        if args.command == "merge-manifests":
            return _merge_manifests(root, args)
        if args.command == "watch":
            return _watch(root, override, args)
        if args.command is None:
            args = _parser().parse_args([*(argv or []), "build"])
        return _build(root, override, args)
    except BriefsmithError as exc:
        for line in exc.lines():
            print(line, file=sys.stderr)
        count = len(exc.lines())
        print(f"briefsmith: {count} problem{'s' if count != 1 else ''}; nothing was written",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("briefsmith: interrupted; earlier outputs are unchanged", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0


def _warn(lines: list[str] | tuple[str, ...]) -> None:
    for line in lines:
        print(line, file=sys.stderr)


def _check(root: Path, override: Path | None) -> int:
    from .pipeline import check

    content = check(root, override).content
    _warn(content.warnings)
    quotes = sum(len(c) for c in content.citations.values())
    print(f"ok: {len(content.briefs)} briefs, {len(content.blocks)} blocks, "
          f"{len(content.sources)} sources, {quotes} quotes verified")
    return 0


def _list(root: Path, override: Path | None) -> int:
    from .pipeline import check

    content = check(root, override).content
    print("Briefs:")
    for brief in content.briefs.values():
        print(f"  {brief.id}: {brief.title} [{', '.join(brief.audiences)}]")
    print("Audiences:")
    for aud in content.audiences.values():
        print(f"  {aud.name}: {aud.label} (notes: {aud.notes}, style: {aud.citation_style})")
    print("Sources:")
    for src in content.sources.values():
        missing = f"; not stated: {', '.join(src.missing)}" if src.missing else ""
        print(f"  {src.id}: {src.display_title} ({src.kind}; {src.perspective}{missing})")
    print("Blocks:")
    for block in content.blocks.values():
        print(f"  {block.id} ({block.type}) {block.origin}")
    return 0


def _templates(root: Path, override: Path | None, args: argparse.Namespace) -> int:
    from .load import relpath
    from .templates import chain_for, copy_builtin, display, template_trees

    if args.templates_command == "copy":
        target = copy_builtin(root, args.audience, args.name)
        print(f"copied to {relpath(target, root)}: edit it; it now wins over the built-in one")
        return 0
    from .config import load_config
    from .errors import Collector
    from .validate import discover_audiences

    config = load_config(root)
    trees = template_trees(root, override or config.templates)
    errors = Collector()
    audiences = discover_audiences(root, trees, errors)
    errors.raise_if_any()
    if args.audience and args.audience not in audiences:
        raise ContentError(f"no audience '{args.audience}': audiences are "
                           f"{', '.join(audiences)}")
    for name in [args.audience] if args.audience else list(audiences):
        chain = chain_for(root, name, trees)
        print(f"{name}: searched {chain.searched()}")
        for template in chain.names():
            winner = chain.winner(template)
            assert winner is not None
            print(f"  {template:<24} {display(winner, root)}")
            blocks = chain.blocks_of(template)
            if blocks:
                print(f"  {'':<24} blocks: {', '.join(blocks)}")
    return 0


def _formats(text: str) -> tuple[str, ...]:
    wanted = tuple(f.strip() for f in text.split(",") if f.strip())
    if not wanted or any(f not in FORMATS for f in wanted):
        raise ContentError(f"--format '{text}' is not valid: use pdf, html or pdf,html")
    return wanted


def _shard(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    match = re.fullmatch(r"(\d+)/(\d+)", text)
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise ContentError(f"--shard '{text}' is not valid: write K/N with 1 <= K <= N, "
                           "e.g. 1/2")
    return int(match.group(1)), int(match.group(2))


def _progress(line: str) -> None:
    """A bar on a terminal; one plain line per finished output in logs (CI)."""
    if sys.stderr.isatty():
        done, total = (int(n) for n in line[1:line.index("]")].split("/"))
        bar = "#" * (20 * done // total) + "-" * (20 - 20 * done // total)
        print(f"\r\033[K[{bar}] {line}", end="", file=sys.stderr, flush=True)
    else:
        print(line, file=sys.stderr, flush=True)


def _merge_manifests(root: Path, args: argparse.Namespace) -> int:
    from .manifest import MANIFEST, Manifest
    from .output import write_all

    out_dir = (args.out or root / "output").resolve()
    merged = Manifest.read(out_dir)
    for part in args.parts:
        folder = part.parent if part.name == MANIFEST else part
        if not (folder / MANIFEST).is_file():
            raise ContentError(f"{part}: no {MANIFEST} there: give a shard's output folder")
        merged.merge(Manifest.read(folder))
    write_all(out_dir, {Path(MANIFEST): merged.to_bytes()})
    print(f"merged {len(args.parts)} manifest(s): {len(merged.outputs)} outputs recorded in "
          f"{out_dir / MANIFEST}")
    return 0


def _build(root: Path, override: Path | None, args: argparse.Namespace) -> int:
    import json

    from .manifest import Manifest, snapshot

    started = time.perf_counter()
    wanted = _formats(args.format)
    shard = _shard(args.shard)
    if args.jobs is not None and args.jobs < 1:
        raise ContentError(f"-j {args.jobs} is not valid: give 1 or more")
    out_dir = (args.out or root / "output").resolve()
    report = None if args.report is None else Path(args.report or out_dir / "CHANGES.md")
    key = json.dumps({"briefs": sorted(args.briefs), "audience": args.audience,
                      "formats": wanted, "shard": shard,
                      "templates": str(override) if override else None}, sort_keys=True)
    outside = [override] if override and not override.is_relative_to(root) else []
    snap = snapshot(root, out_dir, outside)
    manifest = Manifest.read(out_dir)
    if not args.force and report is None and not args.explain and manifest.run_is_noop(
            out_dir, key, snap):
        # Nothing the project can read has changed since this command last succeeded: no YAML
        # is parsed and the renderer is never imported.
        count = len(manifest.runs[key]["outputs"])
        print(f"built 0, skipped {count}, failed 0 in {time.perf_counter() - started:.2f} s "
              "(nothing changed)")
        return 0
    from .pipeline import BuildRequest, build

    request = BuildRequest(args.briefs or None, args.audience, wanted, args.jobs, override,
                           args.force, shard, key, snap)
    try:
        result = build(root, out_dir, request, _progress)
    except BriefsmithError as exc:
        if report is not None:
            _write_report(root, override, report, None, exc)
        raise
    finally:
        if sys.stderr.isatty():
            print(file=sys.stderr)
    _warn(result.warnings)
    for output in result.outputs:
        pages = f" ({output.pages} page{'' if output.pages == 1 else 's'})" if output.pages else ""
        print(f"wrote {out_dir / output.path}{pages}")
        if args.explain:
            for name, path in output.templates:
                print(f"  {name:<28} {path}")
    if report is not None:
        _write_report(root, override, report, result, None)
        print(f"wrote {report}")
    print(f"built {len(result.outputs)}, skipped {len(result.skipped)}, failed {result.failed} "
          f"in {time.perf_counter() - started:.1f} s")
    return 0


def _write_report(root: Path, override: Path | None, path: Path, result: object,
                  error: BriefsmithError | None) -> None:
    import datetime as dt

    from .errors import Problems
    from .pipeline import load_project
    from .report import render_report, write_report

    errors = error.errors if isinstance(error, Problems) else [error] if error else []
    try:
        project = load_project(root, override)
    except BriefsmithError:
        project = None
    write_report(path, render_report(result, errors, project, dt.date.today()))  # type: ignore[arg-type]


def _watch(root: Path, override: Path | None, args: argparse.Namespace) -> int:
    """Poll the project's files and rebuild on change. Polling needs no extra dependency and
    costs a few milliseconds per look for a project of this size."""
    from .manifest import snapshot

    out_dir = (root / "output").resolve()
    build_args = ["build", "--format", args.format]
    if args.audience:
        build_args += ["--audience", args.audience]
    build_ns = _parser().parse_args(build_args)
    last = None
    print(f"watching {root} (Ctrl-C to stop)", file=sys.stderr)
    while True:
        snap = snapshot(root, out_dir)
        if snap != last:
            last = snap
            try:
                _build(root, override, build_ns)
            except BriefsmithError as exc:
                for line in exc.lines():
                    print(line, file=sys.stderr)
                print("briefsmith: waiting for the next change", file=sys.stderr)
        time.sleep(args.interval)


if __name__ == "__main__":
    sys.exit(main())
