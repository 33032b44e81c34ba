"""Bringing sources in: a saved web page, or a reference manager's export, as source files.

In: a page saved by a browser (`ingest`) or a CSL JSON / BibTeX file (`import-refs`), from
anywhere on disk. Out: `content/sources/<id>.txt` and `<id>.yaml` in the project, holding only
what the input states, with notes on what the editor must still add. Beside the pipeline:
it writes content files, which the pipeline then reads like any other.
"""
