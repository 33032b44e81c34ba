"""Word output (`build --format docx`): the small fixture project built for all four audiences,
read back with python-docx and as raw package parts, next to the HTML of the same build."""

from __future__ import annotations

import html as html_module
import io
import itertools
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

import docx
import lxml.html
import pytest
from conftest import copy_project
from PIL import Image

from briefsmith.cli import main

AUDIENCES = ("parliamentary", "ngo", "student", "minister")
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
HOUSE = ('organisation: "Harbour Watch"\nlogo: "logo.png"\ntemplates: "house"\n'
         'colours:\n  accent: "#7a1f3d"\nfonts:\n  serif: "Harbour Serif"\n'
         '  sans: "Harbour Sans"\n')
# The parliamentary colophon carries three figures, one by asset() (a data: URL), one by a
# plain file name in the template folder and one inline SVG chart: each must become a picture
# with its alt text and keep its caption.
OVERRIDE = """{% extends "project/parliamentary/brief.html.j2" %}
{% block colophon %}{{ super() }}
<figure><img src="{{ asset('chart.png') }}" alt="Bar chart of boats per month">
<figcaption>Figure 1. Boats using the quay</figcaption></figure>
<figure><img src="map.png" alt="A map of the quay, by file name">
<figcaption>Figure 2. By file name</figcaption></figure>
<figure><svg viewBox="0 0 20 10" width="200" height="100" role="img">
<title>Boats &amp; crews, as a line</title><path d="M0 10 L20 0" stroke="black"/></svg>
<figcaption>Figure 3. An inline chart</figcaption></figure>
{% endblock %}
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The fixture project with all four audiences, a house style, a logo and figures,
    built (HTML and Word) into two separate output folders."""
    root = copy_project("minimal", tmp_path_factory.mktemp("docx") / "project")
    brief = root / "briefs/harbour.yaml"
    brief.write_text(brief.read_text().replace("[parliamentary, ngo, student]",
                                               "[parliamentary, ngo, student, minister]"))
    Image.new("RGB", (60, 30), "#7a1f3d").save(root / "logo.png")
    house = root / "house/parliamentary"
    house.mkdir(parents=True)
    Image.new("RGB", (200, 100), "#1f4e5f").save(house / "chart.png")
    Image.new("RGB", (100, 100), "#b5412b").save(house / "map.png")
    (house / "brief.html.j2").write_text(OVERRIDE)
    (root / "briefsmith.yaml").write_text(HOUSE)
    outs = []
    for name in ("out1", "out2"):
        out = root.parent / name
        assert main(["--project", str(root), "build", "--format", "html,docx",
                     "--out", str(out)]) == 0
        outs.append(out)
    return outs[0], outs[1]


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def text_of(element: ElementTree.Element) -> str:
    return " ".join("".join(t.text or "" for t in element.iter(f"{W}t")).split())


def notes(path: Path, kind: str) -> list[str]:
    """The text of each real note in word/footnotes.xml or word/endnotes.xml."""
    data = parts(path).get(f"word/{kind}s.xml")
    if data is None:
        return []
    root = ElementTree.fromstring(data)
    return [text_of(n) for n in root.iter(f"{W}{kind}") if n.get(f"{W}type") is None]


