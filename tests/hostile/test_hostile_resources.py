"""Group 4: Markdown and HTML that reach for files or the network.

Content is untrusted: whatever it says, the build succeeds (exit 0), the construct is shown as
text or dropped, and nothing is loaded. Templates and stylesheets are the user's own code: a
resource they ask for outside the project, or on the network, is refused (exit 1) with one line
naming it, and the last good outputs stay byte-identical. In every case no output file holds an
outside file's contents: not the PDF text, not any PDF stream, no PDF attachment, not the HTML.
"""

from __future__ import annotations

import base64
import contextlib
import io
import re
import shutil
from dataclasses import dataclass
from functools import cached_property
from html.parser import HTMLParser
from pathlib import Path

import pytest

from briefsmith.cli import main

from .hostile_support import (
    BRIEF,
    BRIEF_AT,
    EXTRA_BLOCKS,
    NGO_HTML,
    NGO_PDF,
    SECRET,
    add_to_template,
    assert_no_leak,
    attempts,
    digest,
    edit,
    network_guard,
    pdf_attachments,
    pdf_bytes_decoded,
    pdf_text,
    problem_lines,
    refused,
    write,
    yaml_str,
)

PROGRESS = re.compile(r"^\[\d+/\d+\] (built|failed) ")
PASSWD = Path("/etc/passwd")
OUTSIDE = "it is outside the project"
NETWORK = "the renderer never uses the network"

class _Loaders(HTMLParser):
    """Every real element or attribute through which HTML can load or run something."""

    TAGS = frozenset({"img", "iframe", "object", "embed", "svg", "image", "link", "style",
                      "script", "video", "audio", "source", "picture", "track", "frame",
                      "frameset", "base", "meta", "input", "form"})
    ATTRS = frozenset({"src", "srcset", "data", "style", "background", "poster", "xlink:href",
                       "action", "formaction"})

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.TAGS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name in self.ATTRS or name.startswith("on"):
                self.found.append(f"<{tag} {name}>")
            elif name == "href" and not (value or "").startswith(("https://", "mailto:", "#")):
                self.found.append(f"<{tag} href={value}>")
            elif name == "rel" and "attachment" in (value or ""):
                self.found.append(f"<{tag} rel={value}>")


def loaders(html: str) -> list[str]:
    parser = _Loaders()
    parser.feed(html)
    parser.close()
    return parser.found


def _svg_data_url(secret: Path) -> str:
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
           f'width="10" height="10"><image xlink:href="file://{secret}" width="5" height="5"/>'
           "</svg>")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _up(path: Path) -> str:
    """A relative reference that climbs out of any folder to `path`."""
    return "../" * 30 + str(path).lstrip("/")


# (test id, Markdown written into a block's text, text that must be shown for it or None)
# Markdown images are refused at validation (nothing silently dropped): see
# test_markdown_images_in_content_are_refused_before_anything_is_loaded.
MD_IMAGES = [
    ("md-image-file-passwd", "![x](file:///etc/passwd)"),
    ("md-image-relative-traversal", "![x](../../../../etc/passwd) ![y]({up})"),
    ("md-image-http-and-https", "![x](http://127.0.0.1:9/x.png) ![y](https://example.org/y.png)"),
    ("md-image-data-svg-with-external-image", "![x]({svg})"),
]
CONTENT = [
    ("raw-img", '<img src="file://{secret}">', '&lt;img src="file://{secret}"&gt;'),
    ("raw-link-attachment", '<link rel=attachment href="file://{secret}">',
     '&lt;link rel=attachment href="file://{secret}"&gt;'),
    ("raw-a-attachment", '<a rel=attachment href="file:///etc/passwd">passwd</a>',
     '&lt;a rel=attachment href="file:///etc/passwd"&gt;passwd&lt;/a&gt;'),
    ("raw-iframe", '<iframe src="file://{secret}"></iframe>',
     '&lt;iframe src="file://{secret}"&gt;&lt;/iframe&gt;'),
    ("raw-object", '<object data="file://{secret}"></object>',
     '&lt;object data="file://{secret}"&gt;&lt;/object&gt;'),
    ("raw-svg-image", '<svg><image href="file://{secret}"/></svg>',
     '&lt;svg&gt;&lt;image href="file://{secret}"/&gt;&lt;/svg&gt;'),
    ("raw-style-attribute-url", '<p style="background: url(file://{secret})">x</p>',
     '&lt;p style="background: url(file://{secret})"&gt;x&lt;/p&gt;'),
    ("raw-data-svg-img", '<img src="{svg}">', '&lt;img src="data:image/svg+xml;base64,'),
    ("md-javascript-link", "[click](javascript:alert(1))",
     '<a rel="noopener noreferrer">click</a>'),
    ("md-file-link", "[read](file://{secret})", '<a rel="noopener noreferrer">read</a>'),
    ("entity-encoded-img", '&#60;img src="file://{secret}"&#62;',
     '&amp;#60;img src="file://{secret}"&amp;#62;'),
]


