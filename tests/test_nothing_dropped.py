"""An image in Markdown text would be dropped by the sanitiser and vanish from every output while
the build succeeds: validation refuses it instead, at the image's own line and column."""

from __future__ import annotations

from pathlib import Path

import pytest
from _content_edits import BLOCKS, BRIEF, assert_fails, edit

from briefsmith.core.errors import printable

CRITICS = 'text: "Critics say the quay was built for tourists rather than fishing crews."'
HELP = ("cannot show images; remove it, and show the image as a block of type 'figure' (or a "
        "chart as type 'chart'), with alt text, caption and cited credit (see "
        "docs/content-format.md, Figures and charts)")


def image_error(where: str, what: str, markup: str, rule: str = "block text") -> str:
    return f"{where}: {what} ({markup}): {rule} {HELP}"


@pytest.mark.parametrize(("text", "markup", "col"), [
    ("Critics say ![Map](assets/map.png) the quay is wrong.", "![Map](assets/map.png)", 22),
    ("Critics say ![x](data:image/png;base64,iVBORw0KGgo=) the quay is wrong.",
     "![x](data:image/png;base64,iVBORw0KGgo=)", 22),
    ("Critics say ![x][ref] the quay is wrong.\\n\\n[ref]: https://example.org/map.png",
     "![x][ref]", 22),
    ("Critics say ![ref] the quay is wrong.\\n\\n[ref]: https://example.org/map.png", "![ref]",
     22),
    ("Critics say [![Map](map.png)](https://example.org) the quay is wrong.", "![Map](map.png)",
     23),
], ids=["inline", "data-url", "reference", "shortcut-reference", "inside-a-link"])
def test_image_in_block_text_is_an_error_at_the_image(project: Path, cli, text: str,
                                                      markup: str, col: int) -> None:
    edit(project, BLOCKS, CRITICS, f'text: "{text}"')
    line = image_error(f"{BLOCKS}:14:{col}", "block 'critics-view' has an image in its text",
                       markup)
    assert_fails(cli(project, "check"), project, line)
    assert_fails(cli(project, "build", "--format", "html"), project, line)


def test_image_on_a_later_line_of_a_folded_text(project: Path, cli) -> None:
    edit(project, BLOCKS, CRITICS, "text: >-\n    Critics say the quay\n"
                                   "    was built for ![Map](assets/map.png) tourists and\n"
                                   "    ![Photo](photo.jpg) not crews.")
    assert_fails(cli(project, "check"), project,
                 image_error(f"{BLOCKS}:16:19", "block 'critics-view' has an image in its text",
                             "![Map](assets/map.png)"),
                 image_error(f"{BLOCKS}:17:5", "block 'critics-view' has an image in its text",
                             "![Photo](photo.jpg)"))


def test_image_in_an_audience_wording(project: Path, cli) -> None:
    edit(project, BLOCKS, CRITICS, CRITICS + '\n  wording:\n    ngo: "See ![Map](map.png)."')
    assert_fails(cli(project, "check"), project,
                 image_error(f"{BLOCKS}:16:15",
                             "block 'critics-view' has an image in its wording for 'ngo'",
                             "![Map](map.png)"))


def test_image_in_a_brief_about_and_a_section_intro(project: Path, cli) -> None:
    edit(project, BRIEF, '    title: "Views"\n',
         '    title: "Views"\n    intro: "Where ![Map](map.png) is."\n')
    edit(project, BRIEF, 'author: "Test Library"\n',
         'author: "Test Library"\nabout: "We ![Logo](logo.png) work."\n')
    assert_fails(cli(project, "check"), project,
                 image_error(f"{BRIEF}:6:12", "brief 'harbour' has an image in its 'about' "
                             "text", "![Logo](logo.png)", "the 'about' text"),
                 image_error(f"{BRIEF}:15:19", "section 'views' of brief 'harbour' has an "
                             "image in its intro", "![Map](map.png)", "a section intro"))


def test_local_file_image_is_refused_and_nothing_is_loaded(project: Path, cli,
                                                           tmp_path: Path) -> None:
    secret = tmp_path / "outside-secret.txt"
    secret.write_text("TOP-SECRET-OUTSIDE-THE-PROJECT", encoding="utf-8")
    edit(project, BLOCKS, CRITICS, f'text: "Critics object. ![x](file://{secret})"')
    assert_fails(cli(project, "build"), project,
                 image_error(f"{BLOCKS}:14:26", "block 'critics-view' has an image in its text",
                             printable(f"![x](file://{secret})", 80)))  # shortened with '…'
    assert not (project / "output").exists()


@pytest.mark.slow
@pytest.mark.parametrize(("text", "shown"), [
    ("Critics <img src=x> say <b>no</b>.", "Critics &lt;img src=x&gt; say &lt;b&gt;no&lt;/b&gt;."),
    ("Critics say ![x][nowhere] loudly.", "Critics say ![x][nowhere] loudly."),
    ("Critics write `![x](y.png)` loudly.", "Critics write <code>![x](y.png)</code> loudly."),
], ids=["raw-html", "undefined-reference", "code-span"])
def test_what_is_not_an_image_stays_visible(project: Path, cli, text: str, shown: str) -> None:
    edit(project, BLOCKS, CRITICS, f'text: "{text}"')
    run = cli(project, "check")
    assert run.code == 0, run.err
    assert cli(project, "build", "--audience", "ngo", "--format", "html").code == 0
    html = (project / "output/harbour/harbour-ngo.html").read_text(encoding="utf-8")
    assert shown in html
    assert "<img src=" not in html.replace("<img class=", "")
