"""The prose fidelity check (issue 9): a labelled set of faithful and drifting paraphrases, and
each kind of finding end to end through `check --strict` on a copy of the minimal project."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES, REPO

from briefsmith.evidence.fidelity import Passage, compare

PAIRS = yaml.safe_load((FIXTURES / "fidelity" / "pairs.yaml").read_text(encoding="utf-8"))
KINDS = ("number", "qualifier", "actor", "certainty", "attribution")


def detect(pair: dict) -> list:
    src = pair["source"]
    names = tuple(x for x in (src.get("label"), src.get("outlet"), *src.get("authors", [])) if x)
    credits = tuple(x for x in (src.get("outlet"), *src.get("authors", [])) if x)
    passages = [Passage(text, src["kind"], src.get("label", ""), names, None, credits)
                for text in pair["passages"]]
    return compare(pair["prose"], passages, exempt=tuple(x for x in [pair.get("actor")] if x))


def test_the_labelled_set_is_balanced_and_covers_every_kind() -> None:
    assert len(PAIRS) >= 80
    assert len({p["id"] for p in PAIRS}) == len(PAIRS)
    labels = Counter(p["label"] for p in PAIRS)
    assert labels["drift"] == labels["faithful"]
    per_kind = Counter((p["kind"], p["label"]) for p in PAIRS)
    for kind in KINDS:
        assert per_kind[(kind, "drift")] >= 8 and per_kind[(kind, "faithful")] >= 8, kind


def test_precision_and_recall_of_drift_on_the_labelled_set() -> None:
    tp = fp = fn = 0
    missed, raised, wrong_kind = [], [], []
    for pair in PAIRS:
        found = detect(pair)
        drift = pair["label"] == "drift"
        if found and drift:
            tp += 1
            if not any(f.kind == pair["kind"] for f in found):
                wrong_kind.append(pair["id"])
        elif found:
            fp += 1
            raised.append((pair["id"], [f.what for f in found]))
        elif drift:
            fn += 1
            missed.append(pair["id"])
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    print(f"\nfidelity on {len(PAIRS)} pairs: precision {precision:.2f}, recall {recall:.2f} "
          f"(tp {tp}, fp {fp}, fn {fn}); false alarms {raised}; missed {missed}; "
          f"found as another kind {wrong_kind}")
    assert precision >= 0.9 and recall >= 0.9


@pytest.mark.parametrize("pair", [p for p in PAIRS if p["label"] == "drift"],
                         ids=lambda p: p["id"])
def test_each_drift_is_found_as_its_own_kind(pair: dict) -> None:
    # not required for the ≥ 0.9 bar, but a drift found only by accident explains nothing
    kinds = {f.kind for f in detect(pair)}
    if pair["kind"] not in kinds:
        pytest.xfail(f"found as {kinds or 'nothing'}")


# --- end to end ----------------------------------------------------------------------------

COLUMN = """title: "The quay is for cruise ships"
label: "Column on the new quay"
kind: commentary
outlet: "Harbour Voices"
authors: []
published: "2026-03-04"
url: null
perspective: "a local columnist critical of the quay"
"""
COLUMN_TEXT = ("The new quay was designed for cruise ships first and fishing crews second.\n"
               "It could double the town's fishing income within five years.\n")


def add_block(project: Path, block: str) -> Path:
    (project / "content" / "sources" / "harbour-column.yaml").write_text(COLUMN, "utf-8")
    (project / "content" / "sources" / "harbour-column.txt").write_text(COLUMN_TEXT, "utf-8")
    path = project / "content" / "blocks" / "drift.yaml"
    path.write_text(block, encoding="utf-8")
    return path


CASES = {
    "number": ("""- id: quay-boats
  type: context
  text: "In its first year, 1,500 boats used the new quay."
  cites:
    - source: harbour-report
      quote: "1,200 boats used the new quay in its first year"
