"""``python -m tfft``: the same as the ``tfft`` command."""

from tfft.cli import main

raise SystemExit(main())
