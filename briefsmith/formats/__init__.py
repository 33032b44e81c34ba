"""HTML → the files a reader opens: PDF through WeasyPrint, Word through pandoc.

In: one output's complete HTML and the folders it may read. Out: bytes (`Output`), with the
PDF's page count, or located errors from the renderer's log. `outputs` says which formats
exist, how each places its notes and which renderer makes it.
"""
