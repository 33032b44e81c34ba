"""The schema's vocabulary: ids, dates, limits, refused characters, and `Fields`, the typed
reader of one YAML mapping that records every problem instead of stopping at the first.

In: one loaded mapping (`YMap`) and what it describes. Out: typed values, with each problem
collected at its line and column. Every loader of YAML (blocks, sources, briefs, audiences, the
house style, resolutions, chart values, imported references) reads its mappings through this,
so a rule written here holds in all of them.
"""

from __future__ import annotations

import datetime
import difflib
import re
import unicodedata
from collections.abc import Iterable

from ..core.errors import Collector, ContentError, printable
from ..core.models import NAME_PARTS, BlockRef, Name, Origin
from .load import YList, YMap

ID_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
DATE_RE = re.compile(r"\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?")
FULL_DATE_RE = re.compile(r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])")
HEX_COLOUR_RE = re.compile(r"#[0-9a-fA-F]{6}")
LANG_RE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")
DOI_RE = re.compile(r"10\.\d{4,9}/\S+")
MAX_TEXT = 20_000
MAX_SOURCE_TEXT = 1_000_000
MIN_QUOTE_WORDS = 3
NOTE_MODES = ("footnotes", "endnotes", "in-text")

# Characters that make text look different from what it is: refused in quotes.
INVISIBLE = re.compile(
    "[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u2069\ufeff]"
)

# In any text: bidi overrides/isolates and control characters (line breaks and tabs are fine).
# Zero-width joiners stay allowed outside quotes: some scripts need them.
DISGUISING = re.compile("[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]")

BLOCK_KEYS: dict[str, tuple[set[str], set[str]]] = {
    # type: (required keys beyond id/type, optional keys beyond the common ones)
    "context": ({"text", "cites"}, set()),
    "fact": ({"text", "as_of", "cites"}, {"figure", "claim", "value", "scope"}),
    "quote": ({"words", "speaker", "cites"}, {"role", "text", "viewpoint"}),
    "position": ({"actor", "stance", "text", "cites"}, {"viewpoint"}),
    "event": ({"date", "text", "cites"}, set()),
    "term": ({"term", "text", "cites"}, set()),
    "question": ({"text"}, {"cites"}),
    "recommendation": ({"actor", "text", "cites"}, set()),
    # figure: the credit must be inside a cited passage; chart: each value cites its own
    "figure": ({"image", "alt", "caption", "credit", "cites"}, set()),
    "chart": ({"chart", "alt", "caption", "values"}, {"text", "axis"}),
}
COMMON_BLOCK_KEYS = {"id", "type", "title", "audiences", "wording", "inference"}


def suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


