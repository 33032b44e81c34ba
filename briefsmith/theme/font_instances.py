"""Static instances of the vendored variable fonts, made once and cached by the fonts' hash.

Why: given a variable font, WeasyPrint instances it with fontTools for every (weight, size) a
document uses, because `opsz` follows the font size: a brief embedded 14 to 20 font programs
and spent about a third of its render there. The renderer sees these static files instead, one
per weight and style, each at one fixed optical size, so a PDF embeds at most one program per
face the stylesheets use and nothing is instanced at render time.

They are made from the vendored files with fontTools (already a dependency), offline, the first
time the renderer needs them (`make briefs` does it during set-up), in a folder named by a hash
of the source fonts, the table below and the fontTools version: a changed font or table gets a
new folder, never a stale one. Output fingerprints need nothing more: they already hash the
vendored files (`font:` keys) and this module's code.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import multiprocessing
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.paths import PACKAGE_ASSETS

if TYPE_CHECKING:
    from fontTools.ttLib import TTFont

# Bump when the way instances are made changes but the table below does not (2: the source's
# timestamp, not the time of making).
FONTS_DIR = PACKAGE_ASSETS / "fonts"  # the vendored variable fonts
FORMAT = 2
CACHE_ENV = "BRIEFSMITH_FONT_CACHE"  # a folder for the cache when the environment's is read-only


@dataclass(frozen=True)
class Instance:
    """One static face: the variable file it comes from and where on its axes it is pinned."""

    source: str  # file name in FONTS_DIR
    family: str
    weight: int
    italic: bool
    opsz: float | None = None  # for fonts with an optical-size axis

    @property
    def style(self) -> str:
        """The subfamily name, as Adobe names the static fonts ("Semibold Italic")."""
        words = {400: "", 600: "Semibold", 700: "Bold"}[self.weight]
        style = " ".join(w for w in (words, "Italic" if self.italic else "") if w)
        return style or "Regular"

    @property
    def file_name(self) -> str:
        return f"{self.family.replace(' ', '')}-{self.style.replace(' ', '')}.ttf"


# Optical size, in the px WeasyPrint passed as `opsz` when it followed the font size: body text
# is 10.5pt = 14px (parliamentary, NGO, student), so regular, italic and bold keep exactly the
# look they had there; semibold serif is only used small (sources table titles at 9pt = 12px,
# footnote markers at 8.5pt), so it is pinned at 12. Smaller serif text (tables, notes, the
# minister's 10pt) now uses the 14px design, a little lighter and narrower than before.
# Weights: what the stylesheets ask for (400, 600, 700), italic too, so bold inside an italic
# quote still finds a bold italic face. Any other weight is matched to the nearest of these.
INSTANCES: tuple[Instance, ...] = tuple(
    Instance(f"SourceSerif4-{'Italic' if italic else 'Roman'}-VF.ttf", "Source Serif 4", weight,
             italic, 12.0 if weight == 600 else 14.0)
    for italic in (False, True) for weight in (400, 600, 700)
) + tuple(
    Instance(f"SourceSans3-{'Italic' if italic else 'Roman'}-VF.ttf", "Source Sans 3", weight,
             italic)
    for italic in (False, True) for weight in (400, 600, 700)
)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@functools.cache
def digest() -> str:
    """What the instances are made from: each source font's bytes, the table, the maker."""
    from fontTools import version as fonttools_version

    parts = [f"format={FORMAT}", f"fonttools={fonttools_version}", repr(INSTANCES)]
    parts += [f"{name}={_sha256_file(FONTS_DIR / name)}"
              for name in sorted({i.source for i in INSTANCES})]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def cache_root() -> Path:
    """$BRIEFSMITH_FONT_CACHE, else the virtualenv's own cache folder (it goes with the
    environment that made it), else the temporary folder."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    if sys.prefix != sys.base_prefix and os.access(sys.prefix, os.W_OK):
        return Path(sys.prefix) / "cache" / "briefsmith"
    return Path(tempfile.gettempdir()) / "briefsmith-cache"


def folder() -> Path:
    """The folder of static instances for the present fonts (where it is, made or not)."""
    return cache_root() / f"static-fonts-{digest()}"


def files() -> tuple[Path, ...]:
    return tuple(folder() / i.file_name for i in INSTANCES)


def ensure(progress: Callable[[str], None] | None = None) -> Path:
    """The folder of static instances, made first if missing: whole or not at all, and made
    by one process while any other waits for it (render workers start together)."""
    target = folder()
    if _complete(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with (target.parent / f"{target.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _complete(target):
            return target
        if progress is None:
            progress = _say
        progress(f"making static instances of the vendored fonts, once, in {target} "
                 f"(a minute or two)")
        work = Path(tempfile.mkdtemp(prefix=f"{target.name}.", dir=target.parent))
        work.chmod(0o755)  # mkdtemp makes it private; the fonts are for every user
        try:
            _make_all(work)
            (work / "complete").write_text(digest() + "\n")
            if target.exists():  # an incomplete folder left by a killed run
                shutil.rmtree(target)
            work.rename(target)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return target


def _make_all(work: Path) -> None:
    """Every instance into `work`, one process per core: each takes seconds of fontTools'
    pure-Python work, and a new machine's first build waits for all of them. Forked, so that
    the workers see this process's FONTS_DIR (a test points it elsewhere)."""
    jobs = min(len(INSTANCES), os.cpu_count() or 1)
    outs = [work / instance.file_name for instance in INSTANCES]
    if jobs == 1:
        for instance, out in zip(INSTANCES, outs, strict=True):
            make(instance, out)
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        list(pool.map(make, INSTANCES, outs))  # re-raises a worker's error here


