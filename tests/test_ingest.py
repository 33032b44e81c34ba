"""`build.py ingest`: a saved web page becomes a source the project's own loader accepts, with
the article's paragraphs verbatim, only the metadata the page states, the page kept beside it,
and candidate blocks that verify once an editor moves them into content/blocks/. Offline: every
test runs with sockets refused."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest
from conftest import FIXTURES

from briefsmith.content.load import load_yaml

PAGES = FIXTURES / "ingest"
NEWS_TEXT = [
    "Landmine casualties rise for a third year",
    "Landmines and explosive remnants of war killed or injured nearly 2,000 people in 2023, "
    "according to the Landmine Monitor published on Wednesday.",
    "The Mine Ban Treaty, joined by more than 160 countries, bans the use, production and "
    "transfer of anti-personnel mines.",
    "“This is a dark day for the treaty,” said Tamar Gabelnick, director of the International "
    "Campaign to Ban Landmines.",
    "Officials said the figures were the highest recorded since the monitor began its count, "
    "and that children made up about a third of the civilian casualties.",
]


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """A guard, not a mock: any attempt to reach the network fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"ingest tried to reach the network: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def sources(project: Path) -> Path:
    return project / "content" / "sources"


def lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]


def meta(project: Path, sid: str) -> dict:
    return dict(load_yaml(sources(project) / f"{sid}.yaml", project))


@pytest.mark.slow
def test_news_page_text_metadata_and_check(project: Path, cli) -> None:
    run = cli(project, "ingest", str(PAGES / "news.html"))
    assert run.code == 0, run.err
    sid = "landmine-casualties-rise-third-year"
    assert lines(sources(project) / f"{sid}.txt") == NEWS_TEXT
    text = (sources(project) / f"{sid}.txt").read_text(encoding="utf-8")
    for clutter in ("Home", "cookies", "newsletter", "Read more", "Photo:", "Comments",
                    "All rights reserved", "By Jane Doe"):
        assert clutter not in text
    data = meta(project, sid)
    assert data["title"] == "Landmine casualties rise for a third year"  # JSON-LD over og:title
    assert data["authors"] == ["Jane Doe", "Omar Haddad"]
    assert data["outlet"] == "The Daily Record"
    assert data["published"] == "2025-11-20"
    assert data["url"] == "https://www.example-record.test/world/landmines-2025"  # canonical
    assert data["kind"] == "news"
    raw = (sources(project) / f"{sid}.yaml").read_text(encoding="utf-8")
    assert "# title: JSON-LD NewsArticle headline\n" in raw
    assert "# url: <link rel=canonical>\n" in raw
    assert "# language: en-GB (from JSON-LD NewsArticle inLanguage)\n" in raw
    # the page is kept, byte for byte, where the loader does not look
    kept = sources(project) / f"{sid}.page.html"
    assert kept.read_bytes() == (PAGES / "news.html").read_bytes()
    assert f"wrote content/sources/{sid}.page.html" in run.out
    assert f"content/sources/{sid}.yaml:" in run.out and "perspective" in run.out
    checked = cli(project, "check")
    assert checked.code == 0, checked.err
    assert "2 sources" in checked.out


def test_blog_page_opengraph_and_byline(project: Path, cli) -> None:
    run = cli(project, "ingest", str(PAGES / "blog.html"), "--id", "border-fields")
    assert run.code == 0, run.err
    data = meta(project, "border-fields")
    assert data["title"] == "Field notes: clearing the border fields"
    assert data["outlet"] == "Deminer's Diary"
    assert data["url"] == "https://deminers-diary.test/2025/03/border-fields"
    assert data["published"] == "2025-03-14"
    assert data["authors"] == ["Sam Lee"]
    assert data["kind"] == "other"  # no article type stated: the editor decides
    raw = (sources(project) / "border-fields.yaml").read_text(encoding="utf-8")
    assert "# authors: the byline\n" in raw
    assert "# outlet: meta og:site_name\n" in raw
    body = lines(sources(project) / "border-fields.txt")
    assert body[1].startswith("We spent the first week of March")
    assert not any("Archives" in line or "February 2025" in line for line in body)
    assert cli(project, "check").code == 0