@dataclass
class ContentBuild:
    root: Path
    secret: Path
    values: dict[str, str]
    code: int
    problems: list[str]

    @cached_property
    def pdf_words(self) -> str:
        return " ".join(pdf_text(self.root / NGO_PDF).split())

    @cached_property
    def leak(self) -> str | None:
        """Why the outputs leak, or None: checked once for all the tests that share them."""
        try:
            assert_no_leak(self.root / "output", self.secret, PASSWD)
        except AssertionError as exc:
            return str(exc)
        return None


def _payload_project(baseline: Path, base: Path,
                     payloads: list[tuple[str, str]]) -> tuple[Path, Path, dict[str, str]]:
    """A copy of the baseline with each payload in a question block of its own, in a section
    of the brief; a secret file outside the project for the payloads to reach for."""
    root = base / "project"
    shutil.copytree(baseline, root, symlinks=True)
    secret = base / "outside-secret.txt"
    secret.write_text(SECRET + "\n", encoding="utf-8")
    values = {"secret": str(secret), "up": _up(secret), "svg": _svg_data_url(secret)}
    write(root, EXTRA_BLOCKS, "".join(
        f"- id: payload-{name}\n  type: question\n"
        f"  text: {yaml_str(f'Payload {name}: ' + payload.format(**values))}\n"
        for name, payload in payloads))
    ids = ", ".join(f"payload-{name}" for name, _ in payloads)
    edit(root, BRIEF, "blocks: [critics-view, quay-question]",
         f"blocks: [critics-view, quay-question, {ids}]")
    return root, secret, values


def _guarded_ngo_build(root: Path, log: Path) -> tuple[int, list[str]]:
    """The NGO build with the network guard on: its exit status and its problem lines."""
    err = io.StringIO()
    with network_guard(log), contextlib.redirect_stderr(err), \
            contextlib.redirect_stdout(io.StringIO()):
        code = main(["--project", str(root), "build", "--audience", "ngo"])
    assert not attempts(log), attempts(log)
    return code, [line for line in err.getvalue().splitlines() if not PROGRESS.match(line)]


@pytest.fixture(scope="module")
def content_build(baseline: Path, tmp_path_factory: pytest.TempPathFactory) -> ContentBuild:
    """One NGO build (PDF and HTML) of the baseline project with every payload in a block of
    its own, and two in a section intro. (One build for all: each PDF render costs seconds.)"""
    base = tmp_path_factory.mktemp("hostile-content")
    root, secret, values = _payload_project(baseline, base,
                                            [(name, payload) for name, payload, _ in CONTENT])
    intro = f'<img src="file://{secret}"> Intro payload.'
    edit(root, BRIEF, '    title: "Facts"', f'    title: "Facts"\n    intro: {yaml_str(intro)}')
    code, problems = _guarded_ngo_build(root, base / "network-attempts.log")
    return ContentBuild(root, secret, values, code, problems)


