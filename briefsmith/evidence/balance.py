"""Balance: whose perspectives a brief gives its reader, how much of each, and at what remove.

A project may declare its perspectives in briefsmith.yaml (`perspectives: {id: label}`). A source
names the one it is written from (`viewpoint: <id>`); a position or quote block names the one it
voices, or takes that of the sources it cites. From those, for each brief and audience, this
module counts the position and quote blocks (and their words) per perspective and finds the
perspectives that reach the reader only second-hand: through sources written from another
perspective. It reads loaded models and returns data; the CLI prints it (`build.py balance`).

A position or quote block is *first-hand* when at least one source it cites is written from the
block's own perspective, and *second-hand* otherwise (the Baltic governments' position known from
a commentary sympathetic to Russia). A perspective is *only second-hand* in a brief for an
audience when the reader meets it there and every one of its blocks is second-hand.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any

from ..content.select import Selection, select
from ..core.models import VOICE_TYPES, Block, Brief, Content
from .readability import reading_level

NO_VIEWPOINT = "(no viewpoint)"  # the row of voice blocks whose sources name none
_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")


def viewpoint_of(block: Block, content: Content) -> str | None:
    """The perspective a block voices: its own `viewpoint`, else the one its sources share."""
    if block.viewpoint is not None:
        return block.viewpoint
    cited = {s.viewpoint for c in block.cites
             if (s := content.sources.get(c.source_id)) is not None}
    return cited.pop() if len(cited) == 1 else None


def source_viewpoints(block: Block, content: Content) -> tuple[str | None, ...]:
    """The perspectives of the sources a block cites, in citing order, each once."""
    return tuple(dict.fromkeys(s.viewpoint for c in block.cites
                               if (s := content.sources.get(c.source_id)) is not None))


def is_first_hand(block: Block, content: Content) -> bool:
    view = viewpoint_of(block, content)
    return view is not None and view in source_viewpoints(block, content)


def count_words(text: str | None) -> int:
    """Words as a reader counts them: runs of letters or digits, an apostrophe kept inside."""
    return len(_WORD.findall(text or ""))


def block_words(block: Block, audience: str) -> int:
    """The words of a block the reader of this audience sees: its text, and a quote's words."""
    return count_words(block.text_for(audience)) + count_words(block.words)


@dataclass(frozen=True)
class PerspectiveRow:
    id: str
    label: str
    blocks: int
    words: int
    first_hand: int
    second_hand: int
    through: tuple[str, ...]  # the perspectives of the sources that report it second-hand


@dataclass(frozen=True)
class SectionBalance:
    id: str
    title: str
    perspectives: tuple[str, ...]  # of its position and quote blocks, in reading order
    balance_note: bool


@dataclass(frozen=True)
class BriefBalance:
    brief: str
    audience: str
    perspectives: tuple[PerspectiveRow, ...]
    second_hand_only: tuple[str, ...]
    sections: tuple[SectionBalance, ...]
    reading_level: dict[str, Any]


def voice_blocks(blocks: tuple[Block, ...]) -> tuple[Block, ...]:
    return tuple(b for b in blocks if b.type in VOICE_TYPES)


def section_perspectives(blocks: tuple[Block, ...], content: Content) -> tuple[str, ...]:
    """The distinct perspectives voiced by a section's position and quote blocks."""
    return tuple(dict.fromkeys(v for b in voice_blocks(blocks)
                               if (v := viewpoint_of(b, content)) is not None))