def html_text(fragment: str) -> str:
    return " ".join(html_module.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def html_notes(page: str) -> list[str]:
    """The notes list of the HTML output, less each note's back link."""
    found = re.findall(r'<li id="note-\d+">(.*?)</li>', page, re.S)
    return [html_text(re.sub(r'<a class="note-back".*?</a>', "", n, flags=re.S)) for n in found]


def output(out: Path, audience: str, fmt: str) -> Path:
    return out / "harbour" / f"harbour-{audience}.{fmt}"


@pytest.mark.slow
@pytest.mark.parametrize("audience", AUDIENCES)
def test_headings_use_word_heading_styles(built: tuple[Path, Path], audience: str) -> None:
    out = built[0]
    page = output(out, audience, "html").read_text()
    document = docx.Document(str(output(out, audience, "docx")))
    headings = {(p.style.name, p.text) for p in document.paragraphs
                if p.style.name.startswith("Heading")}
    # the NGO's "The evidence" is an <h2> with the <h2>s of its sections after it: in Word
    # they, and the headings in them, are a level below it
    for heading in lxml.html.fromstring(page).iter("h1", "h2", "h3"):
        text = " ".join(heading.text_content().split())
        if text == "Notes":  # the HTML's notes list: Word numbers its own
            continue
        below = bool(heading.xpath("ancestor::div[@class='evidence']")) and (
            heading.get("class") != "part-heading")
        assert (f"Heading {int(heading.tag[1]) + below}", text) in headings
    assert ("Heading 1", "The new quay") in headings
    assert any(style == "Heading 2" for style, _ in headings)


@pytest.mark.slow
def test_parliamentary_has_one_footnote_per_citation(built: tuple[Path, Path]) -> None:
    out = built[0]
    expected = html_notes(output(out, "parliamentary", "html").read_text())
    path = output(out, "parliamentary", "docx")
    assert len(expected) >= 4
    assert notes(path, "footnote") == expected  # same citations, same order, same pinpoints
    assert all(re.search(r"\bparas?\.? \d", n) for n in expected)
    document = parts(path)["word/document.xml"].decode()
    assert document.count("<w:footnoteReference ") == len(expected)
    assert "word/endnotes.xml" not in parts(path)


@pytest.mark.slow
def test_ngo_notes_are_word_endnotes(built: tuple[Path, Path]) -> None:
    out = built[0]
    expected = html_notes(output(out, "ngo", "html").read_text())
    path = output(out, "ngo", "docx")
    assert len(expected) >= 4
    assert notes(path, "endnote") == expected
    assert notes(path, "footnote") == []
    package = parts(path)
    document = package["word/document.xml"].decode()
    assert document.count("<w:endnoteReference ") == len(expected)
    assert "<w:footnoteReference " not in document
    assert b"/word/endnotes.xml" in package["[Content_Types].xml"]
    assert b'Target="endnotes.xml"' in package["word/_rels/document.xml.rels"]
    # the notes' links went with them
    assert b"https://example.org/harbour" in package["word/_rels/endnotes.xml.rels"]
    # Word numbers the notes itself: no empty "Notes" heading is left in the text
    assert "Notes" not in [p.text for p in docx.Document(str(path)).paragraphs]


@pytest.mark.parametrize("audience", ["student", "minister"])
def test_author_date_audiences_cite_in_the_text(built: tuple[Path, Path], audience: str) -> None:
    out = built[0]
    page = output(out, audience, "html").read_text()
    path = output(out, audience, "docx")
    assert notes(path, "footnote") == [] and notes(path, "endnote") == []
    body = ElementTree.fromstring(parts(path)["word/document.xml"])
    text = "\n".join(text_of(p) for p in body.iter(f"{W}p"))  # tables' paragraphs too
    cited = [html_text(c) for c in re.findall(r'<span class="citation">(.*?)</span>', page)]
    assert cited and all(c in text for c in cited)
    if audience == "student":
        assert any("Byron" in c and "2026" in c for c in cited)
    entries = [html_text(e) for e in re.findall(r'class="csl-entry">(.*?)</li>', page, re.S)]
    assert entries and all(e in text for e in entries)


def test_house_fonts_and_colours_reach_the_word_styles(built: tuple[Path, Path]) -> None:
    for audience in AUDIENCES:
        package = parts(output(built[0], audience, "docx"))
        styles = package["word/styles.xml"].decode()
        defaults = re.search(r"<w:rPrDefault>.*?</w:rPrDefault>", styles, re.S).group(0)
        assert 'w:ascii="Harbour Serif"' in defaults
        heading = re.search(r'w:styleId="Heading1".*?</w:style>', styles, re.S).group(0)
        assert 'w:ascii="Harbour Sans"' in heading
        assert 'w:val="7A1F3D"' in heading
        assert b'typeface="Harbour Sans"' in package["word/theme/theme1.xml"]
    cache = built[0] / ".cache" / "docx"
    assert len(list(cache.glob("*.docx"))) == len(AUDIENCES)  # one per audience


def test_pictures_are_embedded_with_their_alt_text(built: tuple[Path, Path]) -> None:
    path = output(built[0], "parliamentary", "docx")
    package = parts(path)
    document = package["word/document.xml"].decode()
    media = [n for n in package if n.startswith("word/media/")]
    svgs = [n for n in media if n.endswith(".svg")]
    assert svgs  # an SVG logo and the chart
    assert len(media) == 4 + len(svgs)  # the logo and the three figures, and a PNG of each SVG
    for alt in ("Harbour Watch", "Bar chart of boats per month", "A map of the quay, by file name",
                "Boats &amp; crews, as a line"):
        assert f'<wp:docPr descr="{alt}"' in document
    assert "data:image" not in document
    text = [p.text for p in docx.Document(str(path)).paragraphs]
    assert "Figure 1. Boats using the quay" in text
    assert "Figure 2. By file name" in text
    assert "Figure 3. An inline chart" in text


def test_document_dates_are_the_briefs(built: tuple[Path, Path]) -> None:
    package = parts(output(built[0], "ngo", "docx"))
    core = package["docProps/core.xml"].decode()
    assert core.count(">2026-11-23T00:00:00Z<") == 2
    assert "<dc:title>The new quay</dc:title>" in core
    with zipfile.ZipFile(output(built[0], "ngo", "docx")) as archive:
        assert {i.date_time for i in archive.infolist()} == {(2026, 11, 23, 0, 0, 0)}


@pytest.mark.parametrize("audience", AUDIENCES)
def test_building_twice_gives_the_same_bytes(built: tuple[Path, Path], audience: str) -> None:
    first, second = (output(out, audience, "docx").read_bytes() for out in built)
    assert first == second


@pytest.mark.slow
def test_a_rebuild_from_the_cached_reference_documents_is_identical(
        built: tuple[Path, Path]) -> None:
    first, second = built
    assert main(["--project", str(first.parent / "project"), "build", "--format", "docx",
                 "--force", "--out", str(second)]) == 0
    for audience in AUDIENCES:
        assert (output(first, audience, "docx").read_bytes()
                == output(second, audience, "docx").read_bytes())


@pytest.mark.parametrize("audience", AUDIENCES)
def test_package_is_complete(built: tuple[Path, Path], audience: str) -> None:
    """Every part is well-formed XML, every internal relationship target exists, and
    [Content_Types].xml gives every part a content type."""
    package = parts(output(built[0], audience, "docx"))
    assert next(iter(package)) == "[Content_Types].xml"
    for name, data in package.items():
        if name.endswith((".xml", ".rels")):
            ElementTree.fromstring(data)
    types = ElementTree.fromstring(package["[Content_Types].xml"])
    ns = "{http://schemas.openxmlformats.org/package/2006/content-types}"
    defaults = {d.get("Extension") for d in types.iter(f"{ns}Default")}
    overrides = {o.get("PartName") for o in types.iter(f"{ns}Override")}
    for name in package:
        assert f"/{name}" in overrides or name.rsplit(".", 1)[-1] in defaults, name
    for name in overrides:
        assert name.lstrip("/") in package, name
    rels_ns = "{http://schemas.openxmlformats.org/package/2006/relationships}"
    for name in [n for n in package if n.endswith(".rels")]:
        source = PurePosixPath(name).parent.parent / PurePosixPath(name).stem
        for rel in ElementTree.fromstring(package[name]).iter(f"{rels_ns}Relationship"):
            if rel.get("TargetMode") == "External":
                continue
            target = (source.parent / rel.get("Target")).as_posix().lstrip("/")
            assert target in package, (name, rel.get("Target"))
        if name != "_rels/.rels":
            assert source.as_posix() in package, name
    document = package["word/document.xml"].decode()
    rels = package["word/_rels/document.xml.rels"].decode()
    for rid in set(re.findall(r'r:(?:id|embed)="([^"]+)"', document)):
        assert f'Id="{rid}"' in rels


@pytest.mark.slow
def test_an_image_outside_the_project_is_refused(tmp_path: Path, cli) -> None:
    root = copy_project("minimal", tmp_path / "project")
    shutil.copytree(root / "templates/parliamentary", root / "house/parliamentary",
                    dirs_exist_ok=True)
    (root / "house/parliamentary/brief.html.j2").write_text(
        '{% extends "project/parliamentary/brief.html.j2" %}{% block colophon %}'
        '<img src="https://example.org/x.png" alt="A remote picture">{% endblock %}')
    (root / "briefsmith.yaml").write_text('templates: "house"\n')
    run = cli(root, "build", "--audience", "parliamentary", "--format", "docx")
    assert run.code == 1
    assert "refused the image 'https://example.org/x.png'" in run.err
    assert not (root / "output/harbour/harbour-parliamentary.docx").exists()


def test_every_picture_has_a_png_or_bitmap_any_reader_shows(built: tuple[Path, Path]) -> None:
    """An SVG picture carries a PNG in its main blip (what Google Docs, Word 2013 and
    previewers show) and keeps its SVG in Word 2016's extension; each PNG is drawn, in the
    picture's proportions; no picture is shrunk into a table cell."""
    svg_pictures = 0
    for audience in AUDIENCES:
        package = parts(output(built[0], audience, "docx"))
        document = package["word/document.xml"].decode()
        rels = dict(re.findall(r'Id="([^"]+)" Target="([^"]+)"',
                               package["word/_rels/document.xml.rels"].decode()))
        types = package["[Content_Types].xml"].decode()
        for name in (n for n in package if n.startswith("word/media/")):
            assert (f'PartName="/{name}"' in types
                    or f'Extension="{PurePosixPath(name).suffix[1:]}"' in types), name
        drawings = re.findall(r"<w:drawing>.*?</w:drawing>", document, re.S)
        assert drawings, audience
        for drawing in drawings:
            main = re.search(r'<a:blip r:embed="([^"]+)"', drawing)
            assert main, f"{audience}: a picture with no main image: {drawing[:300]}"
            target = rels[main.group(1)]
            assert not target.endswith(".svg"), target
            svg = re.search(r'<asvg:svgBlip\b[^>]*r:embed="([^"]+)"', drawing)
            if svg is None:
                continue
            svg_pictures += 1
            assert rels[svg.group(1)].endswith(".svg")
            image = Image.open(io.BytesIO(package[f"word/{target}"]))
            cx, cy = map(int, re.search(r'<wp:extent cx="(\d+)" cy="(\d+)"', drawing).groups())
            assert abs(image.width / image.height - cx / cy) < 0.02, (target, image.size)
            assert image.width >= cx / 914400 * 150  # at least 150 dpi of its shown size
            colours = image.convert("RGBA").getcolors(maxcolors=1_000_000) or []
            assert len(colours) > 2, f"{target} is blank"
        # pandoc lays a figure of several blocks (title, picture, data table) out as a table
        # of subfigures, the picture shrunk into one cell: no picture is in a table
        tables = re.findall(r"<w:tbl>.*?</w:tbl>", document, re.S)
        assert not any("<w:drawing>" in t for t in tables), audience
    assert svg_pictures >= 1  # the parliamentary brief's inline chart


@pytest.mark.slow
def test_a_chart_with_title_and_data_table_is_as_wide_as_the_text(sample: Path, cli) -> None:
    """The sample's casualties chart: a figure holding a title, the picture and its data
    table, which pandoc would lay out as three subfigure cells, the chart a third wide."""
    run = cli(sample, "build", "ottawa-treaty-2025", "--audience", "ngo", "--format", "docx")
    assert run.code == 0, run.err
    package = parts(sample / "output" / "ottawa-treaty-2025" / "ottawa-treaty-2025-ngo.docx")
    document = package["word/document.xml"].decode()
    chart = next(d for d in re.findall(r"<w:drawing>.*?</w:drawing>", document, re.S)
                 if 'descr="Bar chart of landmine casualties' in d)
    width = int(re.search(r'<wp:extent cx="(\d+)"', chart).group(1)) / 914400
    assert width >= 5.5, f"the chart is {width:.1f} in wide"
    assert not any(chart in t for t in re.findall(r"<w:tbl>.*?</w:tbl>", document, re.S))


@pytest.mark.slow
def test_a_picture_first_in_main_is_in_the_word_document(sample: Path, cli) -> None:
    """The tag that stands in for <main> once lost its ">": the element after it was read as
    its attributes, and a picture a template put first vanished without a word."""
    base = sample / "templates" / "_base" / "base.html.j2"
    text = base.read_text(encoding="utf-8")
    assert text.count("<main>") == 1
    dot = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4"
           "nGNgYPj/HwADAgH/0E5zcwAAAABJRU5ErkJggg==")
    base.write_text(text.replace("<main>", f'<main>\n<img src="{dot}" alt="First in main">'),
                    encoding="utf-8")
    run = cli(sample, "build", "ottawa-treaty-2025", "--audience", "ngo", "--format", "docx")
    assert run.code == 0, run.err
    document = parts(sample / "output" / "ottawa-treaty-2025" /
                     "ottawa-treaty-2025-ngo.docx")["word/document.xml"].decode()
    assert 'descr="First in main"' in document
    path = sample / "output" / "ottawa-treaty-2025" / "ottawa-treaty-2025-ngo.docx"
    text = [p.text for p in docx.Document(str(path)).paragraphs]
    title = text.index("Landmine casualties in 2023")
    assert any(t.startswith("People killed and injured") for t in text[title:title + 4])


