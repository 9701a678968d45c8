#!/usr/bin/env python
"""Serves an NER export in a process that imports only TensorFlow and tensorflow-text, and checks its spans.

    python benchmarks/served_spans.py saved_models/zh-ner/1 ../shared/data/zh_ner_peoples_daily/dev.jsonl

For every entity the export predicts on every text of the JSON lines file
(``{"text": ..., "entities": [{"start", "end", "label"}, ...]}``), ``text[start:end]``
must be the entity text it returns: offsets are characters of the original string.
Prints one JSON line: texts, predicted entities, offset mismatches (with the first
few), and the strict entity F1 of the served spans against the file's entities.
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


def served_entities(signature, texts: list[str]) -> list[list[tuple[str, int, int, str]]]:
    """(label, start, end, text) of every entity the export returns, per text."""
    found = []
    for first in range(0, len(texts), BATCH):
        batch = texts[first:first + BATCH]
        out = {k: v.numpy() for k, v in signature(text=tf.constant(batch)).items()}
        for row in range(len(batch)):
            found.append([(out["entity_types"][row][i].decode(), int(out["entity_starts"][row][i]),
                           int(out["entity_ends"][row][i]), out["entity_texts"][row][i].decode())
                          for i in range(int(out["num_entities"][row]))])
    return found


def main(export_dir: str, path: str) -> None:
    rows = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    texts = [row["text"] for row in rows]
    found = served_entities(tf.saved_model.load(export_dir).signatures["serving_default"], texts)
    mismatches = [(text, entity) for text, entities in zip(texts, found) for entity in entities
                  if text[entity[1]:entity[2]] != entity[3]]
    predicted = {(i, label, start, end) for i, entities in enumerate(found) for label, start, end, _ in entities}
    gold = {(i, e["label"], e["start"], e["end"]) for i, row in enumerate(rows) for e in row["entities"]}
    hits = len(predicted & gold)
    precision, recall = hits / max(len(predicted), 1), hits / max(len(gold), 1)
    print(json.dumps({
        "texts": len(texts), "predicted_entities": len(predicted), "offset_mismatches": len(mismatches),
        "first_mismatches": [[text[:80], list(entity)] for text, entity in mismatches[:5]],
        "served_f1": 2 * precision * recall / max(precision + recall, 1e-12),
        "served_precision": precision, "served_recall": recall,
    }, ensure_ascii=False))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("\n\n")[1].strip())
    main(sys.argv[1], sys.argv[2])
