"""Where templates, stylesheets, images and CSL files come from, most specific first.

For one audience the chain is: a `--templates DIR` tree (or the brief's or the project config's
`templates` folder), then the project's `templates/<audience>/` and `templates/_base/`, then the
built-in defaults shipped in the package. Each tree contributes its `<audience>/` folder, then
its `_base/` folder. A file found earlier wins; a template can `{% extends %}` the one it
replaces and override only named blocks. Every `style.css` on the chain is loaded, general first,
so a specific one only needs the rules it changes.
"""

from __future__ import annotations

import base64
import mimetypes
import os
import posixpath
import re
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import jinja2
import jinja2.meta
from jinja2 import nodes

from ..core.errors import BriefsmithError, BriefsmithWarning, TemplateError, frames, printable
from ..core.models import Origin, relpath
from ..core.paths import PACKAGE_ASSETS, decode_utf8, inside, read_inside
from .compiled import COMPILED

BUILTIN = PACKAGE_ASSETS / "templates"
BASE = "_base"
ENTRY = "brief.html.j2"
MAX_ASSET_BYTES = 2_000_000
TEMPLATE_SUFFIXES = (".j2", ".css", ".yaml", ".csl", ".png", ".jpg", ".jpeg", ".svg")


def template_trees(root: Path, *extra: Path | None) -> tuple[Path, ...]:
    """The template trees in order of precedence, each folder once."""
    trees: list[Path] = []
    for tree in (*extra, root / "templates", BUILTIN):
        if tree is not None and tree.is_dir() and tree.resolve() not in [t.resolve()
                                                                         for t in trees]:
            trees.append(tree)
    return tuple(trees)


def tree_prefixes(root: Path) -> dict[str, Path]:
    """Names that reach one tree directly, so a template can extend the one it replaces:
    `{% extends "project/parliamentary/brief.html.j2" %}` or `"builtin/..."`."""
    return {"project": root / "templates", "builtin": BUILTIN}


def display(path: Path, root: Path) -> str:
    """A path as users should see it: 'builtin/...' for the defaults (wherever the package is
    installed, even inside the project), else relative to the project."""
    try:
        return "builtin/" + path.resolve().relative_to(BUILTIN.resolve()).as_posix()
    except ValueError:
        return relpath(path, root)


# Each template file's text as the loader last read it, so that an error can quote the line it
# is at without opening the file again (a few templates per project: a plain dict).
_SOURCES: dict[str, str] = {}


class _RecordingLoader(jinja2.BaseLoader):
    """The chain, then the prefixed trees; remembers which file each name resolved to.
    (A BaseLoader, because ChoiceLoader.load would bypass an overridden get_source.)"""

    def __init__(self, folders: list[str], record: dict[str, str], root: Path) -> None:
        prefixed = jinja2.PrefixLoader({name: jinja2.FileSystemLoader(str(tree))
                                        for name, tree in tree_prefixes(root).items()})
        self.inner = jinja2.ChoiceLoader([jinja2.FileSystemLoader(folders), prefixed])
        self.record = record
        self.root = root
        self.folders = folders

    def get_source(self, environment: jinja2.Environment,
                   template: str) -> tuple[str, str | None, Callable[[], bool] | None]:
        self._refuse_links_out(template)
        source, filename, uptodate = self.inner.get_source(environment, template)
        if filename is not None:
            self.record.setdefault(template, display(Path(filename), self.root))
            _SOURCES[filename] = source
        return source, filename, uptodate


    def _refuse_links_out(self, template: str) -> None:
        """Jinja opens whatever a name leads to, links included: look first, as the loader
        would search, and refuse a file whose real place is outside every template tree."""
        try:
            pieces = jinja2.loaders.split_template_path(template)
        except jinja2.TemplateNotFound:
            return
        candidates = [Path(folder, *pieces) for folder in self.folders]
        prefix, _, rest = template.partition("/")
        trees = tree_prefixes(self.root)
        if prefix in trees and rest:
            candidates.append(Path(trees[prefix], *rest.split("/")))
        for path in candidates:
            if path.is_file() or path.is_symlink():
                refuse_outside(path, self.root, self.folders)
                return


def refuse_outside(path: Path, root: Path, folders: Iterable[Path | str] = ()) -> None:
    """A template, stylesheet or style on a chain that is a link out of the project (and out of
    the named template folders) is refused before it is opened."""
    allowed = (root, BUILTIN, *(Path(f) for f in folders))
    if not inside(path, allowed):
        raise TemplateError("this file is a link to a file outside the project: copy the file "
                            "into the project instead", Origin(display(path, root)))


