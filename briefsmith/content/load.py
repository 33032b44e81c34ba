"""Stage 1: read YAML strictly into plain data that remembers where every value was written.

In: one YAML file's bytes (read only inside the project). Out: a `Document`: mappings and lists
(`YMap`, `YList`) that know the line and column of every value, or a located `ContentError`.

PyYAML's safe loader follows YAML 1.1, which silently turns `no` into False, `1:20` into 80 and
cuts a quote at ` #`. Content must mean exactly what its author typed, so this loader rejects
those surprises instead of guessing, and keeps every value's file, line and column.

libyaml (PyYAML's C parser) reads most files about ten times faster than PyYAML's Python one;
it is used when installed, for files it reads exactly as the pure loader does, which remains
the reference: it reads every other file, and every file with a problem, to word the message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError

try:  # libyaml scans and parses in C, about ten times faster than PyYAML's own Python
    from yaml._yaml import CParser as _LibyamlParser  # what yaml.cyaml uses (not exported)
except ImportError:  # PyYAML built without libyaml: the pure-Python loader does everything
    _LibyamlParser = None  # type: ignore[misc, assignment]

from ..core.errors import BriefsmithWarning, Collector, ContentError, printable
from ..core.models import Origin
from ..core.models import relpath as relpath  # re-exported: it moved to the models
from ..core.paths import OutsideProject, decode_utf8, read_inside

CParser: Any = _LibyamlParser  # None without libyaml
_UNRESOLVED: Any = None  # a node's tag: never resolved (nothing reads it), so not a str

MAX_YAML_BYTES = 2_000_000
MAX_DEPTH = 32
_BOOL_11 = {"yes", "no", "on", "off", "y", "n"}
_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_COMMENT_AFTER = re.compile(r"\s+#")


class YMap(dict[str, Any]):
    """A mapping that remembers its own origin and each key's and value's origin."""

    origin: Origin
    key_origins: dict[str, Origin]
    value_origins: dict[str, Origin]
    value_spans: dict[str, tuple[int, int]]

    def at(self, key: str) -> Origin:
        return self.value_origins.get(key, self.origin)

    def span(self, key: str) -> tuple[int, int] | None:
        """Where a value's text starts and ends in the file (character offsets), so a problem
        inside a long text can be pointed at exactly, not just at the value's first line."""
        return getattr(self, "value_spans", {}).get(key)

    def key_at(self, key: str) -> Origin:
        return self.key_origins.get(key, self.origin)


class YList(list[Any]):
    """A sequence that remembers its own origin and each item's origin."""

    origin: Origin
    item_origins: list[Origin]

    def at(self, index: int) -> Origin:
        return self.item_origins[index] if index < len(self.item_origins) else self.origin


