"""One way to run a build, for the command line, `watch` and the live preview alike.

In: a project folder, an output folder and a `BuildRequest`. Out: a `BuildResult`: either the
no-op answer, read from the manifest without parsing any YAML or importing the renderer, or
what `pipeline.build` did. A build cut short by Ctrl-C leaves no stray temporary file, whoever
started it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from .builder.freshness import Digests
from .builder.manifest import Manifest
from .builder.request import BuildRequest, BuildResult
from .core.files import remove_stale_temp, signals_deferred


def run_build(root: Path, out_dir: Path, request: BuildRequest,
              progress: Callable[[str], None] | None = None, *,
              noop_allowed: bool = True) -> BuildResult:
    """`noop_allowed`: the command may be answered from the manifest when every output it
    names is current and nothing `check` reads has changed (never with `force`, nor for a
    request without a `run_key`, which a later command could not recognise)."""
    started = time.perf_counter()
    if noop_allowed and request.run_key is not None and not request.force:
        digests = Digests(root, out_dir, [request.override] if request.override else [])
        current = Manifest.read(out_dir).run_is_noop(digests, request.run_key)
        if current is not None:
            digests.save()
            return BuildResult(skipped=current, seconds=time.perf_counter() - started,
                               noop=True)
    # lazy: the no-op answer above imports neither the pipeline nor the renderer
    from .pipeline import build

    try:
        return build(root, out_dir, request, progress)
    except KeyboardInterrupt:
        # A render worker stopped between writing a citation cache entry and renaming it
        # leaves `<hash>.<pid>.tmp`; its process is gone now, so this removes it.
        with signals_deferred():
            remove_stale_temp(out_dir)
        raise