def _block_html(html: str, block_id: str) -> str:
    match = re.search(rf'<div class="block question" id="block-{block_id}">(.*?)</div>', html,
                      re.S)
    assert match, f"block {block_id} is not in the HTML"
    return match.group(1)


@pytest.mark.slow
@pytest.mark.parametrize(("name", "shown"), [(n, s) for n, _, s in CONTENT],
                         ids=[name for name, _, _ in CONTENT])
def test_resource_in_content_is_neutralised(content_build: ContentBuild, name: str,
                                            shown: str | None) -> None:
    build = content_build
    assert build.code == 0, build.problems
    assert build.problems == []  # not even a warning: nothing was tried
    html = (build.root / NGO_HTML).read_text(encoding="utf-8")
    block = _block_html(html, f"payload-{name}")
    assert f"Payload {name}:" in block
    assert loaders(block) == []
    if shown is not None:
        assert shown.format(**build.values) in block
    assert f"Payload {name}:" in build.pdf_words
    assert build.leak is None, build.leak


def test_markdown_images_in_content_are_refused_before_anything_is_loaded(
        baseline: Path, tmp_path: Path) -> None:
    root, _, _ = _payload_project(baseline, tmp_path, MD_IMAGES)
    before = (root / NGO_HTML).read_bytes()
    code, problems = _guarded_ngo_build(root, tmp_path / "network-attempts.log")
    assert code == 1
    for name, _ in MD_IMAGES:
        assert any(f"block 'payload-{name}' has an image in its text" in line
                   for line in problems), problems
    assert (root / NGO_HTML).read_bytes() == before


@pytest.mark.slow
def test_resource_in_a_section_intro_is_neutralised(content_build: ContentBuild) -> None:
    build = content_build
    assert build.code == 0, build.problems
    html = (build.root / NGO_HTML).read_text(encoding="utf-8")
    intro = re.search(r'<div class="section-intro">(.*?)</div>', html, re.S)
    assert intro, "the section intro is not in the HTML"
    assert "Intro payload." in intro.group(1)
    assert f'&lt;img src="file://{build.secret}"&gt;' in intro.group(1)
    assert loaders(intro.group(1)) == []
    assert "Intro payload." in build.pdf_words
    assert build.leak is None, build.leak


@pytest.mark.slow
def test_no_content_payload_adds_a_loading_element(content_build: ContentBuild,
                                                   baseline: Path) -> None:
    """The whole page: exactly the loading elements the untouched template has."""
    before = loaders((baseline / NGO_HTML).read_text(encoding="utf-8"))
    after = loaders((content_build.root / NGO_HTML).read_text(encoding="utf-8"))
    assert after == before


# (test id, HTML added to the NGO template, refused URL, why) - every one exits 1.
TEMPLATE = [
    ("img-file-etc-passwd", '<img src="file:///etc/passwd" alt="x">', "file:///etc/passwd",
     OUTSIDE),
    ("css-url-file-etc-passwd", '<div style="background: url(file:///etc/passwd)">x</div>',
     "file:///etc/passwd", OUTSIDE),
    ("img-outside-file", '<img src="file://{secret}" alt="x">', "file://{secret}", OUTSIDE),
    ("img-relative-traversal", '<img src="{up}" alt="x">', "file://{secret}", OUTSIDE),
    ("link-rel-attachment", '<link rel="attachment" href="file://{secret}">', "file://{secret}",
     OUTSIDE),
    ("a-rel-attachment", '<a rel="attachment" href="file:///etc/passwd">x</a>',
     "file:///etc/passwd", OUTSIDE),
    ("object-data", '<object data="file://{secret}"></object>', "file://{secret}", OUTSIDE),
    ("inline-svg-image", '<svg width="10" height="10"><image href="file://{secret}" width="5" '
     'height="5"/></svg>', "file://{secret}", OUTSIDE),
    ("data-svg-with-external-image", '<img alt="x" src="{svg}">', "file://{secret}", OUTSIDE),
    ("img-http", '<img src="http://127.0.0.1:9/x.png" alt="x">', "http://127.0.0.1:9/x.png",
     NETWORK),
    ("img-https", '<img src="https://example.org/x.png" alt="x">', "https://example.org/x.png",
     NETWORK),
    ("style-element-import-http", "<style>@import url(http://127.0.0.1:9/x.css);</style>",
     "http://127.0.0.1:9/x.css", NETWORK),
]


