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


ZOTERO_IDS = ["muller-2025-baltic", "van-der-berg-2024-ottawa", "icblcmc-2024-landmine",
              "unoda-convention-prohibition", "lavrov-pribaltika-protivopekhotnye"]
BIBTEX_IDS = ["mueller-2025-baltic", "vanderberg-2024", "unoda-status", "geneva-call",
              "monitor-2024"]


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
        "csl_type": "article-newspaper",
        "language": "en-GB",
        "outlet": "The Guardian",
        "authors": [{"family": "Müller", "given": "Jürgen"},
                    {"family": "Wiśniewski", "given": "Łukasz"}],
        "published": "2025-03-18",
        "url": "https://www.theguardian.com/world/2025/mar/18/baltic-states-poland-landmine-treaty",
        "accessed": "2025-03-20",
        "perspective": None,
    }
    journal = read(project, "van-der-berg-2024-ottawa")  # citation key, particle, title-short
    assert journal["authors"] == [{"family": "Berg", "given": "Anna", "particle": "van der"},
                                  {"family": "Ó Briain", "given": "Zoë"}]
    assert journal["short_title"] == "Why states leave disarmament treaties"
    assert (journal["kind"], journal["published"]) == ("analysis", "2024-03")
    assert (journal["volume"], journal["issue"], journal["pages"], journal["doi"]) == (
        "61", "2", "211-229", "10.1177/00223433241234567")
    assert "url" not in journal  # the record has a DOI only: no address is made up from it
    report = read(project, "icblcmc-2024-landmine")  # literal author, publisher
    assert report["authors"] == [
        {"literal": "International Campaign to Ban Landmines – Cluster Munition Coalition"}]
    assert (report["kind"], report["csl_type"], report["publisher"], report["place"],
            report["genre"]) == ("report", "report", "International Campaign to Ban Landmines",
                                 "Geneva", "Annual report")
    assert "outlet" not in report  # its publisher is not a container: no "In ICBL (2024)"
    page = read(project, "unoda-convention-prohibition")  # no author, no date, an http:// URL
    assert (page["kind"], page["csl_type"]) == ("other", "webpage")
    assert not {"authors", "published", "url"} & set(page)
    assert page["accessed"] == "2025-04-02"
    assert "is not an https address: left out" in run.out
    undated = read(project, "lavrov-pribaltika-protivopekhotnye")
    assert undated["authors"] == [{"family": "Лавров", "given": "Сергей"}]
    assert (undated["outlet"], undated["language"]) == ("Россия в глобальной политике", "ru")
    assert not {"published", "url", "accessed", "editors", "short_title"} & set(undated)
    # what a record holds that no source key keeps is named, never dropped silently
    assert "zotero.json:2:2: note: the record's abstract, section, source have no key in a " \
           "source file: not kept" in run.out
    assert "zotero.json:41:2: note: the record's ISSN, source have no key in a source file: " \
           "not kept" in run.out
    assert "zotero.json:74:2: note: the record's event-place has no key in a source file: " \
           "not kept" in run.out


