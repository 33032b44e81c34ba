#!/usr/bin/env python3
"""Generate a large Briefsmith project from the sample, for the scale benchmark (bench.py, h).

The sample's blocks, sources and claims (with their resolutions) are copied COPIES times; copy 0
keeps the sample's ids and every later copy k renames each block, source and claim id to
`<id>-c<k>`, so each copy is an independent replica that verifies, validates and compares
exactly as the sample does (a copied quote is checked against its own copied source). Nothing
is made cheaper than in the sample: every copied block carries its own quotes and prose.

Briefs are a choice, stated with the figures:
- `--briefs sample` (the default, what the "3,000-block check" measures): only the sample's
  briefs, which use copy 0. The check then loads, validates, verifies, compares and reviews
  every block, while the dry render renders the sample's outputs, so the figure shows what
  block count costs, apart from output count.
- `--briefs copied`: each copy also gets copies of the sample's briefs, pointing at its own
  blocks, so the outputs grow with the blocks (46 copies: 92 briefs, 368 outputs).

    .venv/bin/python benchmarks/scale_project.py DEST --copies 46 [--briefs copied]

The generator reads the sample with PyYAML's safe loader and writes the copies with its safe
dumper (plain data only): comments are not copied, and every string the strict loader would
refuse unquoted (`yes`, a value before ` #`) is quoted by the dumper.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
PROJECT_PARTS = ("templates", "csl", "assets", "briefsmith.yaml")


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _rename(copy: int) -> Any:
    return (lambda ident: ident) if copy == 0 else (lambda ident: f"{ident}-c{copy}")


def _block(block: dict[str, Any], new: Any) -> dict[str, Any]:
    out = dict(block)
    out["id"] = new(block["id"])
    if "claim" in out:
        out["claim"] = new(out["claim"])
    for key, value in block.items():  # cites, and any other list of {source: ...} (a chart's)
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            out[key] = [{**v, "source": new(v["source"])} if "source" in v else v
                        for v in value]
    return out


def _brief(brief: dict[str, Any], new: Any) -> dict[str, Any]:
    out = dict(brief)
    if "summary" in out:
        out["summary"] = [new(ref) for ref in out["summary"]]
    out["sections"] = [{**sec, "blocks": [new(ref) for ref in sec.get("blocks", [])]}
                       for sec in out.get("sections", [])]
    return out


def _resolution(entry: dict[str, Any], new: Any) -> dict[str, Any]:
    out = dict(entry)
    out["claim"] = new(entry["claim"])
    if "prefer" in out:
        out["prefer"] = new(entry["prefer"])
    return out


def scale_project(dest: Path, copies: int, briefs: str = "sample",
                  src: Path = REPO) -> dict[str, int]:
    """Write the generated project to `dest` (which must not exist); return what it holds."""
    dest.mkdir(parents=True)
    for name in PROJECT_PARTS:
        if (src / name).is_dir():
            shutil.copytree(src / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif (src / name).is_file():
            shutil.copy2(src / name, dest / name)
    content = src / "content"
    for sub in ("blocks", "sources"):
        (dest / "content" / sub).mkdir(parents=True)
    (dest / "briefs").mkdir()
    counts = {"blocks": 0, "quotes": 0, "sources": 0, "briefs": 0}
    resolutions: list[Any] = []
    sample_resolutions = (_load(content / "resolutions.yaml") or []
                          if (content / "resolutions.yaml").is_file() else [])
    for copy in range(copies):
        new = _rename(copy)
        tail = "" if copy == 0 else f"-c{copy}"
        for path in sorted((content / "blocks").glob("*.yaml")):
            blocks = _load(path) or []
            (dest / "content" / "blocks" / f"{path.stem}{tail}.yaml").write_text(
                _dump([_block(b, new) for b in blocks]), encoding="utf-8")
            counts["blocks"] += len(blocks)
            counts["quotes"] += sum(1 for b in blocks for v in b.values() if isinstance(v, list)
                                    for item in v if isinstance(item, dict) and "quote" in item)
        for path in sorted((content / "sources").glob("*.yaml")):
            stem = new(path.stem)
            shutil.copy2(path, dest / "content" / "sources" / f"{stem}.yaml")
            shutil.copy2(path.with_suffix(".txt"), dest / "content" / "sources" / f"{stem}.txt")
            counts["sources"] += 1
        resolutions += [_resolution(r, new) for r in sample_resolutions]
        if copy == 0 or briefs == "copied":
            for path in sorted((src / "briefs").glob("*.yaml")):
                (dest / "briefs" / f"{path.stem}{tail}.yaml").write_text(
                    _dump(_brief(_load(path), new)), encoding="utf-8")
                counts["briefs"] += 1
    if resolutions:
        (dest / "content" / "resolutions.yaml").write_text(_dump(resolutions), encoding="utf-8")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dest", type=Path, help="folder to create (must not exist)")
    parser.add_argument("--copies", type=int, default=46)
    parser.add_argument("--briefs", choices=("sample", "copied"), default="sample")
    args = parser.parse_args(argv)
    counts = scale_project(args.dest, args.copies, args.briefs)
    print(", ".join(f"{n} {k}" for k, n in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
