"""The guide's "Customise your briefs" walk-through (docs/guide.md), as a new user does it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import REPO
from PIL import Image
from pypdf import PdfReader

LOGO = REPO / "assets" / "briefsmith-sample-logo.svg"


@pytest.mark.slow
def test_step1_logo_and_organisation_from_the_config(project: Path, cli) -> None:
    shutil.copy(LOGO, project / "logo.svg")
    (project / "briefsmith.yaml").write_text(
        'organisation: "Harbour Watch"\nlogo: "logo.svg"\ncolours:\n  accent: "#7a1f3d"\n')
    run = cli(project, "build", "--audience", "parliamentary", "--format", "html")
    assert run.code == 0, run.err
    html = (project / "output/harbour/harbour-parliamentary.html").read_text()
    assert '<img class="house-logo" src="data:image/svg+xml;base64,' in html
    # a raster logo becomes an image object in the PDF
    Image.new("RGB", (120, 120), "#7a1f3d").save(project / "logo.png")
    (project / "briefsmith.yaml").write_text(
        'organisation: "Harbour Watch"\nlogo: "logo.png"\ncolours:\n  accent: "#7a1f3d"\n')
    run = cli(project, "build", "--audience", "parliamentary")
    assert run.code == 0, run.err
    html = (project / "output/harbour/harbour-parliamentary.html").read_text()
    assert '<img class="house-logo" src="data:image/png;base64,' in html
    assert re.search(r'<span class="house-name"[^>]*>Harbour Watch</span>', html)
    assert "--accent: #7a1f3d;" in html
    reader = PdfReader(project / "output/harbour/harbour-parliamentary.pdf")
    assert "Harbour Watch" in reader.pages[0].extract_text()
    assert reader.pages[0]["/Resources"].get("/XObject")  # the logo is drawn on page 1


@pytest.mark.slow
def test_step2_override_one_block_of_the_parliamentary_template(project: Path, cli) -> None:
    house = project / "house" / "parliamentary"
    house.mkdir(parents=True)
    (house / "brief.html.j2").write_text(
        '{% extends "project/parliamentary/brief.html.j2" %}\n'
        "{% block colophon %}<footer class=\"colophon\"><p>Prepared by the Harbour Research "
        "Service.</p></footer>{% endblock %}\n")
    (project / "briefsmith.yaml").write_text('templates: "house"\n')
    run = cli(project, "build", "--audience", "parliamentary", "--explain")
    assert run.code == 0, run.err
    assert "  brief.html.j2                house/parliamentary/brief.html.j2" in run.out
    assert ("  project/parliamentary/brief.html.j2 templates/parliamentary/brief.html.j2"
            in run.out)
    html = (project / "output/harbour/harbour-parliamentary.html").read_text()
    assert "Prepared by the Harbour Research Service." in html
    assert "Research briefing" in html  # everything else still comes from the original
    assert "Disclaimer" not in html  # the replaced block is gone
    assert not [line for line in run.err_lines if "warning: block" in line]


@pytest.mark.slow
def test_step3_add_an_audience_with_a_folder_only(project: Path, cli) -> None:
    shutil.rmtree(project / "templates")  # as the sample: the built-in templates only
    copied = cli(project, "templates", "copy", "minister", "--as", "press")
    assert copied.code == 0, copied.err
    assert copied.out.splitlines() == [
        "copied to templates/press/audience.yaml", "copied to templates/press/brief.html.j2",
        "copied to templates/press/style.css",
        "audience 'press': set its label in templates/press/audience.yaml, then add it to the "
        "audiences: list of a brief"]
    again = cli(project, "templates", "copy", "minister", "--as", "press")
    assert again.code != 0 and again.err_lines[0].endswith(
        "templates/press/audience.yaml already exists and was not overwritten: choose another "
        "name, or move it away and copy again")
    (project / "templates" / "press" / "audience.yaml").write_text(
        "label: Press pack\ncitation_style: ieee\nnotes: in-text\n")
    brief = project / "briefs" / "harbour.yaml"
    brief.write_text(brief.read_text().replace("[parliamentary, ngo, student]",
                                               "[parliamentary, ngo, student, press]"))
    run = cli(project, "build", "--audience", "press")
    assert run.code == 0, run.err
    pdf = project / "output/harbour/harbour-press.pdf"
    assert len(PdfReader(pdf).pages) == 1
    first = (PdfReader(pdf).pages[0].extract_text() or "").splitlines()[0]
    assert first.upper().endswith("· PRESS PACK"), first  # its own label, not the minister's
    listed = cli(project, "list")
    assert "  press: Press pack (notes: in-text, style: ieee)" in listed.out


@pytest.mark.slow
def test_a_logo_in_the_house_colour_stays_visible_on_the_ngo_cover(project: Path, cli) -> None:
    """The NGO cover is filled with the house accent: a logo drawn in that colour (here a
    maroon disc on a transparent ground) sits on white, not on the accent it would vanish
    into."""
    import subprocess

    from PIL import ImageDraw

    accent = (0x7A, 0x1F, 0x3D)
    logo = Image.new("RGBA", (120, 120), (0, 0, 0, 0))
    ImageDraw.Draw(logo).ellipse((10, 10, 110, 110), fill=(*accent, 255))
    logo.save(project / "logo.png")
    (project / "briefsmith.yaml").write_text('logo: "logo.png"\nlogo_alt: "Harbour Watch"\n'
                                             'colours:\n  accent: "#7a1f3d"\n')
    run = cli(project, "build", "--audience", "ngo", "--format", "pdf")
    assert run.code == 0, run.err
    subprocess.run(["pdftoppm", "-r", "72", "-png", "-f", "1", "-l", "1",
                    str(project / "output/harbour/harbour-ngo.pdf"), str(project / "cover")],
                   check=True)
    [png] = project.glob("cover*.png")
    page = Image.open(png).convert("RGB")
    raw, width = page.tobytes(), page.width

    def is_accent(i: int) -> bool:
        return all(abs(raw[3 * i + k] - v) < 12 for k, v in enumerate(accent))

    cover = [i for i in range(len(raw) // 3) if is_accent(i)]
    left, top = min(i % width for i in cover), min(i // width for i in cover)
    mm = 72 / 25.4  # the logo: the top left of the cover, inside its 9 mm padding
    box = page.crop((left + int(7 * mm), top + int(7 * mm), left + int(26 * mm),
                     top + int(22 * mm))).tobytes()
    white = sum(1 for i in range(0, len(box), 3) if min(box[i:i + 3]) > 235)
    assert white > 200, f"the logo has no light ground on the cover ({white} white pixels)"
