"""The package's wings are floors of one house: a module imports only from its own wing or the
wings below it, and no two modules import each other, directly or round a longer circle.

Every import counts: module-level, inside a function, and under `TYPE_CHECKING`. A function-level
import of Briefsmith's own code is allowed only where the no-op fast path (or a start-up that
must stay quick) needs it, and then says so in a `# lazy:` comment on its line.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "briefsmith"

# Lowest first: each wing may import the ones before it, never the ones after.
WINGS = ("core", "theme", "content", "evidence", "intake", "render", "formats", "builder",
         "pipeline", "run", "serve", "cli")


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted, without the "briefsmith." prefix
    target: str  # the imported module, dotted, without the prefix ("" for the package itself)
    line: int
    lazy: bool  # inside a function
    commented: bool  # the statement, or the line above its group, has a `# lazy:` comment


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = path.relative_to(package).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def wing_of(module: str) -> str:
    return module.split(".")[0] if module else "core"  # the package's face holds __version__


def known_modules(package: Path) -> set[str]:
    return {module_name(p, package) for p in package.rglob("*.py")}


def imports_of(path: Path, package: Path = PACKAGE) -> list[Import]:
    """Every import of a Briefsmith module in one file, resolved to the module it names."""
    modules = known_modules(package)
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    me = module_name(path, package)
    here = me.split(".") if path.name == "__init__.py" else me.split(".")[:-1]
    found: list[Import] = []

    def add(target: str, node: ast.stmt, lazy: bool) -> None:
        end = node.end_lineno or node.lineno
        start = node.lineno - 1
        while start > 0 and lines[start - 1].lstrip().startswith(("from ", "import ")):
            start -= 1  # one comment above a group of imports covers the group
        text = "\n".join(lines[max(start - 1, 0):end])
        found.append(Import(me, target, node.lineno, lazy, "# lazy:" in text))

    def visit(node: ast.AST, lazy: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = lazy or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.ImportFrom):
                if child.level:
                    base = here[:len(here) - child.level + 1]
                    prefix = [*base, *(child.module.split(".") if child.module else [])]
                elif child.module and child.module.split(".")[0] == "briefsmith":
                    prefix = child.module.split(".")[1:]
                else:
                    continue
                for alias in child.names:
                    candidate = ".".join([*prefix, alias.name])
                    add(candidate if candidate in modules else ".".join(prefix), child, lazy)
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.split(".")[0] == "briefsmith":
                        add(".".join(alias.name.split(".")[1:]), child, lazy)
            visit(child, inner)

    visit(ast.parse(source), False)
    return found


@functools.cache
def all_imports(package: Path = PACKAGE) -> list[Import]:
    return [i for p in sorted(package.rglob("*.py")) for i in imports_of(p, package)]


def upward(imports: list[Import]) -> list[str]:
    return [f"briefsmith/{i.module.replace('.', '/')}.py:{i.line}: {wing_of(i.module)} imports "
            f"{i.target or 'briefsmith'} from the higher wing {wing_of(i.target)}"
            for i in imports
            if WINGS.index(wing_of(i.target)) > WINGS.index(wing_of(i.module))]


def cycles(imports: list[Import]) -> list[list[str]]:
    """Each strongly connected group of modules larger than one (Tarjan's algorithm)."""
    graph: dict[str, set[str]] = {}
    for i in imports:
        if i.target != i.module:
            graph.setdefault(i.module, set()).add(i.target)
            graph.setdefault(i.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return groups


def test_every_module_is_in_a_known_wing() -> None:
    stray = sorted(m for m in known_modules(PACKAGE) if m and wing_of(m) not in WINGS)
    assert stray == []


@pytest.mark.slow
def test_imports_only_point_down() -> None:
    assert upward(all_imports()) == []


def test_no_module_imports_round_a_circle() -> None:
    assert cycles(all_imports()) == []


def test_a_function_level_import_says_why() -> None:
    unexplained = [f"briefsmith/{i.module.replace('.', '/')}.py:{i.line}: imports {i.target} "
                   "inside a function without a '# lazy:' comment"
                   for i in all_imports() if i.lazy and not i.commented]
    assert unexplained == []


@pytest.mark.slow
@pytest.mark.parametrize(("wing", "target"), [("core", "builder.manifest"),
                                              ("content", "render.charts")])
def test_the_check_fails_on_an_upward_import(tmp_path: Path, wing: str, target: str) -> None:
    """A scratch copy of the package with one upward import added is caught, at its line."""
    import shutil

    copy = tmp_path / "briefsmith"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("assets", "__pycache__"))
    victim = sorted((copy / wing).glob("[a-z]*.py"))[0]
    victim.write_text(victim.read_text(encoding="utf-8") + f"\nimport briefsmith.{target}\n",
                      encoding="utf-8")
    found = upward(all_imports(copy))
    assert len(found) == 1 and found[0].startswith(f"briefsmith/{wing}/{victim.name}:")
    assert found[0].endswith(f"from the higher wing {target.split('.')[0]}")


def test_the_check_fails_on_a_circle(tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "briefsmith"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("assets", "__pycache__"))
    errors = copy / "core" / "errors.py"
    errors.write_text(errors.read_text(encoding="utf-8") + "\nfrom . import files\n",
                      encoding="utf-8")
    assert any({"core.errors", "core.files"} <= set(group) for group in cycles(all_imports(copy)))
