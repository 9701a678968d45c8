#!/usr/bin/env python
"""Thin wrapper: `python scripts/deploy.py ...` is `tfft deploy ...`."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tfft.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["deploy", *sys.argv[1:]]))
