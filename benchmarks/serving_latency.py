#!/usr/bin/env python
"""Latency of a tfft export called as TF Serving calls it, against keras predict and PyTorch.

tfft: ``serving_default`` on raw strings (tokenization in the graph), batch 1 and 32, called
from Python; and batch 1 as one session run on the SignatureDef's tensors, TF Serving's path.
keras-hub: ``BertTextClassifier.predict([sentence])``, what a plain keras-hub user calls.
HF + PyTorch: the peer script's batch-1 latency (tokenizer + model, no_grad), run back to back.
All on SST-2 dev sentences, after 10 warm-up calls.

    python scripts/train.py                     # writes saved_models/support-intents/<v>
    python benchmarks/serving_latency.py --export saved_models/support-intents --data-dir ../shared/data/sst2
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.classification import DEFAULT_HF_PYTHON, DEFAULT_PEER_DIR  # noqa: E402
from benchmarks.session_runner import SessionSignature  # noqa: E402
from recipe import last_json_line, write_results  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--export", default=str(ROOT / "saved_models" / "support-intents"))
    parser.add_argument("--data-dir", required=True, help="folder with dev.tsv (sentence, label)")
    parser.add_argument("--n", type=int, default=200, help="sentences for batch-1 latency")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--peer-dir", default=str(DEFAULT_PEER_DIR))
    parser.add_argument("--hf-python", default=str(DEFAULT_HF_PYTHON))
    return parser.parse_args()


def dev_sentences(data_dir: str) -> list[str]:
    lines = (Path(data_dir) / "dev.tsv").read_text(encoding="utf-8").splitlines()[1:]
    return [line.split("\t")[0] for line in lines]


def timed(call, inputs: list, warmup: int) -> np.ndarray:
    for item in inputs[:warmup]:
        call(item)
    times = []
    for item in inputs:
        start = time.perf_counter()
        call(item)
        times.append((time.perf_counter() - start) * 1000.0)
    return np.asarray(times)


def summary(name: str, times: np.ndarray) -> dict:
    return {"name": name, "p50_ms": float(np.percentile(times, 50)), "p99_ms": float(np.percentile(times, 99)),
            "calls": int(len(times))}


def tfft_latency(export: str, sentences: list[str], args) -> list[dict]:
    import tensorflow as tf

    from tfft.export.loaded import LoadedExport

    loaded = LoadedExport(export)
    signature = loaded.signature
    one = [tf.constant([s]) for s in sentences[: args.n]]
    batches = [tf.constant(sentences[i:i + 32]) for i in range(0, len(sentences) - 31, 32)]
    call = lambda text: signature(text=text)  # noqa: E731
    session = SessionSignature(loaded.path)
    run = lambda text: session({"text": [text]})  # noqa: E731
    return [summary("tfft export, batch 1", timed(call, one, args.warmup)),
            summary("tfft export, batch 32", timed(call, batches, 3)),
            summary("tfft export in a session (TF Serving's path), batch 1",
                    timed(run, sentences[: args.n], args.warmup))]


def keras_predict_latency(sentences: list[str], args) -> list[dict]:
    import keras_hub

    from tfft.backbones import embedded_model_dir

    folder = str(embedded_model_dir())
    preprocessor = keras_hub.models.BertTextClassifierPreprocessor.from_preset(folder, sequence_length=128)
    classifier = keras_hub.models.BertTextClassifier.from_preset(folder, num_classes=2, preprocessor=preprocessor)
    call = lambda text: classifier.predict([text], verbose=0)  # noqa: E731
    n = min(args.n, 50)  # ~0.9 s a call: 50 calls are enough for p50
    batches = [sentences[i:i + 32] for i in range(0, 32 * 10, 32)]
    return [summary("keras-hub predict, batch 1", timed(call, sentences[:n], 3)),
            summary("keras-hub predict, batch 32",
                    timed(lambda b: classifier.predict(b, verbose=0), batches, 2))]


def torch_latency(args) -> list[dict]:
    script = Path(args.peer_dir) / "peer_hf_torch.py"
    if not Path(args.hf_python).exists() or not script.exists():
        print("skipping HF + PyTorch peer: venv or script not found", file=sys.stderr)
        return []
    command = [args.hf_python, str(script), "--data-dir", args.data_dir, "--n-train", "64",
               "--latency-n", str(args.n)]
    completed = subprocess.run(command, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    if completed.returncode != 0:
        return []
    peer = last_json_line(completed.stdout)
    return [{"name": "HF + PyTorch, batch 1", "p50_ms": peer["latency_b1_p50_ms"],
             "p99_ms": peer["latency_b1_p99_ms"], "calls": peer["latency_n"]}]


def main() -> None:
    args = parse_args()
    sentences = dev_sentences(args.data_dir)
    rows = tfft_latency(args.export, sentences, args)
    if not args.no_peers:
        rows += torch_latency(args) + keras_predict_latency(sentences, args)
    ours = {row["name"].split(", ")[1]: row for row in rows if row["name"].startswith("tfft export,")}
    session = next(row for row in rows if row["name"].startswith("tfft export in a session"))
    print("| what | p50 ms | p99 ms | tfft p50 / this p50 | tfft in a session p50 / this p50 |")
    print("|---|---|---|---|---|")
    for row in rows:
        size = row["name"].split(", ")[1]
        mine = ours[size]["p50_ms"] / row["p50_ms"]
        in_session = f"{session['p50_ms'] / row['p50_ms']:.2f}" if size == "batch 1" else ""
        print(f"| {row['name']} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} | {mine:.2f} | {in_session} |")
    write_results(ROOT / "benchmarks" / "results", "serving_latency", rows)


if __name__ == "__main__":
    main()
