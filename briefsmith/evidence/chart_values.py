"""Chart values held to their passages: a bar taller than its passage says misleads as much as
a wrong number in prose.

In: the content, its quotes verified. Out: nothing, or a located `CitationError` for each chart
value whose number (or qualifier: "nearly 2,000" is not "2,000") is not in the passage it
cites. Numbers and qualifiers are read with the shared vocabulary, as the prose check reads them.
"""

from __future__ import annotations

from ..core.errors import CitationError, Collector, printable
from ..core.models import ChartPoint, Content
from ..core.vocabulary import normalise, numbers, qualifier_before


def verify_values(content: Content) -> None:
    """Each chart value's number, and its qualifier, is in the passage it cites. Run after the
    quotes are verified: a passage that is not in its source is reported there, once."""
    errors = Collector()
    for block in content.blocks.values():
        for point in block.points:
            problem = value_problem(point)
            if problem:
                errors.add(CitationError(f"value '{printable(point.label, 60)}' of chart "
                                         f"'{block.id}' {problem}", point.cite.origin))
    errors.raise_if_any()


def value_problem(point: ChartPoint) -> str | None:
    """Why the passage does not support the value, or None. The number must occur in the
    quote (1,200 = 1200; a percentage only as a percentage), with a qualifier of the same
    kind as the value's ("nearly" and "almost" are both below), or none when the value has
    none."""
    value, passage = point.value, normalise(point.cite.quote)
    wanted = float(value.number or "nan")
    percent = value.unit == "%"
    found = [n for n in numbers(passage)
             if abs(n.value - wanted) <= 1e-9 * max(1.0, abs(wanted)) and n.percent == percent]
    if not found:
        shown = ", ".join(n.text for n in numbers(passage)) or "no number"
        return (f"is {value.written}, but its passage gives {shown}: give the passage's "
                "figure, or cite the passage that states this one")
    for number in found:
        qual = qualifier_before(passage, number.start)
        bound = qual[1] if qual else "exact"
        if bound == value.bound:
            return None
    qual = qualifier_before(passage, found[0].start)
    if qual:
        return (f"is {value.written}, but its passage says \"{qual[0]} {found[0].text}\": "
                f"keep '{qual[0]}' (or another {qual[1]} word) in the value")
    return (f"is {value.written}, but its passage says \"{found[0].text}\" with no "
            f"'{value.qualifier}': write the value as the passage gives it")
