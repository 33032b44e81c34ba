#!/usr/bin/env python3
"""Build the briefs of this project: `python build.py [build|check|list]` (see --help)."""

import sys
from pathlib import Path

from briefsmith.cli import main

if __name__ == "__main__":
    sys.exit(main(default_project=Path(__file__).resolve().parent))
