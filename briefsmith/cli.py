"""Command line: `briefsmith [build|check|balance|list|templates]`. The only place errors are
caught."""

from __future__ import annotations

import argparse
import contextlib
import gc
import re
import signal
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

from . import __version__
from .builder.request import BuildRequest, BuildResult
from .core.errors import BriefsmithError, BriefsmithWarning, Collector, ContentError, Problems
from .core.files import recording_writes, write_all, write_atomic
from .core.formats import FORMATS
from .core.models import relpath
from .run import run_build

# The options that come before the command, and whether each takes a value: everything else
# that starts with "-" before a command is an option of `build`, the default command.
GLOBAL_OPTIONS = {"--project": True, "--templates": True, "--version": False, "--help": False,
                  "-h": False, "--debug": False}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="briefsmith",
        description="Build policy briefs (PDF and HTML) from verified content blocks.",
        epilog="With no COMMAND, or when the first argument is an option of build, the command "
               "is build: `briefsmith --force -j 2` is `briefsmith build --force -j 2` "
               "(see `briefsmith build --help`).",
    )
    parser.add_argument("--version", action="version", version=f"briefsmith {__version__}")
    parser.add_argument("--project", type=Path, default=None,
                        help="project folder holding briefs/, content/ and templates/ "
                             "(default: the current folder)")
    parser.add_argument("--templates", type=Path, default=None, metavar="DIR",
                        help="a template tree (audience folders and _base/) searched before "
                             "the project's templates/")
    parser.add_argument("--debug", action="store_true",
                        help="after a problem that an unexpected exception caused (a bug to "
                             "report), print that exception's traceback")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    build = sub.add_parser("build", help="build briefs (default: every brief, every audience)",
                           description="Build briefs as PDF and HTML into output/.")
    build.add_argument("briefs", nargs="*", metavar="BRIEF",
                       help="brief ids, or their files in briefs/ (default: all)")
    build.add_argument("--audience", help="build only this audience, or these: "
                                          "parliamentary,ngo")
    build.add_argument("--format", default="pdf,html",
                       help="comma-separated output formats: pdf, html, docx (default: pdf,html)")
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
    watch.add_argument("--format", default="pdf,html", help="pdf, html, docx or a list: pdf,html")
    watch.add_argument("--interval", type=float, default=0.5, help="seconds between looks")
    serve = sub.add_parser("serve", help="live preview in the browser: rebuild on save, pages "
                                         "reload themselves",
                           description="Build, then serve the briefs on 127.0.0.1 and rebuild "
                                       "what each save affects: HTML first (open pages "
                                       "reload), then PDF. Until Ctrl-C.")
    serve.add_argument("--port", type=int, default=8000,
                       help="port on 127.0.0.1 (default 8000; 0 picks a free one)")
    serve.add_argument("--audience", help="only this audience")
    check = sub.add_parser("check", help="validate content and verify every quote; writes no "
                                         "output",
                           description="Validate every file and verify every quote. Writes no "
                                       "output; when a build has made output/.cache/, it keeps "
                                       "the quotes it verified and the prose it compared there, "
                                       "so that the next check and build need not redo them.")
    check.add_argument("--strict", action="store_true",
                       help="fail on editorial warnings too (prose that says more than its "
                            "passages, unresolved conflicts, balance, audience contracts)")
    check.add_argument("--format", choices=("text", "json"), default="text",
                       help="text for people (default); json for tools: every problem and "
                            "warning with its file, line, column, kind and message")
    balance = sub.add_parser("balance", help="positions and quotes per perspective, per brief "
                                             "and audience; reading level",
                             description="For each brief and audience (as the build selects "
                                         "its blocks): position and quote blocks and their "
                                         "words per perspective, the perspectives that reach "
                                         "the reader only second-hand, and the reading level "
                                         "of the editor's prose.")
    balance.add_argument("briefs", nargs="*", metavar="BRIEF", help="brief ids (default: all)")
    balance.add_argument("--format", choices=("text", "json"), default="text",
                         help="text (default) or json")
    conflicts = sub.add_parser(
        "conflicts", help="facts about the same claim that the sources state differently",
        description="Compare the facts that share a claim: conflicts, changes over time, facts "
                    "without as_of, unit mismatches, each with its passages. A report: exit 0 "
                    "whatever it finds (check --strict fails on what is unresolved).")
    conflicts.add_argument("--format", choices=("text", "json"), default="text",
                           help="text for people (default), json for tools")
    refs = sub.add_parser("import-refs", help="create source metadata files from a Zotero CSL "
                                              "JSON or BibTeX file (never overwrites)",
                          description="Create content/sources/<id>.yaml for each reference in "
                                      "a CSL JSON (.json) or BibTeX (.bib) file; files that "
                                      "exist are skipped. Prints the texts still to add.")
    refs.add_argument("file", type=Path, metavar="FILE", help="a .json or .bib file")
    ingest = sub.add_parser("ingest", help="make a source from a saved web page (.html or "
                                           ".mhtml): its text, metadata and the page itself",
                            description="Extract a saved page's article text into "
                                        "content/sources/ID.txt, what the page states about "
                                        "itself into ID.yaml, and keep the page beside them. "
                                        "Never fetches anything; never overwrites without "
                                        "--force.")
    ingest.add_argument("page", type=Path, metavar="PAGE", help="a saved .html or .mhtml page")
    ingest.add_argument("--id", dest="source_id", default=None, metavar="ID",
                        help="source id (default: from the title, else the file name)")
    ingest.add_argument("--propose", action="store_true",
                        help="also write candidate fact and quote blocks to "
                             "content/proposals/ID.yaml")
    ingest.add_argument("--force", action="store_true", help="replace files that exist")
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
    tcopy.add_argument("--as", dest="new", metavar="NEW",
                       help="make a new audience NEW from the built-in AUDIENCE: copy all its "
                            "files into templates/NEW/")
    return parser