def test_page_without_metadata_leaves_fields_empty(project: Path, cli) -> None:
    run = cli(project, "ingest", str(PAGES / "bare.html"))
    assert run.code == 0, run.err
    data = meta(project, "bare")  # no title: the id comes from the file name
    for key in ("title", "outlet", "published", "url"):
        assert data[key] is None, key
    assert data["authors"] == []
    assert data["label"] == "web page saved as bare.html"
    assert "accessed" not in data  # never today's date
    raw = (sources(project) / "bare.yaml").read_text(encoding="utf-8")
    assert "# outlet: not stated on the page\n" in raw
    assert "not stated on the page: title, authors, outlet, published, url" in run.out
    assert len(lines(sources(project) / "bare.txt")) == 3
    checked = cli(project, "check")
    assert checked.code == 0, checked.err
    assert "source 'bare' does not state" in checked.err  # check's own warnings


def test_cp1252_page_is_read_with_a_warning(project: Path, cli) -> None:
    run = cli(project, "ingest", str(PAGES / "cp1252.html"), "--id", "cafe-rules")
    assert run.code == 0, run.err
    assert "read as windows-1252 (cp1252)" in run.err
    body = lines(sources(project) / "cafe-rules.txt")
    assert body[0] == ("The café owners’ association said the new rules would cost each member "
                       "“about €1,200 a year” in extra paperwork.")
    assert "Renée Lefèvre" in body[1] and "spring – at the earliest" in body[1]
    assert cli(project, "check").code == 0


def test_mhtml_archive(project: Path, cli) -> None:
    run = cli(project, "ingest", str(PAGES / "gazette.mhtml"))
    assert run.code == 0, run.err
    sid = "les-champs-de-mines-du-nord"
    data = meta(project, sid)
    assert data["url"] == "https://gazette-du-nord.test/champs-de-mines"
    assert data["outlet"] == "La Gazette du Nord"
    assert data["authors"] == ["Claire Martin"]
    assert data["published"] == "2024-06-05"  # citation_publication_date 2024/06/05
    assert data["accessed"] == "2024-06-06"  # the archive's own Date header
    raw = (sources(project) / f"{sid}.yaml").read_text(encoding="utf-8")
    assert "# url: the MHTML Snapshot-Content-Location header\n" in raw
    assert "# language: fr (from <html lang>)\n" in raw
    body = lines(sources(project) / f"{sid}.txt")
    assert body[1] == ("Les démineurs ont retiré plus de 300 obus des champs du Nord depuis le "
                       "début de l’année, selon la préfecture.")  # quoted-printable UTF-8
    assert (sources(project) / f"{sid}.page.mhtml").is_file()
    assert cli(project, "check").code == 0


@pytest.mark.slow
def test_mhtml_base64_part_with_its_own_charset(project: Path, cli, tmp_path: Path) -> None:
    import base64

    html = ("<html><body><article><p>Le caf\u00e9 du port a ferm\u00e9 ses portes apr\u00e8s "
            "quarante ans, a annonc\u00e9 sa propri\u00e9taire \u00e0 ses clients fid\u00e8les."
            "</p><p>Les habitu\u00e9s se sont r\u00e9unis une derni\u00e8re fois sur la "
            "terrasse pour un dernier caf\u00e9.</p></article>"
            "<div class=\"comments\"><span class=\"author\">Un lecteur</span></div>"
            "</body></html>")
    body = base64.encodebytes(html.encode("cp1252")).decode("ascii")
    page = tmp_path / "cafe.mhtml"
    page.write_bytes((
        "MIME-Version: 1.0\r\nContent-Type: multipart/related; type=\"text/html\"; "
        "boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/html; charset=windows-1252\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" + body.replace("\n", "\r\n")
        + "\r\n--b--\r\n").encode("ascii"))
    run = cli(project, "ingest", str(page))
    assert run.code == 0, run.err
    assert "warning" not in run.err  # the part said which charset: nothing was guessed
    body_lines = lines(sources(project) / "cafe.txt")
    assert body_lines[0].startswith("Le café du port a fermé ses portes après quarante ans")
    data = meta(project, "cafe")
    assert data["authors"] == [] and data["url"] is None and "accessed" not in data
    assert cli(project, "check").code == 0