def brief_balance(content: Content, selection: Selection,
                  labels: dict[str, str]) -> BriefBalance:
    audience = selection.audience.name
    rows: dict[str, dict[str, Any]] = {}
    for block in voice_blocks(selection.blocks):
        view = viewpoint_of(block, content)
        key = view if view is not None else NO_VIEWPOINT
        row = rows.setdefault(key, {"blocks": 0, "words": 0, "first": 0, "second": 0,
                                    "through": {}})
        row["blocks"] += 1
        row["words"] += block_words(block, audience)
        if view is None:
            continue
        if is_first_hand(block, content):
            row["first"] += 1
        else:
            row["second"] += 1
            for other in source_viewpoints(block, content):
                row["through"][other or NO_VIEWPOINT] = None
    order = [pid for pid in labels if pid in rows]
    order += sorted(k for k in rows if k not in labels and k != NO_VIEWPOINT)
    order += [NO_VIEWPOINT] if NO_VIEWPOINT in rows else []
    labels = {**labels, NO_VIEWPOINT: "its sources name no viewpoint"}
    table = tuple(PerspectiveRow(k, labels.get(k, k), rows[k]["blocks"], rows[k]["words"],
                                 rows[k]["first"], rows[k]["second"],
                                 tuple(rows[k]["through"])) for k in order)
    only = tuple(r.id for r in table
                 if r.id != NO_VIEWPOINT and r.blocks and r.first_hand == 0)
    sections = tuple(SectionBalance(s.section.id, s.section.title,
                                    section_perspectives(s.blocks, content),
                                    bool(s.section.balance_note))
                     for s in selection.sections)
    return BriefBalance(selection.brief.id, audience, table, only, sections,
                        reading_level(selection).as_dict())


def balance(content: Content, house_styles: tuple[tuple[str, str], ...] = (),
            perspectives: tuple[tuple[str, str], ...] = (),
            briefs: list[Brief] | None = None) -> list[BriefBalance]:
    """Every brief for each of its audiences, selected as the build selects (excluded block
    types and blocks meant for other audiences left out), in a stable order."""
    labels = dict(perspectives)
    out = []
    for brief in briefs if briefs is not None else list(content.briefs.values()):
        for name in brief.audiences:
            selection = select(content, brief, content.audiences[name], house_styles)
            out.append(brief_balance(content, selection, labels))
    return out


def to_json(results: list[BriefBalance]) -> str:
    return json.dumps({"briefs": [asdict(r) for r in results]}, indent=2, ensure_ascii=False)


def to_text(results: list[BriefBalance], min_perspectives: dict[str, int] | None = None) -> str:
    """One table per brief and audience. `min_perspectives`: audience → the balance rule of its
    contract, to list the sections that fall short of it."""
    lines: list[str] = []
    for r in results:
        voices = sum(row.blocks for row in r.perspectives)
        lines.append(f"{r.brief} ({r.audience}): {voices} position and quote block"
                     f"{'' if voices == 1 else 's'}")
        if r.perspectives:
            width = max(len("perspective"), *(len(row.id) for row in r.perspectives))
            lines.append(f"  {'perspective':<{width}}  blocks  words  first-hand  second-hand"
                         "  label")
            for row in r.perspectives:
                lines.append(f"  {row.id:<{width}}  {row.blocks:>6}  {row.words:>5}  "
                             f"{row.first_hand:>10}  {row.second_hand:>11}  {row.label}")
        by_id = {row.id: row for row in r.perspectives}
        if r.second_hand_only:
            lines.append("  only second-hand: " + "; ".join(
                f"{pid} (through {', '.join(by_id[pid].through)})"
                for pid in r.second_hand_only))
        least = (min_perspectives or {}).get(r.audience)
        if least:
            short = [f"{s.id} ({', '.join(s.perspectives)})"
                     + (" - balance_note given" if s.balance_note else "")
                     for s in r.sections if s.perspectives and len(s.perspectives) < least]
            lines.append(f"  sections with fewer than {least} perspectives: "
                         f"{'; '.join(short) if short else 'none'}")
        level = r.reading_level
        if level["words"]:
            hardest = ", ".join(f"{h['block']} {h['grade']:.1f}" for h in level["hardest"])
            budget = f" (budget {level['max_grade']:g})" if level.get("max_grade") else ""
            lines.append(f"  reading level: grade {level['grade']:.1f}{budget}, Flesch-Kincaid, "
                         f"editor's prose, {level['words']:,} words; hardest: {hardest}")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n" if lines else "no briefs\n"
