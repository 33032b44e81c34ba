"""Figure and chart blocks (issue 10): a copy of the minimal project with a drawing and a bar
chart added (tests/fixtures/figures), built by the real CLI and read back with pypdf,
python-docx's zip and the HTML; and every refusal at the file and line the user must fix."""

from __future__ import annotations

import base64
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from _content_edits import assert_fails, edit, write
from conftest import FIXTURES, copy_project
from PIL import Image
from pypdf import PdfReader

from briefsmith.evidence.figures import MAX_FIGURE_BYTES
from briefsmith.formats.pdf import MAX_IMAGE_PIXELS
from briefsmith.render.charts import chart_svg

FIG = "content/blocks/figures.yaml"
PNG = "content/figures/quay.png"
NOTHING = "briefsmith: {} problem{}; no output was written"


def _add_figures(root: Path) -> Path:
    shutil.copytree(FIXTURES / "figures" / "content", root / "content", dirs_exist_ok=True)
    text = root / "content/sources/harbour-report.txt"
    text.write_text(text.read_text(encoding="utf-8")
                    + (FIXTURES / "figures" / "source-lines.txt").read_text(encoding="utf-8"),
                    encoding="utf-8")
    edit(root, "briefs/harbour.yaml", "blocks: [boats-first-year, review-asked]",
         "blocks: [boats-first-year, quay-chart, quay-photo, review-asked]")
    return root


@pytest.fixture
def figures(tmp_path: Path) -> Path:
    return _add_figures(copy_project("minimal", tmp_path / "project"))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from briefsmith.cli import main

    root = _add_figures(copy_project("minimal", tmp_path_factory.mktemp("fig") / "project"))
    assert main(["--project", str(root), "build", "--audience", "parliamentary",
                 "--format", "pdf,html,docx"]) == 0
    return root / "output" / "harbour"


@pytest.mark.slow
def test_pdf_shows_the_drawing_and_the_chart_with_captions_credit_and_citations(
        built: Path) -> None:
    reader = PdfReader(built / "harbour-parliamentary.pdf")
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
    images = [img for page in reader.pages for img in page.images]
    assert any(img.image.size == (480, 270) for img in images)  # the drawing, as drawn
    assert "The new quay in its first year" in text
    assert "Credit: Drawing: Ada Byron for The Harbour Gazette" in text
    assert "Boats that used the old quay in 2025 and the new quay in its first year" in text
    # the chart's note cites both its values' passages, the figure's the credit's passage
    assert "Byron, ‘Harbour Report’, paras 2, 5." in text
    assert "Byron, ‘Harbour Report’, para. 6." in text  # the style's label, as for paras
    assert "Old quay, 2025" not in text  # the chart's words are drawn as paths, not fonts


@pytest.mark.slow
def test_html_gives_alt_text_figcaption_and_the_charts_data_table(built: Path) -> None:
    html = (built / "harbour-parliamentary.html").read_text(encoding="utf-8")
    assert re.search(r'<img src="data:image/png;base64,[^"]+" alt="Drawing of the new quay, '
                     r'with four fishing boats moored along it">', html)
    assert re.search(r'<img src="data:image/svg\+xml;base64,[^"]+" alt="Bar chart: 640 boats '
                     r'used the old quay in 2025 and 1,200 the new quay in its first year">', html)
    assert '<span class="credit">Credit: Drawing: Ada Byron for The Harbour Gazette</span>' in html
    assert html.count("<figcaption>") >= 2
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th><td>([^<]+)</td><td>([^<]+)</td></tr>',
                      html)
    assert rows == [("Old quay, 2025", "640 boats", "Harbour Report, para 5"),
                    ("New quay, first year", "1,200 boats", "Harbour Report, para 2")]
    assert "Value (boats)" in html


@pytest.mark.slow
def test_word_embeds_the_drawing_and_the_chart(built: Path) -> None:
    with zipfile.ZipFile(built / "harbour-parliamentary.docx") as package:
        media = [n for n in package.namelist() if n.startswith("word/media/")]
        document = package.read("word/document.xml").decode("utf-8")
    assert any(n.endswith(".png") for n in media) and any(n.endswith(".svg") for n in media)
    assert "Drawing of the new quay" in document and "Bar chart: 640 boats" in document


@pytest.mark.slow
def test_the_chart_is_the_same_bytes_every_time_and_cached(built: Path) -> None:
    from briefsmith.evidence.verify import load_project
    from briefsmith.render.charts import _draw

    root = built.parent.parent
    block = load_project(root).content.blocks["quay-chart"]
    cached = list((root / "output/.cache/charts").glob("*.svg"))
    assert len(cached) == 1
    _draw.cache_clear()
    assert chart_svg(block) == cached[0].read_bytes()
    assert b"<script" not in cached[0].read_bytes() and b"<text" not in cached[0].read_bytes()


def _check(cli, root: Path, *lines: str) -> None:
    assert_fails(cli(root, "check"), root, *lines)