@pytest.mark.slow
def test_the_element_after_main_survives_a_head_that_misleads_a_pattern(sample: Path,
                                                                        cli) -> None:
    """The head goes and <main> becomes a <div> in an element tree: a ">" in a head attribute,
    a "<" and even "</head>" in a style comment, or a ">" in <main>'s own attribute end no tag
    early, so no head text reaches the document and the paragraph first in <main> is kept."""
    base = sample / "templates" / "_base" / "base.html.j2"
    text = base.read_text(encoding="utf-8")
    assert text.count("<main>") == 1 and text.count("<style>") == 1
    text = text.replace("<style>", '<meta name="x-test" content="head text a > b">\n<style>\n'
                        "/* a <b> comment: everything up to </head> is the head's */")
    text = text.replace("<main>", '<main data-note="a > b">\n<p>First in main, kept.</p>')
    base.write_text(text, encoding="utf-8")
    run = cli(sample, "build", "ottawa-treaty-2025", "--audience", "ngo", "--format", "docx")
    assert run.code == 0, run.err
    path = sample / "output" / "ottawa-treaty-2025" / "ottawa-treaty-2025-ngo.docx"
    text = [p.text for p in docx.Document(str(path)).paragraphs]
    assert "First in main, kept." in text
    assert text.index("First in main, kept.") < text.index("Landmine casualties in 2023")
    body = "\n".join(text)
    for leaked in ("head text", "everything up to", "</head>", "is the head's", "a > b"):
        assert leaked not in body, leaked


