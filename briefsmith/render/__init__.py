"""A selection → one complete HTML document: the template context, citations, charts.

In: a `Selection`, its `TemplateChain`, the verified citations and a CSL style. Out: the
output's HTML with every citation formatted by pandoc's citeproc (`csl`) and every chart
drawn as SVG (`charts`), and an HTML page's own fonts (`page_fonts`); content is passed to
templates as escaped data, never as code.
"""