def test_nothing_overwritten_without_force(project: Path, cli) -> None:
    assert cli(project, "ingest", str(PAGES / "bare.html")).code == 0
    txt = sources(project) / "bare.txt"
    txt.write_text("Edited by hand.\n", encoding="utf-8")
    again = cli(project, "ingest", str(PAGES / "bare.html"))
    assert again.code == 1
    assert again.err_lines[0] == (f"{PAGES / 'bare.html'}: content/sources/bare.txt exists: "
                                  "nothing was written; give --force to replace it, or "
                                  "another --id")
    assert txt.read_text(encoding="utf-8") == "Edited by hand.\n"
    forced = cli(project, "ingest", str(PAGES / "bare.html"), "--force")
    assert forced.code == 0, forced.err
    assert txt.read_text(encoding="utf-8").startswith("The harbour committee met")


def test_review_list_names_kept_lines_that_look_like_clutter(project: Path, cli,
                                                             tmp_path: Path) -> None:
    page = tmp_path / "kept.html"
    paragraphs = [
        "The port authority published its annual figures for the new container terminal on "
        "Monday, showing a steady rise in traffic.",
        "Subscribe to read the analysis of what the figures mean for the region's economy.",
        "Ships now wait an average of two days less than they did before the terminal opened, "
        "the authority said in its report.",
    ]
    page.write_text("<html><body><article>" + "".join(f"<p>{p}</p>" for p in paragraphs)
                    + "</article></body></html>", encoding="utf-8")
    run = cli(project, "ingest", str(page), "--id", "port-figures")
    assert run.code == 0, run.err
    assert lines(sources(project) / "port-figures.txt") == paragraphs
    review = [line for line in run.out.splitlines() if ": review: " in line]
    assert review == ["content/sources/port-figures.txt:2: review: looks like a sign-up prompt: "
                      "\"Subscribe to read the analysis of what the figures mean for the "
                      "reg...\": keep it only if it is the article's text"]


@pytest.mark.slow
def test_proposals_verify_once_moved_into_blocks(project: Path, cli) -> None:
    run = cli(project, "ingest", str(PAGES / "news.html"), "--id", "mines-2025", "--propose")
    assert run.code == 0, run.err
    proposals = project / "content" / "proposals" / "mines-2025.yaml"
    blocks = list(load_yaml(proposals, project))
    facts = {b["id"]: b for b in blocks if b["type"] == "fact"}
    quotes = [b for b in blocks if b["type"] == "quote"]
    assert facts["mines-2025-fact-1"]["figure"] == "nearly 2,000 people"
    assert facts["mines-2025-fact-1"]["as_of"] == "2023"
    assert facts["mines-2025-fact-2"]["figure"] == "more than 160 countries"
    assert quotes[0]["words"] == "This is a dark day for the treaty"
    assert quotes[0]["speaker"] == "Tamar Gabelnick"
    raw = proposals.read_text(encoding="utf-8")
    assert "# speaker: UNCERTAIN" in raw
    # the loader ignores content/proposals/: check passes with them there
    assert cli(project, "check").code == 0
    # an editor accepts the fact and the quote by moving them into content/blocks/
    chunks = raw.split("\n- id: ")
    chosen = [c for c in chunks if c.startswith(("mines-2025-fact-1\n", "mines-2025-quote-1\n"))]
    assert len(chosen) == 2
    (project / "content" / "blocks" / "accepted.yaml").write_text(
        "".join(f"- id: {c.rstrip()}\n\n" for c in chosen), encoding="utf-8")
    # a cited source needs the editor's description, which ingest leaves empty
    source = project / "content" / "sources" / "mines-2025.yaml"
    cited = cli(project, "check")
    assert cited.code == 1
    assert ("content/sources/mines-2025.yaml:1:1: source 'mines-2025' is cited by block "
            "'mines-2025-fact-1'") in cited.err
    text = source.read_text(encoding="utf-8")
    assert text.count("\nperspective:\n") == 1
    source.write_text(text.replace("\nperspective:\n", "\nperspective: news report\n"),
                      encoding="utf-8")
    checked = cli(project, "check")
    assert checked.code == 0, checked.err
    assert "6 blocks" in checked.out and "5 quotes verified" in checked.out
    # and a moved block whose passage was changed fails the normal verification
    accepted = project / "content" / "blocks" / "accepted.yaml"
    accepted.write_text(accepted.read_text(encoding="utf-8").replace("nearly 2,000 people in",
                                                                     "2,000 people in"),
                        encoding="utf-8")
    failed = cli(project, "check")
    assert failed.code == 1
    assert "quote in block 'mines-2025-fact-1' is not in source 'mines-2025'" in failed.err