class _Refused(yaml.MarkedYAMLError):
    """Valid YAML that Briefsmith refuses on purpose (anchors, aliases, tags)."""


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader whose composer refuses anchors, aliases and explicit tags."""

    depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()
        mark: Any = event.start_mark  # a PyYAML Mark (the stubs allow libyaml's too)
        if self.depth >= MAX_DEPTH:  # PyYAML recurses once per level: stop long before Python
            raise _Refused(None, None, f"values are nested more than {MAX_DEPTH} levels deep: "
                           "content needs only a few levels", mark)
        if isinstance(event, AliasEvent):
            raise _Refused(
                None, None, "aliases (*name) are not allowed: write the value out", mark
            )
        if isinstance(event, (ScalarEvent, SequenceStartEvent, MappingStartEvent)):
            if event.anchor is not None:
                raise _Refused(
                    None, None, "anchors (&name) are not allowed: write each value out", mark,
                )
            if event.tag is not None and event.tag != "!":
                raise _Refused(
                    None, None,
                    f"tags ({_as_written(mark, event.tag)}) are not allowed: "
                    "remove the tag",
                    mark,
                )
        self.depth += 1
        try:
            return Composer.compose_node(self, parent, index)
        finally:
            self.depth -= 1


# Where libyaml and PyYAML differ (found by comparing them on generated text): libyaml accepts
# a tab after ':' or inside an unquoted value, and a '#' right after a block scalar's `|` or
# `>`, where PyYAML refuses them; it reads a `?` indicator differently (the mark of a `? key`'s
# empty value, a `?` in a flow); and it counts a U+FEFF inside the text as a column, PyYAML
# does not. A file with a tab, a U+FEFF, such a `#`, or a `?` that does not follow a word is
# read by the pure loader only (tests/test_load_c.py).
_BLOCK_HASH = re.compile("[|>][-+0-9]*#")
_LONE_QUESTION = re.compile("(?<!\\w)\\?")  # a question's '?' follows a word


def pure_only(text: str) -> bool:
    """Whether the file must be read by the pure loader. One regex with all four cases took a
    tenth of a second on 3,000 blocks; each case on its own, after a substring test, a fifth."""
    return ("\t" in text or "\ufeff" in text or ("#" in text and bool(_BLOCK_HASH.search(text)))
            or ("?" in text and bool(_LONE_QUESTION.search(text))))


class _Unsure(Exception):
    """The libyaml path met something it leaves to the pure loader (which words the error)."""


def load_c(text: str, rel: str) -> Document:
    """The file's data straight from libyaml's events, in one loop: the values, origins and
    spans that the pure loader's nodes and `_Converter` give (tests/test_load_c.py compares
    them on the sample and on generated text). It builds no node tree: building and walking
    one took half of loading a project of 3,000 blocks. It accepts only what the pure loader
    accepts without a complaint: an alias, an anchor, a tag, nesting past MAX_DEPTH, a second
    document, a parse error or anything `_Converter` would report raises, and the caller then
    reads the file with the pure loader, which words the problem."""
    assert CParser is not None
    parser: Any = CParser(text)
    lines: list[str] | None = None
    try:
        get = parser.get_event
        get()  # stream start
        event = get()
        if type(event) is StreamEndEvent:
            return Document(None, True, text)
        root: Any = None
        root_blank = False  # an empty plain scalar: `---` alone, nothing written there either
        # one frame per open collection: [value, is_map, start mark, key, key origin, flow]
        stack: list[list[Any]] = []
        while True:
            event = get()
            kind = type(event)
            if ((kind is ScalarEvent or kind is MappingStartEvent or kind is SequenceStartEvent)
                    and (event.anchor is not None or (event.tag is not None and event.tag != "!")
                         or len(stack) >= MAX_DEPTH)):
                raise _Unsure
            if kind is ScalarEvent:
                mark = event.start_mark
                style = event.style
                value: Any = event.value
                top = stack[-1] if stack else None
                if top is not None and top[1] and top[3] is None:  # a mapping's key
                    if not style and (value == "<<" or ("?" in value and top[5])):
                        raise _Unsure
                    if value in top[0]:
                        raise _Unsure  # a duplicate key
                    top[3] = value
                    top[4] = _at(rel, mark)
                    continue
                if not style:  # plain ('' from libyaml): the pure loader's _scalar rules
                    if "?" in value and top is not None and top[5]:
                        raise _Unsure  # PyYAML ends an unquoted value at a '?' in [...], {...}
                    if lines is None:
                        lines = text.splitlines()
                    if _cut_by_comment(lines, event.end_mark):
                        raise _Unsure
                    root_blank = top is None and value == ""
                    value = _plain(value)
                where = _at(rel, mark)
                span = (mark.index, event.end_mark.index)
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                top = stack[-1] if stack else None
                if top is not None and top[1] and top[3] is None:
                    raise _Unsure  # a key that is not plain text
                mark = event.start_mark
                where = _at(rel, mark)
                made: YMap | YList
                if kind is MappingStartEvent:
                    made = YMap()
                    made.key_origins, made.value_origins, made.value_spans = {}, {}, {}
                else:
                    made = YList()
                    made.item_origins = []
                made.origin = where
                stack.append([made, kind is MappingStartEvent, mark, None, None,
                              bool(event.flow_style)])
                continue
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                frame = stack.pop()
                value = frame[0]
                where = value.origin
                span = (frame[2].index, event.end_mark.index)
                top = stack[-1] if stack else None
            elif kind is DocumentEndEvent and not stack:
                break
            else:  # an alias, or anything unexpected
                raise _Unsure
            if top is None:
                root = value
            elif top[1]:
                holder, key = top[0], top[3]
                holder[key] = value
                holder.key_origins[key] = top[4]
                holder.value_origins[key] = where
                holder.value_spans[key] = span
                top[3] = None
            else:
                top[0].append(value)
                top[0].item_origins.append(where)
        if type(get()) is not StreamEndEvent:  # a second document
            raise _Unsure
    finally:
        parser.dispose()
    return Document(None, True, text) if root_blank else Document(root, False, text)


def _plain(value: str) -> Any:
    """An unquoted value as both loaders read it; _Unsure for a YAML 1.1 yes/no word, which
    the pure loader reports (`_Converter._scalar`)."""
    if value in ("true", "True", "TRUE"):
        return True
    if value in ("false", "False", "FALSE"):
        return False
    if value in ("", "~", "null", "Null", "NULL"):
        return None
    if value.lower() in _BOOL_11:
        raise _Unsure
    if _INT.fullmatch(value):
        return int(value)
    return value


def _as_written(mark: Any, tag: str) -> str:
    """The tag as the user typed it (`!!str`), not PyYAML's expansion (`tag:yaml.org,2002:str`)."""
    buffer = getattr(mark, "buffer", None)
    if isinstance(buffer, str):
        token = re.match(r"!\S*", buffer[mark.pointer :])
        if token:
            return token.group()
    return tag


