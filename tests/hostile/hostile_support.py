"""Helpers for the hostile-input suite: build real projects, read real outputs back.

Not a test module. Same approach as tests/test_safety.py: edit a copied fixture project's real
files, run the real CLI, hash the output folder, read PDFs back with pypdf.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, StreamObject

from briefsmith.core.files import LOCK_NAME

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = REPO / "briefsmith" / "assets" / "templates"
FIXTURES = REPO / "tests" / "fixtures"
BLOCKS = "content/blocks/harbour.yaml"
EXTRA_BLOCKS = "content/blocks/extra.yaml"
BRIEF = "briefs/harbour.yaml"
SOURCE_TEXT = "content/sources/harbour-report.txt"
BRIEF_AT = "briefs/harbour.yaml:1:1"  # where render problems of the harbour brief are reported
NGO_PDF = Path("output/harbour/harbour-ngo.pdf")
NGO_HTML = Path("output/harbour/harbour-ngo.html")
SUMMARY = "{% block summary %}"
ONLY_INSIDE = "only files inside the project's templates/ and content/ folders can be used"

SECRET = "HOSTILE-SUITE-SECRET-3f9c2a71"  # written to a file outside the project


def _passwd_first_line() -> str | None:
    try:
        return Path("/etc/passwd").read_text(encoding="utf-8").splitlines()[0] or None
    except (OSError, IndexError, UnicodeDecodeError):
        return None


PASSWD_LINE = _passwd_first_line()


def copy_minimal(dest: Path) -> Path:
    """tests/fixtures/minimal with the repository's templates, as tests/conftest.py does."""
    shutil.copytree(FIXTURES / "minimal", dest)
    shutil.copytree(TEMPLATES, dest / "templates")
    return dest


# --- the network guard (installed by conftest.py) ------------------------------------------

NETWORK_EVENTS = frozenset({
    "socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr",
    "socket.sendto", "socket.sendmsg", "urllib.Request",
})
GUARD: dict[str, object] = {"armed": False, "log": None}


def _audit(event: str, args: tuple[object, ...]) -> None:
    if event not in NETWORK_EVENTS or not GUARD["armed"]:
        return
    if event == "urllib.Request" and str(args[0]).startswith(("data:", "file:")):
        return  # urllib also opens data: and file: URLs, which are not the network
    with open(str(GUARD["log"]), "a", encoding="utf-8") as log:
        log.write(f"pid {os.getpid()}: {event} {args!r:.300}\n")
    raise PermissionError(f"network access blocked by the hostile test suite ({event})")


def install_network_guard() -> None:
    """Add the audit hook once per interpreter (audit hooks cannot be removed)."""
    if not getattr(sys, "_hostile_network_hook", False):
        sys.addaudithook(_audit)
        sys._hostile_network_hook = True  # type: ignore[attr-defined]


@contextmanager
def network_guard(log: Path) -> Iterator[Path]:
    """Refuse and record every network attempt (this process and its forks) while inside."""
    previous = dict(GUARD)
    GUARD.update(armed=True, log=str(log))
    try:
        yield log
    finally:
        GUARD.update(previous)


def attempts(log: Path) -> str:
    return log.read_text(encoding="utf-8") if log.exists() else ""


# --- editing a project ------------------------------------------------------------------------

