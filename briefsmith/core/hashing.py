"""Content hashes shared by every wing: of bytes, of model objects as plain data, of the code.

In: bytes, model objects, the installed package. Out: hex digests. A hash is how the quote and
finding caches, the chart cache and the build manifest know that what they kept is still what
they would make; so there is one way to hash each kind of thing, here, below them all.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .. import __version__

PACKAGE = Path(__file__).resolve().parent.parent


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# Where things were written, and template folder paths (absolute, so machine-specific; the
# files on each output's template chain are hashed one by one instead).
_ORIGIN_FIELDS = {"origin", "field_origins", "text_path", "templates", "template_dir"}


def canonical(obj: Any) -> Any:
    """A model object as plain data without the places it was written: moving a block within
    its file, or editing its neighbour, must not make its outputs look changed."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: canonical(getattr(obj, f.name)) for f in dataclasses.fields(obj)
                if f.name not in _ORIGIN_FIELDS}
    if isinstance(obj, Mapping):
        return {str(k): canonical(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [canonical(v) for v in obj]
    if isinstance(obj, Path):
        return obj.as_posix()
    return obj


def hash_of(obj: Any) -> str:
    return sha256(json.dumps(canonical(obj), sort_keys=True, ensure_ascii=False).encode())


@functools.cache
def code_version() -> str:
    """Briefsmith's own code and the versions of what renders: a changed renderer must not
    leave old outputs looking current."""
    code = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        code.update(name.encode() + b"\0" + path.read_bytes())
    found = [f"briefsmith={__version__}+{code.hexdigest()[:16]}"]
    installed = _installed_versions()
    for name in ("weasyprint", "pydyf", "pypandoc-binary", "jinja2", "markdown", "nh3",
                 "pyyaml", "fonttools", "brotli"):
        found.append(f"{name}={installed.get(_normal(name), '?')}")
    return ";".join(found)


def _normal(name: str) -> str:
    return name.lower().replace("-", "_").replace(".", "_")


def _installed_versions() -> dict[str, str]:
    """Versions from the `<name>-<version>.dist-info` folder names on sys.path, the first one
    found winning as for imports: importlib.metadata would parse every METADATA file (and
    import the email package) on the path of the no-op build, for the same answer."""
    import sys

    versions: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith(".dist-info") and "-" in name:
                project, _, version = name[: -len(".dist-info")].rpartition("-")
                versions.setdefault(_normal(project), version)
    return versions