def test_bibtex_file_becomes_source_files(project: Path, cli) -> None:
    run = cli(project, "import-refs", str(BIBTEX))
    assert run.code == 0, run.err
    assert run.err == ""  # the summary is on stdout; bibtexparser's own logging is held back
    news = read(project, "mueller-2025-baltic")
    assert news["title"] == "Baltic States and Poland to Quit the Ottawa Treaty"  # braces gone
    assert news["authors"] == [{"family": "Müller", "given": "Jürgen"},
                               {"family": "García", "given": "José"}]  # {\"u}, {\'e}, {\'\i}
    assert (news["kind"], news["outlet"]) == ("news", "The Guardian")  # entrysubtype newspaper
    assert (news["csl_type"], news["language"]) == ("article-newspaper", "en")  # langid
    assert news["url"] == "https://www.theguardian.com/world/2025/mar/18/baltic_states~poland"
    assert (news["published"], news["accessed"]) == ("2025-03-18", "2025-03-20")
    journal = read(project, "vanderberg-2024")
    assert journal["outlet"] == "Journal of Peace Research"  # @string macro
    assert journal["authors"] == [{"family": "Berg", "given": "Anna", "particle": "van der"},
                                  {"family": "Ó Briain", "given": "Zoë"}]
    assert journal["published"] == "2024-03"  # year + month = mar
    assert (journal["volume"], journal["issue"], journal["pages"]) == ("61", "2", "211–229")
    assert "'and others'" in run.out
    report = read(project, "monitor-2024")
    assert report["authors"] == [{"literal": "International Campaign to Ban Landmines"}]  # {{}}
    assert report["publisher"] == ("International Campaign to Ban Landmines – Cluster Munition "
                                   "Coalition")  # macro # "literal", with -- as an en dash
    assert (report["kind"], report["csl_type"], report["published"], report["genre"]) == (
        "report", "report", "2024-11-20", "Annual report")
    online = read(project, "unoda-status")
    assert online["outlet"] == "United Nations Office for Disarmament Affairs"
    assert online["csl_type"] == "webpage"
    assert not {"authors", "published"} & set(online)
    misc = read(project, "geneva-call")
    assert misc["published"] == "2023" and "csl_type" not in misc  # @misc: its kind decides
    assert "library.bib:34: note: the record's howpublished has no key in a source file: not " \
           "kept" in run.out


@pytest.mark.slow
@pytest.mark.parametrize(("refs", "ids"), [(ZOTERO, ZOTERO_IDS), (BIBTEX, BIBTEX_IDS)],
                         ids=["csl-json", "bibtex"])
def test_check_accepts_the_import_once_text_and_perspective_are_added(
        project: Path, cli, refs: Path, ids: list[str]) -> None:
    assert cli(project, "import-refs", str(refs)).code == 0
    before = cli(project, "check")
    assert before.code == 0, before.err  # no block cites them yet: warnings only
    for sid in ids:
        assert (f"content/sources/{sid}.yaml: warning: source '{sid}' has no text file yet: save "
                f"the article's verbatim text as content/sources/{sid}.txt before a block cites "
                "it") in before.err_lines
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
    page = sources(project) / "unoda-convention-prohibition.yaml"
    page.symlink_to(project / "elsewhere.yaml")  # dangling
    run = cli(project, "import-refs", str(ZOTERO))
    assert run.code == 0, run.err
    assert mine.read_text(encoding="utf-8") == "# the editor's own file\n"
    assert not (project / "elsewhere.yaml").exists()
    lines = run.out.splitlines()
    assert any(line.startswith("content/sources/muller-2025-baltic.yaml: skipped: exists")
               for line in lines)
    assert any(line.startswith("content/sources/unoda-convention-prohibition.yaml: skipped: "
                                                 "exists")
               for line in lines)
    assert "imported 3, skipped 2 (files that exist are never replaced)" in lines
    written = (sources(project) / "van-der-berg-2024-ottawa.yaml").read_bytes()
    again = cli(project, "import-refs", str(ZOTERO))
    assert again.code == 0
    assert "imported 0, skipped 5 (files that exist are never replaced)" in again.out
    assert (sources(project) / "van-der-berg-2024-ottawa.yaml").read_bytes() == written
    # the texts still to add are still listed; the perspectives only for files written now
    assert f"content/sources/van-der-berg-2024-ottawa.txt: {TODO_TXT}" in again.out
    assert "perspective" not in again.out


