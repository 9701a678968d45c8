"""How long-running commands show progress: a bar on a terminal, a line per epoch in a log file."""

from __future__ import annotations

import sys


def fit_verbosity() -> int:
    """Keras' ``fit`` verbosity: 1 (progress bar) on a terminal, 2 (one line per epoch) otherwise."""
    return 1 if sys.stdout.isatty() else 2
