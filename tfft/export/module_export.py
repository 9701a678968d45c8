"""Publish a ``tf.Module`` built from other exports (a search index, an assistant) as a new version.

The module is saved through a staging folder, so a half-written version never
appears, with tfft's metadata and TF Serving warm-up requests beside it, the
same ``assets.extra`` every tfft export has.

Example:

>>> save_module_version(index, index.serving_function(), Path("saved_models/faq-index"),
...                     {"task": "search_index", "serving_inputs": ["query"]}, {"query": ["hello"]})
PosixPath('saved_models/faq-index/1')
"""

from __future__ import annotations

import json
from pathlib import Path

import tensorflow as tf

from tfft.export.saved_model import METADATA_FILE
from tfft.export.versions import next_version, staging_folder
from tfft.export.warmup import write_warmup_requests


def save_module_version(module: tf.Module, serving_function, model_root: Path, metadata: dict,
                        warmup_inputs: dict[str, list[str]], version: int | None = None) -> Path:
    """Writes ``model_root/<version>/`` (the next free one unless given); ``metadata`` gains ``version``."""
    model_root = Path(model_root)
    version = version or next_version(model_root)
    with staging_folder(model_root, version) as staging:
        tf.saved_model.save(module, str(staging), signatures={"serving_default": serving_function})
        extra = staging / "assets.extra"
        extra.mkdir(parents=True, exist_ok=True)
        (extra / METADATA_FILE).write_text(json.dumps({**metadata, "version": version}, indent=2), encoding="utf-8")
        write_warmup_requests(staging, model_root.name, warmup_inputs)
    return model_root / str(version)
