"""One module per ``tfft`` command, each with ``run(args) -> exit status``.

A command orchestrates the library (training, export, serving) and prints what
the user reads; nothing below this package imports it. `tfft.cli` builds the
parser and calls ``tfft.commands.<name>.run``.
"""

from __future__ import annotations

from tfft.backbones import BackboneError
from tfft.config import ConfigError
from tfft.data.errors import DataError
from tfft.serving.errors import ServingError

# What a user can fix: reported as one line and exit status 2, never a traceback.
USER_ERRORS = (ConfigError, DataError, BackboneError, FileNotFoundError, FileExistsError, ValueError, ServingError)
