"""``tfft export``: a finished run, or several adapter checkpoints over one backbone, as a new SavedModel version.

Example:

    tfft export --run runs/support-intents
    tfft export --adapters runs/sst2-lora/adapter runs/intents-lora/adapter --name multi-task
"""

from __future__ import annotations

from pathlib import Path

from tfft.config import load_config
from tfft.explain.explain_signature import explain_signatures
from tfft.export.from_run import export_run
from tfft.export.multi_adapter import export_adapters
from tfft.run_folder import RunFolder


def run(args) -> int:
    if args.adapters:
        return _export_adapters(args)
    config = load_config(RunFolder(Path(args.run)).config)
    root = Path(args.dir or config.export.dir) / (args.name or config.name)
    print(export_run(Path(args.run), root, args.version, args.quantize or config.export.quantization,
                     extra_signatures=explain_signatures(config.export)))
    return 0


def _export_adapters(args) -> int:
    if not args.name:
        raise ValueError("tfft export --adapters needs --name (the served model's name)")
    root = Path(args.dir or "saved_models") / args.name
    print(export_adapters([Path(a) for a in args.adapters], root, args.version))
    return 0
