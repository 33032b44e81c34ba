"""Names in Arabic, Hebrew, Devanagari and CJK print (issue 8), and `check` names the rest.

Every test builds the minimal fixture with the real pipeline and reads the PDF back with two
extractors, pypdf and poppler's pdftotext: one extractor's quirk must not pass for a glyph.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import TEMPLATES
from hostile.hostile_support import NGO_PDF, set_block_text
from pypdf import PdfReader
from pypdf.generic import ContentStream

from briefsmith.content.config import Config
from briefsmith.theme import font_instances, fonts

BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
NAMES = {  # script: (a name, the Noto family the serif body text must draw it in)
    "Arabic": ("محمد بن سلمان", "Noto-Naskh-Arabic"),
    "Hebrew": ("אבי גבאי", "Noto-Serif-Hebrew"),
    "Devanagari": ("नरेन्द्र मोदी", "Noto-Serif-Devanagari"),
    "CJK": ("习近平", "Noto-Serif-CJK-SC"),
}
THAI_MESSAGE = ("block 'critics-view' has characters no font can draw: U+0E01 'ก', U+0E02 'ข' "
                "(Thai): add a font that covers Thai, e.g. Noto Sans Thai, to the project "
                "fontconfig (briefsmith/theme/fonts.py)")


def pdftotext(pdf: Path, *args: str) -> str:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: run `make test` (set-up installs poppler-utils)")
    return subprocess.run(["pdftotext", *args, str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def squeezed(text: str) -> str:
    """Text without whitespace or bidi controls: extractors differ in both (pdftotext wraps an
    RTL run in embedding marks and may move the space beside it), never in the letters."""
    return re.sub(r"\s+", "", BIDI_CONTROLS.sub("", text))


def embedded_fonts(pdf: Path) -> set[str]:
    """Embedded font names, less the subset tag (ABCDEF+)."""
    names = set()
    for page in PdfReader(pdf).pages:
        for ref in page["/Resources"]["/Font"].values():
            names.add(str(ref.get_object()["/BaseFont"]).lstrip("/").split("+", 1)[-1])
    return names


def notdef_drawn(pdf: Path) -> bool:
    """Whether any text operator draws glyph 0 (.notdef, the empty box). WeasyPrint writes every
    font as Identity-H, two bytes per glyph id, so glyph 0 is the pair b'\\0\\0'."""
    reader = PdfReader(pdf)
    for page in reader.pages:
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            strings = operands[0] if operator == b"TJ" else operands if operator == b"Tj" else []
            for item in strings:
                data = getattr(item, "original_bytes", item)
                if not isinstance(data, bytes):
                    continue  # a TJ kerning number
                if any(data[i:i + 2] == b"\0\0" for i in range(0, len(data) - 1, 2)):
                    return True
    return False


def build_ngo_pdf(project: Path, cli, text: str) -> Path:
    set_block_text(project, "critics-view", text)
    run = cli(project, "build", "--audience", "ngo", "--format", "pdf")
    assert run.code == 0, run.err
    assert not [line for line in run.err_lines if "unsupported by fonts" in line or
                "warning" in line], run.err
    return project / NGO_PDF


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(NAMES))
def test_a_name_in_each_script_prints_with_its_font(project: Path, cli, script: str) -> None:
    name, family = NAMES[script]
    pdf = build_ngo_pdf(project, cli, f"Critics, among them {name}, say the quay was built "
                                      "for tourists.")
    pypdf_text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert squeezed(name) in squeezed(pypdf_text)
    assert squeezed(name) in squeezed(pdftotext(pdf))
    assert family in embedded_fonts(pdf)
    assert not notdef_drawn(pdf)


@pytest.mark.slow
def test_latin_text_keeps_the_vendored_fonts(project: Path, cli) -> None:
    pdf = build_ngo_pdf(project, cli, "Critics say the quay was built for tourists.")
    assert all(f.startswith(("Source-Serif-4", "Source-Sans-3")) for f in embedded_fonts(pdf))


@pytest.mark.slow
def test_a_cjk_name_adds_only_a_subset_of_the_font(project: Path, cli) -> None:
    """The four Noto CJK collections are 93 MB; the PDF carries only the glyphs it draws
    (WeasyPrint keeps glyph ids, so the subset costs some tens of kilobytes per face)."""
    pdf = build_ngo_pdf(project, cli, "Critics, among them 习近平, say the quay was built.")
    assert pdf.stat().st_size < 400_000


@pytest.mark.slow
def test_right_to_left_names_read_right_to_left_inside_a_latin_line(project: Path,
                                                                    cli) -> None:
    pdf = build_ngo_pdf(project, cli, "Critics, among them محمد بن سلمان and אבי גבאי, say "
                                      "the quay was built for tourists.")
    # Visual order, from the word boxes: left to right, an RTL name shows its last word first,
    # each word's letters reversed; the Latin words around it stay where they were.
    boxes = [(float(x), (float(top) + float(bottom)) / 2, word) for x, top, bottom, word in
             re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" '
                        r'yMax="([\d.]+)">([^<]+)</word>', pdftotext(pdf, "-bbox"))]
    middle = next(y for _, y, word in boxes if word == "them")
    line = [word for _, y, word in sorted(boxes) if abs(y - middle) < 3]
    assert line[line.index("them"):line.index("say") + 1] == [
        "them", "ناملس", "نب", "دمحم", "and", "יאבג", "יבא,", "say"]
    # Logical order, as pdftotext gives it back for copy and paste.
    text = BIDI_CONTROLS.sub("", pdftotext(pdf))
    assert re.search(r"among them\s*محمد\s+بن\s+سلمان\s*and\s*אבי\s+גבאי\s*,\s*say", text)


@pytest.mark.slow
def test_check_names_characters_no_font_can_draw(project: Path, cli) -> None:
    where = set_block_text(project, "critics-view", "Critics in กข say no.")
    run = cli(project, "check")
    assert run.code == 1
    assert run.err_lines == [f"{where}: {THAI_MESSAGE}",
                             "briefsmith: 1 problem; no output was written"]


def test_check_ignores_marks_and_invisible_characters(project: Path, cli) -> None:
    # No font maps these, and none needs to: a word joiner (format), a combining mark and two
    # variation selectors, each on a base the fonts have. (set_block_text writes JSON escapes,
    # which turn a character beyond U+FFFF into two surrogates: keep to the BMP here.)
    ignorable = "\u2060\u1ab0\ufe0f\ufe00"
    assert fonts.uncovered(ignorable) == set(ignorable)
    set_block_text(project, "critics-view",
                   "Critics\u2060 say e\u1ab0 \u2764\ufe0f to \u8fd1\ufe00.")
    run = cli(project, "check")
    assert run.code == 0, run.err


def test_missing_fallback_fonts_fail_the_build_with_one_line(
        project: Path, cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    gone = fonts.Fallback("CJK", "fonts-noto-cjk", "Noto Serif CJK SC", "Noto Sans CJK SC",
                          (tmp_path / "NotoSerifCJK-Regular.ttc",))
    monkeypatch.setattr(fonts, "FALLBACKS", (*fonts.FALLBACKS[:3], gone))
    run = cli(project, "build", "--format", "pdf")
    assert run.code == 1
    assert run.err_lines == [
        f"the fonts for CJK are not installed ({tmp_path / 'NotoSerifCJK-Regular.ttc'} is "
        "missing; Debian package fonts-noto-cjk): run `make briefs` to set up",
        "briefsmith: 1 problem; no output was written"]
    assert not (project / NGO_PDF).exists()


def test_font_files_are_stable_and_the_fontconfig_lists_only_them() -> None:
    files = fonts.font_files()
    assert files == fonts.font_files()
    assert files[:4] == tuple(sorted(fonts.FONTS_DIR.glob("*.ttf")))
    assert files[4:] == tuple(p for f in fonts.FALLBACKS for p in f.files)
    conf = fonts.fontconfig_file().read_text()
    dirs = [Path(d) for d in re.findall(r"<dir>(.*?)</dir>", conf)]
    assert dirs[0] == font_instances.folder()  # static instances, not the variable files
    assert sorted(p.resolve() for p in dirs[1].iterdir()) == sorted(files[4:])


def test_raw_cmap_reading_agrees_with_fonttools() -> None:
    from fontTools.ttLib import TTFont

    for path in (*fonts.vendored_files(), fonts.FALLBACKS[0].files[0]):
        with TTFont(path) as font:
            assert fonts._codepoints(path) == set(font["cmap"].getBestCmap()), path


def test_css_stacks_carry_the_fallback_families() -> None:
    css = (TEMPLATES / "_base" / "style.css").read_text(encoding="utf-8")
    flat = re.sub(r"\s+", " ", css)
    assert f'--serif: "Source Serif 4", {fonts.fallback_families("serif")},' in flat
    assert f'--sans: "Source Sans 3", {fonts.fallback_families("sans")},' in flat
    house = Config(fonts=(("serif", "Literata"),)).css()
    assert f'--serif: "Literata", {fonts.fallback_families("serif")}, serif;' in house


def test_check_names_each_script_and_a_font_for_it_in_a_brief_title(project: Path, cli) -> None:
    brief = project / "briefs" / "harbour.yaml"
    brief.write_text(brief.read_text(encoding="utf-8").replace(
        'title: "The new quay"', 'title: "The new quay: ក ก"'), encoding="utf-8")
    run = cli(project, "check")
    assert run.code == 1
    assert run.err_lines[0] == (
        "briefs/harbour.yaml:1:1: brief 'harbour' has characters no font can draw: U+0E01 'ก' "
        "(Thai), U+1780 'ក' (Khmer): add fonts that cover Thai and Khmer, e.g. Noto Sans Thai "
        "and Noto Sans Khmer, to the project fontconfig (briefsmith/theme/fonts.py)")
