"""Stage 4: choose the blocks of one brief that suit one audience, in reading order.

In: the verified content, one brief and one audience. Out: a `Selection`: that audience's
summary, numbered sections and blocks, and the citation style it uses.

Selection is data, not markup: templates decide where things go, this decides what is in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..core.errors import Collector, ContentError
from ..core.models import Audience, Block, Brief, Content, Section


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


def plan(content: Content, brief_ids: Sequence[str] | None,
         audiences: Sequence[str] | None) -> list[tuple[Brief, Audience]]:
    """Which (brief, audience) pairs to build, in a stable order. `audiences`: only these.

    An audience folder that no brief lists is never built. Asked for by name, that is an error
    saying which brief files to add it to (a build of nothing that exits 0 looks like
    success); on a plain build it is a warning (`unlisted_audiences`)."""
    errors = Collector()
    for bid in brief_ids or []:
        if bid not in content.briefs:
            errors.add(ContentError(f"no brief '{bid}': briefs are "
                                    f"{', '.join(sorted(content.briefs)) or 'none'} "
                                    "(files in briefs/)"))
    for audience in audiences or ():
        if audience not in content.audiences:
            errors.add(ContentError(f"no audience '{audience}': audiences are "
                                    f"{', '.join(sorted(content.audiences))}"))
    errors.raise_if_any()
    wanted = sorted(brief_ids or content.briefs)
    for audience in audiences or ():
        if any(audience in content.briefs[b].audiences for b in wanted):
            continue
        files = [content.briefs[b].origin.path for b in wanted]
        where = (" or ".join([", ".join(files[:-1]), files[-1]] if len(files) > 1 else files)
                 or "a brief in briefs/")
        if not brief_ids:
            nobody = f"no brief lists audience '{audience}'"
        elif len(wanted) == 1:
            nobody = f"brief '{wanted[0]}' does not list audience '{audience}'"
        else:
            nobody = f"none of the briefs {', '.join(wanted)} lists audience '{audience}'"
        raise ContentError(f"{nobody}: add {audience} to the audiences: list of {where}, then "
                           "build again")
    pairs = []
    for bid in wanted:
        brief = content.briefs[bid]
        for name in brief.audiences:
            if not audiences or name in audiences:
                pairs.append((brief, content.audiences[name]))
    return pairs
