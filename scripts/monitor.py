#!/usr/bin/env python
"""Thin wrapper: `python scripts/monitor.py ...` is `tfft monitor ...`."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tfft.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["monitor", *sys.argv[1:]]))
