"""Project files → content: where each kind of file is found, read, and handed to the schema.

In: a project folder and its template trees. Out: `Content`, every source, block, brief,
audience and resolution of the project, validated and cross-checked, with its warnings; or
`Problems` listing everything that is wrong. This module is where content files are found and
read; validate.py checks what they say and opens no file.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

from ..core.errors import BriefsmithError, BriefsmithWarning, Collector, ContentError, Problems
from ..core.models import Audience, Block, Brief, Content, Origin, Source, relpath
from ..core.paths import read_inside
from ..theme.templates import display
from .claims import load_resolutions
from .config import CONFIG_NAME
from .load import empty_file_warning, load_document
from .validate import (
    check_viewpoints,
    cross_check,
    file_id_ok,
    load_audience,
    load_blocks,
    load_brief,
    load_source,
    metadata_warnings,
)

T = TypeVar("T")


def discover_audiences(root: Path, trees: tuple[Path, ...],
                       errors: Collector) -> dict[str, Audience]:
    """Every folder with an audience.yaml in any template tree; the most specific one wins."""
    found: dict[str, Audience] = {}
    for tree in trees:
        for folder in sorted(p for p in tree.iterdir() if p.is_dir()):
            if (folder.name in found or folder.name.startswith(("_", "."))
                    or not (folder / "audience.yaml").is_file()):
                continue
            path = folder / "audience.yaml"
            shown = display(path, root)  # a built-in one as builtin/..., wherever installed
            doc = load_document(path, root, (folder.parent,), shown)  # its tree may be outside
            if (aud := load_audience(doc, shown, folder, errors)) is not None:
                found[aud.name] = aud
    return dict(sorted(found.items()))


def _source(path: Path, root: Path, errors: Collector) -> Source | None:
    rel = relpath(path, root)
    if not file_id_ok(path.stem, rel, "source", errors):
        return None
    doc = load_document(path, root)
    txt = path.with_suffix(".txt")
    txt_rel = relpath(txt, root)
    text: bytes | ContentError | None
    if not os.path.lexists(txt):  # none yet: an error only once a block cites the source
        text = None
    elif not txt.is_file():
        text = ContentError(f"source text {txt_rel} is not a file (a folder, or a link that "
                            f"leads nowhere): save the article's verbatim text as {txt_rel}",
                            Origin(txt_rel, 1, 1))
    elif not txt.resolve().is_relative_to(root.resolve()):
        text = ContentError(f"source text {txt_rel} is a link to a file outside the project: "
                            "copy the article's text into the project instead",
                            Origin(txt_rel, 1, 1))
    else:
        text = read_inside(txt, (root,))  # checked above; opened without following a link
    return load_source(doc, rel, path.stem, txt_rel, text, errors)


def _brief(path: Path, root: Path, audiences: dict[str, Audience],
           errors: Collector) -> Brief | None:
    rel = relpath(path, root)
    if not file_id_ok(path.stem, rel, "brief", errors):
        return None

    def folder(value: str) -> Path | None:
        found = (root / value).resolve()
        return found if found.is_relative_to(root.resolve()) and found.is_dir() else None

    return load_brief(load_document(path, root), rel, path.stem, audiences, errors, folder)


def _blocks(path: Path, root: Path, audiences: dict[str, Audience], errors: Collector,
            sources: list[str], declared: set[str],
            warnings: list[BriefsmithWarning]) -> list[Block]:
    return load_blocks(load_document(path, root), relpath(path, root), audiences, errors,
                       sources=sources, declared=declared, warnings=warnings)


def load_content(root: Path, trees: tuple[Path, ...] | None = None, *,
                 perspectives: tuple[tuple[str, str], ...] = (),
                 perspectives_at: Origin | None = None) -> Content:
    """Load and cross-check a whole project; raise Problems listing everything that is wrong.
    `perspectives`: the list declared in briefsmith.yaml (at `perspectives_at`) that every
    `viewpoint:` must name; empty: none is declared and any id is accepted."""
    errors = Collector()
    trees = trees if trees is not None else (root / "templates",)
    audiences = _guard(errors, lambda: discover_audiences(root, trees, errors)) or {}
    if not audiences:
        errors.add(ContentError("no audiences found: each audience is a folder under templates/ "
                                "with an audience.yaml", Origin("templates")))
    sources: dict[str, Source] = {}
    for path in sorted((root / "content" / "sources").glob("*.yaml")):
        src = _guard(errors, partial(_source, path, root, errors))
        if src is not None:
            sources[src.id] = src
    for path in sorted((root / "content" / "sources").glob("*.txt")):
        if not path.with_suffix(".yaml").is_file():
            errors.add(ContentError(f"source text has no metadata file: add "
                                    f"{relpath(path.with_suffix('.yaml'), root)}",
                                    Origin(relpath(path, root), 1, 1)))
    # A cite may name any source that has a metadata file or a text: one that failed to load,
    # or whose metadata file is missing, is reported once, where it is, and not again (first)
    # at every block citing it.
    source_ids = sorted({p.stem for p in (root / "content" / "sources").glob("*.yaml")}
                        | {p.stem for p in (root / "content" / "sources").glob("*.txt")})
    declared: set[str] = set()
    blocks: dict[str, Block] = {}
    all_block_files_read = True
    warnings = _empty_config_warning(root)
    for path in sorted((root / "content" / "blocks").glob("*.yaml")):
        loaded = _guard(errors, partial(_blocks, path, root, audiences, errors, source_ids,
                                        declared, warnings))
        if loaded is None:  # the file itself is unreadable: which ids it holds is unknown
            all_block_files_read = False
        for block in loaded or []:
            if block.id in blocks:
                errors.add(ContentError(f"block id '{block.id}' is already used at "
                                        f"{blocks[block.id].origin}: rename one", block.origin))
                continue
            blocks[block.id] = block
    briefs: dict[str, Brief] = {}
    for path in sorted((root / "briefs").glob("*.yaml")):
        brief = _guard(errors, partial(_brief, path, root, audiences, errors))
        if brief is not None:
            briefs[brief.id] = brief
    # When a block file cannot be read at all, every id in it would be reported as unknown too.
    cross_check(blocks, declared if all_block_files_read else None, briefs, errors)
    check_viewpoints(sources, blocks, perspectives, perspectives_at, errors, warnings)
    # checked against the claims of every block
    resolutions = _guard(errors, lambda: load_resolutions(root, blocks, errors,
                                                          all_block_files_read)) or ()
    errors.raise_if_any()
    return Content(root=root, sources=sources, blocks=blocks, briefs=briefs, audiences=audiences,
                   warnings=tuple(warnings + metadata_warnings(sources)),
                   resolutions=resolutions)


def _empty_config_warning(root: Path) -> list[BriefsmithWarning]:
    """An empty briefsmith.yaml means the defaults, which is fine, but it is more often a house
    style that was lost than one never written: warn, as for any empty content file."""
    path = root / CONFIG_NAME
    if not path.is_file():
        return []
    try:
        empty = load_document(path, root).empty
    except BriefsmithError:  # the config's own loader reports what is wrong with it
        return []
    return [empty_file_warning(relpath(path, root))] if empty else []


def _guard(errors: Collector, load: Callable[[], T]) -> T | None:
    """Run one file's loader; a file that cannot be parsed at all is one problem, not the end."""
    try:
        return load()
    except Problems as exc:
        errors.extend(exc.errors)
    except BriefsmithError as exc:
        errors.add(exc)
    return None