def with_command(argv: list[str]) -> list[str]:
    """`argv` with `build` put where the command goes when none is given, so that build options
    work with or without the word `build` and are parsed by one parser, with one help text. A
    word that is not a command stays, for argparse to report as a usage error: a mistyped
    command must not turn into a build."""
    i = 0
    while i < len(argv) and argv[i].startswith("-") and argv[i] != "--":
        name, eq, _ = argv[i].partition("=")
        known = [o for o in GLOBAL_OPTIONS
                 if o == name or (name.startswith("--") and len(name) > 2 and o.startswith(name))]
        if len(known) != 1:
            break  # a build option (or one argparse will reject)
        i += 2 if GLOBAL_OPTIONS[known[0]] and not eq else 1
    if i < len(argv) and not argv[i].startswith("-"):
        return argv
    return [*argv[:i], "build", *argv[i:]]


class Terminated(KeyboardInterrupt):
    """SIGTERM (a CI runner cancelling a job, `kill`, a service manager stopping), raised where
    the build is so that it stops the way Ctrl-C stops it: workers stopped, lock released."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated


@contextmanager
def _interrupts_handled() -> Iterator[None]:
    """SIGTERM becomes an exception for the duration of a command; the handlers that were there
    before are put back, so that calling `main` from a program or a test leaves no trace."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _interrupted(written: list[Path]) -> str:
    """The one line an interrupted command prints: how many outputs were already replaced
    (each file is whole, old or new), so nobody has to guess which PDFs are current."""
    # lazy: a no-op build imports core/ alone
    from .builder.manifest import MANIFEST

    count = len([p for p in written if p.name != MANIFEST])
    if count == 0:
        return "briefsmith: interrupted: no output written, every output kept as it was"
    return (f"briefsmith: interrupted: {count} output{'s' if count != 1 else ''} written, the "
            "rest kept as they were")


def _missing_dependency(exc: ModuleNotFoundError) -> bool:
    """A third-party package that is not installed for this Python: a set-up problem with one
    fix. A missing part of Briefsmith or of the standard library is a bug or a broken Python,
    and keeps its traceback."""
    top = (exc.name or "").partition(".")[0]
    return bool(top) and top != __name__.partition(".")[0] and top not in sys.stdlib_module_names


