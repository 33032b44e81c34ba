"""How hard a text is to read: words, sentences and syllables, as a school grade.

In: an editor's prose (Markdown) or one selection's printed blocks. Out: `Readability` counts
and a `ReadingLevel` per selection, used by an audience's reading-level contract and by the
`balance` report alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..content.select import Selection

HARDEST = 3  # how many of the hardest blocks a reading-level finding names

_MARKDOWN = [
    (re.compile(r"!?\[([^\]]*)\]\([^)]*\)"), r"\1"),  # [text](url) → text
    (re.compile(r"`([^`]*)`"), r"\1"),
    (re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+", re.M), ""),  # list markers
    (re.compile(r"^\s*(?:>+|#+)\s*", re.M), ""),  # block quotes, headings
    (re.compile(r"[*_]+"), ""),
]
_SENTENCE_END = re.compile(r"[.!?]+[\"'\u201d\u2019)\]]*(?=\s|$)|\n\s*\n|\n\s*(?=[-*+]\s)")
_LETTERS = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")


def plain_text(markdown: str) -> str:
    for pattern, repl in _MARKDOWN:
        markdown = pattern.sub(repl, markdown)
    return markdown


def syllables(word: str) -> int:
    """A documented heuristic, not a dictionary: count groups of vowels (a, e, i, o, u, y; two
    vowels together count once) after dropping a silent final -e, -es or -ed that follows a
    consonant other than l, and a leading y (a consonant there). Words of three letters or fewer
    have one syllable; every word has at least one. "treaty" 2, "agreed" 2, "humanitarian" 5."""
    w = re.sub(r"[^a-z]", "", word.lower())
    if len(w) <= 3:
        return 1
    w = re.sub(r"(?:[^laeiouy]es|[^laeiouy]ed|[^laeiouy]e)$", "", w)
    w = re.sub(r"^y", "", w)
    return max(1, len(re.findall(r"[aeiouy]{1,2}", w)))


@dataclass(frozen=True)
class Readability:
    words: int
    sentences: int
    syllables: int

    @property
    def grade(self) -> float:
        """Flesch-Kincaid grade level: 0.39 (words/sentences) + 11.8 (syllables/words) - 15.59."""
        if not self.words:
            return 0.0
        return (0.39 * self.words / max(1, self.sentences)
                + 11.8 * self.syllables / self.words - 15.59)


def readability(text: str) -> Readability:
    """Words are runs of letters (numbers are not words); a sentence ends at . ! or ? before a
    space or the end, at a blank line and before a list item; every text with words has at least
    one sentence."""
    plain = plain_text(text)
    words = _LETTERS.findall(plain)
    pieces = [p for p in _SENTENCE_END.split(plain) if _LETTERS.search(p)]
    return Readability(len(words), max(1, len(pieces)) if words else 0,
                       sum(syllables(w) for w in words))


@dataclass(frozen=True)
class ReadingLevel:
    grade: float
    words: int
    sentences: int
    hardest: tuple[tuple[str, float, int], ...]  # (block id, grade, words)
    max_grade: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"grade": round(self.grade, 1), "words": self.words, "sentences": self.sentences,
                "max_grade": self.max_grade,
                "hardest": [{"block": b, "grade": round(g, 1), "words": n}
                            for b, g, n in self.hardest]}


def editor_prose(selection: Selection) -> list[tuple[str, str]]:
    """(block id, text) for the editor's own words in this output: each block's text for the
    audience, never a quote's verbatim `words` (those are the source's). Section intros count
    too, under `section <id>`."""
    name = selection.audience.name
    out = [(f"section {s.section.id}", s.section.intro) for s in selection.sections
           if s.section.intro]
    out += [(b.id, text) for b in selection.blocks if (text := b.text_for(name))]
    return [(k, v) for k, v in out if v]


def reading_level(selection: Selection) -> ReadingLevel:
    """The grade of all the editor's prose together (one long text, as the reader meets it), and
    the three blocks that read hardest on their own."""
    prose = editor_prose(selection)
    total = readability("\n\n".join(text for _, text in prose))
    each = [(key, r.grade, r.words) for key, text in prose if (r := readability(text)).words]
    each.sort(key=lambda item: (-item[1], item[0]))
    contract = selection.audience.contract
    return ReadingLevel(total.grade, total.words, total.sentences, tuple(each[:HARDEST]),
                        contract.max_grade if contract else None)


# -- the checks ------------------------------------------------------------------------------
