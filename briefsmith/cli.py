"""Command line: `briefsmith [build|check|list]`. The only place errors are caught and printed."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .errors import BriefsmithError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="briefsmith",
        description="Build policy briefs (PDF and HTML) from verified content blocks.",
    )
    parser.add_argument("--version", action="version", version=f"briefsmith {__version__}")
    parser.add_argument("--project", type=Path, default=None,
                        help="project folder holding briefs/, content/ and templates/ "
                             "(default: the current folder)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    build = sub.add_parser("build", help="build briefs (default: every brief, every audience)")
    build.add_argument("briefs", nargs="*", metavar="BRIEF", help="brief ids (default: all)")
    build.add_argument("--audience", help="build only this audience")
    build.add_argument("--format", default="pdf,html",
                       help="comma-separated output formats: pdf, html (default: pdf,html)")
    build.add_argument("--out", type=Path, default=None,
                       help="output folder (default: output/ in the project)")
    build.add_argument("-j", "--jobs", type=int, default=None,
                       help="render this many outputs at once (default: the number of cores)")
    sub.add_parser("check", help="validate content and verify every quote; writes nothing")
    sub.add_parser("list", help="list briefs, audiences, sources and blocks")
    return parser


def main(argv: list[str] | None = None, default_project: Path | None = None) -> int:
    args = _parser().parse_args(argv)
    root = (args.project or default_project or Path.cwd()).resolve()
    try:
        if args.command == "check":
            return _check(root)
        if args.command == "list":
            return _list(root)
        if args.command is None:
            return _build(root, [], None, "pdf,html", None, None)
        return _build(root, args.briefs, args.audience, args.format, args.out, args.jobs)
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


def _warn(lines: list[str] | tuple[str, ...]) -> None:
    for line in lines:
        print(line, file=sys.stderr)


def _check(root: Path) -> int:
    from .pipeline import check

    content = check(root)
    _warn(content.warnings)
    quotes = sum(len(c) for c in content.citations.values())
    print(f"ok: {len(content.briefs)} briefs, {len(content.blocks)} blocks, "
          f"{len(content.sources)} sources, {quotes} quotes verified")
    return 0


def _list(root: Path) -> int:
    from .pipeline import check

    content = check(root)
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


def _build(root: Path, briefs: list[str], audience: str | None, formats: str,
           out: Path | None, jobs: int | None) -> int:
    from .errors import ContentError
    from .pipeline import FORMATS, build

    wanted = tuple(f.strip() for f in formats.split(",") if f.strip())
    if not wanted or any(f not in FORMATS for f in wanted):
        raise ContentError(f"--format '{formats}' is not valid: use pdf, html or pdf,html")
    out_dir = (out or root / "output").resolve()
    if jobs is not None and jobs < 1:
        raise ContentError(f"-j {jobs} is not valid: give 1 or more")
    result = build(root, out_dir, briefs or None, audience, wanted, jobs)
    _warn(result.warnings)
    for output in result.outputs:
        pages = f" ({output.pages} pages)" if output.pages else ""
        print(f"wrote {out_dir / output.path}{pages}")
    print(f"built {len(result.outputs)} files in {result.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
