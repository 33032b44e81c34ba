"""Content → a verified project: every quote found in its source, every image and chart value
checked against the passage it cites.

In: a project folder (and, optionally, a `--templates` folder). Out: a `Project`: the house
style, the content (content/read.py) and each block's located citations; or `Problems`.
Later stages add to it what they find: the pages `check` rendered and the editorial review.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..content.config import Config, load_config
from ..content.read import load_content
from ..core.errors import BriefsmithWarning
from ..core.models import Audience, Brief, Content
from ..theme.templates import TemplateChain, chain_for, template_trees
from .chart_values import verify_values
from .citations import verify_content
from .figures import attach_images
from .quotecache import QuoteCache


@dataclass(frozen=True)
class Project:
    """A loaded, verified project: its content, house style and template trees."""

    content: Content
    config: Config
    override: Path | None  # --templates DIR, else the config's `templates` folder
    # Editorial findings (`path:line:col: warning: ...`): prose that says more than its
    # passages, unresolved conflicts between sources, unbalanced sections, broken audience
    # contracts. Printed as warnings; `check --strict` fails on them.
    review: list[BriefsmithWarning] = field(default_factory=list)
    # The page each (brief id, audience) renders to before citations are filled (the PDF's
    # HTML), as `check` rendered it: the contracts read their parts from it.
    pages: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def root(self) -> Path:
        return self.content.root

    def chain(self, brief: Brief, audience: Audience) -> TemplateChain:
        trees = template_trees(self.root, brief.templates, self.override)
        return chain_for(self.root, audience.name, trees, self.config.css())


def load_and_verify(root: Path, override: Path | None = None) -> Content:
    return load_project(root, override).content


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Loading makes hundreds of thousands of small containers and no garbage cycles, and the
    cycle collector's passes over them were a fifth of loading 3,000 blocks. Reference counts
    still free everything as usual; the collector runs again afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_project(root: Path, override: Path | None = None,
                 quotes: QuoteCache | None = None) -> Project:
    """`quotes`: the quote cache to read (and fill); by default one that is only read here."""
    with _no_cycle_collection():
        return _load_project(root, override, quotes)


def _load_project(root: Path, override: Path | None,
                  quotes: QuoteCache | None) -> Project:
    config = load_config(root)
    override = override or config.templates
    content = load_content(root, template_trees(root, override),
                           perspectives=config.perspectives,
                           perspectives_at=config.perspectives_origin)
    content.citations.update(verify_content(content, quotes or QuoteCache(root)))
    attach_images(content)  # figures: each image read and checked once, its credit verified
    verify_values(content)  # charts: each value in the passage it cites
    return Project(content, config, override)