@pytest.mark.slow
def test_an_image_is_embedded_however_its_src_is_written(tmp_path: Path, cli) -> None:
    """Single quotes, spaces and line breaks around "=", no quotes at all, and a ">" in an
    attribute before src: each picture is read from the template folder and embedded. (The
    alt text stays quoted and before any ">": render.html's alt check reads tags by pattern.)"""
    root = copy_project("minimal", tmp_path / "project")
    house = root / "house/parliamentary"
    house.mkdir(parents=True)
    Image.new("RGB", (200, 100), "#1f4e5f").save(house / "chart.png")
    Image.new("RGB", (100, 100), "#b5412b").save(house / "map.png")
    Image.new("RGB", (50, 100), "#7a1f3d").save(house / "quay.png")
    (house / "brief.html.j2").write_text(
        '{% extends "project/parliamentary/brief.html.j2" %}{% block colophon %}'
        "<p><img alt='Quoted singly' title='boats > crews' src = 'map.png'></p>\n"
        '<p><img\n   src\n   =\n   "chart.png"\n   alt="Spread over lines"></p>\n'
        '<p><IMG ALT="Source unquoted" SRC=quay.png></p>{% endblock %}')
    (root / "briefsmith.yaml").write_text('templates: "house"\n')
    run = cli(root, "build", "--audience", "parliamentary", "--format", "docx")
    assert run.code == 0, run.err
    package = parts(root / "output/harbour/harbour-parliamentary.docx")
    wp = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"
    described = [d.get("descr") for d in
                 ElementTree.fromstring(package["word/document.xml"]).iter(f"{wp}docPr")]
    assert described == ["Quoted singly", "Spread over lines", "Source unquoted"]
    sizes = sorted(Image.open(io.BytesIO(package[n])).size for n in package
                   if n.startswith("word/media/"))
    assert sizes == [(50, 100), (100, 100), (200, 100)]


