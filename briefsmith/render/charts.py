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
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.files import cached
from ..core.hashing import sha256
from ..core.models import Block
from ..theme.font_instances import ensure, folder

if TYPE_CHECKING:
    pass

CHART_KINDS = ("bar", "line")
WIDTH_IN, HEIGHT_IN = 6.0, 3.0  # fits the narrowest column of the built-in templates
INK, ACCENT = "#1a1a1a", "#2b5d8a"  # the built-in templates' --ink and --accent
Colours = tuple[str, str]  # ink, accent: the house style's, where briefsmith.yaml sets them


def spec(block: Block, colours: Colours = (INK, ACCENT)) -> dict[str, object]:
    """What the drawing depends on, and nothing else: the cache key and the drawing's input."""
    return {"kind": block.chart, "axis": block.axis, "colours": list(colours),
            "points": [(p.label, p.value.number, p.value.qualifier, p.value.unit)
                       for p in block.points]}


@functools.cache
def _drawer_version() -> str:
    """This module's code, the matplotlib that draws and the fonts it draws with: once."""
    from importlib.metadata import version

    return f"{sha256(Path(__file__).read_bytes())}:{version('matplotlib')}:{folder().name}"


def spec_key(block: Block, colours: Colours = (INK, ACCENT)) -> str:
    """The cache key: the spec and what draws it."""
    return sha256(json.dumps([spec(block, colours), _drawer_version()],
                             sort_keys=True).encode())


def chart_svg(block: Block, cache: Path | None = None, *, write: bool = True,
              colours: Colours = (INK, ACCENT)) -> bytes:
    """The chart's SVG. With `cache` (output/.cache/charts), read from `<key>.svg` there, or
    drawn and (with `write`, and only when output/.cache/ exists) saved there: drawing costs
    seconds in a fresh process, a cached chart nothing."""
    spec_json = json.dumps(spec(block, colours), sort_keys=True)
    if cache is None:
        return _draw(spec_json)
    return cached(cache / f"{spec_key(block, colours)}.svg", lambda: _draw(spec_json),
                  b"<?xml", write=write)


# What check's dry render shows for a chart (render.dry_render): an empty picture.
NOT_DRAWN = "data:image/svg+xml;base64," + base64.b64encode(
    b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>').decode("ascii")


def chart_url(block: Block, cache: Path | None = None, *, write: bool = True,
              colours: Colours = (INK, ACCENT)) -> str:
    """The chart as a data: URL: one file for HTML, the renderer's own SVG reader for PDF, an
    embedded picture for Word (docx.py converts SVG data: images)."""
    svg = chart_svg(block, cache, write=write, colours=colours)
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
    ink, accent = data["colours"]
    labels = [p[0] for p in data["points"]]
    values = [float(p[1]) for p in data["points"]]
    shown = [_written(p[1], p[2], p[3]) for p in data["points"]]
    # the renderer's own static Regular: matplotlib would draw the variable font at its default
    # instance, ExtraLight, too thin at chart size
    font = font_manager.FontProperties(fname=str(ensure() / "SourceSans3-Regular.ttf"))
    style: Any = {"svg.fonttype": "path", "svg.hashsalt": "briefsmith", "font.size": 10,
             "axes.edgecolor": ink, "text.color": ink, "axes.labelcolor": ink,
             "xtick.color": ink, "ytick.color": ink, "axes.spines.top": False,
             "axes.spines.right": False}
    with matplotlib.rc_context(style):
        fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN))
        ax = fig.add_subplot()
        if data["kind"] == "line":
            ax.plot(labels, values, color=accent, marker="o", linewidth=2)
            for x, y, text in zip(labels, values, shown, strict=True):
                ax.annotate(text, (x, y), textcoords="offset points", xytext=(0, 6),
                            ha="center", fontproperties=font, fontsize=9)
        else:
            bars = ax.bar(labels, values, color=accent, width=0.6)
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