def _print_problems(exc: BriefsmithError, progress: Progress, debug: bool = False) -> None:
    """The located problems first (the lines a CI log shows first), then what the build did,
    then the count last. With `debug`, a problem that stands for an unexpected exception is
    followed by its traceback."""
    progress.clear()
    for line in exc.lines(debug):
        print(line, file=sys.stderr)
    progress.release()
    count = len(exc.lines())
    print(f"briefsmith: {count} problem{'s' if count != 1 else ''}; no output was written",
          file=sys.stderr)


def run(default_project: Path | None = None) -> NoReturn:
    """The command line's entry point (build.py, the `briefsmith` script): `main`, then exit.
    Before exiting, every object left is frozen out of the cycle collector's final pass,
    which on a project of 3,000 blocks took a tenth of a second to find no garbage; exit
    handlers still run. Not in `main`, which tests call again and again in one process."""
    code = main(default_project=default_project)
    gc.freeze()
    sys.exit(code)


def main(argv: list[str] | None = None, default_project: Path | None = None) -> int:
    args = _parser().parse_args(with_command(sys.argv[1:] if argv is None else list(argv)))
    root = (args.project or default_project or Path.cwd()).resolve()
    override = args.templates.resolve() if args.templates else None
    progress = Progress()
    with _interrupts_handled(), recording_writes() as written:
        try:
            return _run(root, override, args, progress)
        except BriefsmithError as exc:
            _print_problems(exc, progress, args.debug)
            return 1
        except KeyboardInterrupt as exc:
            # Nothing more to stop: a second Ctrl-C must not turn this line into a traceback.
            if threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
            progress.discard()
            print(_interrupted(written), file=sys.stderr)
            return 128 + (signal.SIGTERM if isinstance(exc, Terminated) else signal.SIGINT)
        except ModuleNotFoundError as exc:
            if not _missing_dependency(exc):
                raise
            print(f"briefsmith: the Python packages Briefsmith needs are not installed for "
                  f"{sys.executable} ({exc}): run `make briefs` first, then use "
                  ".venv/bin/python build.py", file=sys.stderr)
            return 1
        except BrokenPipeError:  # output piped into `head` and the like
            sys.stderr.close()
            return 0


def _run(root: Path, override: Path | None, args: argparse.Namespace,
         progress: Progress) -> int:
    if override is not None and not override.is_dir():
        raise ContentError(f"--templates {args.templates}: no such folder")
    if not root.is_dir():  # a mistyped --project must not "build 0" into a new folder
        raise ContentError(f"--project {args.project or root}: no such folder: give the folder "
                           "that holds briefs/ and content/")
    if args.command == "check":
        return _check(root, override, args.strict, args.format)
    if args.command == "list":
        return _list(root, override)
    if args.command == "conflicts":
        return _conflicts(root, override, args.format)
    if args.command == "balance":
        return _balance(root, override, args)
    if args.command == "templates":
        return _templates(root, override, args)
    if args.command == "merge-manifests":
        return _merge_manifests(root, args)
    if args.command == "watch":
        return _watch(root, override, args)
    if args.command == "import-refs":
        return _import_refs(root, args.file)
    if args.command == "ingest":
        return _ingest(root, args)
    if args.command == "serve":
        return _serve(root, override, args)
    return _build(root, override, args, progress)


def _warn(warnings: Iterable[BriefsmithWarning]) -> None:
    for warning in warnings:
        print(warning, file=sys.stderr)


SEEN_WARNINGS = Path(".cache") / "warnings-shown.json"


