"""Stage 4: choose the blocks of one brief that suit one audience, in reading order.

In: the verified content, one brief and one audience. Out: a `Selection`: that audience's
summary, numbered sections and blocks, and the citation style it uses.

Selection is data, not markup: templates decide where things go, this decides what is in.
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import Audience, Block, Brief, Content, Section


@dataclass(frozen=True)
class SelectedSection:
    section: Section
    number: int
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Selection:
    brief: Brief
    audience: Audience
    summary: tuple[Block, ...]
    sections: tuple[SelectedSection, ...]
    style: str

    @property
    def blocks(self) -> tuple[Block, ...]:
        """Every selected block once, summary first, then in section order."""
        seen: dict[str, Block] = {}
        for block in self.summary + tuple(b for s in self.sections for b in s.blocks):
            seen.setdefault(block.id, block)
        return tuple(seen.values())


def select(content: Content, brief: Brief, audience: Audience,
           house_styles: tuple[tuple[str, str], ...] = ()) -> Selection:
    # a type the audience's contract forbids is left out too (and `check` flags the brief)
    forbidden = audience.contract.forbid_types if audience.contract else ()

    def keep(block: Block) -> bool:
        return (block.suits(audience.name) and block.type not in audience.exclude_types
                and block.type not in forbidden)

    summary = tuple(b for r in brief.summary if keep(b := content.blocks[r.id]))
    sections: list[SelectedSection] = []
    for section in brief.sections:
        blocks = tuple(b for r in section.blocks if keep(b := content.blocks[r.id]))
        if blocks:  # a section with nothing for this audience is left out, not shown empty
            sections.append(SelectedSection(section, len(sections) + 1, blocks))
    # the brief's choice, else the project config's, else the audience's default
    style = dict(brief.citation_style).get(
        audience.name, dict(house_styles).get(audience.name, audience.citation_style))
    return Selection(brief, audience, summary, tuple(sections), style)
