"""The quote cache (briefsmith/evidence/quotecache.py): a repeated check does not search a quote
again, but any change to the quote or its source verifies it afresh, and a bad cache file is
ignored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _content_edits import BLOCKS, SOURCE_TEXT, edit

from briefsmith.pipeline import check, load_and_verify

CACHE = Path("output") / ".cache" / "quotes.json"
BOATS_QUOTE = "1,200 boats used the new quay in its first year - twice the number it had forecast"


def entries(root: Path) -> dict[str, list[int]]:
    data = json.loads((root / CACHE).read_text(encoding="utf-8"))
    assert data["format"] == 1
    return data["entries"]


def warm(root: Path) -> None:
    (root / CACHE).parent.mkdir(parents=True)  # what the first default build makes
    check(root, write_caches=True)  # what the `check` command does: once it passed


def test_check_on_a_project_never_built_writes_no_cache(project: Path, cli) -> None:
    assert cli(project, "check").code == 0
    assert not (project / "output").exists()


def test_only_a_check_that_passes_writes_the_caches(project: Path, cli) -> None:
    (project / CACHE).parent.mkdir(parents=True)
    load_and_verify(project)  # what the other commands do: read, never write
    check(project)  # so does the check a build starts with
    assert list((project / CACHE).parent.iterdir()) == []
    edit(project, BLOCKS, "In its first year, 1,200 boats", "In its first year, ![x](y.png)")
    assert cli(project, "check").code == 1  # an image in the text: the check fails
    assert list((project / CACHE).parent.iterdir()) == []


def test_a_verified_quote_is_read_back_from_the_cache(project: Path) -> None:
    warm(project)
    cached = entries(project)
    assert sorted(cached.values()) == [[2, 2], [3, 3], [3, 4]]  # one per quote, with its paras
    # Prove the second run reads the cache rather than the source: an entry rewritten by hand
    # (never done by Briefsmith) is what the next run reports.
    key = next(k for k, v in cached.items() if v == [2, 2])
    cached[key] = [1, 1]
    (project / CACHE).write_text(json.dumps({"format": 1, "entries": cached}), encoding="utf-8")
    citations = load_and_verify(project).citations
    assert [c.locator for c in citations["boats-first-year"]] == ["para 1"]


def test_a_changed_source_makes_a_cached_quote_fail(project: Path, cli) -> None:
    warm(project)
    before = entries(project)
    edit(project, SOURCE_TEXT, "1,200 boats", "1,300 boats")
    run = cli(project, "check")
    assert run.code == 1
    assert ("quote in block 'boats-first-year' is not in source 'harbour-report' "
            "(content/sources/harbour-report.txt); closest passage") in run.err
    assert entries(project) == before  # a failed check keeps what it had


def test_a_changed_source_that_still_holds_the_quote_is_verified_again(project: Path) -> None:
    warm(project)
    edit(project, SOURCE_TEXT, "Harbour Report", "Harbour Report\n\nAnnual edition")
    citations = check(project, write_caches=True).content.citations
    # the source gained a paragraph before the quotes: every locator moved by one
    assert [c.locator for c in citations["boats-first-year"]] == ["para 3"]
    assert [c.locator for c in citations["review-asked"]] == ["paras 4\u20135"]
    assert sorted(entries(project).values()) == [[3, 3], [4, 4], [4, 5]]


def test_a_changed_quote_is_verified_again(project: Path, cli) -> None:
    warm(project)
    edit(project, BLOCKS, BOATS_QUOTE, BOATS_QUOTE.replace("1,200", "1,300"))
    run = cli(project, "check")
    assert run.code == 1
    assert "quote in block 'boats-first-year' is not in source 'harbour-report'" in run.err


@pytest.mark.slow
def test_a_corrupt_cache_file_is_ignored_and_replaced(project: Path, cli) -> None:
    (project / CACHE).parent.mkdir(parents=True)
    for junk in (b"\x00\xff not json", b'{"format": 1, "entries": {"k": [0, "x"]}}',
                 b'["format", 1]', b'{"format": 99, "entries": {}}'):
        (project / CACHE).write_bytes(junk)
        run = cli(project, "check")
        assert run.code == 0, run.err
        assert "ok: 1 briefs, 4 blocks, 1 sources, 3 quotes verified" in run.out
        assert sorted(entries(project).values()) == [[2, 2], [3, 3], [3, 4]]


def test_a_cache_file_linked_from_outside_the_project_is_not_read(project: Path,
                                                                  tmp_path: Path) -> None:
    warm(project)
    outside = tmp_path / "elsewhere.json"
    cached = {k: [1, 1] for k in entries(project)}
    outside.write_text(json.dumps({"format": 1, "entries": cached}), encoding="utf-8")
    (project / CACHE).unlink()
    (project / CACHE).symlink_to(outside)
    citations = load_and_verify(project).citations
    assert [c.locator for c in citations["boats-first-year"]] == ["para 2"]
    assert json.loads(outside.read_text(encoding="utf-8"))["entries"] == cached  # not written


FINDINGS = Path("output") / ".cache" / "fidelity.json"


def test_fidelity_findings_are_cached_per_block_and_redone_when_a_source_changes(
        project: Path, cli) -> None:
    edit(project, BLOCKS, "In its first year, 1,200 boats", "In its first year, 1,300 boats")
    (project / CACHE).parent.mkdir(parents=True)
    first = cli(project, "check")
    drift = [line for line in first.err_lines if "number not in its passages" in line]
    assert len(drift) == 1 and drift[0].startswith("content/blocks/harbour.yaml:3:")
    data = json.loads((project / FINDINGS).read_text(encoding="utf-8"))
    entries = sorted(data["entries"].values(), key=len)
    assert entries[:3] == [[], [], []]  # one entry per block, a warning as its parts
    [kept] = entries[3]
    assert kept["kind"] == "fidelity" and (kept["file"], kept["line"]) == (
        "content/blocks/harbour.yaml", 3)
    assert f"{kept['file']}:{kept['line']}:{kept['column']}: warning: {kept['message']}" == drift[0]
    # The next check reads the cache: a finding planted in it by hand is what it prints.
    plant = {"file": "briefs/x.yaml", "line": 2, "column": 0, "kind": "fidelity", "audience": None,
             "message": "planted finding"}
    planted = {k: ([plant] if v else v) for k, v in data["entries"].items()}
    (project / FINDINGS).write_text(json.dumps({"format": 1, "entries": planted}),
                                    encoding="utf-8")
    assert "briefs/x.yaml:2: warning: planted finding" in cli(project, "check").err_lines
    # A changed source (here one more paragraph) changes every key of the blocks citing it.
    edit(project, SOURCE_TEXT, "Harbour Report", "Harbour Report\n\nAnnual edition")
    again = cli(project, "check")
    assert "briefs/x.yaml:2: warning: planted finding" not in again.err_lines
    assert [line for line in again.err_lines if "number not in its passages" in line] == drift
