#!/usr/bin/env python
"""Latency per generated token of a tfft generation export, called as TF Serving calls it.

Loads the SavedModel in this process with TensorFlow alone, sends one prompt per
call (batch 1) after warm-up calls, and reports milliseconds per generated token
(call time / tokens generated; the prompt's encoding is included) and per call.

    python benchmarks/generation_latency.py --export saved_models/multi30k-en-de \\
        --prompts ../shared/data/multi30k/val.en --n 50
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import benchmarks.startup  # noqa: E402,F401  (quiet TensorFlow start, tfft progress lines)

from benchmarks.record import write_record  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--export", required=True, help="saved_models/<name> or saved_models/<name>/<version>")
    parser.add_argument("--prompts", required=True, help="text file, one prompt per line")
    parser.add_argument("--n", type=int, default=50, help="prompts to time")
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()

    import tensorflow as tf
    import tensorflow_text  # noqa: F401  (the tf-text ops TF Serving links)

    export = Path(args.export)
    versions = sorted((p for p in export.iterdir() if p.name.isdigit()), key=lambda p: int(p.name)) \
        if not (export / "saved_model.pb").is_file() else [export]
    signature = tf.saved_model.load(str(versions[-1])).signatures["serving_default"]
    prompts = [line for line in Path(args.prompts).read_text(encoding="utf-8").splitlines() if line.strip()]
    for prompt in prompts[:args.warmup]:
        signature(prompt=tf.constant([prompt]))
    per_token, per_call, tokens = [], [], []
    for prompt in prompts[args.warmup:args.warmup + args.n]:
        started = time.perf_counter()
        outputs = signature(prompt=tf.constant([prompt]))
        seconds = time.perf_counter() - started
        count = int(outputs["num_generated_tokens"].numpy()[0])
        per_call.append(seconds * 1000)
        tokens.append(count)
        if count:
            per_token.append(seconds * 1000 / count)
    figures = {
        "export": str(versions[-1]), "calls": len(per_call),
        "ms_per_token_p50": round(float(np.percentile(per_token, 50)), 2),
        "ms_per_token_p90": round(float(np.percentile(per_token, 90)), 2),
        "ms_per_call_p50": round(float(np.percentile(per_call, 50)), 1),
        "mean_generated_tokens": round(float(np.mean(tokens)), 1),
        "tokens_per_second_batch1": round(float(sum(tokens) / (sum(per_call) / 1000)), 1),
    }
    print(json.dumps(figures))
    write_record("generation_latency", figures)


if __name__ == "__main__":
    main()
