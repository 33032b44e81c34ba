"""The project's house style, `briefsmith.yaml` at the project root (optional).

Organisation name, logo, colours, fonts, paper size, language, default citation styles and an
extra template folder: what an organisation changes once to make every brief its own, without
touching a template.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import Collector, ContentError
from ..core.models import Origin
from ..theme.fonts import fallback_families
from .load import YMap, load_yaml, relpath
from .schema import HEX_COLOUR_RE, ID_RE, LANG_RE, Fields

CONFIG_NAME = "briefsmith.yaml"
COLOUR_KEYS = ("accent", "accent_soft", "ink", "muted", "rule")
PAPER_SIZES = ("A4", "Letter")
LOGO_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
              ".svg": "image/svg+xml"}
MAX_LOGO_BYTES = 1_000_000
_FAMILY_RE = re.compile(r"[A-Za-z0-9 \-]+")


@dataclass(frozen=True)
class Config:
    organisation: str | None = None
    logo: str | None = None  # a data: URL, so the HTML output stays one self-contained page
    logo_alt: str | None = None
    logo_path: str | None = None  # the logo file, relative to the project: an input of every brief
    colours: tuple[tuple[str, str], ...] = ()
    fonts: tuple[tuple[str, str], ...] = ()
    paper: str = "A4"
    language: str | None = None
    templates: Path | None = None
    citation_styles: tuple[tuple[str, str], ...] = ()
    max_source_age_days: int | None = None
    origin: Origin | None = None
    # id → label, in the order written: the viewpoints sources and position/quote blocks may
    # name (`viewpoint:`); empty when the project declares none (then any id is accepted)
    perspectives: tuple[tuple[str, str], ...] = ()
    perspectives_origin: Origin | None = None

    def css(self) -> str:
        """House style as CSS custom properties, loaded after every stylesheet so it wins."""
        props = [f"  --{k.replace('_', '-')}: {v};" for k, v in self.colours]
        # The script fallbacks follow the house family, as they follow the vendored one.
        props += [f'  --{k}: "{v}", {fallback_families(k)}, '
                  f'{"serif" if k == "serif" else "sans-serif"};' for k, v in self.fonts]
        rules = [f"@page {{ size: {self.paper}; }}"]
        if props:
            rules.append(":root {\n" + "\n".join(props) + "\n}")
        return f"/* {CONFIG_NAME} */\n" + "\n".join(rules)


def load_config(root: Path) -> Config:
    path = root / CONFIG_NAME
    if not path.is_file():
        return Config()
    rel = relpath(path, root)
    data = load_yaml(path, root)
    if data is None:
        return Config(origin=Origin(rel))
    errors = Collector()
    if not isinstance(data, YMap):
        raise ContentError(f"{CONFIG_NAME} must be a mapping of key: value lines",
                           Origin(rel, 1, 1))
    f = Fields(data, CONFIG_NAME, errors)
    f.check_keys(set(), {"organisation", "logo", "logo_alt", "colours", "fonts", "paper",
                         "language", "templates", "citation_styles", "max_source_age_days",
                         "perspectives"})
    colours = _pairs(f, "colours", COLOUR_KEYS, errors,
                     lambda sub, key: sub.pattern(key, HEX_COLOUR_RE, "a hex colour like #1f4e79",
                                                  required=True))
    fonts = _pairs(f, "fonts", ("serif", "sans"), errors,
                   lambda sub, key: sub.pattern(key, _FAMILY_RE, "a font family name",
                                                required=True))
    styles = _pairs(f, "citation_styles", None, errors,
                    lambda sub, key: sub.pattern(key, ID_RE, "a CSL style name such as 'oscola'",
                                                 required=True))
    logo = _logo(f, root, errors)
    templates = None
    if (folder := f.text("templates")) is not None:
        candidate = (root / folder).resolve()
        if not candidate.is_relative_to(root.resolve()) or not candidate.is_dir():
            f.fail("templates", f"'templates' in {CONFIG_NAME} must name a folder inside the "
                                f"project; '{folder}' is not one")
        else:
            templates = candidate
    config = Config(
        organisation=f.text("organisation", limit=200),
        logo=logo,
        logo_path=f.text("logo") if logo else None,
        logo_alt=f.text("logo_alt", limit=200),
        colours=colours,
        fonts=fonts,
        paper=f.choice("paper", PAPER_SIZES) or "A4",
        language=f.pattern("language", LANG_RE, "a language tag such as en-GB"),
        templates=templates,
        citation_styles=styles,
        max_source_age_days=f.positive_int(
            "max_source_age_days",
            f"'max_source_age_days' in {CONFIG_NAME} must be a whole number of days, e.g. 365"),
        origin=Origin(rel, 1, 1),
        perspectives=_perspectives(f, errors),
        perspectives_origin=data.key_at("perspectives") if "perspectives" in data else None,
    )
    errors.raise_if_any()
    return config


def _pairs(f: Fields, key: str, allowed: tuple[str, ...] | None, errors: Collector,
           read: object) -> tuple[tuple[str, str], ...]:
    mapping = f.mapping(key)
    if mapping is None:
        return ()
    sub = Fields(mapping, f"'{key}' in {CONFIG_NAME}", errors)
    if allowed is not None:
        sub.check_keys(set(), set(allowed))
    out = []
    for name in mapping:
        if allowed is not None and name not in allowed:
            continue
        value = read(sub, name)  # type: ignore[operator]
        if value is not None:
            out.append((name, value))
    return tuple(out)


def _perspectives(f: Fields, errors: Collector) -> tuple[tuple[str, str], ...]:
    """`perspectives: {id: label}`: the closed list balance counts by. An id is what content
    names (`viewpoint: humanitarian`), the label what a person reads in the balance table."""
    mapping = f.mapping("perspectives")
    if mapping is None:
        return ()
    sub = Fields(mapping, f"'perspectives' in {CONFIG_NAME}", errors)
    out = []
    for name in mapping:
        if not isinstance(name, str) or not ID_RE.fullmatch(name):
            errors.add(ContentError(f"perspective id '{name}' in {CONFIG_NAME} must use "
                                    "lowercase letters, digits and single hyphens (e.g. "
                                    "'humanitarian')", mapping.key_at(name)))
            continue
        if (label := sub.text(name, required=True, limit=200)) is not None:
            out.append((name, label))
    if not mapping:
        f.fail("perspectives", f"'perspectives' in {CONFIG_NAME} is empty: give id: label "
                               "lines, or delete the key")
    return tuple(out)


def _logo(f: Fields, root: Path, errors: Collector) -> str | None:
    value = f.text("logo")
    if value is None:
        return None
    path = (root / value).resolve()
    kind = LOGO_TYPES.get(path.suffix.lower())
    if not path.is_relative_to(root.resolve()) or not path.is_file():
        f.fail("logo", f"logo '{value}' is not a file inside the project: give a path relative "
                       f"to the project folder")
        return None
    if kind is None:
        f.fail("logo", f"logo '{value}' must be a .png, .jpg or .svg file")
        return None
    data = path.read_bytes()
    if len(data) > MAX_LOGO_BYTES:
        f.fail("logo", f"logo '{value}' is {len(data):,} bytes; the limit is {MAX_LOGO_BYTES:,}")
        return None
    return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"
