#!/usr/bin/env bash
# Set up a machine to build briefs (and, with --test, to run the tests):
#   system libraries WeasyPrint needs for fast, correct output, then a virtualenv in .venv
#   with the exact versions in constraints.txt. Safe to run again: it skips what is done.
set -euo pipefail
cd "$(dirname "$0")/.."

want_tests=0
[ "${1:-}" = "--test" ] && want_tests=1

# libharfbuzz-subset0: without it WeasyPrint falls back to a font subsetter measured 4-10x slower.
# libpango-1.0-0 and libpangoft2-1.0-0: WeasyPrint's text layout. poppler-utils: tests and
# page previews (pdftoppm, pdftotext). chromium, with node and npm: the accessibility test runs
# axe-core over the HTML output in Debian's headless Chromium (tests/a11y/).
# fonts-noto-core and fonts-noto-cjk: the Arabic, Hebrew, Devanagari and CJK fonts the renderer
# falls back to (briefsmith/theme/fonts.py names the files it uses; too big to keep in git).
# libcairo2: CairoSVG, which draws a PNG of each SVG picture in Word output (docx_png.py).
packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig
          fonts-noto-core fonts-noto-cjk libcairo2)
if [ "$want_tests" = 1 ]; then
  # libreoffice-writer-nogui: a real client for the Word output (tests/test_docx.py opens it)
  packages+=(poppler-utils chromium libreoffice-writer-nogui)
  # Any node and npm will do (Debian's, or another build already on the machine).
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    packages+=(nodejs npm)
  fi
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing system packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "setup: missing system packages: ${missing[*]}" >&2
    echo "setup: run: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

py=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$py" -m venv .venv
fi
stamp=.venv/.briefsmith-installed
extras="."
[ "$want_tests" = 1 ] && extras=".[test,dev]"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ] \
   || ! grep -qxF -e "$extras" -e ".[test,dev]" "$stamp"; then
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  # setuptools warns on every editable install that a folder named like the package may shadow
  # it: here that folder is the package itself, so the screenful says nothing to a new user.
  PYTHONWARNINGS="ignore:Editable installation" \
    .venv/bin/python -m pip install -q --disable-pip-version-check -c constraints.txt -e "$extras"
  echo "$extras" > "$stamp"
fi

# Static instances of the vendored variable fonts (briefsmith/theme/font_instances.py), made once into
# .venv/cache/ so that the first build does not pay the minute or two; offline, instant when done.
.venv/bin/python -m briefsmith.theme.font_instances >/dev/null

# The accessibility test's npm packages (axe-core, at the exact versions in package-lock.json).
# npm ci writes node_modules/.package-lock.json, so a newer package-lock.json means reinstall.
if [ "$want_tests" = 1 ]; then
  a11y=tests/a11y
  if [ ! -f "$a11y/node_modules/.package-lock.json" ] \
     || [ "$a11y/package-lock.json" -nt "$a11y/node_modules/.package-lock.json" ]; then
    echo "setup: installing the accessibility checker's npm packages in $a11y"
    npm ci --prefix "$a11y" --no-audit --no-fund --loglevel=error
  fi
fi
