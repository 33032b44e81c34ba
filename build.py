#!/usr/bin/env python3
"""Build the briefs of this project: `python build.py [build|check|list]` (see --help)."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# The Briefsmith beside this file, also under `python -I`/`-P`, which leave the script's folder
# off the path: the message for a missing dependency then comes from Briefsmith itself.
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from briefsmith.cli import run  # noqa: E402

if __name__ == "__main__":
    run(default_project=HERE)
