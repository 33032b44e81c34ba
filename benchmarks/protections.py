"""What Briefsmith's protections cost, measured side by side in one run (medians of N).

There is no switch that turns the protections off in the product, so each one is timed against
the unprotected way of doing the same step, on the sample's real outputs:
  - rendering with the project-only URL fetcher vs WeasyPrint's default fetcher;
  - Markdown with raw HTML escaped and nh3 sanitising vs plain Python-Markdown;
  - atomic writes (temp file, fsync, rename, directory fsync) vs a plain write_bytes;
  - the render in a worker process with memory and time caps vs in-process.
Run: .venv/bin/python benchmarks/protections.py [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from briefsmith.builder import parallel  # noqa: E402
from briefsmith.content import markup  # noqa: E402
from briefsmith.content.select import select  # noqa: E402
from briefsmith.core import files as output  # noqa: E402
from briefsmith.formats import pdf  # noqa: E402
from briefsmith.pipeline import load_project, plan  # noqa: E402
from briefsmith.render.csl import find_style, format_citations  # noqa: E402
from briefsmith.render.html import (  # noqa: E402
    build_context,
    fill_citations,
    language_of,
    ordered_occurrences,
    render_first_pass,
)


def median_time(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def final_html(project, selection) -> tuple[str, object]:
    chain = project.chain(selection.brief, selection.audience)
    context = build_context(selection, project.content.citations, "pdf", project.config)
    first, recorder = render_first_pass(chain, context, project.content.citations)
    style = find_style(selection.style, project.root, chain.folders)
    formatted = format_citations(ordered_occurrences(first, recorder), style,
                                 language_of(selection.brief, project.config), None)
    return fill_citations(first, formatted, selection.audience.notes, "pdf"), chain


def _render_in_worker(state, item):
    html, base, roots, ident, epoch = item
    return pdf.render_pdf(html, base, roots, identifier=ident, epoch=epoch,
                          origin=None)[0]  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    project = load_project(ROOT)
    content = project.content
    selections = [select(content, b, a, project.config.citation_styles)
                  for b, a in plan(content, None, None)]
    pages = [final_html(project, s) for s in selections]
    weasyprint = pdf._weasyprint()
    roots = (ROOT / "templates", ROOT / "content")

    def protected() -> list[bytes]:
        return [pdf.render_pdf(html, chain.folders[0], (*chain.folders, *roots),
                               identifier="x", epoch=pdf.epoch_of("2026-11-23"), origin=None)[0]
                for html, chain in pages]

    def unprotected() -> list[bytes]:
        return [weasyprint.HTML(string=html, base_url=chain.folders[0].as_uri() + "/")
                .render(pdf_variant="pdf/ua-1").write_pdf(pdf_variant="pdf/ua-1")
                for html, chain in pages]

    protected()  # warm fonts and caches once
    render_safe = median_time(protected, args.runs)
    render_plain = median_time(unprotected, args.runs)

    texts = [b.text for b in content.blocks.values() if b.text] * 20
    import markdown as md

    def sanitised() -> None:
        for text in texts:
            markup.markdown_html.__wrapped__(text)  # bypass the cache: time the real work

    def plain_md() -> None:
        for text in texts:
            md.markdown(text)

    md_safe = median_time(sanitised, args.runs)
    md_plain = median_time(plain_md, args.runs)

    data = protected()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)

        def atomic() -> None:
            for i, blob in enumerate(data):
                output.write_atomic(folder / f"a{i}.pdf", blob)

        def plain_write() -> None:
            for i, blob in enumerate(data):
                (folder / f"p{i}.pdf").write_bytes(blob)

        write_safe = median_time(atomic, args.runs)
        write_plain = median_time(plain_write, args.runs)

    items = [(html, chain.folders[0], (*chain.folders, *roots), "x", pdf.epoch_of("2026-11-23"))
             for html, chain in pages]

    def in_workers() -> None:
        parallel.run_all(_render_in_worker, {}, items, 1, [str(i) for i in range(len(items))])

    pool_safe = median_time(in_workers, args.runs)
    total_safe = render_safe + md_safe + write_safe + (pool_safe - render_safe)
    total_plain = render_plain + md_plain + write_plain
    rows = [
        ("render: project fetcher vs default", render_safe, render_plain),
        ("markdown: escaped + nh3 vs plain (x20 content)", md_safe, md_plain),
        ("write: atomic + fsync vs write_bytes", write_safe, write_plain),
        ("render in capped worker (-j 1) vs in-process", pool_safe, render_safe),
        ("all of the above", total_safe, total_plain),
    ]
    print(f"{len(pages)} sample outputs, median of {args.runs} runs each, one process")
    print(f"{'step':<48} {'protected':>10} {'plain':>10} {'ratio':>7}")
    for name, safe, plain in rows:
        print(f"{name:<48} {safe:>9.3f}s {plain:>9.3f}s {safe / plain:>6.2f}x")


if __name__ == "__main__":
    main()
