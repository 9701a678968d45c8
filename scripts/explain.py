#!/usr/bin/env python
"""Thin wrapper: `python scripts/explain.py ...` is `tfft explain ...`."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tfft.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["explain", *sys.argv[1:]]))