def test_a_figure_without_alt_text_is_refused(figures: Path, cli) -> None:
    edit(figures, FIG, '  alt: "Drawing of the new quay, with four fishing boats moored along '
                       'it"\n', "")
    _check(cli, figures, f"{FIG}:2:3: block 'quay-photo' is missing required key 'alt': add "
                         "the line 'alt: ...'")


def test_a_missing_image_file_is_refused(figures: Path, cli) -> None:
    (figures / PNG).unlink()
    _check(cli, figures, f"{FIG}:5:10: image '{PNG}' of figure 'quay-photo' does not exist: "
                         "save the image there, or correct the path")


@pytest.mark.parametrize("path", ["../outside.png", "/etc/passwd.png", "briefs/quay.png"])
def test_an_image_outside_the_content_folder_is_refused(figures: Path, cli, path: str) -> None:
    (figures.parent / "outside.png").write_bytes((figures / PNG).read_bytes())
    edit(figures, FIG, f"image: {PNG}", f"image: {path}")
    _check(cli, figures, f"{FIG}:5:10: image '{path}' of figure 'quay-photo' is not inside the "
                         "project's content/ folder: give a path such as "
                         "content/figures/map.png, relative to the project")


def test_an_image_that_is_a_link_is_refused(figures: Path, cli) -> None:
    outside = figures.parent / "secret.png"
    shutil.move(figures / PNG, outside)
    (figures / PNG).symlink_to(outside)
    _check(cli, figures, f"{FIG}:5:10: image '{PNG}' of figure 'quay-photo' is a link (or "
                         "inside a linked folder): copy the image into the project")


def test_an_image_over_the_size_limit_is_refused(figures: Path, cli) -> None:
    (figures / PNG).write_bytes(b"\x89PNG" + b"\0" * MAX_FIGURE_BYTES)
    _check(cli, figures, f"{FIG}:5:10: image '{PNG}' of figure 'quay-photo' is over "
                         f"{MAX_FIGURE_BYTES:,} bytes, the limit: use a smaller file (a lower "
                         "resolution, or JPEG for a photograph)")


def test_an_image_over_the_pixel_limit_is_refused(figures: Path, cli) -> None:
    side = int(MAX_IMAGE_PIXELS ** 0.5) + 10
    Image.new("1", (side, side)).save(figures / PNG, optimize=True)
    _check(cli, figures, f"{FIG}:5:10: image '{PNG}' of figure 'quay-photo' is {side} x {side} "
                         f"pixels; the limit is {MAX_IMAGE_PIXELS:,} pixels: scale it down")


