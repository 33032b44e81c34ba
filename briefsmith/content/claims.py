"""Claims and their values: what a fact's `value:` says, what a chart's `values:` say, and how
the editor resolved two sources that differ (`content/resolutions.yaml`).

In: loaded YAML mappings (through `Fields`). Out: `Value`s, `ChartPoint`s and `Resolution`s,
or located errors. One reading of "nearly 2,000 people" for facts, charts and resolutions:
the words a number may be hedged with come from the shared vocabulary (core/vocabulary.py).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from decimal import Decimal
from pathlib import Path

from ..core.errors import Collector, ContentError, printable
from ..core.models import Block, ChartPoint, CiteRef, Origin, Resolution, Value
from ..core.vocabulary import AT_MOST, QUALIFIER_KINDS, QUALIFIER_PATTERN
from .load import YList, YMap, load_document, relpath
from .schema import (
    DATE_RE,
    ID_RE,
    INVISIBLE,
    MIN_QUOTE_WORDS,
    Fields,
    hidden,
    suggest,
)

MAX_POINTS = 24
RESOLUTIONS = "content/resolutions.yaml"

TOLERANCE = Decimal("0.1")  # how far "nearly" and "about" may be from the number
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_UNIT = r"[^\W\d_]+(?:[ '-][^\W\d_]+)*"
_COMPACT = re.compile(
    rf"(?:(?P<q>{QUALIFIER_PATTERN})\s+)?(?P<n>{_NUMBER})(?:(?P<pct>\s?%)|\s+(?P<unit>{_UNIT}))?",
    re.I)
VALUE_FORMS = ('a number with an optional qualifier and unit, e.g. "about 1,200 boats" or '
               "{number: 1200, qualifier: about, unit: boats}, or a set, e.g. "
               "{set: [Poland, Finland]}")


# --- values ---------------------------------------------------------------------------------

def parse_value(f: Fields, bid: str) -> Value | None:
    """A fact's `value`, strictly: a compact string, a bare integer, or a mapping with either
    `number` (plus `qualifier`, `unit`) or `set`. Anything else is a located error, because a
    value misread is a conflict missed or invented."""
    raw = f.data.get("value")
    what = f"'value' of block '{bid}'"
    if raw is None:
        if "value" in f.data:
            f.fail("value", f"{what} is empty: write {VALUE_FORMS}")
        return None
    if isinstance(raw, (bool, YList)):
        f.fail("value", f"{what} must be {VALUE_FORMS}")
        return None
    if isinstance(raw, (str, int)):
        return _compact(str(raw).strip(), f, what)
    if not isinstance(raw, YMap):
        f.fail("value", f"{what} must be {VALUE_FORMS}")
        return None
    vf = Fields(raw, what, f.errors)
    if "set" in raw:
        vf.check_keys({"set"}, set())
        members = vf.text_list("set")
        if "set" in raw and not members and not isinstance(raw.get("set"), YList):
            return None  # text_list reported it
        if not members:
            vf.fail("set", f"'set' of {what} is empty: list the names, e.g. [Poland, Finland]")
            return None
        seen: dict[str, Origin] = {}
        for name, where in members:
            if member_key(name) in seen:
                f.errors.add(ContentError(f"'{printable(name)}' is listed twice in 'set' of "
                                          f"{what}: remove one", where))
                return None
            seen[member_key(name)] = where
        names = tuple(name for name, _ in members)
        return Value("set", join_names(names), members=names)
    vf.check_keys({"number"}, {"qualifier", "unit"})
    number = raw.get("number")
    if number is None:
        return None  # check_keys reported the missing key (or it is empty)
    text = str(number).strip() if isinstance(number, (str, int)) and not isinstance(
        number, bool) else ""
    if not re.fullmatch(_NUMBER, text):
        vf.fail("number", f"'number' of {what} is '{printable(str(number))}'; write a number "
                          "such as 1200, 1,200 or 84.5 (in full, without words)")
        return None
    qualifier = vf.text("qualifier", limit=40)
    if qualifier is not None and qualifier.casefold() not in QUALIFIER_KINDS:
        vf.fail("qualifier", f"'qualifier' of {what} is '{printable(qualifier)}'"
                             f"{suggest(qualifier.casefold(), QUALIFIER_KINDS)}; choose one of: "
                             f"{', '.join(QUALIFIER_KINDS)} (or leave it out for an exact number)")
        return None
    unit = vf.text("unit", limit=60)
    return _number_value(text, qualifier, unit)


def _compact(text: str, f: Fields, what: str) -> Value | None:
    match = _COMPACT.fullmatch(text)
    if match is None:
        f.fail("value", f"{what} is '{printable(text)}'; write {VALUE_FORMS}")
        return None
    unit = "%" if match.group("pct") else match.group("unit")
    return _number_value(match.group("n"), match.group("q"), unit)


def _number_value(number: str, qualifier: str | None, unit: str | None) -> Value:
    plain = number.replace(",", "")
    shown = f"{Decimal(plain):,}" if "." not in plain else number
    unit = " ".join(unit.split()) if unit else None
    written = " ".join(p for p in (qualifier.casefold() if qualifier else None, shown) if p)
    if unit:
        written += unit if unit == "%" else f" {unit}"
    bound = QUALIFIER_KINDS[qualifier.casefold()] if qualifier else "exact"
    return Value("number", written, number=plain, bound=bound,
                 qualifier=qualifier.casefold() if qualifier else None, unit=unit)


def join_names(names: Iterable[str]) -> str:
    """'Finland and Poland'; 'Poland, Finland and the Baltic states'."""
    items = list(names)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def member_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _interval(value: Value) -> tuple[Decimal, Decimal | None]:
    """What a hedged number allows: (low, high), high None for no upper limit."""
    n = Decimal(value.number or "0")
    if value.bound == "below":
        return (Decimal(0) if value.qualifier in AT_MOST else n * (1 - TOLERANCE)), n
    if value.bound == "above":
        return n, None
    if value.bound == "approximate":
        return n * (1 - TOLERANCE), n * (1 + TOLERANCE)
    return n, n


def compatible(a: Value, b: Value) -> bool:
    """Can both be true? Sets: the same names. Numbers: the ranges their qualifiers allow
    overlap ("nearly 2,000" and "1,950" can; "over 160" and "133" cannot)."""
    if a.kind != b.kind:
        return False
    if a.kind == "set":
        return {member_key(m) for m in a.members} == {member_key(m) for m in b.members}
    (lo_a, hi_a), (lo_b, hi_b) = _interval(a), _interval(b)
    return (hi_b is None or lo_a <= hi_b) and (hi_a is None or lo_b <= hi_a)


def unit_of(value: Value) -> str:
    """What a value counts in, for grouping: a set is its own unit."""
    if value.kind == "set":
        return "(a set of names)"
    return value.unit.casefold() if value.unit else "(no unit)"


def overlaps(a: str, b: str) -> bool:
    """Periods written as YYYY, YYYY-MM or YYYY-MM-DD overlap when one contains the other:
    "2025" and "2025-03" describe the same time for the purpose of finding a conflict."""
    return a == b or a.startswith(b + "-") or b.startswith(a + "-")


# --- resolutions ------------------------------------------------------------------------------


def load_resolutions(root: Path, blocks: dict[str, Block], errors: Collector,
                     all_blocks_read: bool = True) -> tuple[Resolution, ...]:
    """`content/resolutions.yaml`, validated against the claims the blocks define: an unknown
    claim or block, or a preferred block that is not a fact of that claim, is a located error.
    Checked with everything else by `check`, so a typo cannot leave a conflict silently open.
    Without `all_blocks_read` (a block file could not be read: its own error says where) an
    unknown claim or block may be in that file, so it is not reported, as validate.cross_check
    does for the briefs' block ids."""
    path = root / RESOLUTIONS
    if not path.is_file():
        return ()
    rel = relpath(path, root)
    doc = load_document(path, root)
    if doc.empty:
        return ()
    if not isinstance(doc.data, YList):
        errors.add(ContentError("content/resolutions.yaml must be a YAML list of resolutions "
                                "('- claim: ...')", Origin(rel, 1, 1)))
        return ()
    claims: dict[str, list[Block]] = {}
    for block in blocks.values():
        if block.claim:
            claims.setdefault(block.claim, []).append(block)
    found: list[Resolution] = []
    seen: dict[tuple[str, str | None], Origin] = {}
    for i, item in enumerate(doc.data):
        if not isinstance(item, YMap):
            errors.add(ContentError("each resolution must be a mapping starting with 'claim:'",
                                    doc.data.at(i)))
            continue
        f = Fields(item, f"resolution {i + 1}", errors)
        f.check_keys({"claim"}, {"as_of", "prefer", "note", "accept"})
        claim = f.pattern("claim", ID_RE, "a claim key such as 'ottawa-withdrawing-states'",
                          required=True)
        as_of = f.pattern("as_of", DATE_RE, "YYYY, YYYY-MM or YYYY-MM-DD in quotes")
        prefer = f.pattern("prefer", ID_RE, "a block id")
        note = f.text("note", limit=600)
        accept = f.text("accept", limit=600)
        if claim is None:
            continue
        facts = claims.get(claim)
        if facts is None:
            if all_blocks_read:
                f.fail("claim", f"resolution {i + 1} names unknown claim '{claim}'"
                                f"{suggest(claim, claims)}; claims are the 'claim' keys of "
                                "fact blocks in content/blocks/")
            continue
        if (prefer is None) == (accept is None):
            both = "both 'prefer' and 'accept'" if prefer else "neither 'prefer' nor 'accept'"
            errors.add(ContentError(
                f"resolution for claim '{claim}' has {both}: give one, 'prefer: <block id>' "
                "with a 'note', or 'accept: <why the difference stands>'", item.origin))
            continue
        if prefer is not None:
            ids = [b.id for b in facts]
            if prefer not in blocks:
                if not all_blocks_read:
                    continue
                f.fail("prefer", f"resolution for claim '{claim}' prefers unknown block "
                                 f"'{prefer}'{suggest(prefer, ids)}; the facts of that claim "
                                 f"are: {', '.join(ids)}")
                continue
            if prefer not in ids:
                f.fail("prefer", f"resolution for claim '{claim}' prefers block '{prefer}', "
                                 f"which is not a fact of that claim; its facts are: "
                                 f"{', '.join(ids)}")
                continue
            chosen = blocks[prefer]
            if as_of and chosen.as_of and not overlaps(as_of, chosen.as_of):
                f.fail("prefer", f"resolution for claim '{claim}' as of {as_of} prefers block "
                                 f"'{prefer}', which is as of {chosen.as_of}: prefer a block "
                                 "of that period")
                continue
            if note is None:
                errors.add(ContentError(
                    f"resolution for claim '{claim}' prefers block '{prefer}' without a "
                    "'note': say in one sentence why that source is preferred (the brief "
                    "shows it)", item.origin))
                continue
        elif note is not None:
            f.fail("note", f"resolution for claim '{claim}' has a 'note' beside 'accept': "
                           "put the explanation in 'accept'")
            continue
        key = (claim, as_of)
        if key in seen:
            errors.add(ContentError(
                f"claim '{claim}'{f' as of {as_of}' if as_of else ''} is resolved twice "
                f"(first at line {seen[key].line}): keep one", item.origin))
            continue
        seen[key] = item.origin
        found.append(Resolution(claim, item.origin, as_of, prefer, note, accept))
    return tuple(found)


