#!/usr/bin/env python
"""Batch-1 serving latency against encoder depth, for a [CLS]-pooled and a mean-pooled classification head.

A distilled student's speed-up is bounded by depth: every call also pays for
tokenization, the embeddings, the head and the call itself. This script cuts a
backbone to each depth (``model.num_layers``), puts each classification head on
it (untrained: latency does not depend on the weights' values), exports every
model into a temporary folder as ``tfft export`` would, and times batch-1
``serving_default`` on SST-2 dev sentences, interleaved (`benchmarks/interleaved.py`).
With [CLS] pooling the export computes the last layer for one row per sequence
(`tfft/export/packed_transformer.py`); mean pooling reads every row.

    python benchmarks/depth_latency.py --data-dir ../shared/data/sst2 --layers 6 3 --calls 400
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import benchmarks.startup  # noqa: E402,F401  (quiet TensorFlow start, tfft progress lines)

from benchmarks.interleaved import WARMUP_CALLS, interleaved_batch1_ms  # noqa: E402
from benchmarks.record import write_record  # noqa: E402
from benchmarks.serving_latency import dev_sentences  # noqa: E402
from tfft.backbones import keep_lower_layers, load_backbone  # noqa: E402
from tfft.config import DataConfig, ModelConfig  # noqa: E402
from tfft.data.labels import LabelVocabulary  # noqa: E402
from tfft.export.saved_model import export_saved_model  # noqa: E402
from tfft.tasks import make_task  # noqa: E402

POOLINGS = ("cls", "mean")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, help="folder with SST-2's dev.tsv")
    parser.add_argument("--backbone", default="minilm-l6", help="backbone to cut (default: the embedded MiniLM-L6)")
    parser.add_argument("--layers", type=int, nargs="+", default=[6, 3], help="depths to compare, deepest first")
    parser.add_argument("--calls", type=int, default=400, help="timed sentences per export")
    return parser.parse_args()


def export_depths(backbone_name: str, depths: list[int], folder: Path) -> dict[str, Path]:
    """One float32 export per (pooling, depth), named like ``cls-6``."""
    loaded = load_backbone(backbone_name)
    exports = {}
    for pooling in POOLINGS:
        task = make_task("classification", {"pooling": pooling}, DataConfig(train="unused"))
        task.vocabulary = LabelVocabulary(["negative", "positive"])
        encoder = task.make_encoder(loaded.tokenizer, ModelConfig().max_length)
        for depth in depths:
            model = task.build_model(keep_lower_layers(loaded.backbone, depth), ModelConfig(), encoder)
            name = f"{pooling}-{depth}"
            exports[name] = export_saved_model(model, encoder, task, folder / name)
    return exports


def main() -> None:
    args = parse_args()
    texts = dev_sentences(args.data_dir)[: args.calls + WARMUP_CALLS]
    with tempfile.TemporaryDirectory() as folder:
        medians = interleaved_batch1_ms(export_depths(args.backbone, args.layers, Path(folder)), texts)
    deepest = args.layers[0]
    print("| head | layers | from Python p50 ms | in a session p50 ms | "
          f"{deepest} layers / this, Python | {deepest} layers / this, session |")
    print("|---|---|---|---|---|---|")
    for pooling in POOLINGS:
        reference = medians[f"{pooling}-{deepest}"]
        for depth in args.layers:
            p50 = medians[f"{pooling}-{depth}"]
            print(f"| {pooling} | {depth} | {p50['signature']:.2f} | {p50['session']:.2f} | "
                  f"{reference['signature'] / p50['signature']:.2f} | {reference['session'] / p50['session']:.2f} |")
    print(json.dumps(medians))
    write_record("depth_latency", medians)


if __name__ == "__main__":
    main()