@pytest.mark.slow
def test_endnotes_keep_every_note_and_its_text(tmp_path: Path) -> None:
    """The same page as footnotes and as endnotes: as many notes, with the same text in the same
    order, each reference pointing at its note, and no real note left among the footnotes."""
    from briefsmith.formats.docx import DocMeta, house_style, html_to_docx

    texts = [f"Note {n}: ‘curly’, 'straight' and \"double\" quotes, & and <w:footnote> as text"
             for n in range(1, 13)]
    paragraphs = "".join(
        f'<p>Claim {n}.<span class="bs-docx-note">{html_module.escape(t)} '
        f'<a href="https://example.org/{n}">source {n}</a>, <em>ibid.</em></span></p>'
        for n, t in enumerate(texts, start=1))
    page = f"<!DOCTYPE html><html><head><title>Notes</title></head><body><main>{paragraphs}" \
           "</main></body></html>"
    found = {}
    for endnotes in (False, True):
        meta = DocMeta(title="Notes", author="Test", date="2026-11-23", language="en-GB",
                       endnotes=endnotes)
        path = tmp_path / f"notes-{endnotes}.docx"
        path.write_bytes(html_to_docx(page, house_style(""), meta, (), None))
        found[endnotes] = path
    footnotes = notes(found[False], "footnote")
    assert footnotes == [f"{t} source {n}, ibid." for n, t in enumerate(texts, start=1)]
    assert notes(found[False], "endnote") == []
    assert notes(found[True], "endnote") == footnotes
    assert notes(found[True], "footnote") == []
    package = parts(found[True])
    document = ElementTree.fromstring(package["word/document.xml"])
    referenced = [r.get(f"{W}id") for r in document.iter(f"{W}endnoteReference")]
    assert not list(document.iter(f"{W}footnoteReference"))
    endnotes = ElementTree.fromstring(package["word/endnotes.xml"])
    assert referenced == [n.get(f"{W}id") for n in endnotes.iter(f"{W}endnote")
                          if n.get(f"{W}type") is None]
    assert len(referenced) == len(texts)
    links = package["word/_rels/endnotes.xml.rels"].decode()
    assert all(f"https://example.org/{n}" in links for n in range(1, 13))
    assert docx.Document(str(found[True])).paragraphs  # python-docx opens it


@pytest.mark.slow
def test_a_page_nested_past_the_parsers_limit_is_refused_not_cut_short() -> None:
    """Past 2,048 levels libxml2's HTML parser stops reading: the rest of the page would be
    missing from the Word document without a word, so the page is refused instead."""
    from briefsmith.core.errors import RenderError
    from briefsmith.formats.docx import DocMeta, house_style, html_to_docx

    page = ("<html><body><main>" + "<div>" * 2100 + "deep" + "</div>" * 2100
            + "<p>After the nesting.</p></main></body></html>")
    meta = DocMeta(title="Deep", author="Test", date="2026-11-23", language="en-GB")
    with pytest.raises(RenderError, match="cannot be read whole"):
        html_to_docx(page, house_style(""), meta, (), None)


@pytest.mark.slow
def test_an_inline_svg_keeps_its_mixed_case_names(built: tuple[Path, Path]) -> None:
    """The HTML parser lowercases every name; SVG's viewBox or linearGradient only work in
    their own case, so the picture Word embeds has them back, and its title as written."""
    package = parts(output(built[0], "parliamentary", "docx"))
    svgs = [package[n] for n in package if n.startswith("word/media/") and n.endswith(".svg")]
    chart = next(s for s in svgs if b"Boats &amp; crews" in s)
    root = ElementTree.fromstring(chart)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox") == "0 0 20 10" and "viewbox" not in root.attrib
    assert b"<title>Boats &amp; crews, as a line</title>" in chart


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None,
                    reason="LibreOffice is not installed (scripts/setup.sh --test installs it)")
def test_a_real_word_processor_shows_the_pictures_and_the_notes(sample: Path, cli,
                                                                 tmp_path: Path) -> None:
    """LibreOffice Writer, headless, turns the sample's NGO document into a PDF: what a reader
    of the .docx sees. The logo and the chart are drawn (LibreOffice 7.4 shows an SVG-only
    picture as an empty space), the chart wide, and the endnotes are there."""
    from pypdf import PdfReader

    run = cli(sample, "build", "ottawa-treaty-2025", "--audience", "ngo", "--format", "docx")
    assert run.code == 0, run.err
    source = sample / "output" / "ottawa-treaty-2025" / "ottawa-treaty-2025-ngo.docx"
    profile = (tmp_path / "lo-profile").as_uri()
    proc = subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless",
                           "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
                          capture_output=True, text=True, timeout=180, check=False)
    pdf = tmp_path / "ottawa-treaty-2025-ngo.pdf"
    assert proc.returncode == 0 and pdf.is_file(), proc.stdout + proc.stderr
    reader = PdfReader(pdf)
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)
    assert "The Mine Ban Treaty under strain" in text and "Landmine casualties in 2023" in text
    assert "Graham, The Ottawa Treaty, para. 4." in text  # an endnote, the style's pinpoint
    images = [(number, image.image.size) for number, page in enumerate(reader.pages)
              for image in page.images]
    assert any(n == 0 for n, _ in images), "the logo is not drawn"
    chart_page = next(n for n, page in enumerate(reader.pages)
                      if "Landmine casualties in 2023" in (page.extract_text() or ""))
    # drawn from the PNG made at 200 dpi of its shown width: over 800 px is over 4 inches
    drawn = [size for n, size in images if n == chart_page and size[0] > 800]
    assert drawn, f"no chart-sized picture on page {chart_page + 1}: {images}"


# ------------------------------------------------------------------ the page as the PDF has it
# The sample's first brief for all four audiences, as a reader of the .docx sees it: each file
# opened in LibreOffice Writer (headless) and saved as PDF. Each check below failed on the Word
# output before these points of issue 21 were done.

SAMPLE_BRIEF = "ottawa-treaty-2025"
MM = 72 / 25.4  # points