@pytest.mark.parametrize(("content", "message"), [
    (b"just some words, no markup at all\n", "this is not an HTML page"),
    (b"<html><body><nav><a href='/'>Home</a></nav></body></html>", "no article text found"),
])
def test_bad_pages_are_one_line_errors(project: Path, cli, tmp_path: Path, content: bytes,
                                       message: str) -> None:
    page = tmp_path / "page.html"
    page.write_bytes(content)
    run = cli(project, "ingest", str(page))
    assert run.code == 1
    assert run.err_lines[0].startswith(f"{page}")
    assert message in run.err_lines[0]
    assert not (sources(project) / "page.txt").exists()


def test_saved_page_allows_reextraction_without_the_original(project: Path, cli,
                                                            tmp_path: Path) -> None:
    page = tmp_path / "downloads" / "news.html"
    page.parent.mkdir()
    shutil.copy(PAGES / "news.html", page)
    assert cli(project, "ingest", str(page), "--id", "mines").code == 0
    page.unlink()
    kept = sources(project) / "mines.page.html"
    again = cli(project, "ingest", str(kept), "--id", "mines", "--force")
    assert again.code == 0, again.err
    assert lines(sources(project) / "mines.txt") == NEWS_TEXT


@pytest.mark.parametrize(("canonical", "expected"), [
    ('<link rel="canonical" href="/world/mines">', "https://www.example.test/world/mines-og"),
    ('<link rel="canonical" href="">', "https://www.example.test/world/mines-og"),
    ('<link rel="canonical" href="https://www.example.test/world/mines">',
     "https://www.example.test/world/mines"),
])
def test_only_a_usable_canonical_link_replaces_og_url(canonical: str, expected: str) -> None:
    from briefsmith.intake.pagemeta import decode_page, read_meta

    page = (f'<html><head><meta property="og:url" content="https://www.example.test/world/'
            f'mines-og">{canonical}</head><body><p>Text.</p></body></html>').encode()
    meta = read_meta(page.decode(), decode_page(page, "page.html"))
    assert meta.url == expected


def test_a_long_paragraph_that_mentions_furniture_words_is_not_flagged(project: Path, cli,
                                                                       tmp_path: Path) -> None:
    """Only short lines, or lines that open with the call, look like page furniture: a user who
    obeys a wrong flag deletes a real paragraph and shifts every later pinpoint."""
    paragraphs = [
        "The committee recommended that the government register every cleared field and share "
        "the related survey data with the de-mining charities before the next session.",
        "Related: how the fields were cleared",
        "Parents can sign up their children for the mine-risk education classes that the "
        "charity runs in every school of the district each spring.",
    ]
    page = tmp_path / "fields.html"
    page.write_text("<html><body><article>" + "".join(f"<p>{p}</p>" for p in paragraphs)
                    + "</article></body></html>", encoding="utf-8")
    run = cli(project, "ingest", str(page), "--id", "fields")
    assert run.code == 0, run.err
    review = [line for line in run.out.splitlines() if ": review: " in line]
    assert review == ["content/sources/fields.txt:2: review: looks like a link to other "
                      "articles: \"Related: how the fields were cleared\": keep it only if it is "
                      "the article's text"]


def test_a_long_headline_gives_a_short_id_of_whole_words(project: Path, cli,
                                                         tmp_path: Path) -> None:
    """Not a 60-character slug cut mid-phrase ('...-russia-s'): the headline's first words
    that say something."""
    headline = ("Poland and the Baltic States Announce Their Withdrawal from the Ottawa "
                "Convention, Russia's Neighbours Say")
    page = tmp_path / "withdrawal.html"
    page.write_text(f"<html><head><title>{headline}</title></head><body><article><h1>"
                    f"{headline}</h1>" + "".join(
                        f"<p>Paragraph {i} of the report sets out the governments' reasons at "
                        "some length, with dates and names.</p>" for i in range(3))
                    + "</article></body></html>", encoding="utf-8")
    run = cli(project, "ingest", str(page))
    assert run.code == 0, run.err
    assert (sources(project) / "poland-baltic-states-announce-withdrawal-ottawa.txt").is_file()