_CONFLICT = re.compile(r"^(?:<{7}|={7}|>{7})(?: |$)", re.M)
# A value that opens a quote after its key (or a list dash), and the rest of its line.
_OPENS_QUOTE = re.compile(r"^\s*(?:-\s+)?[^\s:#'\"][^:#]*:\s+(?P<q>[\"'])(?P<rest>.*)$")


def _closes(quote: str, rest: str) -> bool:
    """Whether a quoted value opened just before `rest` ends on the same line."""
    if quote == '"':
        return re.search(r'(?<!\\)(?:\\\\)*"', rest) is not None
    return re.search(r"'(?!')", rest.replace("''", "")) is not None


def _likely_cause(text: str, rel: str, exc: yaml.MarkedYAMLError) -> ContentError | None:
    """What a person most likely did, where PyYAML only sees its consequence further down:
    merge-conflict markers left by git, or a quote opened and never closed on its line (the
    parser reads on to the next quote mark and fails lines later)."""
    if (marker := _CONFLICT.search(text)) is not None:
        line = text.count("\n", 0, marker.start()) + 1
        return ContentError("a merge conflict is left in this file (git's '<<<<<<<', '=======' "
                            "and '>>>>>>>' lines): keep the lines you want, then delete the "
                            "marker lines", Origin(rel, line, 1))
    mark = exc.problem_mark or exc.context_mark
    if mark is None or isinstance(exc, _Refused) or "end of stream" in (exc.problem or ""):
        return None  # a quote open to the end of the file: _syntax_error says where it opens
    lines = text.split("\n")
    for number in range(mark.line - 1, max(mark.line - 12, -1), -1):  # upwards from the error
        found = _OPENS_QUOTE.match(lines[number]) if number < len(lines) else None
        if found is None:
            continue
        if _closes(found.group("q"), found.group("rest")):
            return None  # the nearest quoted value above is whole: the cause is elsewhere
        return ContentError(
            f"invalid YAML: the quoted value that starts here is not closed on its line (the "
            f"file stops making sense at line {mark.line + 1}): add the closing "
            f"{found.group('q')}, or write a long value as a >- block",
            Origin(rel, number + 1, found.start("q") + 1))
    return None


