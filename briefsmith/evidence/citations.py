"""Stage 3: verify every quoted passage against its source text and locate its paragraphs.

In: the validated content. Out: each block's `Citation`s (the passage found, its paragraphs),
or a located `CitationError` for each quote that is not in its source.

A brief is only as trustworthy as its weakest citation, so nothing is rendered until every
`quote` is found word for word (under the documented normalisation) and pinpointed.
"""

from __future__ import annotations

import bisect
import difflib
import time
from dataclasses import dataclass

from ..core.errors import CitationError, Collector, printable
from ..core.models import Block, Citation, CiteRef, Content, Source, para_locator
from ..core.vocabulary import normalise
from .quotecache import QuoteCache, quote_key, source_hash

CLOSEST_WORDS = 40
CLOSEST_SECONDS = 0.5


@dataclass(frozen=True)
class SourceIndex:
    """A source's paragraphs joined into one normalised string, with paragraph start offsets."""

    text: str
    starts: tuple[int, ...]

    @classmethod
    def of(cls, source: Source) -> SourceIndex:
        parts, starts, pos = [], [], 0
        for para in source.paragraphs:
            norm = normalise(para)
            starts.append(pos)
            parts.append(norm)
            pos += len(norm) + 1
        return cls(" ".join(parts), tuple(starts))

    def para_at(self, offset: int) -> int:
        """1-based number of the paragraph holding character `offset`."""
        return bisect.bisect_right(self.starts, offset)

    def locator(self, start: int, length: int) -> str:
        """'para 3', or 'paras 2–3' for a passage that runs over a paragraph break."""
        return para_locator((self.para_at(start), self.para_at(start + max(length, 1) - 1)))

    def find(self, quote: str) -> list[int]:
        """Where `quote` occurs as whole words: 'lawful acts' is not found in 'unlawful acts',
        nor '200 boats' in '1,200 boats'."""
        hits, start = [], self.text.find(quote)
        while start != -1:
            if self._whole(start, start + len(quote)):
                hits.append(start)
            start = self.text.find(quote, start + 1)
        return hits

    def _whole(self, start: int, end: int) -> bool:
        text = self.text
        if text[start].isalnum() and start > 0 and (
            text[start - 1].isalnum()
            or (text[start].isdigit() and text[start - 1] in ",." and start > 1
                and text[start - 2].isdigit())
        ):
            return False
        return not (text[end - 1].isalnum() and end < len(text) and (
            text[end].isalnum()
            or (text[end - 1].isdigit() and text[end] in ",." and end + 1 < len(text)
                and text[end + 1].isdigit())
        ))

    def closest(self, quote: str) -> tuple[str, int, float]:
        """The passage most like `quote`, its paragraph and similarity, to help fix a typo."""
        passage, start, ratio = self.closest_at(quote)
        return passage, self.para_at(start), ratio

    def closest_at(self, quote: str) -> tuple[str, int, float]:
        """The passage most like `quote`, its offset in the text and its similarity."""
        words = self.text.split(" ")
        offsets, pos = [], 0
        for word in words:
            offsets.append(pos)
            pos += len(word) + 1
        # Bounded work: a long quote is located by its first words, and the search stops at a
        # deadline (keeping the best passage so far), so a huge quote cannot stall `check`.
        quote = " ".join(quote.split(" ")[:CLOSEST_WORDS])
        n = max(1, len(quote.split(" ")))
        matcher = difflib.SequenceMatcher(autojunk=False)
        matcher.set_seq2(quote)
        best = ("", 0, 0.0)
        deadline = time.monotonic() + CLOSEST_SECONDS
        for i in range(max(1, len(words) - n + 1)):
            if i % 64 == 0 and time.monotonic() > deadline:
                break
            window = " ".join(words[i : i + n])
            matcher.set_seq1(window)
            if matcher.real_quick_ratio() <= best[2] or matcher.quick_ratio() <= best[2]:
                continue
            ratio = matcher.ratio()
            if ratio > best[2]:
                best = (window, offsets[i], ratio)
        return best


def verify_cite(block: Block, ref: CiteRef, source: Source, index: SourceIndex) -> Citation:
    quote = normalise(ref.quote)
    hits = index.find(quote)
    if not hits:
        passage, start, ratio = index.closest_at(quote)
        raise CitationError(
            f"quote in block '{block.id}' is not in source '{source.id}' ({source.text_path}); "
            f"closest passage ({index.locator(start, len(passage))}, {ratio:.0%} alike): "
            f"\"{printable(passage, 200)}\" - copy the passage exactly",
            ref.origin,
        )
    if len(hits) > 1:
        paras = ", ".join(str(index.para_at(h)) for h in hits)
        raise CitationError(
            f"quote in block '{block.id}' occurs {len(hits)} times in source '{source.id}' "
            f"(paras {paras}): quote a longer passage so the pinpoint is unambiguous",
            ref.origin,
        )
    start = hits[0]
    return Citation(source, ref.quote, index.para_at(start),
                    index.para_at(start + len(quote) - 1), ref.origin)


def verify_content(content: Content,
                   cache: QuoteCache | None = None) -> dict[str, tuple[Citation, ...]]:
    """Verify every cite of every block; raise Problems listing each quote that fails. With a
    cache, a quote verified before against the same source text is not searched again."""
    errors = Collector()
    indexes: dict[str, SourceIndex] = {}  # built on first need: a warm cache needs none
    digests: dict[str, str] = {}
    verified: dict[str, tuple[Citation, ...]] = {}
    for block in content.blocks.values():
        found = []
        for ref in block.cites:
            source = content.sources.get(ref.source_id)
            if source is None:
                continue  # reported by validation
            key = None
            if cache is not None:
                if source.id not in digests:
                    digests[source.id] = source_hash(source.paragraphs)
                key = quote_key(ref.quote, digests[source.id])
                paras = cache.get(key)
                if paras is not None:
                    first, last = paras
                    found.append(Citation(source, ref.quote, first, last, ref.origin))
                    continue
            if source.id not in indexes:
                indexes[source.id] = SourceIndex.of(source)
            try:
                citation = verify_cite(block, ref, source, indexes[source.id])
            except CitationError as exc:
                errors.add(exc)
                continue
            found.append(citation)
            if cache is not None and key is not None:
                cache.put(key, (citation.first_para, citation.last_para))
        if block.words is not None and block.cites:
            words = normalise(block.words)
            if not any(words in normalise(ref.quote) for ref in block.cites):
                errors.add(CitationError(
                    f"the 'words' of quote block '{block.id}' are not inside any of its cited "
                    "quotes: cite the passage that contains them word for word",
                    block.at("words")))
        verified[block.id] = tuple(found)
    errors.raise_if_any()
    return verified
