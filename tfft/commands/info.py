"""``tfft info``: what is installed, or what an export or run folder holds.

Example:

>>> print(describe("saved_models/support-intents"))
"""

from __future__ import annotations

import json
import platform
from pathlib import Path

from tfft import __version__
from tfft.backbones import EMBEDDED_ALIASES, SCRATCH_SIZES
from tfft.export.loaded import LoadedExport
from tfft.tasks import TASKS


def describe(path: str | None) -> str:
    if path is None:
        return describe_environment()
    target = Path(path)
    if (target / "config.yaml").is_file():
        return describe_run(target)
    return describe_export(target)


def describe_environment() -> str:
    import keras
    import keras_hub
    import tensorflow as tf
    import tensorflow_text

    return "\n".join([
        f"tfft {__version__}  python {platform.python_version()}",
        f"tensorflow {tf.__version__}  keras {keras.__version__}  keras-hub {keras_hub.__version__}  "
        f"tensorflow-text {tensorflow_text.__version__}",
        f"devices: {[d.name for d in tf.config.list_logical_devices()]}",
        f"tasks: {sorted(TASKS)}",
        f"backbones: {sorted(EMBEDDED_ALIASES)} (embedded), "
        f"{['scratch:' + s for s in SCRATCH_SIZES]}, a local keras-hub preset or Hugging Face folder, "
        f"or a keras-hub preset name (needs internet)",
    ])


def describe_run(run_dir: Path) -> str:
    lines = [f"run folder {run_dir}", (run_dir / "config.yaml").read_text(encoding="utf-8")]
    metrics = run_dir / "metrics.json"
    lines.append(metrics.read_text(encoding="utf-8") if metrics.is_file() else "(unfinished: no metrics.json)")
    return "\n".join(lines)


def describe_export(export_dir: Path) -> str:
    exported = LoadedExport(export_dir)
    outputs = exported.signature.structured_outputs
    size = sum(p.stat().st_size for p in exported.path.rglob("*") if p.is_file())
    metadata = {k: v for k, v in exported.metadata.items() if k != "config"}
    return "\n".join([
        f"export {exported.path}  ({size / 1e6:.1f} MB)",
        f"serving_default inputs: {exported.input_names} (tf.string [None])",
        "outputs: " + ", ".join(f"{name} {spec.dtype.name} {spec.shape}" for name, spec in outputs.items()),
        json.dumps(metadata, indent=2),
    ])


def run(args) -> int:
    print(describe(args.path))
    return 0