def _warn_once(warnings: list[BriefsmithWarning], out_dir: Path) -> None:
    """A build prints the warnings it has not printed before into this output folder; the ones
    an earlier build printed (the sample's sources that state no author, say) are counted in one
    line, so that a user's new warning is not buried under them. `check` lists them all."""
    import json

    seen_file = out_dir / SEEN_WARNINGS
    try:
        seen = set(json.loads(seen_file.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        seen = set()
    lines = [str(w) for w in warnings]
    _warn(w for w, line in zip(warnings, lines, strict=True) if line not in seen)
    if repeated := sum(line in seen for line in lines):
        print(f"briefsmith: {repeated} warning{'s' if repeated != 1 else ''} printed by an "
              "earlier build, not repeated: `build.py check` lists them all", file=sys.stderr)
    if set(lines) != seen and seen_file.parent.is_dir():
        with contextlib.suppress(OSError):  # a note for the next build, never worth failing
            write_atomic(seen_file, json.dumps(sorted(lines), ensure_ascii=False).encode())


def _check(root: Path, override: Path | None, strict: bool = False, fmt: str = "text") -> int:
    # lazy: a no-op build imports core/ alone
    from .pipeline import check

    if fmt == "json":
        return _check_json(root, override, strict)
    project = check(root, override, write_caches=True)  # output/.cache/, when a build made it
    content = project.content
    _warn(content.warnings)
    if strict and project.review:
        _warn(project.review)
        count = len(project.review)
        print(f"briefsmith: {count} editorial warning{'s' if count != 1 else ''} with --strict; "
              "no output was written", file=sys.stderr)
        return 1
    _warn(project.review)
    quotes = sum(len(c) for c in content.citations.values())
    print(f"ok: {len(content.briefs)} briefs, {len(content.blocks)} blocks, "
          f"{len(content.sources)} sources, {quotes} quotes verified")
    return 0


def _check_json(root: Path, override: Path | None, strict: bool) -> int:
    """What `check` finds, for a tool: the same problems and warnings as the text, in parts.
    Exit 1 when there are problems (or, with --strict, editorial warnings), as for the text."""
    import json

    # lazy: a no-op build imports core/ alone
    from .pipeline import check

    def problem(error: BriefsmithError) -> dict[str, object]:
        origin = error.origin
        return {"file": origin.path if origin else None, "line": (origin.line or None)
                if origin else None, "column": (origin.col or None) if origin else None,
                "message": error.message}

    try:
        project = check(root, override, write_caches=True)
    except Problems as exc:
        report = {"ok": False, "problems": [problem(e) for e in exc.errors], "warnings": []}
    except BriefsmithError as exc:
        report = {"ok": False, "problems": [problem(exc)], "warnings": []}
    else:
        warnings = [*project.content.warnings, *project.review]
        content = project.content
        report = {"ok": not (strict and project.review), "problems": [],
                  "warnings": [w.as_dict() for w in warnings],
                  "counts": {"briefs": len(content.briefs), "blocks": len(content.blocks),
                             "sources": len(content.sources),
                             "quotes": sum(len(c) for c in content.citations.values())}}
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0 if report["ok"] else 1


def _balance(root: Path, override: Path | None, args: argparse.Namespace) -> int:
    """The balance tables. Loads and verifies as `check` does short of rendering: the figures
    are about content, and a brief whose quotes do not verify has no balance worth counting."""
    # lazy: a no-op build imports core/ alone
    from .evidence.balance import balance, to_json, to_text
    from .pipeline import load_project

    project = load_project(root, override)
    content = project.content
    unknown = [b for b in args.briefs if b not in content.briefs]
    if unknown:
        raise ContentError(f"no brief '{unknown[0]}': briefs are "
                           f"{', '.join(sorted(content.briefs)) or 'none'} (files in briefs/)")
    briefs = [content.briefs[b] for b in args.briefs] if args.briefs else None
    results = balance(content, project.config.citation_styles, project.config.perspectives,
                      briefs)
    if args.format == "json":
        print(to_json(results))
        return 0
    # the balance rule counts declared perspectives only (docs/content-format.md)
    rules = {name: aud.contract.min_perspectives for name, aud in content.audiences.items()
             if aud.contract and aud.contract.min_perspectives and project.config.perspectives}
    print(to_text(results, rules), end="")
    return 0


def _conflicts(root: Path, override: Path | None, fmt: str) -> int:
    """A report, not a gate: what to look at is printed and the exit status is 0."""
    # lazy: a no-op build imports core/ alone
    from .evidence.conflicts import find_conflicts, format_json, format_text
    from .pipeline import load_project

    report = find_conflicts(load_project(root, override).content)
    sys.stdout.write(format_json(report) if fmt == "json" else format_text(report))
    return 0


def _ingest(root: Path, args: argparse.Namespace) -> int:
    """A saved page the user names (it may be anywhere) becomes a source of the project: what
    was written, then the lines to review and what is still to do."""
    # lazy: a no-op build imports core/ alone
    from .intake.ingest import ingest

    result = ingest(root, args.page, str(args.page), source_id=args.source_id,
                    propose=args.propose, force=args.force)
    _warn(result.warnings)
    for path in result.written:
        print(f"wrote {relpath(path, root)}")
    if args.propose:
        print(f"proposed {result.proposals} block{'s' if result.proposals != 1 else ''} in "
              f"content/proposals/{result.source_id}.yaml: move the ones you accept into "
              "content/blocks/")
    for line in [*result.notes, *result.review, *result.todo]:
        print(line)
    return 0


def _import_refs(root: Path, refs_file: Path) -> int:
    """Source metadata from a reference manager's export. The file is the one the user names
    (it may be anywhere); what is written goes only into the project's content/sources/."""
    # lazy: a no-op build imports core/ alone
    from .content.config import load_config
    from .intake.references import import_refs, summary

    result = import_refs(root, refs_file, str(refs_file))
    try:
        perspectives = [pid for pid, _ in load_config(root).perspectives]
    except BriefsmithError:  # `check` reports a broken briefsmith.yaml; the import is done
        perspectives = []
    for line in summary(result, perspectives):
        print(line)
    return 0


def _list(root: Path, override: Path | None) -> int:
    # lazy: a no-op build imports core/ alone
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
        view = src.perspective or "perspective not described yet"
        print(f"  {src.id}: {src.display_title} ({src.kind}; {view}{missing})")
    print("Blocks:")
    for block in content.blocks.values():
        print(f"  {block.id} ({block.type}) {block.origin}")
    return 0


def _templates(root: Path, override: Path | None, args: argparse.Namespace) -> int:
    # lazy: a no-op build imports core/ alone
    from .theme.templates import chain_for, copy_audience, copy_builtin, display, template_trees

    if args.templates_command == "copy" and args.new:
        for target in copy_audience(root, args.audience, args.new):
            print(f"copied to {relpath(target, root)}")
        print(f"audience '{args.new}': set its label in templates/{args.new}/audience.yaml, "
              "then add it to the audiences: list of a brief")
        return 0
    if args.templates_command == "copy":
        target = copy_builtin(root, args.audience, args.name)
        print(f"copied to {relpath(target, root)}: edit it; it now wins over the built-in one")
        return 0
    # lazy: a no-op build imports core/ alone
    from .content.config import load_config
    from .content.read import discover_audiences

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
        raise ContentError(f"--format '{text}' is not valid: use pdf, html, docx or a "
                           "comma-separated list such as pdf,html,docx")
    return wanted


def _brief_ids(root: Path, given: list[str]) -> list[str] | None:
    """Brief ids as typed, or as a shell completes them: `briefs/x.yaml` and `x.yaml` are `x`.
    A path to a file outside the project's briefs/ folder is not a brief of this project."""
    ids = []
    for text in given:
        if text.endswith((".yaml", ".yml")):
            path = Path(text)
            briefs = (root / "briefs").resolve()
            folders = {(base / path.parent).resolve() for base in (Path.cwd(), root)}
            if path.parent != Path(".") and briefs not in folders:
                raise ContentError(f"'{text}' is not in this project's briefs/ folder "
                                   f"({root / 'briefs'}): give a brief's id or its file there")
            text = path.stem
        if text not in ids:
            ids.append(text)
    return ids or None


def _audiences(text: str | None) -> tuple[str, ...] | None:
    """`--audience ngo` or `--audience parliamentary,ngo`, as `--format` takes a list."""
    if text is None:
        return None
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    if not names:
        raise ContentError(f"--audience '{text}' is not valid: give an audience such as ngo, "
                           "or a comma-separated list such as parliamentary,ngo")
    return names


def _shard(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    match = re.fullmatch(r"(\d+)/(\d+)", text)
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise ContentError(f"--shard '{text}' is not valid: write K/N with 1 <= K <= N, "
                           "e.g. 1/2")
    return int(match.group(1)), int(match.group(2))


class Progress:
    """A build's progress on stderr: a bar redrawn in place on a terminal; elsewhere (CI logs)
    one line per finished output, held back until the build ends, so that the located
    problems of a failed build are the first lines of its log, not lost among `[3/8] ...`."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.held: list[str] = []
        self.drawn = False

    def __call__(self, line: str) -> None:
        if not self.tty:
            self.held.append(line)  # called from the pool's result thread: nothing printed
            return
        done, total = (int(n) for n in line[1:line.index("]")].split("/"))
        bar = "#" * (20 * done // total) + "-" * (20 - 20 * done // total)
        print(f"\r\033[K[{bar}] {line}", end="", file=sys.stderr, flush=True)
        self.drawn = True

    def clear(self) -> None:
        """Rub the bar out, so that what is printed next starts a clean line."""
        if self.drawn:
            print("\r\033[K", end="", file=sys.stderr, flush=True)
            self.drawn = False

    def release(self) -> None:
        """The build is over: keep the bar's last state on its line, or print the held lines."""
        if self.drawn:
            print(file=sys.stderr)
            self.drawn = False
        for line in self.held:
            print(line, file=sys.stderr)
        self.held.clear()
        sys.stderr.flush()

    def discard(self) -> None:
        """An interrupted build says one line only."""
        self.clear()
        self.held.clear()


def _merge_manifests(root: Path, args: argparse.Namespace) -> int:
    # lazy: a no-op build imports core/ alone
    from .builder.manifest import MANIFEST, Manifest

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


def _build(root: Path, override: Path | None, args: argparse.Namespace,
           progress: Progress | None = None) -> int:
    started = time.perf_counter()
    if args.jobs is not None and args.jobs < 1:
        raise ContentError(f"-j {args.jobs} is not valid: give 1 or more")
    out_dir = (args.out or root / "output").resolve()
    report = None if args.report is None else Path(args.report or out_dir / "CHANGES.md")
    request = BuildRequest(_brief_ids(root, args.briefs), _audiences(args.audience),
                           tuple(_formats(args.format)), args.jobs, override, args.force,
                           _shard(args.shard))
    request.run_key = request.key()
    progress = progress or Progress()
    try:
        result = run_build(root, out_dir, request, progress,
                           noop_allowed=report is None and not args.explain)
    except BriefsmithError as exc:
        if report is not None:
            _write_report(root, override, report, None, exc)
        raise
    if result.noop:
        print(f"built 0, skipped {len(result.skipped)}, failed 0 in "
              f"{time.perf_counter() - started:.2f} s (nothing changed)")
        return 0
    progress.release()
    _warn_once(result.warnings, out_dir)
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


def _write_report(root: Path, override: Path | None, path: Path, result: BuildResult | None,
                  error: BriefsmithError | None) -> None:
    import datetime as dt

    # lazy: a no-op build imports core/ alone
    from .builder.report import render_report, write_report
    from .pipeline import load_project

    errors = error.errors if isinstance(error, Problems) else [error] if error else []
    try:
        project = load_project(root, override)
    except BriefsmithError:
        project = None
    write_report(path, render_report(result, errors, project, dt.date.today()))


def _serve(root: Path, override: Path | None, args: argparse.Namespace) -> int:
    """Runs until Ctrl-C or SIGTERM, which main turns into exit 130 or 143."""
    # lazy: a no-op build imports core/ alone
    from .serve.server import serve

    if not 0 <= args.port <= 65535:
        raise ContentError(f"--port {args.port} is not valid: give 1 to 65535, or 0 for a free "
                           "port")
    serve(root, override, args.port, args.audience)
    return 0


def _watch(root: Path, override: Path | None, args: argparse.Namespace) -> int:
    """Poll the project's files and rebuild on change. Polling needs no extra dependency and
    costs a few milliseconds per look for a project of this size."""
    # lazy: a no-op build imports core/ alone
    from .builder.freshness import snapshot

    out_dir = (root / "output").resolve()
    build_args = ["build", "--format", args.format]
    if args.audience:
        build_args += ["--audience", args.audience]
    build_ns = _parser().parse_args(build_args)
    last = None
    print(f"watching {root} (Ctrl-C to stop)", file=sys.stderr)
    while True:
        snap = snapshot(root, out_dir, override)
        if snap != last:
            last = snap
            progress = Progress()
            try:
                _build(root, override, build_ns, progress)
            except BriefsmithError as exc:
                _print_problems(exc, progress, args.debug)
                print("briefsmith: waiting for the next change", file=sys.stderr)
        time.sleep(args.interval)


if __name__ == "__main__":
    sys.exit(main())