def test_a_truncated_image_is_refused(figures: Path, cli) -> None:
    data = (figures / PNG).read_bytes()
    (figures / PNG).write_bytes(data[: len(data) // 2])
    _check(cli, figures, f"{FIG}:5:10: image '{PNG}' of figure 'quay-photo' is not a readable "
                         "PNG image (corrupt or truncated): export it again")


SVG_HEAD = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'


@pytest.mark.parametrize(("svg", "why"), [
    (f"{SVG_HEAD}<script>alert(1)</script></svg>",
     "has a <script> element, which can run code or load content: remove it"),
    (f'{SVG_HEAD}<rect width="5" height="5" onclick="alert(1)"/></svg>',
     "has an event handler (onclick=...), which runs code: remove it"),
    ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
     '<image xlink:href="https://example.org/x.png"/></svg>',
     "refers to another file or address (https://example.org/x.png): an SVG figure may refer "
     "only to its own parts (#id)"),
    (f'{SVG_HEAD}<rect style="fill: url(file:///etc/x)"/></svg>',
     "has a style that loads another file (url(...)): remove it"),
    ('<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
     f"{SVG_HEAD}<text>&b;</text></svg>",
     "has a DOCTYPE (entities are refused): delete the <!DOCTYPE ...> part"),
    ("<html><body>not an image</body></html>",
     "is not an SVG image (its root element is not <svg> in the SVG namespace)"),
    (f"{SVG_HEAD}<rect>", "is not well-formed XML (no element found, line 1): export it again"),
], ids=["script", "event-handler", "external-href", "style-url", "entities", "not-svg",
        "broken"])
def test_an_unsafe_svg_is_refused(figures: Path, cli, svg: str, why: str) -> None:
    write(figures, "content/figures/quay.svg", svg)
    edit(figures, FIG, f"image: {PNG}", "image: content/figures/quay.svg")
    _check(cli, figures, f"{FIG}:5:10: image 'content/figures/quay.svg' of figure "
                         f"'quay-photo' {why}")


@pytest.mark.slow
def test_a_safe_svg_figure_is_accepted(figures: Path, cli) -> None:
    write(figures, "content/figures/quay.svg",
          f'{SVG_HEAD}<defs><linearGradient id="g"/></defs><rect fill="url(#g)" width="5" '
          'height="5"/></svg>')
    edit(figures, FIG, f"image: {PNG}", "image: content/figures/quay.svg")
    assert cli(figures, "check").code == 0


def test_a_credit_not_in_its_passage_is_refused(figures: Path, cli) -> None:
    edit(figures, FIG, 'credit: "Drawing: Ada Byron for The Harbour Gazette"',
         'credit: "Photo: Harbour Authority"')
    _check(cli, figures, f"{FIG}:8:11: the 'credit' of figure 'quay-photo' is not inside any "
                         "of its cited passages: cite the passage that credits the image, and "
                         "copy the credit from it word for word")


def test_a_chart_value_not_in_its_passage_is_refused(figures: Path, cli) -> None:
    edit(figures, FIG, 'value: "640 boats"', 'value: "650 boats"')
    _check(cli, figures, f"{FIG}:24:14: value 'Old quay, 2025' of chart 'quay-chart' is 650 "
                         "boats, but its passage gives 2025, 640: give the passage's figure, or "
                         "cite the passage that states this one")


def test_a_chart_value_must_keep_its_passages_qualifier(figures: Path, cli) -> None:
    edit(figures, FIG, 'value: "640 boats"', 'value: "about 640 boats"')
    _check(cli, figures, f"{FIG}:24:14: value 'Old quay, 2025' of chart 'quay-chart' is about "
                         "640 boats, but its passage says \"640\" with no 'about': write the "
                         "value as the passage gives it")


def test_a_chart_value_must_be_a_number(figures: Path, cli) -> None:
    edit(figures, FIG, 'value: "640 boats"', "value: {set: [Old, New]}")
    _check(cli, figures, f"{FIG}:22:14: value 1 of chart 'quay-chart' is a set; a chart draws "
                         "numbers: write a number such as 'nearly 2,000 people'")


def test_markdown_images_point_to_the_figure_block(figures: Path, cli) -> None:
    edit(figures, "content/blocks/harbour.yaml",
         'text: "Critics say the quay was built for tourists rather than fishing crews."',
         'text: "Critics say ![Map](content/figures/quay.png) the quay is wrong."')
    run = cli(figures, "check")
    assert run.code == 1
    assert "show the image as a block of type 'figure'" in run.err_lines[0]


@pytest.mark.slow
def test_a_changed_image_rebuilds_the_outputs_that_show_it(figures: Path, cli) -> None:
    args = ("build", "--audience", "ngo", "--format", "html")
    assert cli(figures, *args).code == 0
    assert "built 0, skipped 1" in cli(figures, *args).out
    Image.new("RGB", (480, 270), (10, 20, 30)).save(figures / PNG)
    run = cli(figures, *args)
    assert "built 1, skipped 0" in run.out
    html = (figures / "output/harbour/harbour-ngo.html").read_text(encoding="utf-8")
    assert base64.b64encode((figures / PNG).read_bytes()).decode("ascii") in html


@pytest.mark.slow
def test_a_line_chart_is_drawn_too(figures: Path) -> None:
    from briefsmith.evidence.verify import load_project

    bar = load_project(figures).content.blocks["quay-chart"]
    edit(figures, FIG, "chart: bar", "chart: line")
    line = load_project(figures).content.blocks["quay-chart"]
    drawn = chart_svg(line)
    assert drawn.startswith(b"<?xml") and drawn != chart_svg(bar)


def test_checks_dry_render_draws_no_chart_but_the_build_does(figures: Path) -> None:
    """`check` reads element ids off its in-memory pages, never pixels: drawing there cost each
    worker matplotlib's import and half a second, in every build of a project whose output/
    has no chart cache yet."""
    from briefsmith.builder.checks import check
    from briefsmith.content.select import select
    from briefsmith.evidence.verify import load_project
    from briefsmith.render.charts import NOT_DRAWN, _draw
    from briefsmith.render.html import dry_render

    project = load_project(figures)
    brief = project.content.briefs["harbour"]
    selection = select(project.content, brief, project.content.audiences["parliamentary"],
                       project.config.citation_styles)
    _draw.cache_clear()
    page = dry_render({"project": project}, (selection, ("pdf", "html", "docx")))
    assert _draw.cache_info().misses == 0
    assert f'<img src="{NOT_DRAWN}" alt="Bar chart: 640 boats' in page
    check(figures)  # the pages check keeps still pass with the stand-in
    assert not (figures / "output").exists()


@pytest.mark.slow
def test_a_chart_is_drawn_in_the_house_colours(figures: Path, cli) -> None:
    """A maroon house style gets a maroon chart, not the built-in blue."""
    import base64
    import re

    (figures / "briefsmith.yaml").write_text(
        'colours:\n  accent: "#7a1f3d"\n  ink: "#222222"\n', encoding="utf-8")
    run = cli(figures, "build", "--audience", "parliamentary", "--format", "html")
    assert run.code == 0, run.err
    html = (figures / "output" / "harbour" / "harbour-parliamentary.html").read_text()
    charts = [base64.b64decode(m).decode() for m in re.findall(
        r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", html)]
    drawn = [svg for svg in charts if "<path" in svg and len(svg) > 2000]
    assert drawn, "no chart in the page"
    assert all("#7a1f3d" in svg and "#2b5d8a" not in svg for svg in drawn)
    assert all("#222222" in svg and "#1a1a1a" not in svg for svg in drawn)
