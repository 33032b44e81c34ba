"""An HTML page carries its own fonts, and its summary is as large as its text (issue 21, 5-6).

A browser has neither the vendored fonts nor the private fontconfig file WeasyPrint draws the
PDF with. The page used to name "Source Serif 4" without providing it, so Chromium (with
fonts-noto-core installed) drew the text from the fallbacks the stacks list: Latin letters from
Noto Serif CJK SC, digits and colons from Noto Naskh Arabic. The page now carries WOFF2 subsets
in `@font-face` rules (render/page_fonts.py, theme/webfonts.py), the script fallbacks limited by
`unicode-range` to their scripts.

The browser tests build the minimal fixture to HTML with the real pipeline, open it in headless
Chromium (tests/_chromium.py) and ask it which font drew each piece of text
(CSS.getPlatformFontsForNode) and how large the text is (getComputedStyle).
"""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import copy_project
from fontTools.ttLib import TTFont
from hostile.hostile_support import set_block_text

from briefsmith.cli import main
from briefsmith.core.formats import FORMATS
from briefsmith.render.page_fonts import css_strings, shown_characters, with_fonts
from briefsmith.theme import fonts, webfonts

AUDIENCES = ("parliamentary", "ngo", "student", "minister")
ARABIC = "محمد بن سلمان"
TEXT = f"Critics, among them Kasčiūnas and {ARABIC}, said on 12 May 2008: 84% of berths went."
BODY_FAMILY = "Source Serif 4"
# Where each audience shows the brief's summary, and the text it is compared with.
SUMMARY = {"parliamentary": "#summary .summary-item p", "ngo": "#key-messages li",
           "student": "#introduction > p", "minister": "#key-points li"}
BODY_TEXT = "#block-critics-view p:not(.position-head)"
LEDE = 11.5 / 10.5  # the student's opening paragraph: 11.5pt beside 10.5pt text in print

# Wraps the first occurrence of each word in the element's text in <span class="probe">: the
# span inherits the paragraph's font, and the browser reports the fonts of its text alone.
MARK = """(words => {
  const block = document.querySelector(%r);
  for (const word of words) {
    const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const at = node.data.indexOf(word);
      if (at < 0) continue;
      const range = document.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + word.length);
      const span = document.createElement('span');
      span.className = 'probe';
      span.dataset.word = word;
      range.surroundContents(span);
      break;
    }
  }
  return block.querySelectorAll('span.probe').length;
})(%s)"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_project("minimal", tmp_path_factory.mktemp("html-fonts") / "project")
    set_block_text(root, "critics-view", TEXT)
    brief = root / "briefs" / "harbour.yaml"
    brief.write_text(brief.read_text(encoding="utf-8")
                     .replace("[parliamentary, ngo, student]", f"[{', '.join(AUDIENCES)}]")
                     .replace("summary: [boats-first-year]",
                              "summary: [boats-first-year, review-asked]"), encoding="utf-8")
    assert main(["--project", str(root), "build", "--format", "html"]) == 0
    return root / "output" / "harbour"


def families(found: list[dict[str, Any]]) -> set[str]:
    return {font["familyName"] for font in found}


def test_digits_colons_and_accents_are_drawn_in_the_body_font(built: Path, browser) -> None:
    """Each word's fonts, as Chromium drew it: before the page carried its fonts, "Critics"
    came from Noto Serif CJK SC and "2008", ":" and the "8" of "84%" from Noto Naskh Arabic."""
    browser.load((built / "harbour-ngo.html").as_uri())
    words = ["Critics", "2008", ":", "84%", "Kasčiūnas", ARABIC.split()[0]]
    assert browser.evaluate(MARK % (BODY_TEXT, words)) == len(words)
    drawn = {word: browser.fonts_of(f'span.probe[data-word="{word}"]')[0] for word in words}
    body = drawn.pop("Critics")
    assert families(body) == {BODY_FAMILY}, body
    assert all(font["isCustomFont"] for font in body), body  # the page's own, not the system's
    for word in ("2008", ":", "84%", "Kasčiūnas"):
        assert families(drawn[word]) == families(body), (word, drawn[word])
        assert all(font["isCustomFont"] for font in drawn[word]), (word, drawn[word])
    # one glyph per letter: no accent drawn as a mark of its own, from another font
    assert sum(font["glyphCount"] for font in drawn["Kasčiūnas"]) == len("Kasčiūnas")
    # the Arabic name still gets its script's face, the page's own subset of it
    arabic = drawn[ARABIC.split()[0]]
    assert families(arabic) == {"Noto Naskh Arabic"}, arabic
    assert all(font["isCustomFont"] for font in arabic), arabic


@pytest.mark.parametrize("audience", AUDIENCES)
def test_summary_text_is_as_large_as_body_text(built: Path, browser, audience: str) -> None:
    """On screen the page's text is 17px; the parliamentary summary box was 10pt (13.3px) and
    the student's opening paragraph 11.5pt (15.3px), both smaller than the text after them."""
    browser.load((built / f"harbour-{audience}.html").as_uri())
    sizes = browser.evaluate(f"""JSON.stringify({{
        body: getComputedStyle(document.body).fontSize,
        text: Array.from(document.querySelectorAll({BODY_TEXT!r}),
                         e => getComputedStyle(e).fontSize),
        summary: Array.from(document.querySelectorAll({SUMMARY[audience]!r}),
                            e => getComputedStyle(e).fontSize)}})""")
    found = json.loads(sizes)
    body = float(found["body"].removesuffix("px"))
    assert body >= 16, found  # a reading size on screen (the minister's print 10pt was 13px)
    assert all(float(size.removesuffix("px")) == body for size in found["text"]), found
    summary = [float(size.removesuffix("px")) for size in found["summary"]]
    assert len(summary) == 2, found
    if audience == "student":
        assert summary[0] == pytest.approx(body * LEDE, abs=0.01), found
        summary = summary[1:]
    assert summary == [body] * len(summary), found