def test_the_summary_points_at_the_perspective_line(project: Path, cli) -> None:
    run = cli(project, "import-refs", str(ZOTERO))
    line = next(x for x in run.out.splitlines() if x.startswith(
        "content/sources/unoda-convention-prohibition.yaml:")
                and "perspective" in x)
    number = int(line.split(":")[1])
    text = (sources(project) / "unoda-convention-prohibition.yaml").read_text(
        encoding="utf-8").splitlines()
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
    assert (year["published"], year["authors"], year["editors"]) == (
        "2019", [{"family": "Cher"}], [{"family": "Itor", "given": "Ed"}])


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
    ("Müller_2024:NATO", "muller-2024-nato"), ("vanDerBerg2024", "van-der-berg-2024"),
    ("icrc2025CCMWithdrawal", "icrc-2025-ccm-withdrawal"),
    ("ICRCStatesParties", "icrc-states-parties"),
    ("smith2020", "smith-2020"), ("vanderberg:2024", "vanderberg-2024"),
    ("--a--b--", "a-b"), ("Лавров", "lavrov"), ("Straße", "strasse"), ("北京", ""),
    ("x" * 80, "x" * 60), ("word-" * 20, "-".join(["word"] * 12)),
])
def test_slug(key: str, expected: str) -> None:
    assert slug(key) == expected


ISSUE21 = {  # tests/fixtures/refs/issue21.{json,bib}: what each record's file must say
    "hrw-2025-etat": {
        "title": "L'État et les armes : le retrait des traités de désarmement",
        "label": "L'État et les armes : le retrait des traités de désarmement",
        "kind": "report",
        "csl_type": "report",
        "language": "fr",
        "authors": [{"literal": "Human Rights Watch"}],
        "published": "2025-04-01",
        "publisher": "Human Rights Watch",
        "place": "New York",
        "number": "HRW-2025-04",
        "genre": "Rapport",
        "url": "https://www.hrw.org/fr/report/2025/04/01/letat-et-les-armes",
        "perspective": None,
    },
    "icrc-2025-ccm-withdrawal": {
        "title": "Treaty withdrawal and the protection of civilians",
        "label": "Treaty withdrawal and the protection of civilians",
        "kind": "analysis",
        "csl_type": "article-journal",
        "language": "en",
        "outlet": "International Review of the Red Cross",
        "authors": [{"family": "Berg", "given": "Pedro", "particle": "van der", "suffix": "Jr."},
                    {"family": "Ruiz García", "given": "Ana"},
                    {"literal": "International Committee of the Red Cross"}],
        "published": "2025-02",
        "volume": "107",
        "issue": "928",
        "pages": "1-24",
        "doi": "10.1017/S1816383125000012",
        "perspective": None,
    },
}


@pytest.mark.parametrize(("refs", "page_id", "differs", "not_kept"), [
    ("issue21.json", "states-parties-ottawa", {},
     ["issue21.json:2:3: note: the record's ISSN, abstract have no key in a source file: not "
      "kept"]),
    ("issue21.bib", "icrc-states-parties",
     {"icrc-2025-ccm-withdrawal": {  # as BibTeX writes them: title case, `--` an en dash
         "title": "Treaty Withdrawal and the Protection of Civilians",
         "label": "Treaty Withdrawal and the Protection of Civilians", "pages": "1–24"}},
     ["issue21.bib:2: note: the record's abstract has no key in a source file: not kept"]),
], ids=["csl-json", "bibtex"])
def test_an_import_keeps_names_in_their_parts_and_every_field_a_style_prints(
        project: Path, cli, refs: str, page_id: str, differs: dict, not_kept: list[str]) -> None:
    run = cli(project, "import-refs", str(REFS / refs))
    assert run.code == 0, run.err
    for sid, expected in ISSUE21.items():
        assert read(project, sid) == {**expected, **differs.get(sid, {})}, sid
    # an undated web page by no one named: an id of three parts, not 'states'; a web page, not
    # a chapter ("In ICRC. 2025.")
    page = read(project, page_id)
    assert page["csl_type"] == "webpage"
    assert page["url"] == "https://www.icrc.org/en/states-parties-ottawa"
    notes = [line.rsplit("/", 1)[1] for line in run.out.splitlines() if ": note: " in line]
    assert notes == not_kept