@pytest.fixture(scope="module")
def word_pdfs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """The repository's sample brief built for Word twice (two output folders) and the first
    build's four files converted to PDF by LibreOffice: (first, second, pdf folder)."""
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice is not installed (scripts/setup.sh --test installs it)")
    root = tmp_path_factory.mktemp("word-pdfs")
    outs = []
    for name in ("out1", "out2"):
        out = root / name
        assert main(["--project", str(Path(__file__).resolve().parent.parent), "build",
                     SAMPLE_BRIEF, "--format", "docx", "--out", str(out)]) == 0
        outs.append(out)
    pdfs = root / "pdf"
    sources = [str(word_file(outs[0], a)) for a in AUDIENCES]
    # the machine's own fonts, as a reader's: not the project fontconfig the PDF renderer put
    # in this process's environment, which lists the vendored fonts
    env = {k: v for k, v in os.environ.items() if k != "FONTCONFIG_FILE"}
    proc = subprocess.run(["soffice", f"-env:UserInstallation={(root / 'lo').as_uri()}",
                           "--headless", "--convert-to", "pdf", "--outdir", str(pdfs), *sources],
                          capture_output=True, text=True, timeout=600, check=False, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for audience in AUDIENCES:
        assert (pdfs / f"{SAMPLE_BRIEF}-{audience}.pdf").is_file(), proc.stdout + proc.stderr
    return outs[0], outs[1], pdfs


def word_file(out: Path, audience: str) -> Path:
    return out / SAMPLE_BRIEF / f"{SAMPLE_BRIEF}-{audience}.docx"


def pdf_text(pdfs: Path, audience: str) -> str:
    """The PDF's text, white space runs made one space."""
    from pypdf import PdfReader

    reader = PdfReader(pdfs / f"{SAMPLE_BRIEF}-{audience}.pdf")
    return " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)


@pytest.mark.slow
def test_endnotes_are_numbered_1_2_3(word_pdfs: tuple[Path, Path, Path]) -> None:
    """pandoc sets no number format, and LibreOffice (like Word) numbers endnotes i, ii, iii
    then: the PDF numbers the same notes 1 to 74. (Before: "lxxiv Graham, …".)"""
    out, _, pdfs = word_pdfs
    path = word_file(out, "ngo")
    endnotes = notes(path, "endnote")
    assert len(endnotes) > 50
    text = pdf_text(pdfs, "ngo")
    for number in (1, 4, 9, len(endnotes)):  # i, iv, ix, lxxiv before
        assert f" {number} {endnotes[number - 1][:25]}" in text, number
    for audience in AUDIENCES:  # the footnotes too, and in the document's own settings
        package = parts(word_file(out, audience))
        for name in ("word/document.xml", "word/settings.xml"):
            root = ElementTree.fromstring(package[name])
            for kind in ("footnotePr", "endnotePr"):
                formats = [f.get(f"{W}val") for f in root.iter(f"{W}{kind}")
                           for f in f.iter(f"{W}numFmt")]
                assert formats == ["decimal"], (audience, name, kind)


@pytest.mark.slow
@pytest.mark.parametrize("audience", AUDIENCES)
def test_the_paper_is_the_house_styles(word_pdfs: tuple[Path, Path, Path],
                                       audience: str) -> None:
    """briefsmith.yaml says `paper: "A4"`: every page 210 × 297 mm (before: US Letter,
    612 × 792 pt), with the PDF's margins (the minister's own 18/18/18/20 mm)."""
    from pypdf import PdfReader

    out, _, pdfs = word_pdfs
    for page in PdfReader(pdfs / f"{SAMPLE_BRIEF}-{audience}.pdf").pages:
        box = page.mediabox
        assert abs(float(box.width) - 595.3) < 1 and abs(float(box.height) - 841.9) < 1
    section = ElementTree.fromstring(parts(word_file(out, audience))["word/document.xml"]).find(
        f"{W}body/{W}sectPr")
    margins = {side: int(section.find(f"{W}pgMar").get(f"{W}{side}")) / 20 / MM
               for side in ("top", "right", "bottom", "left")}
    expected = ((18, 18, 18, 20) if audience == "minister" else (26, 25, 25, 25))
    assert [round(margins[s]) for s in ("top", "right", "bottom", "left")] == list(expected)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("pdfimages") is None, reason="poppler-utils not installed")
@pytest.mark.parametrize("audience", AUDIENCES)
def test_the_logo_is_as_tall_as_in_the_pdf(word_pdfs: tuple[Path, Path, Path],
                                          audience: str) -> None:
    """The stylesheet's `.house-logo { height: 11mm }` (the minister's `.minister-logo`,
    10 mm), the sample's square logo kept square. (Before: sized by its 120 px at 96 dpi,
    31.75 mm.)"""
    _, _, pdfs = word_pdfs
    listing = subprocess.run(["pdfimages", "-f", "1", "-l", "1", "-list",
                              str(pdfs / f"{SAMPLE_BRIEF}-{audience}.pdf")],
                             capture_output=True, text=True, check=True).stdout.splitlines()
    first = next(line.split() for line in listing[2:] if line.split()[2] == "image")
    width, height, x_ppi, y_ppi = int(first[3]), int(first[4]), int(first[12]), int(first[13])
    tall = 10 if audience == "minister" else 11
    assert abs(height / y_ppi * 25.4 - tall) < 0.5, listing
    assert abs(width / x_ppi - height / y_ppi) < 0.01, listing