def _syntax_error(exc: yaml.MarkedYAMLError, rel: str) -> ContentError:
    """PyYAML's complaint as one actionable line, pointing where the user should look."""

    def at(mark: Any) -> Origin:
        return Origin(rel, mark.line + 1, mark.column + 1) if mark else Origin(rel)

    problem = exc.problem or exc.context or "invalid YAML"
    mark, context_mark = exc.problem_mark or exc.context_mark, exc.context_mark
    if isinstance(exc, _Refused):
        return ContentError(problem, at(mark))
    if "quoted scalar" in (exc.context or "") and "end of stream" in problem and context_mark:
        return ContentError("invalid YAML: this quoted value is never closed: add the closing "
                            "quote", at(context_mark))
    if problem == "mapping values are not allowed here":
        return ContentError("invalid YAML: a ':' here starts a new key: put a value that "
                            "contains ': ' in quotes, or fix the indentation", at(mark))
    if (char := re.fullmatch(r"found character (.+) that cannot start any token", problem)):
        if char.group(1) == "'\\t'":
            return ContentError("invalid YAML: a tab is not allowed here: use spaces", at(mark))
        return ContentError(f"invalid YAML: an unquoted value cannot start with {char.group(1)}: "
                            "put the value in quotes", at(mark))
    if (tokens := re.fullmatch(r"expected (.+?), but (?:found|got) (.+)", problem)):
        found = _TOKENS.get(tokens.group(2), tokens.group(2))
        problem = (f"{found} is not expected here" if tokens.group(1) == "<block end>"
                   else f"expected {tokens.group(1)}, but found {found}")
    where = ""
    if context_mark and mark and context_mark.line != mark.line:
        inside = _CONTEXTS.get(exc.context or "")
        where = f" (in {inside} that starts at line {context_mark.line + 1})" if inside else ""
    return ContentError(f"invalid YAML: {problem}{where}: check the quotes and indentation here "
                        "and on the lines above", at(mark))


# PyYAML's token and context names, in the words of someone writing a content file.
_TOKENS = {
    "<block mapping start>": "a new key", "?": "a new key", "<scalar>": "a value",
    "'<scalar>'": "a value", "'?'": "a new key", "'<block mapping start>'": "a new key",
    "'<block sequence start>'": "a list", "'-'": "a list item '-'",
    "'<stream end>'": "the end of the file", "'<block end>'": "the end of the indented block",
}
_CONTEXTS = {
    "while parsing a block mapping": "the mapping",
    "while parsing a block collection": "the list",
    "while parsing a flow sequence": "the [...] list",
    "while parsing a flow mapping": "the {...} mapping",
}


def _at(path: str, mark: Any) -> Origin:
    """The 1-based place of a PyYAML or libyaml mark (0-based line and column)."""
    return Origin(path, mark.line + 1, mark.column + 1)


def _origin(path: str, node: Node) -> Origin:
    return _at(path, node.start_mark)


def _cut_by_comment(lines: list[str], end: Any) -> bool:
    """Whether a ' #' follows an unquoted value on its line: YAML reads the rest as a comment."""
    return end.line < len(lines) and bool(_COMMENT_AFTER.match(lines[end.line], end.column))


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
                value = self.convert(item)
                out.append(value)
                out.item_origins.append(value.origin if isinstance(value, (YMap, YList))
                                        else _origin(self.path, item))
            return out
        assert isinstance(node, ScalarNode)
        return self._scalar(node)

    def _mapping(self, node: MappingNode) -> YMap:
        out = YMap()
        out.origin = _origin(self.path, node)
        out.key_origins = {}
        out.value_origins = {}
        out.value_spans = {}
        for key_node, value_node in node.value:
            where = _origin(self.path, key_node)
            if not isinstance(key_node, ScalarNode):
                self.errors.add(ContentError("keys must be plain text", where))
                continue
            key = key_node.value
            if key == "<<" and key_node.style is None:
                self.errors.add(
                    ContentError("merge keys (<<) are not allowed: write each key out", where)
                )
                continue
            if key in out:
                first = out.key_origins[key]
                self.errors.add(
                    ContentError(
                        f"duplicate key '{key}' (first at line {first.line}): keep only one", where
                    )
                )
                continue
            value = out[key] = self.convert(value_node)
            out.key_origins[key] = where
            # a list or mapping already made its own origin: the same place, made once
            out.value_origins[key] = (value.origin if isinstance(value, (YMap, YList))
                                      else _origin(self.path, value_node))
            out.value_spans[key] = (value_node.start_mark.index, value_node.end_mark.index)
        return out

    def _scalar(self, node: ScalarNode) -> Any:
        value = node.value
        if node.style is not None:  # quoted or block scalar: always text, exactly as written
            return value
        where = _origin(self.path, node)
        if _cut_by_comment(self.lines, node.end_mark):
            self.errors.add(
                ContentError(
                    "a ' #' after an unquoted value starts a YAML comment and cuts the text: "
                    "put the value in quotes",
                    where,
                )
            )
        try:
            return _plain(value)
        except _Unsure:
            self.errors.add(
                ContentError(
                    f"'{value}' would be read as a yes/no value by YAML 1.1: "
                    "write true or false, or put the text in quotes",
                    where,
                )
            )
            return value