class Fields:
    """Typed access to one YAML mapping that records, rather than raises, every problem."""

    def __init__(self, data: YMap, what: str, errors: Collector) -> None:
        self.data = data
        self.what = what
        self.errors = errors

    def check_keys(self, required: set[str], optional: set[str]) -> None:
        allowed = required | optional
        for key in self.data:
            if key not in allowed:
                self.errors.add(
                    ContentError(
                        f"unknown key '{printable(key)}' in {self.what}{suggest(key, allowed)}; "
                        f"allowed keys: {', '.join(sorted(allowed))}",
                        self.data.key_at(key),
                    )
                )
        for key in sorted(required - set(self.data)):
            self.errors.add(
                ContentError(f"{self.what} is missing required key '{key}': "
                             f"add the line '{key}: ...'", self.data.origin)
            )

    def at(self, key: str) -> Origin:
        return self.data.at(key)

    def fail(self, key: str, message: str) -> None:
        self.errors.add(ContentError(message, self.at(key)))

    def text(self, key: str, *, required: bool = False, limit: int = MAX_TEXT,
             strict_later: bool = False) -> str | None:
        """`strict_later`: the caller applies the stricter quote rule (no invisible characters
        at all) with its own message, so the general rule is skipped here."""
        value = self.data.get(key)
        if value is None:
            if required and key in self.data:
                self.fail(key, f"'{key}' of {self.what} is empty: give it a value")
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            kind = "a list" if isinstance(value, list) else "a mapping" if isinstance(
                value, dict) else f"'{value}'"
            self.fail(key, f"'{key}' of {self.what} must be text, not {kind}: write one value, "
                           "in quotes (or as a >- block for several lines)")
            return None
        text = str(value).strip()
        if required and not text:
            self.fail(key, f"'{key}' of {self.what} is empty: give it a value")
            return None
        if len(text) > limit:
            self.fail(key, f"'{key}' of {self.what} is {len(text):,} characters; "
                           f"the limit is {limit:,}: shorten it")
            return None
        if not strict_later and (bad := DISGUISING.search(text)) is not None:
            name = unicodedata.name(bad.group(), "control")
            self.fail(key, f"'{key}' of {self.what} contains the invisible character "
                           f"U+{ord(bad.group()):04X} ({name}), which can make text read "
                           "differently from what it says: delete it")
            return None
        return text or None

    def pattern(self, key: str, regex: re.Pattern[str], form: str, *,
                required: bool = False) -> str | None:
        value = self.text(key, required=required)
        if value is not None and not regex.fullmatch(value):
            self.fail(key, f"'{key}' of {self.what} is '{printable(value)}'; write it as {form}")
            return None
        if value is not None and regex in (DATE_RE, FULL_DATE_RE) and not real_date(value):
            self.fail(key, f"'{key}' of {self.what} is '{value}', which is not a date in the "
                           "calendar: check the day and month")
            return None
        return value

    def positive_int(self, key: str, message: str) -> int | None:
        """A whole number of 1 or more; YAML's `true` is an int to Python, and refused too."""
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.fail(key, message)
            return None
        return value

    def choice(self, key: str, choices: Iterable[str], *, required: bool = False) -> str | None:
        options = list(choices)
        value = self.text(key, required=required)
        if value is not None and value not in options:
            self.fail(key, f"'{key}' of {self.what} is '{printable(value)}'"
                           f"{suggest(value, options)}; choose one of: {', '.join(options)}")
            return None
        return value

    def text_list(self, key: str) -> list[tuple[str, Origin]]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, YList):
            self.fail(key, f"'{key}' of {self.what} must be a list, e.g. [a, b]")
            return []
        out = []
        for i, item in enumerate(value):
            if isinstance(item, bool) or not isinstance(item, (str, int)) or not str(item).strip():
                self.errors.add(ContentError(
                    f"item {i + 1} of '{key}' in {self.what} must be non-empty text", value.at(i)))
                continue
            out.append((str(item).strip(), value.at(i)))
        return out

    def names(self, key: str) -> tuple[Name, ...]:
        """`authors:` or `editors:`: each name a string, taken as written (CSL's `literal`: it
        is never split, since nothing tells a person "Ana Ruiz García" from an organisation
        "Human Rights Watch"), or a mapping of its parts (`family`, `given`, `particle`,
        `dropping_particle`, `suffix`) or `{literal: ...}`. Every problem is located."""
        value = self.data.get(key)
        if value is None:
            return ()
        if not isinstance(value, YList):
            self.fail(key, f"'{key}' of {self.what} must be a list, e.g. [a, b]")
            return ()
        one = key.removesuffix("s")
        out = []
        for i, item in enumerate(value):
            what = f"{one} {i + 1} of {self.what}"
            if isinstance(item, YMap):
                name = self._name(item, what)
                if name is not None:
                    out.append(name)
                continue
            if isinstance(item, bool) or not isinstance(item, (str, int)) or not str(item).strip():
                self.errors.add(ContentError(
                    f"{what} must be non-empty text (a name written whole) or a mapping of its "
                    "parts, e.g. {family: Byron, given: Ada}", value.at(i)))
                continue
            text = " ".join(str(item).split())
            if (bad := DISGUISING.search(text)) is not None:
                self.errors.add(ContentError(f"{what} contains {hidden(bad.group())}, which can "
                                             "make text read differently from what it says: "
                                             "delete it", value.at(i)))
                continue
            out.append(Name(literal=text))
        return tuple(out)

    def _name(self, item: YMap, what: str) -> Name | None:
        f = Fields(item, what, self.errors)
        before = len(self.errors.errors)
        f.check_keys(set(), set(NAME_PARTS))
        parts = {k: f.text(k, required=True, limit=300) for k in NAME_PARTS if k in item}
        if len(self.errors.errors) > before:
            return None
        given = {k for k in parts if k != "literal"}
        if "literal" in parts and given:
            self.errors.add(ContentError(
                f"{what} has 'literal' and {', '.join(repr(k) for k in sorted(given))}: "
                "'literal' is a name written whole (an organisation); write it alone, or write "
                "a person's parts without it", item.key_at("literal")))
            return None
        if "literal" not in parts and "family" not in parts:
            self.errors.add(ContentError(
                f"{what} has no 'family' or 'literal': write a person as {{family: Byron, "
                "given: Ada} (a single name as {family: Cher}) and an organisation as "
                "{literal: Human Rights Watch}", item.origin))
            return None
        return Name(**{k: " ".join(v.split()) for k, v in parts.items() if v})

    def mapping(self, key: str) -> YMap | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, YMap):
            self.fail(key, f"'{key}' of {self.what} must be a mapping of key: value lines")
            return None
        return value

    def id_list(self, key: str) -> tuple[BlockRef, ...]:
        refs = []
        for value, where in self.text_list(key):
            if not ID_RE.fullmatch(value):
                self.errors.add(ContentError(
                    f"'{printable(value)}' in '{key}' of {self.what} is not a block id: block ids "
                    "use lowercase letters, digits and single hyphens", where))
                continue
            refs.append(BlockRef(value, where))
        return tuple(refs)


def real_date(value: str) -> bool:
    """A YYYY-MM-DD value names a day that exists (the patterns alone allow 2026-02-30)."""
    if len(value) != 10:
        return True
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def check_id(value: str, where: Origin, what: str, errors: Collector, *,
              from_file: bool = False) -> bool:
    if not ID_RE.fullmatch(value):
        if from_file:
            errors.add(ContentError(
                f"{what} id '{printable(value)}' is the file name and must use lowercase letters, "
                "digits and single hyphens: rename the file (e.g. 'casualties-2023.yaml')", where))
        else:
            errors.add(ContentError(
                f"{what} id '{printable(value)}' must use lowercase letters, digits and single "
                "hyphens (e.g. 'casualties-2023')", where))
        return False
    return True


def hidden(char: str) -> str:
    """Name a refused character so the user can find it: 'the invisible character U+200B (...)'."""
    name = unicodedata.name(char, "")
    kind = "control character" if unicodedata.category(char) == "Cc" else "invisible character"
    return f"the {kind} U+{ord(char):04X}" + (f" ({name})" if name else "")
