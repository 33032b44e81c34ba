"""How a brief looks: template trees and their lookup, fonts, compiled templates.

In: the project's `templates/`, a `--templates` folder, the defaults in `briefsmith/assets/`.
Out: a `TemplateChain` per audience (which file wins), the fonts the renderer may see and
whether they cover the content, the `@font-face` rules an HTML page carries its fonts in, and
compiled templates kept between builds.
"""