@pytest.mark.slow
@pytest.mark.parametrize("audience", ["parliamentary", "ngo", "student"])
def test_a_positions_actor_and_stance_are_apart(word_pdfs: tuple[Path, Path, Path],
                                               audience: str) -> None:
    """The PDF sets the stance in a badge beside the actor; Word shows the actor in bold and a
    colon. (Before: "Russia Has used landmines extensively in Ukraine".)"""
    out, _, pdfs = word_pdfs
    text = pdf_text(pdfs, audience)
    assert "Russia: Has used landmines extensively in Ukraine" in text
    assert "Russia Has used" not in text
    document = docx.Document(str(word_file(out, audience)))
    head = next(p for p in document.paragraphs if p.text.startswith("Russia: Has used"))
    assert [r.bold for r in head.runs if r.text.strip()][:1] == [True]


@pytest.mark.slow
def test_the_contents_are_numbered_once(word_pdfs: tuple[Path, Path, Path]) -> None:
    """The section numbers are the headings' own; Word's list numbering came on top of them.
    (Before: "1. 1 The treaty and its history" … "9. Bibliography".)"""
    out, _, pdfs = word_pdfs
    text = pdf_text(pdfs, "parliamentary")
    contents = text[text.index("Contents"):text.index("Contents") + 400]
    assert contents.startswith("Contents 1 The treaty and its history 2 The humanitarian case")
    assert " Sources and their perspectives Bibliography " in contents
    assert not re.search(r"\b\d+\. \d+ ", contents), contents
    document = docx.Document(str(word_file(out, "parliamentary")))
    entries = [p for p in document.paragraphs if p.text == "1 The treaty and its history"]
    assert entries and entries[0]._p.pPr.numPr is None  # not a list paragraph


@pytest.mark.slow
@pytest.mark.parametrize("audience", AUDIENCES)
def test_heading_levels_follow_the_page(word_pdfs: tuple[Path, Path, Path],
                                        audience: str) -> None:
    """No heading is more than one level below the one before it, and the NGO's sections
    under "The evidence" are below it: Heading 3, their block titles Heading 4. (Before: the
    sections were Heading 2, like "The evidence" itself.)"""
    out, _, _ = word_pdfs
    document = docx.Document(str(word_file(out, audience)))
    headings = [(int(p.style.name.split()[-1]), p.text) for p in document.paragraphs
                if p.style.name.startswith("Heading ")]
    assert headings[0] == (1, "The Mine Ban Treaty under strain")
    for (before, _), (level, text) in itertools.pairwise(headings):
        assert level <= before + 1, text
    if audience == "ngo":
        start = headings.index((2, "The evidence"))
        end = headings.index((2, "Sources"))
        evidence = headings[start + 1:end]
        assert (3, "The humanitarian case") in evidence
        assert (4, "Landmine casualties in 2023") in evidence
        assert all(level >= 3 for level, _ in evidence), evidence


@pytest.mark.slow
@pytest.mark.parametrize("audience", AUDIENCES)
def test_the_bibliography_has_a_hanging_indent(word_pdfs: tuple[Path, Path, Path],
                                               audience: str) -> None:
    """Each entry a paragraph in the Bibliography style: no bullet, the lines after the first
    8 mm in, as the PDF sets them. (Before: a bulleted list, "•" before each entry.)"""
    out, _, pdfs = word_pdfs
    document = docx.Document(str(word_file(out, audience)))
    paragraphs = document.paragraphs
    heading = {"student": "Further reading and references", "minister": "Sources"}.get(
        audience, "Bibliography")
    start = max(i for i, p in enumerate(paragraphs)
                if p.text == heading and p.style.name.startswith("Heading"))
    entries = []  # up to the colophon (Body Text) or the next heading; pandoc's bullets were
    for paragraph in paragraphs[start + 1:]:  # Compact list paragraphs
        if paragraph.style.name not in ("Bibliography", "Compact"):
            break
        entries.append(paragraph)
    assert len(entries) >= 2  # the minister's two sources, the others' three
    for entry in entries:
        assert entry.style.name == "Bibliography", entry.text
        assert entry._p.pPr is None or entry._p.pPr.numPr is None, entry.text
        indent = entry.style.paragraph_format
        assert abs(indent.left_indent.mm - 8) < 0.1 and abs(indent.first_line_indent.mm + 8) < 0.1
    text = pdf_text(pdfs, audience)
    bibliography = text[text.rindex(heading):]
    assert entries[0].text[:30] in bibliography
    assert "\uf0b7" not in bibliography and "•" not in bibliography


@pytest.mark.slow
@pytest.mark.parametrize("audience", AUDIENCES)
def test_the_house_fonts_are_embedded(word_pdfs: tuple[Path, Path, Path], audience: str) -> None:
    """Source Serif 4 and Source Sans 3 (SIL OFL) travel in the .docx, obfuscated as ECMA-376
    §17.8.1 says, so LibreOffice sets the brief in them on a machine without them. (Before:
    none embedded; LibreOffice substituted Noto Sans for both.)"""
    from pypdf import PdfReader

    from briefsmith.formats.docx_fonts import obfuscate
    from briefsmith.theme import font_instances

    out, _, pdfs = word_pdfs
    fonts = {}
    for page in PdfReader(pdfs / f"{SAMPLE_BRIEF}-{audience}.pdf").pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            fonts[font["/BaseFont"].split("+")[-1]] = descriptor is not None and any(
                key in descriptor.get_object() for key in ("/FontFile", "/FontFile2",
                                                           "/FontFile3"))
    assert fonts.get("SourceSerif4-Regular") is True, fonts
    assert fonts.get("SourceSans3-Regular") is True, fonts
    assert not any(name.startswith("NotoSans") for name in fonts), fonts
    package = parts(word_file(out, audience))
    assert b"<w:embedTrueTypeFonts />" in package["word/settings.xml"]
    table = ElementTree.fromstring(package["word/fontTable.xml"])
    rels = dict(re.findall(r'Id="([^"]+)" Type="[^"]+/font" Target="([^"]+)"',
                           package["word/_rels/fontTable.xml.rels"].decode()))
    folder = font_instances.ensure()
    embedded = {}
    r_id = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    for font in table.iter(f"{W}font"):
        for face in ("Regular", "Bold", "Italic", "BoldItalic"):
            embed = font.find(f"{W}embed{face}")
            if embed is not None:
                data = obfuscate(package[f"word/{rels[embed.get(r_id)]}"],
                                 embed.get(f"{W}fontKey"))
                embedded[(font.get(f"{W}name"), face)] = data
    for family in ("Source Serif 4", "Source Sans 3"):
        for face in ("Regular", "Bold", "Italic", "BoldItalic"):
            expected = (folder / f"{family.replace(' ', '')}-{face}.ttf").read_bytes()
            assert embedded[(family, face)] == expected, (family, face)