def test_an_uncited_import_without_its_text_builds_with_a_warning(project: Path, cli,
                                                                 tmp_path: Path) -> None:
    item = {"id": "icrc2025CCMWithdrawal", "type": "article-journal",
            "title": "Treaty withdrawal and the protection of civilians",
            "container-title": "International Review of the Red Cross",
            "author": [{"literal": "International Committee of the Red Cross"}],
            "issued": {"date-parts": [[2025, 2]]}, "URL": "https://example.org/irrc"}
    assert cli(project, "import-refs", str(write_refs(tmp_path, "one.json",
                                                      json.dumps([item])))).code == 0
    sid, rel = "icrc-2025-ccm-withdrawal", "content/sources/icrc-2025-ccm-withdrawal"
    run = cli(project, "build", "--format", "html")
    assert run.code == 0, run.err
    assert (project / "output" / "harbour" / "harbour-ngo.html").is_file()
    # the project's own warning (an audience no brief lists) aside, these two only
    assert [line for line in run.err_lines if "warning" in line and sid in line] == [
        f"{rel}.yaml: warning: source '{sid}' has no text file yet: save the article's verbatim "
        f"text as {rel}.txt before a block cites it",
        f"{rel}.yaml: warning: source '{sid}' has no 'perspective' yet: write how the source sees "
        "the question in your own words as 'perspective:' before a block cites it"]
    # once a block cites it, the missing text stops the build, naming the block
    blocks = project / "content" / "blocks" / "withdrawal.yaml"
    blocks.write_text(f"- id: withdrawal\n  type: question\n  text: Why withdraw?\n  cites:\n"
                      f"    - source: {sid}\n      quote: \"treaty withdrawal and civilians\"\n",
                      encoding="utf-8")
    cited = cli(project, "build", "--format", "html")
    assert cited.code == 1
    assert (f"{rel}.yaml:1:1: source '{sid}' is cited by block 'withdrawal' "
            f"(content/blocks/withdrawal.yaml:1:3) but has no text file: save the article's "
            f"verbatim text as {rel}.txt") in cited.err_lines


def test_a_bibtex_name_is_split_as_bibtex_splits_it_and_a_doubtful_split_is_noted(
        project: Path, cli, tmp_path: Path) -> None:
    refs = write_refs(tmp_path, "names.bib", "@book{names,\n  title = {Names},\n  author = {"
                      "Ana Ruiz Garc{\\'i}a and Charles de Gaulle and Ruiz Garc{\\'i}a, Ana and "
                      "{{Human Rights Watch}} and {Amnesty International}},\n}\n")
    run = cli(project, "import-refs", str(refs))
    assert run.code == 0, run.err
    assert read(project, "names")["authors"] == [
        {"family": "García", "given": "Ana Ruiz"},  # BibTeX's rule for "First Last": noted
        {"family": "Gaulle", "given": "Charles", "particle": "de"},
        {"family": "Ruiz García", "given": "Ana"},
        {"literal": "Human Rights Watch"},
        {"literal": "Amnesty International"},
    ]
    assert read(project, "names")["csl_type"] == "book"
    assert [line.split(": note: ", 1)[1] for line in run.out.splitlines()
            if ": note: " in line] == [
        "the author 'Ana Ruiz García' is written without a comma, so BibTeX takes 'García' as the "
        "family name; if it is longer, write it 'Family, Given' in the record and import again, "
        "or fix the source file"]


def test_a_file_named_by_the_earlier_id_rule_counts_as_existing(project: Path, cli) -> None:
    """Ids once dropped a key's word breaks (`mueller2025baltic`): importing the same library
    again must not write `mueller-2025-baltic.yaml` beside the file the editor completed."""
    mine = sources(project) / "mueller2025baltic.yaml"
    mine.write_text("# the editor's own file\n", encoding="utf-8")
    run = cli(project, "import-refs", str(BIBTEX))
    assert run.code == 0, run.err
    assert "content/sources/mueller2025baltic.yaml: skipped: exists" in run.out
    assert not (sources(project) / "mueller-2025-baltic.yaml").exists()
    assert "imported 4, skipped 1 (files that exist are never replaced)" in run.out
