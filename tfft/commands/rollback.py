"""``tfft rollback``: stop serving the newest version; it moves to ``.retired/`` and the previous one serves.

Example:

    tfft rollback saved_models/support-intents
"""

from __future__ import annotations

from pathlib import Path

from tfft.commands.update import rollback


def run(args) -> int:
    retired, serving = rollback(Path(args.model))
    print(f"version {retired} moved to {Path(args.model) / '.retired' / str(retired)}; "
          f"version {serving} serves again (TF Serving picks this up on its next poll)")
    return 0
