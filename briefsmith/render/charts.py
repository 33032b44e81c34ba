"""Chart blocks: values read from YAML, each checked against its cited passage, drawn as SVG.

A chart is a fact in pictures: a bar that is taller than its passage says misleads as much as
a wrong number in prose. So each value names the passage that states it, its number (and its
qualifier: "nearly 2,000" is not "2,000") must be in that passage, and only then is it drawn.

In: `values:` mappings (schema, from validate.py), then the verified content. Out: ChartPoints,
errors at file:line, and the chart as SVG bytes. matplotlib is imported only when a chart is
drawn, so a project without charts never loads it. The SVG is made reproducible (fixed hash
salt, no date, glyphs as paths from the vendored fonts) so the same spec gives the same bytes.
"""

from __future__ import annotations

import base64
import functools
import io
import json
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .citations import normalise
from .errors import CitationError, Collector, ContentError, printable
from .fidelity import numbers, qualifier_before
from .font_instances import ensure, folder
from .freshness import sha256
from .load import YList, YMap
from .models import Block, ChartPoint, CiteRef, Content
from .output import write_atomic

if TYPE_CHECKING:
    from .validate import Fields

MAX_POINTS = 24
CHART_KINDS = ("bar", "line")
WIDTH_IN, HEIGHT_IN = 6.0, 3.0  # fits the narrowest column of the built-in templates
INK, ACCENT = "#1a1a1a", "#2b5d8a"


def load_points(f: Fields, bid: str, sources: Collection[str] | None) -> tuple[ChartPoint, ...]:
    """`values:` as a list of `{label, value, source, quote}`; `value` takes the fact forms
    (`"nearly 2,000 people"`, `84`, `{number: 3600, qualifier: over}`), numbers only."""
    from .conflicts import parse_value
    from .validate import Fields as FieldsClass

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
        vf = FieldsClass(item, f"value {i + 1} of chart '{bid}'", f.errors)
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
    from .validate import _INVISIBLE, MIN_QUOTE_WORDS, _hidden, _suggest

    source = vf.text("source", required=True)
    quote = vf.text("quote", required=True, strict_later=True)
    if source is None or quote is None:
        return None
    if sources is not None and source not in sources:
        vf.fail("source", f"chart '{bid}' cites unknown source '{printable(source)}'"
                          f"{_suggest(source, sources)}; sources are files in content/sources/")
        return None
    if (bad := _INVISIBLE.search(quote)) is not None:
        vf.fail("quote", f"quote in chart '{bid}' contains {_hidden(bad.group())}: delete it "
                         "and retype the passage")
        return None
    if len(quote.split()) < MIN_QUOTE_WORDS:
        vf.fail("quote", f"quote in chart '{bid}' is too short ({len(quote.split())} word(s)); "
                         f"quote at least {MIN_QUOTE_WORDS} words so the passage can be found")
        return None
    return CiteRef(source, quote, item.at("quote"))


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


def spec(block: Block) -> dict[str, object]:
    """What the drawing depends on, and nothing else: the cache key and the drawing's input."""
    return {"kind": block.chart, "axis": block.axis,
            "points": [(p.label, p.value.number, p.value.qualifier, p.value.unit)
                       for p in block.points]}


@functools.cache
def _drawer_version() -> str:
    """This module's code, the matplotlib that draws and the fonts it draws with: once."""
    from importlib.metadata import version

    return f"{sha256(Path(__file__).read_bytes())}:{version('matplotlib')}:{folder().name}"


def spec_key(block: Block) -> str:
    """The cache key: the spec and what draws it."""
    return sha256(json.dumps([spec(block), _drawer_version()], sort_keys=True).encode())


def chart_svg(block: Block, cache: Path | None = None, *, write: bool = True) -> bytes:
    """The chart's SVG. With `cache` (output/.cache/charts), read from `<key>.svg` there, or
    drawn and (with `write`, and only when output/.cache/ exists) saved there: drawing costs
    seconds in a fresh process, a cached chart nothing."""
    spec_json = json.dumps(spec(block), sort_keys=True)
    if cache is None:
        return _draw(spec_json)
    path = cache / f"{spec_key(block)}.svg"
    if path.is_file() and not path.is_symlink():
        data = path.read_bytes()
        if data.startswith(b"<?xml"):
            return data
    data = _draw(spec_json)
    if write and cache.parent.is_dir() and not cache.is_symlink():
        write_atomic(path, data)  # a reader never sees half a file
    return data


# What check's dry render shows for a chart (render.dry_render): an empty picture.
NOT_DRAWN = "data:image/svg+xml;base64," + base64.b64encode(
    b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>').decode("ascii")


def chart_url(block: Block, cache: Path | None = None, *, write: bool = True) -> str:
    """The chart as a data: URL: one file for HTML, the renderer's own SVG reader for PDF, an
    embedded picture for Word (docx.py converts SVG data: images)."""
    svg = chart_svg(block, cache, write=write)
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


@functools.lru_cache(maxsize=64)
def _draw(spec_json: str) -> bytes:
    """Drawn once per spec and process. The SVG is deterministic: no Date metadata, a fixed
    id salt, text drawn as paths from the vendored font (no font needed to show it)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib import font_manager, ticker
    from matplotlib.figure import Figure

    data = json.loads(spec_json)
    labels = [p[0] for p in data["points"]]
    values = [float(p[1]) for p in data["points"]]
    shown = [_written(p[1], p[2], p[3]) for p in data["points"]]
    # the renderer's own static Regular: matplotlib would draw the variable font at its default
    # instance, ExtraLight, too thin at chart size
    font = font_manager.FontProperties(fname=str(ensure() / "SourceSans3-Regular.ttf"))
    style: Any = {"svg.fonttype": "path", "svg.hashsalt": "briefsmith", "font.size": 10,
             "axes.edgecolor": INK, "text.color": INK, "axes.labelcolor": INK,
             "xtick.color": INK, "ytick.color": INK, "axes.spines.top": False,
             "axes.spines.right": False}
    with matplotlib.rc_context(style):
        fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN))
        ax = fig.add_subplot()
        if data["kind"] == "line":
            ax.plot(labels, values, color=ACCENT, marker="o", linewidth=2)
            for x, y, text in zip(labels, values, shown, strict=True):
                ax.annotate(text, (x, y), textcoords="offset points", xytext=(0, 6),
                            ha="center", fontproperties=font, fontsize=9)
        else:
            bars = ax.bar(labels, values, color=ACCENT, width=0.6)
            for label in ax.bar_label(bars, labels=shown, padding=3):
                label.set_fontproperties(font)
                label.set_fontsize(9)
        top = max(values)
        ax.set_ylim(0, top * 1.18 if top > 0 else 1)
        ax.yaxis.set_major_formatter(ticker.StrMethodFormatter("{x:,.0f}"))
        for tick in (*ax.get_xticklabels(), *ax.get_yticklabels()):
            tick.set_fontproperties(font)
        if data["axis"]:
            ax.set_ylabel(data["axis"], fontproperties=font)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()


def _written(number: str, qualifier: str | None, unit: str | None) -> str:
    """A bar's label as the passage qualifies it: "nearly 2,000", "84%"."""
    whole, _, frac = number.partition(".")
    text = f"{int(whole):,}" + (f".{frac}" if frac else "")
    text += "%" if unit == "%" else ""
    return f"{qualifier} {text}" if qualifier else text
