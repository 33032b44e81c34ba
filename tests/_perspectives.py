"""Helpers for the balance and contract tests: the minimal project given perspectives.

Not a test module (pytest collects test_*.py only); imported by test_balance and
test_contracts. Every change is a real edit of a real file in a copied project.
"""

from __future__ import annotations

from pathlib import Path

from _content_edits import BLOCKS, SOURCE, edit, write

PERSPECTIVES = (
    "perspectives:\n"
    '  local-news: "Local news"\n'
    '  critics: "Critics of the quay"\n'
    '  authority: "The harbour authority"\n'
)
AUTHORITY = "content/sources/authority-statement"
AUTHORITY_TEXT = ("The harbour authority is proud that the new quay serves the whole town.\n"
                  "The quay cost less than planned and opened on time.\n")
AUTHORITY_BLOCK = """
- id: authority-proud
  type: position
  actor: "The harbour authority"
  stance: "proud of the quay"
  text: "The authority says the quay serves the whole town."
  cites:
    - source: authority-statement
      quote: "the new quay serves the whole town"
"""


def with_perspectives(root: Path) -> Path:
    """Declare three perspectives, give the news report its viewpoint, the critics' position
    its own (so it is second-hand), and add the authority's own statement with a position
    drawn from it (first-hand)."""
    write(root, "briefsmith.yaml", PERSPECTIVES)
    edit(root, SOURCE, "kind: news\n", "kind: news\nviewpoint: local-news\n")
    edit(root, BLOCKS, '  actor: "Critics"\n', '  actor: "Critics"\n  viewpoint: critics\n')
    write(root, AUTHORITY + ".yaml",
          'title: "Our new quay"\nlabel: "Statement of the harbour authority"\n'
          'kind: government statement\noutlet: "Harbour Authority"\n'
          'authors: ["Sam Pier"]\npublished: "2026-03-01"\n'
          'url: "https://example.org/authority"\n'
          'viewpoint: authority\nperspective: "the authority\'s own account"\n')
    write(root, AUTHORITY + ".txt", AUTHORITY_TEXT)
    path = root / BLOCKS
    path.write_text(path.read_text(encoding="utf-8") + AUTHORITY_BLOCK, encoding="utf-8")
    edit(root, "briefs/harbour.yaml", "blocks: [critics-view, quay-question]",
         "blocks: [critics-view, authority-proud, quay-question]")
    return root
