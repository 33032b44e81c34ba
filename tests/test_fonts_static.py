"""Static font instances: each PDF embeds few font programs, none of them variable.

One brief is built for every audience (PDF only) with the real pipeline and read back with pypdf
and fontTools; the instances themselves are checked against the vendored fonts they come from.
"""

from __future__ import annotations

import io
import shutil
import time
from pathlib import Path

import pytest
from conftest import REPO
from fontTools.ttLib import TTFont
from pypdf import PdfReader
from pypdf.generic import IndirectObject

from briefsmith.cli import main
from briefsmith.theme import font_instances, fonts

BRIEF = "uk-treaty-debate"
AUDIENCES = ("minister", "ngo", "parliamentary", "student")
MAX_PROGRAMS = 8


def font_programs(pdf: Path) -> dict[int, tuple[str, bytes]]:
    """Every embedded font program (FontFile, FontFile2 or FontFile3 stream), by object number,
    with the name of the font that embeds it."""
    reader = PdfReader(pdf)
    found: dict[int, tuple[str, bytes]] = {}
    for page in reader.pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            descendants = [d.get_object() for d in font.get("/DescendantFonts", [])] or [font]
            for part in descendants:
                descriptor = part.get("/FontDescriptor")
                if descriptor is None:
                    continue
                descriptor = descriptor.get_object()
                for key in ("/FontFile", "/FontFile2", "/FontFile3"):
                    ref = descriptor.raw_get(key) if key in descriptor else None
                    if isinstance(ref, IndirectObject):
                        found[ref.idnum] = (str(descriptor["/FontName"]),
                                            ref.get_object().get_data())
    return found


@pytest.fixture(scope="module")
def brief_pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("fonts-static")
    code = main(["--project", str(REPO), "build", BRIEF, "--format", "pdf", "--out", str(out)])
    assert code == 0
    return {a: out / BRIEF / f"{BRIEF}-{a}.pdf" for a in AUDIENCES}


@pytest.mark.slow
@pytest.mark.parametrize("audience", AUDIENCES)
def test_each_pdf_embeds_at_most_eight_static_font_programs(brief_pdfs: dict[str, Path],
                                                            audience: str) -> None:
    programs = font_programs(brief_pdfs[audience])
    names = sorted(name for name, _ in programs.values())
    assert 0 < len(programs) <= MAX_PROGRAMS, names
    for name, data in programs.values():
        with TTFont(io.BytesIO(data)) as font:
            assert "fvar" not in font, f"{name} is a variable font"
            assert "gvar" not in font, name
    # one program per face: no two embedded fonts of the same family, weight and style
    faces = [name.split("+", 1)[1] for name in names]
    assert len(faces) == len(set(faces)), faces


def test_the_instances_are_static_and_cover_what_their_sources_cover() -> None:
    folder = font_instances.ensure()
    assert sorted(p.name for p in folder.glob("*.ttf")) == sorted(
        i.file_name for i in font_instances.INSTANCES)
    for instance in font_instances.INSTANCES:
        path = folder / instance.file_name
        with TTFont(path) as font:
            assert "fvar" not in font and "gvar" not in font, path
            assert font["OS/2"].usWeightClass == instance.weight
            assert bool(font["OS/2"].fsSelection & 1) == instance.italic
            assert font["name"].getDebugName(16) == instance.family
        # the renderer draws with the instance; `check` reads the source's character map
        assert fonts._codepoints(path) == fonts._codepoints(fonts.FONTS_DIR / instance.source)


def test_a_changed_vendored_font_gets_a_new_instances_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for instance in {i.source for i in font_instances.INSTANCES}:
        shutil.copy2(fonts.FONTS_DIR / instance, tmp_path / instance)
    monkeypatch.setattr(font_instances, "FONTS_DIR", tmp_path)
    monkeypatch.setenv(font_instances.CACHE_ENV, str(tmp_path / "cache"))
    before = font_instances.digest.__wrapped__()
    assert before == font_instances.digest()  # the copies are the same fonts
    with (tmp_path / font_instances.INSTANCES[0].source).open("ab") as handle:
        handle.write(b"\0")
    font_instances.digest.cache_clear()
    try:
        assert font_instances.digest() != before
        changed = font_instances.digest()
        assert font_instances.folder() == tmp_path / "cache" / f"static-fonts-{changed}"
        assert not font_instances.folder().exists()  # made only when the renderer needs it
    finally:
        font_instances.digest.cache_clear()


@pytest.mark.slow
def test_weasyprint_loads_its_libraries_without_searching_for_them() -> None:
    """ctypes' search runs ldconfig, gcc and ld for each name WeasyPrint tries before the
    soname: about 0.3 s in every render process. In a fresh process, loading WeasyPrint the
    pipeline's way must not search once, must leave the search as it was, and must work."""
    import subprocess
    import sys

    code = """
import ctypes.util
calls = []
real = ctypes.util.find_library
def counted(name):
    calls.append(name)
    return real(name)
ctypes.util.find_library = counted
from briefsmith.formats import pdf
weasyprint = pdf._weasyprint()
assert ctypes.util.find_library is counted, "the search was not put back"
doc = weasyprint.HTML(string="<p>Ottawa</p>").render()
print(len(calls), len(doc.pages))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["0", "1"]


@pytest.mark.slow
def test_an_instance_made_twice_is_the_same_bytes(tmp_path: Path) -> None:
    """Made a second apart (fontTools would stamp the time of saving): the same bytes, with
    the source font's own timestamp, so two set-ups give byte-identical PDFs."""
    instance = font_instances.INSTANCES[0]
    font_instances.make(instance, tmp_path / "first.ttf")
    time.sleep(1.1)
    font_instances.make(instance, tmp_path / "second.ttf")
    assert (tmp_path / "first.ttf").read_bytes() == (tmp_path / "second.ttf").read_bytes()
    with TTFont(tmp_path / "first.ttf") as made, \
            TTFont(font_instances.FONTS_DIR / instance.source) as source:
        assert made["head"].modified == source["head"].modified


@pytest.mark.slow
def test_instances_made_in_parallel_are_the_cached_ones_byte_for_byte(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new machine makes the instances one process per core; each file must be the one a
    single process makes (two of them here, to keep the test short)."""
    cached = font_instances.ensure()
    two = (font_instances.INSTANCES[0], font_instances.INSTANCES[-1])
    monkeypatch.setattr(font_instances, "INSTANCES", two)
    font_instances._make_all(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(i.file_name for i in two)
    for instance in two:
        assert (tmp_path / instance.file_name).read_bytes() == \
            (cached / instance.file_name).read_bytes()
