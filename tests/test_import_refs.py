"""`build.py import-refs`: Zotero CSL JSON and BibTeX records become source metadata files that
the project's own loader and schema accept, holding only what each record states."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FIXTURES

from briefsmith.content.load import load_yaml, parse_text
from briefsmith.intake.references import slug, source_yaml, write_source_yaml

REFS = FIXTURES / "refs"
ZOTERO = REFS / "zotero.json"
BIBTEX = REFS / "library.bib"
TODO_TXT = "add the article's verbatim text (one paragraph per line)"


def sources(project: Path) -> Path:
    return project / "content" / "sources"


def read(project: Path, sid: str) -> dict:
    return dict(load_yaml(sources(project) / f"{sid}.yaml", project))


def complete(project: Path, sid: str, perspective: bool = True) -> None:
    """What the editor does after the import: the text, and a perspective in their words."""
    (sources(project) / f"{sid}.txt").write_text(
        f"First paragraph of {sid}, copied from the article.\nSecond paragraph.\n",
        encoding="utf-8")
    if not perspective:
        return
    yaml_path = sources(project) / f"{sid}.yaml"
    text = yaml_path.read_text(encoding="utf-8")
    assert text.count("perspective: null\n") == 1
    yaml_path.write_text(text.replace("perspective: null\n",
                                      'perspective: "reporting of the withdrawals"\n'),
                         encoding="utf-8")


ZOTERO_IDS = ["muller-2025-baltic", "vanderberg2024ottawa", "international-2024-landmine",
              "convention", "lavrov-pribaltika"]
BIBTEX_IDS = ["mueller2025baltic", "vanderberg-2024", "unoda-status", "geneva-call",
              "monitor2024"]


def test_zotero_export_becomes_source_files(project: Path, cli) -> None:
    run = cli(project, "import-refs", str(ZOTERO))
    assert run.code == 0, run.err
    assert run.err == ""  # the summary is on stdout; bibtexparser's own logging is held back
    for sid in ZOTERO_IDS:
        assert (sources(project) / f"{sid}.yaml").is_file()
        assert f"content/sources/{sid}.txt: {TODO_TXT}" in run.out.splitlines()
    assert read(project, "muller-2025-baltic") == {
        "title": "Baltic states and Poland to quit the landmine treaty",
        "label": "Baltic states and Poland to quit the landmine treaty",
        "kind": "news",
        "outlet": "The Guardian",
        "authors": ["Jürgen Müller", "Łukasz Wiśniewski"],
        "published": "2025-03-18",
        "url": "https://www.theguardian.com/world/2025/mar/18/baltic-states-poland-landmine-treaty",
        "accessed": "2025-03-20",
        "perspective": None,
    }
    journal = read(project, "vanderberg2024ottawa")  # citation key, particle, title-short
    assert journal["authors"] == ["Anna van der Berg", "Zoë Ó Briain"]
    assert journal["short_title"] == "Why states leave disarmament treaties"
    assert (journal["kind"], journal["published"]) == ("analysis", "2024-03")
    assert "url" not in journal  # the record has a DOI only: no address is made up from it
    report = read(project, "international-2024-landmine")  # literal author, publisher
    assert report["authors"] == [
        "International Campaign to Ban Landmines – Cluster Munition Coalition"]
    assert (report["kind"], report["outlet"]) == ("report", "International Campaign to Ban "
                                                            "Landmines")
    page = read(project, "convention")  # no author, no date, an http:// address
    assert page["kind"] == "other"
    assert not {"authors", "published", "url"} & set(page)
    assert page["accessed"] == "2025-04-02"
    assert "is not an https address: left out" in run.out
    undated = read(project, "lavrov-pribaltika")
    assert undated["authors"] == ["Сергей Лавров"]
    assert undated["outlet"] == "Россия в глобальной политике"
    assert not {"published", "url", "accessed", "editors", "short_title"} & set(undated)


def test_bibtex_file_becomes_source_files(project: Path, cli) -> None:
    run = cli(project, "import-refs", str(BIBTEX))
    assert run.code == 0, run.err
    assert run.err == ""  # the summary is on stdout; bibtexparser's own logging is held back
    news = read(project, "mueller2025baltic")
    assert news["title"] == "Baltic States and Poland to Quit the Ottawa Treaty"  # braces gone
    assert news["authors"] == ["Jürgen Müller", "José García"]  # {\"u}, {\'e}, {\'\i}
    assert (news["kind"], news["outlet"]) == ("news", "The Guardian")  # entrysubtype newspaper
    assert news["url"] == "https://www.theguardian.com/world/2025/mar/18/baltic_states~poland"
    assert (news["published"], news["accessed"]) == ("2025-03-18", "2025-03-20")
    journal = read(project, "vanderberg-2024")
    assert journal["outlet"] == "Journal of Peace Research"  # @string macro
    assert journal["authors"] == ["Anna van der Berg", "Zoë Ó Briain"]
    assert journal["published"] == "2024-03"  # year + month = mar
    assert "'and others'" in run.out
    report = read(project, "monitor2024")
    assert report["authors"] == ["International Campaign to Ban Landmines"]  # {{...}}: one name
    assert report["outlet"] == ("International Campaign to Ban Landmines – Cluster Munition "
                                "Coalition")  # macro # "literal", with -- as an en dash
    assert (report["kind"], report["published"]) == ("report", "2024-11-20")
    online = read(project, "unoda-status")
    assert online["outlet"] == "United Nations Office for Disarmament Affairs"
    assert not {"authors", "published"} & set(online)
    assert read(project, "geneva-call")["published"] == "2023"


@pytest.mark.slow
@pytest.mark.parametrize(("refs", "ids"), [(ZOTERO, ZOTERO_IDS), (BIBTEX, BIBTEX_IDS)],
                         ids=["csl-json", "bibtex"])
def test_check_accepts_the_import_once_text_and_perspective_are_added(
        project: Path, cli, refs: Path, ids: list[str]) -> None:
    assert cli(project, "import-refs", str(refs)).code == 0
    before = cli(project, "check")
    assert before.code == 1
    for sid in ids:  # one line per missing text: nothing else
        assert (f"content/sources/{sid}.yaml:1:1: source '{sid}' has no text file: save the "
                f"article's verbatim text as content/sources/{sid}.txt") in before.err_lines
    assert len(before.err_lines) == len(ids) + 1
    for sid in ids:  # the text only: no block cites the source yet, so no perspective is due
        complete(project, sid, perspective=False)
    texts_only = cli(project, "check")
    assert texts_only.code == 0, texts_only.err
    for sid in ids:
        assert (f"content/sources/{sid}.yaml: warning: source '{sid}' has no 'perspective' yet: "
                "write how the source sees the question in your own words as 'perspective:' "
                "before a block cites it") in texts_only.err_lines
    for sid in ids:
        complete(project, sid)
    after = cli(project, "check")
    assert after.code == 0, after.err
    assert f"{len(ids) + 1} sources" in after.out
    # what a record does not state is shown as not stated, never filled in
    assert any(f"source '{ids[3]}' does not state its author" in line
               for line in after.err_lines)


def test_existing_files_are_never_replaced(project: Path, cli) -> None:
    mine = sources(project) / "muller-2025-baltic.yaml"
    mine.write_text("# the editor's own file\n", encoding="utf-8")
    (sources(project) / "convention.yaml").symlink_to(project / "elsewhere.yaml")  # dangling
    run = cli(project, "import-refs", str(ZOTERO))
    assert run.code == 0, run.err
    assert mine.read_text(encoding="utf-8") == "# the editor's own file\n"
    assert not (project / "elsewhere.yaml").exists()
    lines = run.out.splitlines()
    assert any(line.startswith("content/sources/muller-2025-baltic.yaml: skipped: exists")
               for line in lines)
    assert any(line.startswith("content/sources/convention.yaml: skipped: exists")
               for line in lines)
    assert "imported 3, skipped 2 (files that exist are never replaced)" in lines
    written = (sources(project) / "vanderberg2024ottawa.yaml").read_bytes()
    again = cli(project, "import-refs", str(ZOTERO))
    assert again.code == 0
    assert "imported 0, skipped 5 (files that exist are never replaced)" in again.out
    assert (sources(project) / "vanderberg2024ottawa.yaml").read_bytes() == written
    # the texts still to add are still listed; the perspectives only for files written now
    assert f"content/sources/vanderberg2024ottawa.txt: {TODO_TXT}" in again.out
    assert "perspective" not in again.out


def test_the_summary_points_at_the_perspective_line(project: Path, cli) -> None:
    run = cli(project, "import-refs", str(ZOTERO))
    line = next(x for x in run.out.splitlines() if x.startswith("content/sources/convention.yaml:")
                and "perspective" in x)
    number = int(line.split(":")[1])
    text = (sources(project) / "convention.yaml").read_text(encoding="utf-8").splitlines()
    assert text[number - 1] == "perspective: null"


def write_refs(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def only_minimal_sources(project: Path) -> bool:
    return sorted(p.name for p in sources(project).iterdir()) == [
        "harbour-report.txt", "harbour-report.yaml"]


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("bad.json", '[\n  {"id": "a", "title": "A"},\n  {"id": "b" "title": "B"}\n]\n',
     ":3:14: invalid JSON: Expecting ',' delimiter"),
    ("notitle.json", '[\n  {"id": "a", "title": "A"},\n  {"id": "b", "type": "book"}\n]\n',
     ":3:3: item 'b' has no title: add its title in Zotero"),
    ("object.json", '{"id": "a", "title": "A"}', ":1:1: a CSL JSON file is a list of items"),
    ("noname.json", '[{"id": "a", "title": "A", "author": [{"given": ""}]}]',
     ":1:2: author 1 of item 'a' has no name"),
    ("unclosed.bib", "@article{ok, title = {A}}\n\n@techreport{bad,\n  title = {Unclosed\n",
     ":3: BibTeX entry could not be read: Unexpectedly reached end of file: fix the entry"),
    ("macro.bib", "@article{ok,\n  title = {A},\n  journal = nope # { Weekly},\n}\n",
     ":1: field 'journal' of entry 'ok' is 'nope # { Weekly}', which names an @string that is "
     "not defined"),
    ("twice.bib", "@misc{dup, title = {A}}\n@misc{dup, title = {B}}\n",
     ":2: the key 'dup' is already used by the entry at line 1"),
    ("notitle.bib", "@misc{good, title = {A}}\n\n@misc{blank, author = {Ann Lee}}\n",
     ":3: entry 'blank' has no title"),
    ("chinese.json", '[{"id": "北京", "title": "A"}]',
     ":1:2: record '北京' gives no letters or digits to make a source id from"),
    ("refs.txt", "x", ": cannot tell the format of 'refs.txt'"),
])
def test_bad_input_is_one_line_at_its_place_and_writes_nothing(
        project: Path, cli, tmp_path: Path, name: str, text: str, expected: str) -> None:
    refs = write_refs(tmp_path, name, text)
    run = cli(project, "import-refs", str(refs))
    assert run.code == 1
    assert run.err_lines[0] == f"{refs}{expected}" or run.err_lines[0].startswith(
        f"{refs}{expected}")
    assert run.err_lines[-1].endswith("no output was written")
    assert run.out == ""
    assert only_minimal_sources(project)


def test_every_bad_record_is_reported_at_once(project: Path, cli, tmp_path: Path) -> None:
    items = [{"id": "good", "title": "Fine"}, {"id": "x"}, {"title": "No id"}]
    refs = write_refs(tmp_path, "refs.json", json.dumps(items, indent=1))
    run = cli(project, "import-refs", str(refs))
    assert run.code == 1
    assert [line.split(": ", 1)[1] for line in run.err_lines[:-1]] == [
        "item 'x' has no title: add its title in Zotero (or leave the item out of the export)",
        "item 3 has no 'id': export the item again from Zotero",
    ]
    assert only_minimal_sources(project)


def test_colliding_ids_get_a_numbered_suffix(project: Path, cli, tmp_path: Path) -> None:
    items = [{"id": "Smith 2020", "type": "report", "title": "First"},
             {"id": "smith-2020", "type": "report", "title": "Second"},
             {"id": "SMITH_2020", "type": "report", "title": "Third"}]
    refs = write_refs(tmp_path, "refs.json", json.dumps(items))
    run = cli(project, "import-refs", str(refs))
    assert run.code == 0, run.err
    assert [read(project, sid)["title"] for sid in ("smith-2020", "smith-2020-2",
                                                    "smith-2020-3")] == ["First", "Second",
                                                                         "Third"]
    assert run.out.count("is also another record's id, so '-N' was added") == 2


def test_dates_urls_and_names_are_taken_only_as_stated(project: Path, cli,
                                                       tmp_path: Path) -> None:
    items = [
        {"id": "raw", "title": "Raw date", "issued": {"raw": "2024-05"}},
        {"id": "season", "title": "Season", "issued": {"raw": "Spring 2024"}},
        {"id": "badday", "title": "No such day", "issued": {"date-parts": [[2025, 2, 30]]}},
        {"id": "range", "title": "Range", "issued": {"date-parts": [[2024, 1], [2024, 2]]}},
        {"id": "year", "title": "Year", "issued": {"date-parts": [["2019"]]},
         "author": [{"family": "Cher"}], "editor": [{"given": "Ed", "family": "Itor"}]},
    ]
    refs = write_refs(tmp_path, "refs.json", json.dumps(items))
    run = cli(project, "import-refs", str(refs))
    assert run.code == 0, run.err
    assert read(project, "raw")["published"] == "2024-05"
    for sid in ("season", "badday", "range"):
        assert "published" not in read(project, sid)
    assert "'issued' is 'Spring 2024', not YYYY, YYYY-MM or YYYY-MM-DD: left out" in run.out
    assert "'issued' is a range of dates: left out" in run.out
    year = read(project, "year")
    assert (year["published"], year["authors"], year["editors"]) == ("2019", ["Cher"],
                                                                     ["Ed Itor"])


def test_hostile_text_is_refused_before_anything_is_written(project: Path, cli,
                                                            tmp_path: Path) -> None:
    items = [{"id": "fine", "title": "Fine"},
             {"id": "evil", "title": "Looks \u202eharmless"}]
    refs = write_refs(tmp_path, "refs.json", json.dumps(items))
    run = cli(project, "import-refs", str(refs))
    assert run.code == 1
    assert "record 'evil': 'title' of source 'evil' contains the invisible character U+202E" \
        in run.err_lines[0]
    assert only_minimal_sources(project)


@pytest.mark.parametrize("value", [
    'He said "no" # not a comment', "no", "C:\\path\\", "line\u2028separator", "tab\there",
    "null", "'single'", "- dash", "1e3", "Ünïcødé — and 中文",
])
def test_written_yaml_reads_back_exactly(tmp_path: Path, value: str) -> None:
    fields = {"title": value, "label": value, "kind": "other", "authors": [value, "B"],
              "perspective": None}
    assert parse_text(source_yaml(fields, ["# a comment"]), "x.yaml").data == fields
    path = tmp_path / "x.yaml"
    write_source_yaml(path, fields)
    assert load_yaml(path, tmp_path) == fields
    with pytest.raises(FileExistsError):
        write_source_yaml(path, {"title": "other", "label": "x", "kind": "other"})
    assert load_yaml(path, tmp_path) == fields


@pytest.mark.parametrize(("key", "expected"), [
    ("Müller_2024:NATO", "muller-2024-nato"), ("vanDerBerg2024", "vanderberg2024"),
    ("--a--b--", "a-b"), ("Лавров", "lavrov"), ("Straße", "strasse"), ("北京", ""),
    ("x" * 80, "x" * 60), ("word-" * 20, "-".join(["word"] * 12)),
])
def test_slug(key: str, expected: str) -> None:
    assert slug(key) == expected