@pytest.mark.slow
@pytest.mark.parametrize(("html", "url", "why"), [(h, u, w) for _, h, u, w in TEMPLATE],
                         ids=[name for name, *_ in TEMPLATE])
def test_resource_in_a_template_is_refused(hproject: Path, cli, secret: Path, html: str,
                                           url: str, why: str) -> None:
    values = {"secret": secret, "up": _up(secret), "svg": _svg_data_url(secret)}
    before = digest(hproject / "output")
    add_to_template(hproject, html.format(**values))
    run = cli(hproject, "build", "--audience", "ngo", "--format", "pdf")
    assert run.code == 1
    assert problem_lines(run.err_lines) == [refused(url.format(**values), why)]
    assert digest(hproject / "output") == before
    assert_no_leak(hproject / "output", secret, PASSWD)


@pytest.mark.slow
@pytest.mark.parametrize("css", [
    "body {{ background: url(file://{secret}); }}",
    "@font-face {{ font-family: Leak; src: url(file://{secret}); }} body {{ font-family: Leak; }}",
], ids=["background-url", "font-face-src"])
def test_resource_in_a_stylesheet_is_refused(hproject: Path, cli, secret: Path,
                                             css: str) -> None:
    before = digest(hproject / "output")
    with (hproject / "templates/ngo/style.css").open("a", encoding="utf-8") as style:
        style.write("\n" + css.format(secret=secret) + "\n")
    run = cli(hproject, "build", "--audience", "ngo", "--format", "pdf")
    assert run.code == 1
    assert problem_lines(run.err_lines) == [refused(f"file://{secret}", OUTSIDE)]
    assert digest(hproject / "output") == before
    assert_no_leak(hproject / "output", secret)


@pytest.mark.slow
def test_import_in_style_css_is_ignored_and_never_fetched(hproject: Path, cli) -> None:
    """Every style.css on the chain is joined after the built-in one, so an @import in a
    project stylesheet is never first: WeasyPrint ignores it (a warning), fetches nothing."""
    style = hproject / "templates/ngo/style.css"
    style.write_text("@import url(http://127.0.0.1:9/x.css);\n" + style.read_text())
    run = cli(hproject, "build", "--audience", "ngo", "--format", "pdf")
    assert run.code == 0, run.err
    [warning] = run.err_lines
    assert warning.startswith("briefs/harbour.yaml: warning: harbour (ngo): renderer: @import "
                              "rule ' url(http://127.0.0.1:9/x.css)' not at the beginning")


@pytest.mark.slow
def test_symlink_in_templates_pointing_outside_is_refused(hproject: Path, cli,
                                                          secret: Path) -> None:
    before = digest(hproject / "output")
    (hproject / "templates/ngo/logo.png").symlink_to(secret)
    add_to_template(hproject, '<img src="logo.png" alt="logo">')
    run = cli(hproject, "build", "--audience", "ngo", "--format", "pdf")
    assert run.code == 1
    assert problem_lines(run.err_lines) == [
        refused(f"file://{hproject}/templates/ngo/logo.png", OUTSIDE)]
    assert digest(hproject / "output") == before
    assert_no_leak(hproject / "output", secret)