@pytest.mark.slow
@pytest.mark.parametrize("audience", AUDIENCES)
def test_the_sample_builds_the_same_bytes_twice(word_pdfs: tuple[Path, Path, Path],
                                               audience: str) -> None:
    """Fonts, section and settings included: two builds give the same .docx bytes."""
    first, second, _ = word_pdfs
    assert word_file(first, audience).read_bytes() == word_file(second, audience).read_bytes()


def test_the_word_page_is_read_from_the_pdfs_stylesheet() -> None:
    """Paper and margins from the @page rules the PDF renderer reads (briefsmith.yaml's
    `paper` last), the logo's height from `.house-logo`; `:first` pages and screen-only rules
    left out, `!important` winning."""
    from briefsmith.content.config import Config
    from briefsmith.formats.docx_layout import layout

    templates = Path(__file__).resolve().parent.parent / "briefsmith" / "assets" / "templates"
    base = (templates / "_base" / "style.css").read_text(encoding="utf-8")
    minister = (templates / "minister" / "style.css").read_text(encoding="utf-8")

    def mm(points: float | None) -> float:
        assert points is not None
        return round(points / MM, 1)

    for paper, size in (("A4", (210, 297)), ("Letter", (215.9, 279.4))):
        page = layout(f"{base}\n{Config(paper=paper).css()}")
        assert (mm(page.width), mm(page.height)) == size
        assert [mm(m) for m in page.margins] == [26, 25, 25, 25]
        assert [(c, mm(h), w) for c, h, w in page.images] == [("house-logo", 11, None)]
    page = layout(f"{base}\n{minister}\n{Config().css()}")
    assert [mm(m) for m in page.margins] == [18, 18, 18, 20]
    assert page.image_size(["minister-logo"]) == (10 * MM, None)
    page = layout("@page { size: a5 landscape; margin: 1in 1in 1in 3cm !important }\n"
                  "@page :first { margin: 0 }\n@media screen { .house-logo { height: 2cm } }\n"
                  "@page { margin: 5mm; margin-left: 2cm; margin-top: 10% }\n"
                  "@media print { .masthead img.house-logo { height: 0.5in; width: 1in } }\n"
                  ".house-logo { width: auto }")
    assert (mm(page.width), mm(page.height)) == (210, 148)
    assert [mm(m) for m in page.margins] == [25.4, 25.4, 25.4, 30]
    assert page.image_size(["house-logo"]) == (36, None)


def test_the_section_has_the_page_and_the_logo_its_proportions(built: tuple[Path, Path]) -> None:
    """The fixture's house style sets no paper (A4) and a 60 × 30 px logo: the logo 11 mm
    tall (the minister's 10 mm) and twice as wide, the page A4 with the PDF's margins, the
    minister's its own."""
    for audience in AUDIENCES:
        package = parts(output(built[0], audience, "docx"))
        document = package["word/document.xml"].decode()
        logo = re.findall(r"<w:drawing>.*?</w:drawing>", document, re.S)[0]
        cx, cy = map(int, re.search(r'<wp:extent cx="(\d+)" cy="(\d+)"', logo).groups())
        tall = 10 if audience == "minister" else 11  # .minister-logo, .house-logo
        assert abs(cy / 36000 - tall) < 0.05 and abs(cx / cy - 2) < 0.01, (cx, cy)
        section = ElementTree.fromstring(package["word/document.xml"]).find(f"{W}body/{W}sectPr")
        size = section.find(f"{W}pgSz")
        assert (size.get(f"{W}w"), size.get(f"{W}h")) == ("11906", "16838")
        top = int(section.find(f"{W}pgMar").get(f"{W}top"))
        assert top == (1020 if audience == "minister" else 1474)


@pytest.mark.slow
def test_letter_paper_reaches_the_word_section() -> None:
    from briefsmith.content.config import Config
    from briefsmith.formats.docx import DocMeta, house_style, html_to_docx
    from briefsmith.formats.docx_layout import layout

    meta = DocMeta(title="Paper", author="Test", date="2026-11-23", language="en-US")
    page = "<html><body><main><h1>Paper</h1><p>Text.</p></main></body></html>"
    data = html_to_docx(page, house_style(""), meta, (), None,
                        page=layout(Config(paper="Letter").css()))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        root = ElementTree.fromstring(archive.read("word/document.xml"))
    size = root.find(f"{W}body/{W}sectPr/{W}pgSz")
    assert (size.get(f"{W}w"), size.get(f"{W}h")) == ("12240", "15840")