@dataclass
class TemplateChain:
    audience: str
    folders: tuple[Path, ...]  # most specific first
    root: Path
    house_css: str = ""
    used: dict[str, str] = field(default_factory=dict)

    def environment(self) -> jinja2.Environment:
        return jinja2.Environment(
            loader=_RecordingLoader([str(f) for f in self.folders], self.used, self.root),
            bytecode_cache=COMPILED,
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def searched(self) -> str:
        return ", ".join(display(f, self.root) + "/" for f in self.folders)

    def winner(self, name: str) -> Path | None:
        for folder in self.folders:
            path = folder / name
            if path.is_file():
                return path
        return None

    def stylesheet(self) -> str:
        parts, seen = [], set()
        for folder in self.folders:  # most specific first: an identical copy further down
            css = folder / "style.css"  # the chain (a copied default) adds nothing
            if not css.is_file():
                continue
            refuse_outside(css, self.root, self.folders)
            if (text := css.read_text("utf-8")) in seen:
                continue
            seen.add(text)
            shown = display(css, self.root)
            self.used.setdefault(f"style.css ({display(folder, self.root)})", shown)
            parts.append(f"/* {shown} */\n{text}")
        parts.reverse()  # then load them general first, so the specific ones win
        if self.house_css:
            parts.append(self.house_css)
        return "\n".join(parts)

    def asset(self, name: str) -> str:
        """An image from the chain as a data: URL, so HTML output stays one file."""
        path = self.winner(name)
        if path is None:
            raise TemplateError(f"asset '{name}' not found; searched: {self.searched()}")
        allowed = (self.root, BUILTIN, *self.folders)
        if not inside(path, allowed):  # a link out of the project, refused as the renderer does
            raise TemplateError(f"asset '{name}' is a link to a file outside the project: copy "
                                "the image into the project instead",
                                Origin(display(path, self.root)))
        data = read_inside(path, allowed)
        if len(data) > MAX_ASSET_BYTES:
            raise TemplateError(f"asset '{name}' is {len(data):,} bytes; the limit is "
                                f"{MAX_ASSET_BYTES:,}", Origin(relpath(path, self.root)))
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if not kind.startswith("image/"):
            raise TemplateError(f"asset '{name}' is not an image", Origin(relpath(path, self.root)))
        self.used.setdefault(name, display(path, self.root))
        return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"

    def names(self) -> list[str]:
        found: set[str] = set()
        for folder in self.folders:
            found.update(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                         if p.is_file() and p.suffix in TEMPLATE_SUFFIXES)
        return sorted(found)

    def blocks_of(self, name: str) -> list[str]:
        path = self.winner(name)
        if path is None or path.suffix != ".j2":
            return []
        tree = self.environment().parse(path.read_text("utf-8"))
        return [b.name for b in tree.find_all(nodes.Block)]

    def stale_overrides(self, name: str = ENTRY) -> list[BriefsmithWarning]:
        """Blocks a template overrides that no template it extends defines any more."""
        warnings: list[BriefsmithWarning] = []
        env = self.environment()
        path = self.winner(name)
        seen: set[Path] = set()
        while path is not None and path not in seen:
            seen.add(path)
            tree = env.parse(path.read_text("utf-8"))
            parent = next(tree.find_all(nodes.Extends), None)
            if parent is None or not isinstance(parent.template, nodes.Const):
                break
            parent_name = parent.template.value
            parent_path = self._parent_file(parent_name, path)
            if parent_path is None:
                break
            ancestors = self._all_blocks(env, parent_path)
            for block in tree.find_all(nodes.Block):
                if block.name not in ancestors:
                    warnings.append(BriefsmithWarning(
                        Origin(relpath(path, self.root), block.lineno),
                        f"block '{block.name}' overrides nothing in {parent_name} "
                        f"({relpath(parent_path, self.root)}): it is never shown; blocks there: "
                        f"{', '.join(sorted(ancestors))}", "template"))
            path = parent_path
        return warnings

    def _parent_file(self, name: str, child: Path) -> Path | None:
        prefix, _, rest = name.partition("/")
        trees = tree_prefixes(self.root)
        if rest and prefix in trees:
            path = trees[prefix] / rest
            return path if path.is_file() else None
        # Otherwise Jinja resolves `extends` through the chain: the first file of that name.
        candidates = [f / name for f in self.folders if (f / name).is_file()]
        if child in candidates:
            later = candidates[candidates.index(child) + 1:]
            return later[0] if later else None
        return candidates[0] if candidates else None

    def _all_blocks(self, env: jinja2.Environment, path: Path) -> set[str]:
        names: set[str] = set()
        seen: set[Path] = set()
        current: Path | None = path
        while current is not None and current not in seen:
            seen.add(current)
            tree = env.parse(current.read_text("utf-8"))
            names.update(b.name for b in tree.find_all(nodes.Block))
            parent = next(tree.find_all(nodes.Extends), None)
            if parent is None or not isinstance(parent.template, nodes.Const):
                break
            current = self._parent_file(parent.template.value, current)
        return names


def _template_frames(tb: TracebackType | None) -> list[tuple[str, int]]:
    return [(name, line) for name, line in frames(tb) if name.endswith(".j2")]


def template_frame(tb: TracebackType | None, root: Path | None) -> Origin | None:
    """The innermost template line in a traceback: Jinja rewrites tracebacks so that template
    frames carry the template's file and line, which is where the author has to look. One
    function for the render and its worker processes, so both name the same line."""
    found = _template_frames(tb)
    if not found:
        return None
    path, line = Path(found[-1][0]), found[-1][1]
    return Origin(relpath(path, root) if root is not None else path.as_posix(), line)


def code_at(tb: TracebackType | None) -> str:
    """What the template line of template_frame says, as a message's last part."""
    found = _template_frames(tb)
    return _quoted_line(_SOURCES.get(found[-1][0]), found[-1][1]) if found else ""


def _quoted_line(source: str | None, line: int | None) -> str:
    """The offending line as a message's last part, ': `{% if %}`': the third part of Jinja's
    own report (after the message and `file:line`), so the reader sees what to fix at once."""
    lines = (source or "").splitlines()
    if line is None or not 0 < line <= len(lines) or not lines[line - 1].strip():
        return ""
    return f": `{printable(lines[line - 1].strip(), 120)}`"


def syntax_error(exc: jinja2.TemplateSyntaxError, root: Path) -> TemplateError:
    """A template that does not compile, located at its own file and line."""
    where = Origin(relpath(Path(exc.filename), root) if exc.filename else str(exc.name),
                   exc.lineno or 0)
    source = exc.source if exc.source is not None else _SOURCES.get(exc.filename or "")
    return TemplateError(f"template syntax error: {exc.message}"
                         f"{_quoted_line(source, exc.lineno)}", where)


def compile_errors(chains: Iterable[TemplateChain]) -> list[BriefsmithError]:
    """Compile every template file on the chains, reached by the entry template or not.

    A dry render only reaches the files the current content leads it to: a template included
    only for a block type, or a meeting, that no brief has yet would fail the first build that
    has one. Compiling every file finds its syntax errors (and unknown filters or tests) now.
    The built-in defaults are Briefsmith's own, tested with it, so they are left out."""
    errors: list[BriefsmithError] = []
    seen: set[Path] = set()
    builtin = BUILTIN.resolve()
    for chain in chains:
        env: jinja2.Environment | None = None
        for folder in chain.folders:
            for path in sorted(folder.rglob("*.j2")):
                real = path.resolve()
                if real in seen or real.is_relative_to(builtin) or not path.is_file():
                    continue
                seen.add(real)
                env = env or chain.environment()
                rel = relpath(path, chain.root)
                name = path.relative_to(folder).as_posix()
                # the file name exactly as the chain's loader gives it, so the render reuses this
                filename = os.path.normpath(posixpath.join(str(folder), name))
                try:
                    source = decode_utf8(path.read_bytes(), rel)
                    # Jinja's own bucket calls, as a render makes them: compiled in this
                    # process (serve, watch) or signed on disk already, or compiled now
                    bucket = COMPILED.get_bucket(env, name, filename, source)
                    if bucket.code is None:
                        bucket.code = env.compile(source, name, filename)
                        COMPILED.set_bucket(bucket)
                except jinja2.TemplateSyntaxError as exc:
                    errors.append(syntax_error(exc, chain.root))
                except BriefsmithError as exc:
                    errors.append(exc)
    return errors


# A template's text → the names it extends, includes or imports (None for a name worked out
# while rendering): parsing is the cost, and a build asks again for every output.
_REFERENCES: dict[str, tuple[str | None, ...]] = {}


def linked_files(chain: TemplateChain) -> list[Path] | None:
    """The template files outside the chain's own folders that its templates reach by a tree
    prefix (`{% extends "project/ngo/brief.html.j2" %}`, `builtin/...`), and those they reach
    in turn: an output is made from them as much as from its chain's files, so an edit to one
    must rebuild it. None when a template names one only while rendering (a variable), or
    cannot be read or parsed here: then any file of the prefixed trees may be reached (and
    the render reports the problem)."""
    trees = tree_prefixes(chain.root)
    allowed = (chain.root, BUILTIN, *chain.folders)
    env = jinja2.Environment()
    todo = sorted(p for folder in chain.folders for p in folder.rglob("*.j2") if p.is_file())
    seen, found = set(todo), []
    while todo:
        path = todo.pop()
        try:
            text = decode_utf8(read_inside(path, allowed), relpath(path, chain.root))
            if text not in _REFERENCES:
                _REFERENCES[text] = tuple(
                    jinja2.meta.find_referenced_templates(env.parse(text)))
        except (BriefsmithError, OSError, jinja2.TemplateSyntaxError):
            return None
        for name in _REFERENCES[text]:
            if name is None:
                return None
            if any((folder / name).is_file() for folder in chain.folders):
                continue  # the loader finds it on the chain first: hashed with the chain
            prefix, _, rest = name.partition("/")
            target = trees[prefix] / rest if prefix in trees and rest else None
            if target is not None and target.is_file() and target not in seen:
                seen.add(target)
                found.append(target)
                todo.append(target)
    return sorted(found)


def template_inputs(chain: TemplateChain) -> tuple[tuple[Path, ...], tuple[Path, ...]]:
    """What an output's templates are read from: whole folders (the chain's own, and every
    prefixed tree when `linked_files` cannot tell), and single files outside them."""
    linked = linked_files(chain)
    if linked is None:  # a name worked out while rendering: any file of those trees
        return (*chain.folders, *tree_prefixes(chain.root).values()), ()
    return chain.folders, tuple(linked)


def chain_for(root: Path, audience: str, trees: tuple[Path, ...],
              house_css: str = "") -> TemplateChain:
    folders = []
    for tree in trees:
        for sub in (audience, BASE):
            folder = tree / sub
            if folder.is_dir():
                folders.append(folder)
    return TemplateChain(audience, tuple(folders), root, house_css)


def copy_audience(root: Path, audience: str, new: str) -> list[Path]:
    """A new audience made from a built-in one: its files copied into templates/NEW/, to edit
    (the label in audience.yaml first). Nothing is copied if any of them exists already."""
    folder = BUILTIN / audience
    if audience.startswith(("_", ".")) or not (folder / "audience.yaml").is_file():
        known = sorted(p.name for p in BUILTIN.iterdir() if (p / "audience.yaml").is_file())
        raise TemplateError(f"no built-in audience '{audience}'; built-in audiences: "
                            f"{', '.join(known)}")
    if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", new):
        raise TemplateError(f"'{new}' is not a valid audience name: use lowercase letters, "
                            "digits and single hyphens, e.g. 'press'")
    targets = [(p, root / "templates" / new / p.name) for p in sorted(folder.iterdir())
               if p.is_file()]
    if existing := [t for _, t in targets if t.exists()]:
        raise TemplateError(f"{relpath(existing[0], root)} already exists and was not "
                            "overwritten: choose another name, or move it away and copy again")
    (root / "templates" / new).mkdir(parents=True, exist_ok=True)
    for source, target in targets:
        shutil.copyfile(source, target)
    return [t for _, t in targets]


def copy_builtin(root: Path, audience: str, name: str) -> Path:
    """Copy a built-in template into the project for editing; never overwrite a file."""
    source = None
    for sub in (audience, BASE):
        if (BUILTIN / sub / name).is_file():
            source = BUILTIN / sub / name
            break
    if source is None:
        names = sorted({p.name for sub in (audience, BASE) if (BUILTIN / sub).is_dir()
                        for p in (BUILTIN / sub).iterdir() if p.is_file()})
        raise TemplateError(f"no built-in template '{name}' for audience '{audience}'; "
                            f"built-in files: {', '.join(names)}")
    target = root / "templates" / audience / name
    if target.exists():
        raise TemplateError(f"{relpath(target, root)} already exists and was not overwritten: "
                            "edit it, or move it away and copy again")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target
