"""The libyaml path of the strict loader gives what the pure-Python one gives: the same values
and the same origin (line, column) and span of every key, value and item, on the real sample."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from briefsmith import load
from briefsmith.load import YList, YMap, parse_text

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
    # the C path composes the file itself (no silent fall-back to the pure loader)
    assert load.compose_c(text) is not None
    fast, pure = parse_text(text, "f.yaml"), parse_text(text, "f.yaml", c_loader=False)
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
])
def test_refusals_are_worded_alike_with_and_without_libyaml(text: str) -> None:
    def message(c_loader: bool) -> str:
        with pytest.raises(Exception) as caught:
            parse_text(text, "x.yaml", c_loader=c_loader)
        return str(caught.value)

    assert message(True) == message(False)


@pytest.mark.parametrize("text", ["? a\n", "ti\ufefftle: x\n", "{a: [b, c]}\n", "- first?\n",
                                  "q: Who should a public quay serve first?\n"])
def test_texts_libyaml_would_mark_otherwise_load_alike(text: str) -> None:
    fast, pure = parse_text(text, "x.yaml"), parse_text(text, "x.yaml", c_loader=False)
    assert (fast.data, marks(fast.data)) == (pure.data, marks(pure.data))


@needs_libyaml
def test_the_sample_is_read_by_libyaml() -> None:
    """No sample file needs the pure loader: the C path is what a real project gets."""
    assert [p.name for p in SAMPLE_FILES if load._PURE_ONLY.search(p.read_text("utf-8"))] == []
