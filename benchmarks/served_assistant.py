#!/usr/bin/env python
"""Runs an assistant export in a process that imports only TensorFlow and tensorflow-text.

    python benchmarks/served_assistant.py saved_models/customer-service/1 messages.json

``messages.json`` is a JSON list of strings; prints one JSON line per output
(intent, answer_id, handoff, intent_probability, answer_score), one value per message.
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import tensorflow as tf  # noqa: E402
import tensorflow_text  # noqa: E402,F401  (registers the tokenizer ops the export uses)

BATCH = 64


def main(export_dir: str, path: str) -> None:
    texts = json.loads(open(path, encoding="utf-8").read())
    signature = tf.saved_model.load(export_dir).signatures["serving_default"]
    served: dict[str, list] = {}
    for first in range(0, len(texts), BATCH):
        for name, value in signature(text=tf.constant(texts[first:first + BATCH])).items():
            values = value.numpy().tolist()
            served.setdefault(name, []).extend(v.decode("utf-8") if isinstance(v, bytes) else v for v in values)
    # TensorFlow itself pulls in keras; keras-hub and tfft are what stock TF Serving lacks.
    loaded = sorted(name for name in sys.modules if name.split(".")[0] in {"keras_hub", "keras_nlp", "tfft"})
    print(json.dumps({**served, "loaded": loaded}, ensure_ascii=False))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