EMPTY = "the file is empty"


def empty_file_warning(rel: str) -> BriefsmithWarning:
    """An empty file is most often a file whose content was lost or never written: say so,
    rather than quietly treating it as having nothing to contribute."""
    return BriefsmithWarning(Origin(rel), f"{EMPTY}: add content or delete it", "empty-file")


@dataclass(frozen=True)
class Document:
    """One loaded YAML file: its data, whether it holds nothing at all, and its text (for
    pointing at a place inside a value)."""

    data: Any
    empty: bool  # only comments, blank lines or document markers: no value was written
    text: str


def load_yaml(path: Path, root: Path, allowed: tuple[Path, ...] = ()) -> Any:
    """Load one YAML file strictly; raise ContentError (or Problems) naming file, line, column."""
    return load_document(path, root, allowed).data


def load_document(path: Path, root: Path, allowed: tuple[Path, ...] = (),
                  shown: str | None = None) -> Document:
    """load_yaml, keeping what callers need to tell an empty file from one that says `null`.
    `allowed`: folders besides the project a file may be in (a `--templates` tree); `shown`:
    the file's name in messages, when not its path from the project (a built-in file)."""
    rel = shown or relpath(path, root)
    try:
        raw = read_inside(path, (root, *allowed))
    except OutsideProject as exc:
        shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        raise ContentError("this file is a link to a file outside the project: copy the file "
                           "into the project instead", Origin(shown)) from exc
    except OSError as exc:
        raise ContentError(f"cannot read file: {exc.strerror}", Origin(rel)) from exc
    if len(raw) > MAX_YAML_BYTES:
        raise ContentError(
            f"file is {len(raw):,} bytes; the limit is {MAX_YAML_BYTES:,}: split it", Origin(rel)
        )
    return parse_text(decode_utf8(raw, rel).removeprefix("\ufeff"), rel)


def parse_text(text: str, rel: str, c_loader: bool = True) -> Document:
    """Compose and convert one file's text. With libyaml (and `c_loader`), a file is first read
    by the C parser; a file that fails there in any way (syntax, a refusal, a duplicate key) is
    read again by the pure-Python loader, which words the error, so every message is the same
    with and without libyaml, and a problem only the pure loader would see is still reported."""
    if c_loader and CParser is not None and not pure_only(text):
        try:
            return load_c(text, rel)
        except Exception:  # the pure loader below reads it again and says why
            pass
    loader = None
    try:
        loader = _StrictLoader(text)
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        raise (_likely_cause(text, rel, exc) or _syntax_error(exc, rel)) from exc
    except ReaderError as exc:
        pos = exc.position
        line, col = text.count("\n", 0, pos) + 1, pos - text.rfind("\n", 0, pos)
        char = exc.character if isinstance(exc.character, int) else 0
        raise ContentError(f"invalid YAML: the control character U+{char:04X} is not allowed "
                           "in a YAML file: delete it", Origin(rel, line, col)) from exc
    except yaml.YAMLError as exc:
        raise ContentError(f"invalid YAML: {printable(str(exc))}", Origin(rel)) from exc
    finally:
        if loader is not None:
            loader.dispose()
    return _converted(node, rel, text)


def _converted(node: Node | None, rel: str, text: str) -> Document:
    # `---` alone composes to an empty plain scalar: nothing was written there either.
    if node is None or (isinstance(node, ScalarNode) and node.style is None and not node.value):
        return Document(None, True, text)
    errors = Collector()
    data = _Converter(rel, text, errors).convert(node)
    errors.raise_if_any()
    return Document(data, False, text)


def origin_at(rel: str, text: str, index: int) -> Origin:
    """The 1-based line and column of a character offset in a file's text."""
    line_start = text.rfind("\n", 0, index) + 1
    return Origin(rel, text.count("\n", 0, index) + 1, index - line_start + 1)
