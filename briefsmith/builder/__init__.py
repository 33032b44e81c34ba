"""Which outputs to make and making them safely: plans, checks, workers, the manifest.

In: a verified `Project`, the outputs asked for, the last build's manifest. Out: the renders to
do and why (`rebuild`), the checks `check` and a build run beside them (`checks`), worker
processes with memory and time limits (`parallel`), content hashes of every input
(`freshness`) and the manifest records written with the outputs; the change report.
"""