def _complete(target: Path) -> bool:
    return (target / "complete").is_file()


def _say(message: str) -> None:
    print(f"briefsmith: {message}", file=sys.stderr, flush=True)


def make(instance: Instance, out: Path) -> None:
    """Pin every axis of the source font and name the result as a static family member."""
    from fontTools.ttLib import TTFont
    from fontTools.varLib.instancer import instantiateVariableFont

    axes: dict[str, float] = {"wght": instance.weight}
    if instance.opsz is not None:
        axes["opsz"] = instance.opsz
    # The source's own timestamp, not now (fontTools stamps the time of saving by default):
    # equal fonts give equal bytes, so two machines' set-ups give byte-identical PDFs.
    with TTFont(FONTS_DIR / instance.source, recalcTimestamp=False) as varfont:
        font = instantiateVariableFont(varfont, axes, static=True)
        font.recalcTimestamp = False
        _name(font, instance)
        font.save(out, reorderTables=True)


def _name(font: TTFont, instance: Instance) -> None:
    """Family and style names as a static release would have them, so fontconfig files each
    instance under the CSS family name with its weight and slant."""
    ribbi = instance.weight in (400, 700)
    bold = instance.weight == 700
    style = instance.style
    legacy_family = instance.family if ribbi else f"{instance.family} {style.split()[0]}"
    legacy_style = (("Bold " if bold else "") + ("Italic" if instance.italic else "")).strip()
    postscript = f"{instance.family.replace(' ', '')}-{style.replace(' ', '')}"
    name = font["name"]
    for name_id in (1, 2, 3, 4, 6, 16, 17, 25):
        name.removeNames(nameID=name_id)
    values = {1: legacy_family, 2: legacy_style or "Regular",
              3: f"{font['head'].fontRevision:.3f};ADBO;{postscript};static",
              4: f"{instance.family} {style}" if style != "Regular" else instance.family,
              6: postscript, 16: instance.family, 17: style}
    for name_id, value in values.items():
        name.setName(value, name_id, 3, 1, 0x409)
    os2 = font["OS/2"]
    os2.usWeightClass = instance.weight
    selection = os2.fsSelection & ~0b1100001  # clear ITALIC, BOLD, REGULAR
    selection |= (1 if instance.italic else 0) | (0b100000 if bold else 0)
    if not instance.italic and not bold:
        selection |= 0b1000000
    os2.fsSelection = selection
    font["head"].macStyle = (1 if bold else 0) | (2 if instance.italic else 0)
    if "STAT" in font:  # describes the variable design space, which this font no longer has
        del font["STAT"]


def main() -> int:
    """`python -m briefsmith.font_instances`: make the instances now (set-up calls this)."""
    path = ensure()
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
