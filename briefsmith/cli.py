"""Command line: `briefsmith [build|check|list|templates]`. The only place errors are caught."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .errors import BriefsmithError, ContentError


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
        if args.command is None:
            return _build(root, override, [], None, "pdf,html", None, None, False)
        return _build(root, override, args.briefs, args.audience, args.format, args.out,
                      args.jobs, args.explain)
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
    from .templates import chain_for, copy_builtin, template_trees

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
            print(f"  {template:<24} {relpath(winner, root)}")
            blocks = chain.blocks_of(template)
            if blocks:
                print(f"  {'':<24} blocks: {', '.join(blocks)}")
    return 0


def _build(root: Path, override: Path | None, briefs: list[str], audience: str | None,
           formats: str, out: Path | None, jobs: int | None, explain: bool) -> int:
    from .pipeline import FORMATS, build

    wanted = tuple(f.strip() for f in formats.split(",") if f.strip())
    if not wanted or any(f not in FORMATS for f in wanted):
        raise ContentError(f"--format '{formats}' is not valid: use pdf, html or pdf,html")
    if jobs is not None and jobs < 1:
        raise ContentError(f"-j {jobs} is not valid: give 1 or more")
    out_dir = (out or root / "output").resolve()
    result = build(root, out_dir, briefs or None, audience, wanted, jobs, override)
    _warn(result.warnings)
    for output in result.outputs:
        pages = f" ({output.pages} pages)" if output.pages else ""
        print(f"wrote {out_dir / output.path}{pages}")
        if explain:
            for name, path in output.templates:
                print(f"  {name:<28} {path}")
    print(f"built {len(result.outputs)} files in {result.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