@pytest.mark.slow
def test_symlink_read_through_asset_is_refused(hproject: Path, cli, secret: Path) -> None:
    (hproject / "templates/ngo/logo.png").symlink_to(secret)
    add_to_template(hproject, "<img src=\"{{ asset('logo.png') }}\" alt=\"logo\">")
    run = cli(hproject, "build", "--audience", "ngo", "--format", "html")
    assert_no_leak(hproject / "output", secret)
    assert run.code == 1


@pytest.mark.slow
def test_iframe_in_a_template_loads_nothing(hproject: Path, cli, secret: Path) -> None:
    """WeasyPrint does not render iframes: nothing is fetched, the build succeeds."""
    add_to_template(hproject, f'<iframe src="file://{secret}"></iframe>')
    run = cli(hproject, "build", "--audience", "ngo", "--format", "pdf")
    assert run.code == 0, run.err
    assert_no_leak(hproject / "output", secret)


@pytest.mark.slow
def test_attachment_inside_the_project_is_allowed_and_detected(hproject: Path, cli) -> None:
    """The control for the leak checks above: a template may attach a project file, and then
    pdf_attachments and the stream search do see it."""
    add_to_template(hproject, '<link rel="attachment" '
                              'href="../../content/sources/harbour-report.txt">')
    run = cli(hproject, "build", "--audience", "ngo", "--format", "pdf")
    assert run.code == 0, run.err
    pdf = hproject / NGO_PDF
    assert pdf_attachments(pdf)
    assert b"The harbour authority said on Monday" in pdf_bytes_decoded(pdf)


@pytest.mark.slow
def test_refusal_is_reported_once_per_resource(hproject: Path, cli, secret: Path) -> None:
    """One template asking for two outside files: two lines, no echo of WeasyPrint's own
    'Failed to load' for the same refusal."""
    add_to_template(hproject, f'<img src="file://{secret}" alt="x">'
                              '<img src="file:///etc/passwd" alt="y">')
    run = cli(hproject, "build", "--audience", "ngo", "--format", "pdf")
    assert run.code == 1
    assert sorted(problem_lines(run.err_lines)) == sorted(
        [refused(f"file://{secret}", OUTSIDE), refused("file:///etc/passwd", OUTSIDE)])
    assert run.err_lines[-1] == "briefsmith: 2 problems; no output was written"
    assert BRIEF_AT in run.err


@pytest.mark.slow
@pytest.mark.parametrize("html", [
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
    'width="40" height="40"><image xlink:href="file://{picture}" width="40" height="40"/>'
    '<image xlink:href="http://127.0.0.1:9/x.png" width="40" height="40"/></svg>',
    '<img alt="x" src="{svg}">',
], ids=["inline-svg", "data-svg"])
def test_the_word_documents_png_of_an_svg_reads_nothing_outside(hproject: Path, cli,
                                                                tmp_path: Path,
                                                                html: str) -> None:
    """Word output draws each SVG picture as PNG too (docx_png.py): an outside picture the SVG
    names is not drawn into it, and nothing is fetched."""
    from PIL import Image

    picture = tmp_path / "outside-red.png"
    Image.new("RGB", (40, 40), (255, 0, 0)).save(picture)
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
           f'width="40" height="40"><image xlink:href="file://{picture}" width="40" '
           'height="40"/></svg>')
    data_url = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    add_to_template(hproject, html.format(picture=picture, svg=data_url))
    run = cli(hproject, "build", "--audience", "ngo", "--format", "docx")
    assert run.code == 0, run.err
    import zipfile

    (docx_file,) = (hproject / "output").rglob("*-ngo.docx")
    with zipfile.ZipFile(docx_file) as archive:
        names = archive.namelist()
        pngs = [archive.read(n) for n in names
                if n.startswith("word/media/") and n.endswith("Png.png")]
    assert len(pngs) >= 1, names  # the hostile SVG
    for data in pngs:
        colours = Image.open(io.BytesIO(data)).convert("RGBA").getcolors(maxcolors=1 << 24)
        assert colours is not None
        assert not any(r > 200 and g < 60 and b < 60 and a > 0 for _, (r, g, b, a) in colours)
