"""Stage 1: read YAML strictly into plain data that remembers where every value was written.

PyYAML's safe loader follows YAML 1.1, which silently turns `no` into False, `1:20` into 80 and
cuts a quote at ` #`. Content must mean exactly what its author typed, so this loader rejects
those surprises instead of guessing, and keeps every value's file, line and column.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.events import AliasEvent, MappingStartEvent, ScalarEvent, SequenceStartEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import Collector, ContentError
from .models import Origin

MAX_YAML_BYTES = 2_000_000
_BOOL_11 = {"yes", "no", "on", "off", "y", "n"}
_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")


class YMap(dict[str, Any]):
    """A mapping that remembers its own origin and each key's and value's origin."""

    origin: Origin
    key_origins: dict[str, Origin]
    value_origins: dict[str, Origin]

    def at(self, key: str) -> Origin:
        return self.value_origins.get(key, self.origin)

    def key_at(self, key: str) -> Origin:
        return self.key_origins.get(key, self.origin)


class YList(list[Any]):
    """A sequence that remembers its own origin and each item's origin."""

    origin: Origin
    item_origins: list[Origin]

    def at(self, index: int) -> Origin:
        return self.item_origins[index] if index < len(self.item_origins) else self.origin


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader whose composer refuses anchors, aliases and explicit tags."""

    def compose_node(self, parent: Node | None, index: Any) -> Node:  # type: ignore[override]
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            raise yaml.MarkedYAMLError(
                None, None, "aliases (*name) are not allowed: write the value out", event.start_mark
            )
        if isinstance(event, (ScalarEvent, SequenceStartEvent, MappingStartEvent)):
            if event.anchor is not None:
                raise yaml.MarkedYAMLError(
                    None, None, "anchors (&name) are not allowed: write each value out",
                    event.start_mark,
                )
            if event.tag is not None and event.tag != "!":
                raise yaml.MarkedYAMLError(
                    None, None, f"tags ({event.tag}) are not allowed: remove the tag",
                    event.start_mark,
                )
        return Composer.compose_node(self, parent, index)


def _origin(path: str, node: Node) -> Origin:
    return Origin(path, node.start_mark.line + 1, node.start_mark.column + 1)


class _Converter:
    """Turns composed nodes into YMap/YList/str/int/bool/None, reporting every problem."""

    def __init__(self, path: str, text: str, errors: Collector) -> None:
        self.path = path
        self.lines = text.splitlines()
        self.errors = errors

    def convert(self, node: Node) -> Any:
        if isinstance(node, MappingNode):
            return self._mapping(node)
        if isinstance(node, SequenceNode):
            out = YList()
            out.origin = _origin(self.path, node)
            out.item_origins = []
            for item in node.value:
                out.append(self.convert(item))
                out.item_origins.append(_origin(self.path, item))
            return out
        assert isinstance(node, ScalarNode)
        return self._scalar(node)

    def _mapping(self, node: MappingNode) -> YMap:
        out = YMap()
        out.origin = _origin(self.path, node)
        out.key_origins = {}
        out.value_origins = {}
        for key_node, value_node in node.value:
            where = _origin(self.path, key_node)
            if not isinstance(key_node, ScalarNode):
                self.errors.add(ContentError("keys must be plain text", where))
                continue
            key = key_node.value
            if key == "<<":
                self.errors.add(ContentError("merge keys (<<) are not allowed", where))
                continue
            if key in out:
                first = out.key_origins[key]
                self.errors.add(
                    ContentError(
                        f"duplicate key '{key}' (first at line {first.line}): keep only one", where
                    )
                )
                continue
            out[key] = self.convert(value_node)
            out.key_origins[key] = where
            out.value_origins[key] = _origin(self.path, value_node)
        return out

    def _scalar(self, node: ScalarNode) -> Any:
        value = node.value
        if node.style is not None:  # quoted or block scalar: always text, exactly as written
            return value
        where = _origin(self.path, node)
        end = node.end_mark
        if end.line < len(self.lines) and re.match(r"\s+#", self.lines[end.line][end.column :]):
            self.errors.add(
                ContentError(
                    "a ' #' after an unquoted value starts a YAML comment and cuts the text: "
                    "put the value in quotes",
                    where,
                )
            )
        if value in ("true", "True", "TRUE"):
            return True
        if value in ("false", "False", "FALSE"):
            return False
        if value in ("", "~", "null", "Null", "NULL"):
            return None
        if value.lower() in _BOOL_11:
            self.errors.add(
                ContentError(
                    f"'{value}' would be read as a yes/no value by YAML 1.1: "
                    "write true or false, or put the text in quotes",
                    where,
                )
            )
            return value
        if _INT.fullmatch(value):
            return int(value)
        return value


def load_yaml(path: Path, root: Path) -> Any:
    """Load one YAML file strictly; raise ContentError (or Problems) naming file, line, column."""
    rel = relpath(path, root)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ContentError(f"cannot read file: {exc.strerror}", Origin(rel)) from exc
    if len(raw) > MAX_YAML_BYTES:
        raise ContentError(
            f"file is {len(raw):,} bytes; the limit is {MAX_YAML_BYTES:,}: split it", Origin(rel)
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ContentError("file is not valid UTF-8: save it as UTF-8", Origin(rel, line)) from exc
    if text.startswith("\ufeff"):
        text = text[1:]
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Origin(rel, mark.line + 1, mark.column + 1) if mark else Origin(rel)
        problem = exc.problem or exc.context or "invalid YAML"
        raise ContentError(f"invalid YAML: {problem}", where) from exc
    except yaml.YAMLError as exc:
        raise ContentError(f"invalid YAML: {exc}", Origin(rel)) from exc
    finally:
        loader.dispose()
    if node is None:
        return None
    errors = Collector()
    data = _Converter(rel, text, errors).convert(node)
    errors.raise_if_any()
    return data


def relpath(path: Path, root: Path) -> str:
    """A path as the user should see it: relative to the project when it is inside it."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)
