"""The words every check reads text with: numbers, the qualifiers and hedges around them, and
where sentences end; and the normalisation that quote matching uses.

In: text (a passage, a block's prose, a `value:`, an ingested paragraph). Out: `Number`s with
their values, a number's qualifier and its kind (below, above, approximate, exact), sentence
spans, hedge families, normalised text. Written once, here, so that "less than 2,000 people"
means the same to the prose check, to a fact's or chart's `value:`, to the conflicts report
and to ingest's proposals.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

_TRANSLATE = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
    "\u2212": "-",
})
_PLAIN = tuple((chr(code), plain) for code, plain in _TRANSLATE.items())


def normalise(text: str) -> str:
    """The documented matching rule: NFKC, straight quotes, one dash, single spaces.
    Written for speed (a large project normalises every quote and paragraph): `str.translate`
    looks up every character in a dict, a `replace` per character present is half the time,
    and `split` finds the same whitespace as the regex `\\s+` (str.isspace) at a quarter of
    its cost (tests/test_citations.py holds it to that rule)."""
    if not text.isascii():  # both steps leave ASCII text as it is: most text skips them
        text = unicodedata.normalize("NFKC", text)
        for char, plain in _PLAIN:
            if char in text:
                text = text.replace(char, plain)
    return " ".join(text.split())


# --- qualifiers ----------------------------------------------------------------------------

# The words a source hedges a number with, by what they allow: "below", close under the number
# ("nearly 2,000"), or at most it ("up to 40 per cent"); "above", the number or more ("over
# 160"); "approximate", within about a tenth; "exact". Longest first within each kind, so "just
# under" wins over "under" and "no less than" (above) over "less than" (below).
QUALIFIERS: dict[str, tuple[str, ...]] = {
    "below": ("no more than", "as much as", "as many as", "just under", "close to",
              "not quite", "nearly", "almost", "fewer than", "less than", "up to", "under"),
    "above": ("no fewer than", "no less than", "upwards of", "in excess of", "more than",
              "at least", "over", "above", "exceeding"),
    "approximate": ("an estimated", "approximately", "estimated", "roughly", "around",
                    "about", "some", "circa"),
    "exact": ("exactly",),
}
# Of the "below" words, those that only cap the number ("less than 2,000" may be 5), where
# "nearly" keeps close under it: a range of values reads them differently (content/claims.py).
AT_MOST = frozenset({"no more than", "as much as", "as many as", "fewer than", "less than",
                     "up to", "under"})
QUALIFIER_KINDS: dict[str, str] = {p: k for k, ps in QUALIFIERS.items() for p in ps}
# Longest first, so that a number's qualifier is the longest phrase that fits.
_LONGEST_FIRST = sorted(QUALIFIER_KINDS.items(), key=lambda pk: -len(pk[0]))
QUALIFIER_PATTERN = "|".join(re.escape(p) for p, _ in _LONGEST_FIRST)  # for larger patterns


NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "hundred": 100, "dozen": 12,
}
SCALES = {"thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "mn": 1e6, "billion": 1e9,
          "bn": 1e9, "trillion": 1e12, "tn": 1e12}
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


# --- hedges --------------------------------------------------------------------------------

# A hedge belongs to a family; prose keeps a passage's hedge when it has a word of a family
# that preserves it (evidence/fidelity.py). "could" is not kept by "will", nor "should be" by
# "has called": both raise certainty.
HEDGES: tuple[tuple[str, str], ...] = (
    ("face the challenge of", "aspiration"), ("faces the challenge of", "aspiration"),
    ("facing the challenge of", "aspiration"), ("desire to", "aspiration"),
    ("intention to", "aspiration"), ("intent", "aspiration"), ("intends to", "aspiration"),
    ("intend to", "aspiration"), ("wish to", "aspiration"), ("hope to", "aspiration"),
    ("aim to", "aspiration"), ("aims to", "aspiration"), ("seek to", "aspiration"),
    ("seeks to", "aspiration"),
    ("should be", "normative"), ("ought to", "normative"),
    ("will be", "forecast"), ("will", "forecast"), ("'ll", "forecast"), ("won't", "forecast"),
    ("is expected to", "forecast"), ("are expected to", "forecast"), ("is set to", "forecast"),
    ("are set to", "forecast"), ("going to", "forecast"),
    ("could", "possibility"), ("may", "possibility"), ("might", "possibility"),
    ("possibly", "possibility"), ("potentially", "possibility"), ("perhaps", "possibility"),
    ("likely", "possibility"),
    ("would", "conditional"),
    ("argues", "attribution"), ("argued", "attribution"), ("suggests", "attribution"),
    ("suggested", "attribution"), ("claims", "attribution"), ("contends", "attribution"),
    ("believes", "attribution"),
)


# --- sentences -----------------------------------------------------------------------------

_ABBREV = ("mr", "mrs", "ms", "dr", "st", "e.g", "i.e", "u.s", "u.k", "u.n", "e.u", "no",
           "vs", "etc", "prof", "gen", "sen", "rep", "col", "lt", "sgt")
# The end of a sentence (with `clauses`, of a clause: a semicolon or colon ends one too), then
# the start of the next: a capital, a digit or a currency sign, perhaps after a quote mark.
_ENDS = {clauses: re.compile(rf"[{marks}]['\"\u201d\u2019)\]]*\s+"
                             r"(?=['\"\u201c\u2018(\[]?[A-Z0-9£$€])")
         for clauses, marks in ((True, ".!?;:"), (False, ".!?"))}


@lru_cache(maxsize=4096)
def sentences(text: str, clauses: bool = True) -> tuple[tuple[int, str], ...]:
    """(offset, sentence) pairs; a full stop after 'Mr', 'U.S.' or an initial does not end a
    sentence. The prose check compares clauses; ingest proposes whole sentences."""
    out, start = [], 0
    for match in _ENDS[clauses].finditer(text):
        before = text[start:match.start()].rsplit(" ", 1)[-1].lower().rstrip(".")
        if text[match.start()] == "." and (before in _ABBREV or re.fullmatch(r"[a-z]", before)):
            continue
        out.append((start, text[start:match.end()].strip()))
        start = match.end()
    if text[start:].strip():
        out.append((start, text[start:].strip()))
    return tuple(out)


# --- numbers -------------------------------------------------------------------------------

_NUMBER = re.compile(
    r"(?<![\w.,/-])(?P<cur>[£$€])?\s?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?P<tail>\s?(?:%|per\s?cent\b|percent\b)|s\b|(?:\s?(?:thousand|million|billion|"
    r"trillion)\b)|(?:bn|mn|tn|m|k)\b)?(?![\w])"
)
_WORD_NUMBER = re.compile(r"\b(" + "|".join(NUMBER_WORDS) + r")\b", re.I)


@dataclass(frozen=True)
class Number:
    value: float
    percent: bool
    currency: str
    year: bool
    start: int
    end: int
    text: str

    def same(self, other: Number) -> bool:
        return (abs(self.value - other.value) <= 1e-9 * max(1.0, abs(self.value))
                and self.percent == other.percent
                and (not self.currency or not other.currency or self.currency == other.currency))


def numbers(text: str, words: bool = False) -> list[Number]:
    """Every number in `text` with its value; `words`: also 'three', 'twelve' (passages)."""
    found = []
    for m in _NUMBER.finditer(text):
        raw = m.group("num").replace(",", "")
        value = float(raw)
        tail = (m.group("tail") or "").strip().lower()
        percent = tail in ("%",) or tail.startswith("per")
        if tail in SCALES or (tail.split()[-1:] and tail.split()[-1] in SCALES):
            value *= SCALES[tail.split()[-1]]
        year = (not percent and not m.group("cur") and "," not in m.group("num")
                and "." not in raw and 1800 <= value <= 2100 and tail in ("", "s"))
        found.append(Number(value, percent, m.group("cur") or "", year, m.start(), m.end(),
                            m.group(0).strip()))
    if words:
        for m in _WORD_NUMBER.finditer(text):
            found.append(Number(float(NUMBER_WORDS[m.group(1).lower()]), False, "", False,
                                m.start(), m.end(), m.group(0)))
    return found


def qualifier_before(text: str, start: int) -> tuple[str, str] | None:
    """The qualifier (phrase, kind) written just before the number at `start`, if any."""
    before = text[max(0, start - 30):start].lower()
    before = _TRAILING_MONEY.sub("", before)
    for pattern, phrase, kind in _QUAL_PATTERNS:
        if pattern.search(before):
            return phrase, kind
    return None


_TRAILING_MONEY = re.compile(r"[£$€\s]+$")
_QUAL_PATTERNS = [(re.compile(r"(?:^|[^a-z])" + re.escape(phrase) + r"$"), phrase, kind)
                  for phrase, kind in _LONGEST_FIRST]  # compiled once, not per number