def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {rel}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def write(root: Path, rel: str, data: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


def yaml_str(text: str) -> str:
    """A YAML double-quoted scalar for any text (JSON's escapes are YAML's: \\u202e etc.)."""
    return json.dumps(text)


def set_block_text(root: Path, block_id: str, text: str) -> str:
    """Replace a block's `text:` line; return where its value starts, as `path:line:col`."""
    path = root / BLOCKS
    lines = path.read_text(encoding="utf-8").splitlines()
    start = lines.index(f"- id: {block_id}")
    for i in range(start, len(lines)):
        if lines[i].startswith("  text:"):
            lines[i] = f"  text: {yaml_str(text)}"
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            return f"{BLOCKS}:{i + 1}:9"
    raise AssertionError(f"block {block_id} has no text line")


def set_quote(root: Path, old: str, new: str) -> str:
    """Replace one cited quote (written as `quote: <old>`); return where the new one starts."""
    path = root / BLOCKS
    lines = path.read_text(encoding="utf-8").splitlines()
    hits = [i for i, line in enumerate(lines) if line.strip() == f"quote: {old}"]
    assert len(hits) == 1, f"quote {old!r} found {len(hits)} times"
    i = hits[0]
    indent = lines[i].index("quote:")
    lines[i] = " " * indent + f"quote: {yaml_str(new)}"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return f"{BLOCKS}:{i + 1}:{indent + 8}"


def add_to_template(root: Path, html: str, audience: str = "ngo") -> str:
    """Put `html` on its own line at the start of the audience's summary block; return
    `path:line` of that line."""
    rel = f"templates/{audience}/brief.html.j2"
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert SUMMARY in text, f"{rel} no longer has {SUMMARY}"
    line = text[: text.index(SUMMARY)].count("\n") + 2
    path.write_text(text.replace(SUMMARY, SUMMARY + "\n" + html, 1), encoding="utf-8")
    return f"{rel}:{line}"


# --- reading outputs --------------------------------------------------------------------------

def digest(folder: Path) -> dict[str, str]:
    """Every file of an output folder by hash (less the lock and the citation cache)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and ".cache" not in p.parts
            and p.name != LOCK_NAME}


def tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def problem_lines(err_lines: list[str]) -> list[str]:
    """A failed run's problem lines, less the closing count line (which is checked apart)."""
    assert err_lines and re.fullmatch(r"briefsmith: \d+ problems?; no output was written",
                                      err_lines[-1]), err_lines
    return err_lines[:-1]


SMALLER = "use a smaller file"


def refused(url: str, why: str, audience: str = "ngo") -> str:
    """The one line a refused template or stylesheet resource produces."""
    rule = SMALLER if "pixels" in why or "bytes" in why else ONLY_INSIDE
    return (f"{BRIEF_AT}: harbour ({audience}): refused to load '{url}' requested by a template "
            f"or stylesheet ({why}): {rule}")


def _pdf_objects(reader: PdfReader) -> list[object]:
    found = []
    size = int(reader.trailer.get("/Size", 0))
    for number in range(1, size):
        try:
            obj = reader.get_object(number)
        except Exception:  # free or broken entries: nothing to read there
            continue
        if obj is not None:
            found.append(obj)
    return found


def pdf_bytes_decoded(path: Path) -> bytes:
    """The raw file plus every stream decompressed: what a secret would have to hide in."""
    reader = PdfReader(path)
    chunks = [path.read_bytes()]
    for obj in _pdf_objects(reader):
        if isinstance(obj, StreamObject):
            try:
                chunks.append(obj.get_data())
            except Exception:  # an image filter pypdf cannot undo: the raw bytes are above
                continue
    return b"\n".join(chunks)


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def pdf_attachments(path: Path) -> list[str]:
    """Names of embedded files: document-level (/EmbeddedFiles) and file-attachment annots."""
    reader = PdfReader(path)
    names = [f"document:{name}" for name in reader.attachments]
    root = reader.trailer["/Root"]
    if "/EmbeddedFiles" in root.get("/Names", DictionaryObject()):
        names.append("catalog:/EmbeddedFiles")
    for number, page in enumerate(reader.pages, 1):
        annots = page.get("/Annots")
        annots = annots.get_object() if annots is not None else ArrayObject()
        for annot in annots:
            if annot.get_object().get("/Subtype") == "/FileAttachment":
                names.append(f"page {number}: /FileAttachment")
    for obj in _pdf_objects(reader):
        if isinstance(obj, DictionaryObject) and obj.get("/Type") in ("/EmbeddedFile",
                                                                      "/Filespec"):
            names.append(f"object {obj.get('/Type')}")
    return names


def leak_markers(*files: Path) -> list[bytes]:
    """What must never appear in an output: each file's text, its first line, and the base64
    of the whole file (the form a data: URL would carry)."""
    markers = [SECRET.encode()]
    if PASSWD_LINE:
        markers.append(PASSWD_LINE.encode())
    for file in files:
        data = file.read_bytes()
        markers += [data.strip(), base64.b64encode(data)]
    return [m for m in markers if m]


def assert_no_leak(out_dir: Path, *files: Path) -> None:
    """No output file (PDF text, PDF streams, raw bytes, HTML, manifest) holds an outside
    file's contents, and no PDF has an attachment."""
    markers = leak_markers(*files)
    for path in sorted(out_dir.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if path.suffix == ".pdf":
            assert pdf_attachments(path) == [], f"{path.name} has attachments"
            data = pdf_bytes_decoded(path) + pdf_text(path).encode()
        for marker in markers:
            assert marker not in data, f"{marker[:40]!r} leaked into {path}"