# --- findings -------------------------------------------------------------------------------


def load_points(f: Fields, bid: str, sources: Collection[str] | None) -> tuple[ChartPoint, ...]:
    """`values:` as a list of `{label, value, source, quote}`; `value` takes the fact forms
    (`"nearly 2,000 people"`, `84`, `{number: 3600, qualifier: over}`), numbers only."""
    raw = f.data.get("values")
    what = f"'values' of chart '{bid}'"
    if not isinstance(raw, YList) or not raw:
        if "values" in f.data:
            f.fail("values", f"{what} must be a list of {{label, value, source, quote}}, "
                             "one per bar or point")
        return ()
    if len(raw) > MAX_POINTS:
        f.fail("values", f"{what} has {len(raw)} values; the limit is {MAX_POINTS}: a chart "
                         "with more cannot be read at the width of a page")
        return ()
    points = []
    for i, item in enumerate(raw):
        if not isinstance(item, YMap):
            f.errors.add(ContentError(f"value {i + 1} of chart '{bid}' must be a mapping with "
                                      "label, value, source and quote", raw.at(i)))
            continue
        vf = Fields(item, f"value {i + 1} of chart '{bid}'", f.errors)
        vf.check_keys({"label", "value", "source", "quote"}, set())
        label = vf.text("label", required=True, limit=60)
        value = parse_value(vf, bid) if "value" in item else None
        if value is not None and value.kind != "number":
            vf.fail("value", f"value {i + 1} of chart '{bid}' is a set; a chart draws numbers: "
                             "write a number such as 'nearly 2,000 people'")
            value = None
        cite = _cite(vf, bid, sources, item)
        if label is None or value is None or cite is None:
            continue
        points.append(ChartPoint(label, value, cite, item.origin))
    return tuple(points)


def _cite(vf: Fields, bid: str, sources: Collection[str] | None, item: YMap) -> CiteRef | None:
    """A value's `source` and `quote`, held to the rules of any block's cite."""
    source = vf.text("source", required=True)
    quote = vf.text("quote", required=True, strict_later=True)
    if source is None or quote is None:
        return None
    if sources is not None and source not in sources:
        vf.fail("source", f"chart '{bid}' cites unknown source '{printable(source)}'"
                          f"{suggest(source, sources)}; sources are files in content/sources/")
        return None
    if (bad := INVISIBLE.search(quote)) is not None:
        vf.fail("quote", f"quote in chart '{bid}' contains {hidden(bad.group())}: delete it "
                         "and retype the passage")
        return None
    if len(quote.split()) < MIN_QUOTE_WORDS:
        vf.fail("quote", f"quote in chart '{bid}' is too short ({len(quote.split())} word(s)); "
                         f"quote at least {MIN_QUOTE_WORDS} words so the passage can be found")
        return None
    return CiteRef(source, quote, item.at("quote"))