# ---------------------------------------------------------------- without a browser

def test_only_the_html_page_carries_fonts() -> None:
    """The PDF is drawn by WeasyPrint with the fonts fontconfig gives it: its page is unchanged;
    Word takes the text, not the stylesheet."""
    assert [name for name, fmt in FORMATS.items() if fmt.carries_fonts] == ["html"]


def test_the_characters_of_a_page_are_its_text_its_css_strings_and_their_cases() -> None:
    page = ("<!DOCTYPE html><html><head><title>Ťitle</title>"
            "<style>q::before { content: \"\\201C\" '\\2014\\00a0' } /* \"ж\" */</style>"
            "<script>var x = 'щ';</script></head>"
            "<body><p class=\"ё\">Kasčiūnas &amp; &#x5d0; ß</p></body></html>")
    chars = shown_characters(page)
    assert {"K", "k", "č", "Č", "ū", "Ū", "&", "\u05d0", "ß", "S", "\u201c", "\u2014",
            "\u00a0", " "} <= chars
    assert not {"Ť", "ж", "щ", "ё"} & chars  # the title, a CSS comment, a script, an attribute
    assert set("0123456789.\u2022") <= chars  # list and note numbers, bullets
    assert css_strings(r'a::after { content: "\21A9\FE0E" "x\"y" }') == "\u21a9\ufe0ex\"y"


def test_fonts_go_into_the_head_once_and_the_same_page_gives_the_same_rules(
        tmp_path: Path) -> None:
    page = ("<!DOCTYPE html><html><head><style>p {}</style></head>"
            "<body><p>Kasčiūnas 2008: 84%</p></body></html>")
    cache = tmp_path / ".cache" / "fonts"  # as output/.cache/fonts
    first = with_fonts(page)
    head, body = first.split("</head>")
    assert head.count('<style class="briefsmith-fonts">') == 1 and "@font-face" not in body
    assert head.index("<style>p {}") < head.index('<style class="briefsmith-fonts">')
    assert with_fonts(page, cache) == first
    assert not cache.parent.exists()  # kept only in an output/.cache/ that a build made
    cache.parent.mkdir()
    assert with_fonts(page, cache) == first
    assert sorted(p.suffix for p in cache.iterdir()) == [".woff2"] * 12  # the vendored faces
    assert with_fonts(page, cache) == first  # read back from there


