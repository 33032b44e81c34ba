"""Audience contracts: what an audience promises its readers, written in its audience.yaml and
checked against every brief built for it.

```yaml
contract:
  parts: [summary, contents, sources, bibliography, disclaimer]  # present, in this order
  forbid_types: [recommendation]     # a brief may not put one in front of this audience
  pages: 1                           # the PDF's page budget (checked by the build)
  define_acronyms: true              # or {allow: [UK, US]}
  reading_level: {max_grade: 10}     # Flesch-Kincaid grade of the editor's prose
  balance: {min_perspectives: 2}     # per section that has positions or quotes
```

Broken rules are editorial findings (`check` warns, `check --strict` fails), except the page
budget: a sheet promised as one page that prints on two is a broken output, so the build fails.
Each finding names the brief's line and the rule's line: `briefs/x.yaml:12:5: warning: ...
(rule: templates/student/audience.yaml:7)`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..content.select import Selection, select
from ..core.errors import BriefsmithWarning, RenderError
from ..core.models import Block, BlockRef, Brief, Content, Contract, Origin
from .balance import section_perspectives, voice_blocks
from .readability import plain_text, reading_level

if TYPE_CHECKING:
    from ..content.config import Config
    from .verify import Project

# An acronym: two or more capital letters standing as a word ("UK", "NATO", "ICBL"; "NATO's"
# and a plural "NGOs" count as "NATO" and "NGO").
ACRONYM = re.compile(r"\b[A-Z]{2,}(?=(?:s|['\u2019]s)?\b)")
_ID_ATTR = re.compile(r"""\sid=["']([^"']+)["']""")


def _refs(brief: Brief) -> list[tuple[BlockRef, str]]:
    """Every block the brief names, with where: 'the summary' or "section 'x'"."""
    out = [(ref, "the summary") for ref in brief.summary]
    out += [(ref, f"section '{s.id}'") for s in brief.sections for ref in s.blocks]
    return out


def contract_findings(project: Project) -> list[BriefsmithWarning]:
    """Every broken contract rule of every brief for each of its audiences, as located warning
    lines. (The page budget is the build's: see `page_budget_error`.)"""
    content = project.content
    found: list[BriefsmithWarning] = []
    for brief in content.briefs.values():
        for name in brief.audiences:
            audience = content.audiences[name]
            contract = audience.contract
            if contract is None:
                continue
            selection = select(content, brief, audience, project.config.citation_styles)
            found += forbidden_types(content, brief, name, contract)
            found += missing_parts(project, selection, contract)
            found += unbalanced_sections(content, selection, contract, project.config)
            found += undefined_acronyms(selection, contract)
            found += reading_level_findings(selection, contract)
    return found


def forbidden_types(content: Content, brief: Brief, audience: str,
                    contract: Contract) -> list[BriefsmithWarning]:
    """A block of a forbidden type that this audience would be given. `exclude_types` leaves
    such blocks out silently; a forbidden type says the brief should not have put it there."""
    out = []
    for ref, where in _refs(brief):
        block = content.blocks.get(ref.id)
        if block is None or block.type not in contract.forbid_types or not block.suits(audience):
            continue
        out.append(BriefsmithWarning(
            ref.origin, f"brief '{brief.id}' puts {block.type} block '{block.id}' in {where}, "
            f"and audience '{audience}' forbids {block.type} blocks: move it to a brief for "
            f"another audience, or give the block an 'audiences:' list without {audience} "
            f"(rule: {contract.rule('forbid_types')})", "contract", audience))
    return out


def page_parts(html: str) -> list[str]:
    """The parts of a rendered page: the id of every element, in page order, each once."""
    return list(dict.fromkeys(_ID_ATTR.findall(html)))


def missing_parts(project: Project, selection: Selection,
                  contract: Contract) -> list[BriefsmithWarning]:
    """A part is an element of the rendered page (the PDF's HTML) whose id is the part's name:
    `<section id="summary">`, `<nav id="contents">`, `<footer id="disclaimer">`. The contract's
    parts must all be there, in the order it lists them."""
    brief, audience = selection.brief, selection.audience
    html = project.pages.get((brief.id, audience.name))
    if not contract.parts or html is None:  # no page: `check` reported why it has none
        return []
    shown = page_parts(html)
    rule = contract.rule("parts")
    label = f"brief '{brief.id}' for audience '{audience.name}'"
    absent = [p for p in contract.parts if p not in shown]
    out = [BriefsmithWarning(brief.origin, f"{label} has no '{part}' part (no element with "
                             f'id="{part}" on its page): the audience promises '
                             f'{", ".join(contract.parts)} (rule: {rule})', "contract",
                             audience.name)
           for part in absent]
    present = [p for p in contract.parts if p in shown]
    if present != sorted(present, key=shown.index):
        actual = ", ".join(sorted(present, key=shown.index))
        out.append(BriefsmithWarning(
            brief.origin, f"{label} shows its parts in the order {actual}; the audience "
            f"promises {', '.join(contract.parts)} (rule: {rule})", "contract", audience.name))
    return out


def unbalanced_sections(content: Content, selection: Selection, contract: Contract,
                        config: Config) -> list[BriefsmithWarning]:
    """A section with positions or quotes shows at least `min_perspectives` perspectives among
    them, or says why not in its `balance_note` (printed under its heading)."""
    least = contract.min_perspectives
    if not least or not config.perspectives:
        return []  # nothing to count by until the project declares its perspectives
    labels = dict(config.perspectives)
    out = []
    for shown in selection.sections:
        section = shown.section
        if not voice_blocks(shown.blocks) or section.balance_note:
            continue
        views = section_perspectives(shown.blocks, content)
        if len(views) >= least:
            continue
        names = ", ".join(labels.get(v, v) for v in views) or "none named"
        out.append(BriefsmithWarning(
            section.origin, f"section '{section.id}' of brief '{selection.brief.id}' shows "
            f"{len(views)} perspective{'' if len(views) == 1 else 's'} ({names}) in its "
            f"positions and quotes for audience '{selection.audience.name}', which asks for at "
            f"least {least}: add a position from another perspective, or say why in the "
            f"section's 'balance_note:' (rule: {contract.rule('balance')})", "contract",
            selection.audience.name))
    return out


def shown_texts(block: Block, audience: str) -> list[str]:
    """Everything of a block a reader sees as words."""
    return [v for v in (block.title, block.text_for(audience), block.words, block.speaker,
                        block.role, block.actor, block.stance, block.term, block.figure) if v]


def undefined_acronyms(selection: Selection,
                       contract: Contract) -> list[BriefsmithWarning]:
    """Every acronym the reader meets is defined by a term block in the same output (its
    `term` contains it: "NPT", "Treaty on the Non-Proliferation of Nuclear Weapons (NPT)"),
    or is on the contract's allow-list. One finding per acronym, at its first use."""
    if not contract.define_acronyms:
        return []
    brief, name = selection.brief, selection.audience.name
    defined = {a for b in selection.blocks if b.type == "term"
               for a in ACRONYM.findall(b.term or "")}
    defined |= set(contract.acronyms_allowed)
    first: dict[str, tuple[Origin, str]] = {}  # acronym → (where, what)
    texts: list[tuple[Origin, str, str]] = [
        (brief.origin, f"the title of brief '{brief.id}'", brief.title),
        (brief.origin, f"the subtitle of brief '{brief.id}'", brief.subtitle or "")]
    for shown in selection.sections:
        section = shown.section
        texts += [(section.origin, f"section '{section.id}'", t)
                  for t in (section.title, section.intro, section.balance_note) if t]
    placed: dict[str, Origin] = {}
    for ref, _ in _refs(brief):
        placed.setdefault(ref.id, ref.origin)
    for block in selection.blocks:
        where = placed.get(block.id, brief.origin)
        texts += [(where, f"block '{block.id}'", t) for t in shown_texts(block, name)]
    counts: dict[str, int] = {}
    for where, what, text in texts:
        for acronym in ACRONYM.findall(text):
            if acronym in defined:
                continue
            counts[acronym] = counts.get(acronym, 0) + 1
            first.setdefault(acronym, (where, what))
    out = []
    for acronym, (where, what) in first.items():
        more = counts[acronym] - 1
        also = f" (and {more} more time{'' if more == 1 else 's'})" if more else ""
        out.append(BriefsmithWarning(
            where, f"'{acronym}' is used in {what}{also} for audience '{name}', and no term "
            f"block in brief '{brief.id}' defines it: add a term block for {acronym} to the "
            f"brief, or list it under define_acronyms: {{allow: [...]}} "
            f"(rule: {contract.rule('define_acronyms')})", "acronym", name))
    return out


def reading_level_findings(selection: Selection,
                           contract: Contract) -> list[BriefsmithWarning]:
    if contract.max_grade is None:
        return []
    level = reading_level(selection)
    if level.grade <= contract.max_grade:
        return []
    hardest = ", ".join(f"{b} ({g:.1f})" for b, g, _ in level.hardest)
    return [BriefsmithWarning(
        selection.brief.origin, f"the editor's prose of brief '{selection.brief.id}' for "
        f"audience '{selection.audience.name}' reads at grade {level.grade:.1f} "
        f"(Flesch-Kincaid, {level.words:,} words), above the audience's "
        f"{contract.max_grade:g}: simplify the hardest blocks first: {hardest} "
        f"(rule: {contract.rule('reading_level')})", "reading-level", selection.audience.name)]


def spilled_blocks(selection: Selection, overflow: str) -> list[str]:
    """The blocks whose printed words begin or end in `overflow`: five words in a row of their
    first or last sentence, as drawn (a block cut by the page break ends there)."""
    found = []
    for block in selection.blocks:
        for text in shown_texts(block, selection.audience.name):
            words = plain_text(text).split()
            if len(words) >= 5 and (" ".join(words[:5]) in overflow
                                    or " ".join(words[-5:]) in overflow):
                found.append(block.id)
                break
    return found


def page_budget_error(selection: Selection, pages: int | None,
                      text_from: Callable[[int], str] | None = None) -> RenderError | None:
    """A PDF longer than its audience's page budget: the build fails, naming the brief, the
    blocks that spill over (`text_from(page)`: the words drawn from that page on) and the rule
    (a one-page sheet on two pages is not what the reader was promised)."""
    contract = selection.audience.contract
    if contract is None or contract.pages is None or pages is None or pages <= contract.pages:
        return None
    brief, audience = selection.brief, selection.audience.name
    spill = spilled_blocks(selection, text_from(contract.pages + 1)) if text_from else []
    over = (f"; on page {contract.pages + 1} and after: {', '.join(spill)}" if spill else "")
    return RenderError(f"{brief.id} ({audience}): the PDF has {pages} pages and audience "
                       f"'{audience}' allows {contract.pages}{over}: shorten what the brief "
                       f"gives this audience (rule: {contract.rule('pages')})", brief.origin)