""", "content/blocks/drift.yaml:3:9: warning: block 'quay-boats' number not in its passages: "
     "the prose says \"In its first year, 1,500 boats used the new quay.\" but its passages say "
     "\"1,200 boats used the new quay in its first year\": give the passages' figure, or cite "
     "the passage that gives this one"),
    "event year": ("""- id: quay-review
  type: event
  date: "2025"
  text: "The council asked for a review."
  cites:
    - source: harbour-report
      quote: "the council has asked for a review"
""", "content/blocks/drift.yaml:3:9: warning: block 'quay-review' event year not in its "
     "passages: the prose says \"2025\" but its passages say \"the council has asked for a "
     "review\": cite a passage that gives this year, or say how you dated it under 'inference'"),
    "qualifier": ("""- id: quay-boats
  type: context
  text: "In its first year, about 1,200 boats used the new quay."
  cites:
    - source: harbour-report
      quote: "1,200 boats used the new quay in its first year"
""", "content/blocks/drift.yaml:3:9: warning: block 'quay-boats' qualifier added: the prose "
     "says \"In its first year, about 1,200 boats used the new quay.\" but its passages say "
     "\"1,200 boats used the new quay in its first year\": drop 'about', or cite a passage "
     "that qualifies the figure"),
    "actor": ("""- id: quay-review
  type: context
  text: >-
    Jane Morgan says the council has asked for a review.
  cites:
    - source: harbour-report
      quote: "the council has asked for a review"
""", "content/blocks/drift.yaml:3:9: warning: block 'quay-review' name 'Jane Morgan' not in "
     "its passages: the prose says \"Jane Morgan says the council has asked for "
     "a review.\" but its passages say \"the council has asked for a review\": cite a passage "
     "that names them, or leave the name out"),
    "certainty": ("""- id: quay-review
  type: context
  title: "The review reported in 2027"
  text: "The council asked for a review, which will report in 2027."
  cites:
    - source: harbour-report
      quote: "the council has asked for a review. The review will report in 2027."
""", "content/blocks/drift.yaml:3:10: warning: block 'quay-review' states as fact what its "
     "passages give as a forecast: the prose says \"The review reported in 2027\" but its "
     "passages say \"The review will report in 2027.\": keep the passage's 'will' (or a word "
     "of the same force), or put your own reading under 'inference'"),
    "instruction": ("""- id: quay-review
  type: context
  text: "The council must review the quay."
  cites:
    - source: harbour-report
      quote: "the council has asked for a review"
""", "content/blocks/drift.yaml:3:9: warning: block 'quay-review' turns a passage into an "
     "instruction: the prose says \"The council must review the quay.\" but its passages say "
     "\"the council has asked for a review\": say what the passage says instead of 'must' (or "
     "attribute the ask), or put your own reading under 'inference'"),
    "attribution": ("""- id: quay-design
  type: context
  text: "The new quay was designed for cruise ships first and fishing crews second."
  cites:
    - source: harbour-column
      quote: "The new quay was designed for cruise ships first"
""", "content/blocks/drift.yaml:3:9: warning: block 'quay-design' states a claim of a "
     "commentary as fact: the prose says \"The new quay was designed for cruise ships first and "
     "fishing crews second.\" but its passages say \"The new quay was designed for cruise ships "
     "first\": say whose claim it is (e.g. 'the commentary argues …')"),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=str)
def test_each_kind_fails_strict_and_warns_without(project: Path, cli, case: str) -> None:
    block, line = CASES[case]
    add_block(project, block)
    strict = cli(project, "check", "--strict")
    assert strict.code == 1, strict.err
    assert line in strict.err_lines, "\n".join(strict.err_lines)
    assert "with --strict; no output was written" in strict.err
    plain_run = cli(project, "check")
    assert plain_run.code == 0, plain_run.err
    assert line in plain_run.err_lines
    assert plain_run.out.startswith("ok:")


@pytest.mark.slow
def test_faithful_blocks_give_no_warning(project: Path, cli) -> None:
    add_block(project, """- id: quay-faithful
  type: context
  title: "A busy first year"
  text: >-
    The harbour authority says 1200 boats used the new quay in its first year, twice what it
    had forecast. According to the column in Harbour Voices, the quay was designed for cruise
    ships first; it says the quay could double the town's fishing income.
  cites:
    - source: harbour-report
      quote: "1,200 boats used the new quay in its first year"
    - source: harbour-report
      quote: "twice the number it had forecast"
    - source: harbour-column
      quote: "The new quay was designed for cruise ships first"
    - source: harbour-column
      quote: "It could double the town's fishing income within five years."
