"""The libyaml path of the strict loader gives what the pure-Python one gives: the same values
and the same origin (line, column) and span of every key, value and item, on the real sample."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from briefsmith.content import load
from briefsmith.content.load import YList, YMap, parse_text

REPO = Path(__file__).resolve().parent.parent
SAMPLE_FILES = sorted([*REPO.glob("content/**/*.yaml"), *REPO.glob("briefs/*.yaml"),
                       *REPO.glob("templates/*/audience.yaml"), REPO / "briefsmith.yaml"])

needs_libyaml = pytest.mark.skipif(load.CParser is None, reason="PyYAML without libyaml")


def marks(value: Any, where: str = "") -> list[tuple[str, Any]]:
    """Every origin and span in a loaded value, named by its path in the data."""
    out: list[tuple[str, Any]] = []
    if isinstance(value, YMap):
        out.append((where, value.origin))
        for key, item in value.items():
            out += [(f"{where}.{key}:key", value.key_at(key)),
                    (f"{where}.{key}", value.at(key)), (f"{where}.{key}:span", value.span(key))]
            out += marks(item, f"{where}.{key}")
    elif isinstance(value, YList):
        out.append((where, value.origin))
        for i, item in enumerate(value):
            out.append((f"{where}[{i}]", value.at(i)))
            out += marks(item, f"{where}[{i}]")
    return out


@needs_libyaml
@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_the_c_loader_gives_the_pure_loaders_values_and_marks(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    # the C path reads the file itself (no silent fall-back to the pure loader)
    assert not load.pure_only(text)
    fast, pure = load.load_c(text, "f.yaml"), parse_text(text, "f.yaml", c_loader=False)
    assert fast.data == pure.data
    fast_marks, pure_marks = marks(fast.data), marks(pure.data)
    assert len(pure_marks) > 3
    assert fast_marks == pure_marks


@needs_libyaml
def test_every_sample_block_has_the_same_origin_under_both_loaders() -> None:
    seen = 0
    for path in sorted(REPO.glob("content/blocks/*.yaml")):
        text = path.read_text(encoding="utf-8")
        fast, pure = parse_text(text, "b.yaml").data, parse_text(text, "b.yaml", False).data
        for i, (a, b) in enumerate(zip(fast, pure, strict=True)):
            assert (a["id"], fast.at(i), a.origin, a.at("cites")) == \
                   (b["id"], pure.at(i), b.origin, b.at("cites"))
            seen += 1
    assert seen > 50


@needs_libyaml
def test_marks_agree_past_non_ascii_text_and_crlf_line_ends() -> None:
    text = ('a: "é€𝄞 x"\r\nb: plain text\r\nc:\r\n  - [1, "two"]\r\n  - d: >-\r\n'
            "      folded\r\n      lines\r\n")
    fast, pure = parse_text(text, "x.yaml"), parse_text(text, "x.yaml", c_loader=False)
    assert fast.data == pure.data == {"a": "é€𝄞 x", "b": "plain text",
                                      "c": [[1, "two"], {"d": "folded lines"}]}
    assert marks(fast.data) == marks(pure.data)


@pytest.mark.parametrize("text", [
    # where libyaml and PyYAML differ (found by comparing them on generated and mutated text):
    # the pure loader reads these files, so both paths refuse them alike
    "a:\t1\n", "a: b\tc\n", "a: >#\n  x\n", "a: |-#\n  x\n", "audiences: [parliament?ary]\n",
    "v: {set: [Finla?d]}\n",
    "a: &x 1\nb: *x\n", "a: !!str 1\n", "a: yes\n", "a: 1\na: 2\n", "a: b # c\n",
    'a: "never closed\n', "a:\n\t- b\n", "a: [1, 2\n",
    "[" * 32 + "x" + "]" * 32 + "\n", "[" * 33 + "]" * 33 + "\n",  # nested past MAX_DEPTH
])
def test_refusals_are_worded_alike_with_and_without_libyaml(text: str) -> None:
    def message(c_loader: bool) -> str:
        with pytest.raises(Exception) as caught:
            parse_text(text, "x.yaml", c_loader=c_loader)
        return str(caught.value)

    assert message(True) == message(False)


@pytest.mark.parametrize("text", ["? a\n", "ti\ufefftle: x\n", "{a: [b, c]}\n", "- first?\n",
                                  "q: Who should a public quay serve first?\n",
                                  "[" * 31 + "x" + "]" * 31 + "\n", "[" * 32 + "]" * 32 + "\n"])
def test_texts_libyaml_would_mark_otherwise_load_alike(text: str) -> None:
    fast, pure = parse_text(text, "x.yaml"), parse_text(text, "x.yaml", c_loader=False)
    assert (fast.data, marks(fast.data)) == (pure.data, marks(pure.data))


@needs_libyaml
def test_the_sample_is_read_by_libyaml() -> None:
    """No sample file needs the pure loader: the C path is what a real project gets."""
    assert [p.name for p in SAMPLE_FILES if load.pure_only(p.read_text("utf-8"))] == []


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="ab _|>-+3#?\t\ufeff\n:", max_size=30))
def test_the_quick_test_for_the_pure_loader_is_the_four_cases_regex(text: str) -> None:
    """`pure_only` tests each case after a substring test, for speed; it must pick exactly the
    files the one regex of all four cases picks."""
    assert load.pure_only(text) == bool(re.search("\t|\ufeff|[|>][-+0-9]*#|(?<!\\w)\\?", text))


_FINE = ["a", "b", "id", "x y", "true", "null", "~", "", "12", "-3", "07", "1:20", "é€", "q?",
         "it's", "a#b"]
_WORDS = st.sampled_from(_FINE * 8 + ["yes", "No", "<<", "a #b", "x: y", "[z]"])  # refused plain


def _scalar(word: str, style: str) -> str:
    if style == "'":
        return "'" + word.replace("'", "''") + "'"
    if style == '"':
        return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return word


_SCALARS = st.builds(_scalar, _WORDS, st.sampled_from(["", "", "'", '"']))


def _block(value: Any, indent: int) -> str:
    """A value written in block style at `indent` spaces (a nested list or mapping on the
    lines below its key or dash; a flow list, now and then, on the same line)."""
    pad = " " * indent
    if isinstance(value, str):
        return value
    if isinstance(value, tuple):  # a flow list
        return "[" + ", ".join(v for v in value) + "]"
    if isinstance(value, list):
        return "".join(f"\n{pad}- {_block(v, indent + 2).lstrip(chr(10) + ' ')}"
                       if isinstance(v, (list, dict)) else f"\n{pad}- {_block(v, indent + 2)}"
                       for v in value) or " []"
    return "".join(f"\n{pad}{k}:" + (" " + _block(v, indent + 2) if not isinstance(v, (list, dict))
                                      or not v else _block(v, indent + 2))
                   for k, v in value.items()) or " {}"


_VALUES = st.recursive(
    _SCALARS | st.tuples(_SCALARS, _SCALARS),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_SCALARS, inner, max_size=3),
    max_leaves=8)


_INSERTS = ["\n", " ", "#", ":", "- ", "'", "&a ", "*a", "!!str ", "{", "---\n"]


@pytest.mark.slow
@needs_libyaml
@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_SCALARS, _VALUES, min_size=1, max_size=4),
       st.lists(st.tuples(st.integers(0, 400), st.sampled_from(_INSERTS)), max_size=2))
def test_on_generated_text_the_c_loader_gives_what_the_pure_loader_gives(
        doc: dict[str, Any], edits: list[tuple[int, str]]) -> None:
    """Values, marks and emptiness alike, or the same message: on generated documents, some of
    them broken by an inserted character, so that every way out of `load_c` is taken."""
    text = _block(doc, 0).lstrip("\n") + "\n"
    for at, insert in edits:
        at = at % (len(text) + 1)
        text = text[:at] + insert + text[at:]

    def read(c_loader: bool) -> Any:
        try:
            found = parse_text(text, "g.yaml", c_loader=c_loader)
        except Exception as exc:  # the message is what is compared
            return ("error", type(exc).__name__, str(exc))
        return (found.data, marks(found.data), found.empty)

    assert read(True) == read(False)