def rules(css: str) -> dict[tuple[str, str, str], str]:
    found = {}
    for rule in css.splitlines():
        family = re.search(r'font-family: "([^"]+)"', rule)
        style = re.search(r"font-style: (\w+)", rule)
        weight = re.search(r"font-weight: (\d+)", rule)
        assert family and style and weight, rule
        found[(family.group(1), style.group(1), weight.group(1))] = rule
    return found


def embedded(rule: str) -> TTFont:
    data = re.search(r"url\(data:font/woff2;base64,([A-Za-z0-9+/=]+)\)", rule)
    assert data, rule[:200]
    return TTFont(io.BytesIO(base64.b64decode(data.group(1))))


def test_every_vendored_face_is_a_subset_and_each_fallback_keeps_to_its_script() -> None:
    css = webfonts.font_face_rules("Kasčiūnas 2008: 84% محمد")
    found = rules(css)
    for face in webfonts.vendored_faces():
        rule = found[(face.family, "italic" if face.italic else "normal", str(face.weight))]
        assert "unicode-range" not in rule
        cmap = set(embedded(rule).getBestCmap())
        assert {ord(c) for c in "Kasčiūnas2008:84%"} <= cmap
        assert len(cmap) < 30 and 0x0645 not in cmap  # the page's characters, not the font's
    for fallback in fonts.FALLBACKS:
        ranges = fonts.script_ranges(fallback.script)
        expected = ", ".join(f"U+{a:X}-{b:X}" for a, b in ranges)
        for family in (fallback.serif, fallback.sans):
            for weight in ("400", "700"):
                rule = found[(family, "normal", weight)]
                assert f"unicode-range: {expected};" in rule
                if fallback.script == "Arabic":  # the page has Arabic: the face's subset
                    assert set(embedded(rule).getBestCmap()) == {ord(c) for c in "محمد"}
                else:  # no character of the script: the installed face, for it alone
                    assert re.search(r'src: local\("[^"]+"\)(, local\("[^"]+"\))*; }$', rule)
    # a zero-width no-break space (the note calls' U+FEFF) is nobody's script
    assert webfonts.font_face_rules("Kas\ufeff").count("base64,") == 12
    # no Latin digit, colon or letter can reach a fallback face
    for fallback in fonts.FALLBACKS:
        for a, b in fonts.script_ranges(fallback.script):
            assert not any(a <= ord(c) <= b for c in "0123456789:%Kasčiūn")


def test_harfbuzz_and_fonttools_cut_the_same_characters() -> None:
    """HarfBuzz subsets (set-up installs libharfbuzz-subset); fontTools does where it is
    missing: the two must keep the same characters, and give the same bytes every time."""
    assert webfonts._harfbuzz() is not None, "libharfbuzz-subset is missing: run make test"
    face = webfonts.vendored_faces()[0]
    wanted = frozenset(ord(c) for c in "Kasčiūnas 2008: 84% fishing")
    ours = webfonts.subset(face.path, face.index, wanted)
    assert ours == webfonts.subset(face.path, face.index, wanted)
    theirs = webfonts._fonttools_subset(face.path, face.index, wanted)
    with TTFont(io.BytesIO(ours)) as a, TTFont(io.BytesIO(theirs)) as b:
        assert set(a.getBestCmap()) == set(b.getBestCmap()) == wanted
        assert a["maxp"].numGlyphs == b["maxp"].numGlyphs  # the same ligatures and forms
        assert a["name"].getDebugName(13) == b["name"].getDebugName(13)  # the licence
        features = {r.FeatureTag for r in a["GSUB"].table.FeatureList.FeatureRecord}
        assert "liga" in features and not features & set(webfonts.DROPPED_FEATURES)
