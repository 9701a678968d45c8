#!/usr/bin/env python
"""Latency of a tfft export called as TF Serving calls it, against keras predict and PyTorch.

tfft: ``serving_default`` on raw strings (tokenization in the graph), batch 1 and 32, called
from Python; and batch 1 as one session run on the SignatureDef's tensors, TF Serving's path.
keras-hub: ``BertTextClassifier.predict([sentence])``, what a plain keras-hub user calls.
HF + PyTorch: the peer's batch-1 call (tokenizer + model under inference_mode), timed by
`benchmarks/torch_latency_worker.py` in the peer's venv.
All on SST-2 dev sentences, after 10 warm-up calls. The three batch-1 rows are timed in
interleaved blocks of ``--block`` sentences (tfft, tfft in a session, PyTorch, then the next
block), so that a neighbour slowing this shared machine for a minute slows all three alike.

    python scripts/train.py                     # writes saved_models/support-intents/<v>
    python benchmarks/serving_latency.py --export saved_models/support-intents --data-dir ../shared/data/sst2
    python scripts/export.py --run runs/support-intents --quantize bfloat16   # the bfloat16 export
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import benchmarks.startup  # noqa: E402,F401  (quiet TensorFlow start, tfft progress lines)

from benchmarks.classification import DEFAULT_HF_PYTHON  # noqa: E402
from benchmarks.session_runner import SessionSignature  # noqa: E402
from benchmarks.record import peer_versions, write_record  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--export", default=str(ROOT / "saved_models" / "support-intents"))
    parser.add_argument("--data-dir", required=True, help="folder with dev.tsv (sentence, label)")
    parser.add_argument("--n", type=int, default=400, help="sentences for batch-1 latency")
    parser.add_argument("--block", type=int, default=50, help="sentences per interleaved block")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--no-peers", action="store_true")
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


class TorchWorker:
    """`benchmarks/torch_latency_worker.py` in the peer's venv, timing one block of sentences per call."""

    def __init__(self, python: str):
        worker = Path(__file__).with_name("torch_latency_worker.py")
        self.process = subprocess.Popen([python, str(worker)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.process.stdout.readline()  # {"ready": true} once the model is loaded

    def __call__(self, sentences: list[str]) -> list[float]:
        self.process.stdin.write(json.dumps(sentences) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


def interleaved_batch_one(timers: dict, sentences: list[str], args) -> list[dict]:
    """Times every timer on the same sentences, block by block in turn; one row each."""
    for timer in timers.values():
        timer(sentences[: args.warmup])
    times = {name: [] for name in timers}
    for start in range(0, len(sentences), args.block):
        for name, timer in timers.items():
            times[name] += timer(sentences[start:start + args.block])
    return [summary(name, np.asarray(values)) for name, values in times.items()]


def block_timer(call):
    return lambda block: list(timed(call, block, 0))


def batch_one_rows(loaded, sentences: list[str], args) -> list[dict]:
    import tensorflow as tf

    session = SessionSignature(loaded.path)
    timers = {"tfft export, batch 1": block_timer(lambda text: loaded.signature(text=tf.constant([text]))),
              "tfft export in a session (TF Serving's path), batch 1": block_timer(lambda text: session({"text": [text]}))}
    worker = None
    if not args.no_peers and Path(args.hf_python).exists():
        worker = timers["HF + PyTorch, batch 1"] = TorchWorker(args.hf_python)
    elif not args.no_peers:
        print(f"skipping HF + PyTorch: {args.hf_python} not found", file=sys.stderr)
    try:
        return interleaved_batch_one(timers, sentences[: args.n], args)
    finally:
        if worker is not None:
            worker.close()


def batch_32_row(loaded, sentences: list[str]) -> dict:
    import tensorflow as tf

    signature = loaded.signature
    batches = [tf.constant(sentences[i:i + 32]) for i in range(0, len(sentences) - 31, 32)]
    return summary("tfft export, batch 32", timed(lambda text: signature(text=text), batches, 3))


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


def main() -> None:
    args = parse_args()
    sentences = dev_sentences(args.data_dir)
    from tfft.export.loaded import LoadedExport

    loaded = LoadedExport(args.export)
    rows = batch_one_rows(loaded, sentences, args) + [batch_32_row(loaded, sentences)]
    if not args.no_peers:
        rows += keras_predict_latency(sentences, args)
    ours = {row["name"].split(", ")[1]: row for row in rows if row["name"].startswith("tfft export,")}
    session = next(row for row in rows if row["name"].startswith("tfft export in a session"))
    print("| what | p50 ms | p99 ms | tfft p50 / this p50 | tfft in a session p50 / this p50 |")
    print("|---|---|---|---|---|")
    for row in rows:
        size = row["name"].split(", ")[1]
        mine = ours[size]["p50_ms"] / row["p50_ms"]
        in_session = f"{session['p50_ms'] / row['p50_ms']:.2f}" if size == "batch 1" else ""
        print(f"| {row['name']} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} | {mine:.2f} | {in_session} |")
    write_record("serving_latency", rows, extra_versions={} if args.no_peers else peer_versions(args.hf_python))


if __name__ == "__main__":
    main()