""")
    run = cli(project, "check", "--strict")
    assert run.code == 0, run.err
    assert not [x for x in run.err_lines if "warning: block" in x]


@pytest.mark.slow
def test_the_sample_warning_matches_the_script(project: Path) -> None:
    """The literal command an editor runs: `python build.py check --strict`."""
    add_block(project, CASES["number"][0])
    run = subprocess.run([sys.executable, str(REPO / "build.py"), "--project", str(project),
                          "check", "--strict"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert CASES["number"][1] in run.stderr.splitlines()


# --- the editor's inference ----------------------------------------------------------------

INFERRED = """- id: quay-busy
  type: context
  text: "In its first year, 1,200 boats used the new quay."
  inference: "The quay will probably need a second berth by 2030 — Jane Morgan's view."
  cites:
    - source: harbour-report
      quote: "1,200 boats used the new quay in its first year"

- id: quay-critics-quote
  type: quote
  speaker: "Critics"
  words: "built for tourists"
  inference: "Tourism is likely the point."
  cites:
    - source: harbour-report
      quote: "was built for tourists, not for fishing crews"
"""


@pytest.mark.slow
def test_inference_is_never_held_to_the_passages(project: Path, cli) -> None:
    add_block(project, INFERRED)
    run = cli(project, "check", "--strict")
    assert run.code == 0, run.err


def test_inference_must_be_text_at_its_line(project: Path, cli) -> None:
    add_block(project, INFERRED.replace(
        "inference: \"The quay will probably need a second berth by 2030 — Jane Morgan's view.\"",
        "inference: [a, b]"))
    run = cli(project, "check")
    assert run.code == 1
    assert any(x.startswith("content/blocks/drift.yaml:4:14: 'inference' of block 'quay-busy' "
                            "must be text") for x in run.err_lines), run.err


@pytest.mark.slow
def test_inference_is_shown_labelled_in_every_audience(project: Path, cli) -> None:
    add_block(project, INFERRED)
    brief = project / "briefs" / "harbour.yaml"
    brief.write_text(brief.read_text(encoding="utf-8").replace(
        "blocks: [boats-first-year, review-asked]",
        "blocks: [boats-first-year, review-asked, quay-busy, quay-critics-quote]"),
        encoding="utf-8")
    summary = brief.read_text(encoding="utf-8").replace("summary: [boats-first-year]",
                                                         "summary: [quay-busy]")
    brief.write_text(summary, encoding="utf-8")
    run = cli(project, "build", "--format", "html")
    assert run.code == 0, run.err
    for audience in ("parliamentary", "ngo", "student"):
        html = (project / "output" / "harbour" / f"harbour-{audience}.html").read_text("utf-8")
        shown = ('<p class="inference"><span class="label">Editor\'s inference:</span> The quay '
                 "will probably need a second berth by 2030 — Jane Morgan&#39;s view.</p>")
        # wherever the block is shown: in the summary and in its section
        assert html.count(shown) == 2, audience
        assert html.count('<span class="label">Editor\'s inference:</span> Tourism is likely '
                          "the point.</p>") == 1, audience


def test_a_name_with_accents_is_read_whole() -> None:
    """Letters of any script are letters: 'Kasčiūnas' was read as 'Kas', so a name the passage
    gives was reported missing, and one it does not give was quoted cut short."""
    passage = Passage("Lithuania's defence minister Laurynas Kasčiūnas said the country would "
                      "leave the treaty.", "news", "Report", ("Report",), None, ())
    assert compare("Laurynas Kasčiūnas said Lithuania would leave the treaty.", [passage]) == []
    [found] = compare("Dovilė Šakalienė said Lithuania would leave the treaty.", [passage])
    assert found.kind == "actor" and "Dovilė Šakalienė" in found.prose
