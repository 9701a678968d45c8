#!/usr/bin/env python
"""int8 and bfloat16 against float export of one run: size, batch-1 and batch-32 latency, SST-2 dev accuracy.

Exports the run three times into a temporary folder (float32, then int8 and
bfloat16 via ``tfft export --quantize int8|bfloat16``), then times ``serving_default`` on SST-2 dev
sentences (batch 1 interleaved, export after export on each sentence, `benchmarks/interleaved.py`)
and scores the exports on all of dev with the same evaluator.

    python benchmarks/quantization.py --run runs/sst2-lora --data-dir ../shared/data/sst2
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import tensorflow as tf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import benchmarks.startup  # noqa: E402,F401  (quiet TensorFlow start, tfft progress lines)

from benchmarks.interleaved import WARMUP_CALLS, interleaved_batch1_ms  # noqa: E402
from benchmarks.record import write_record  # noqa: E402
from tfft.commands.evaluate import evaluate_export  # noqa: E402
from tfft.export.from_run import export_run  # noqa: E402
from tfft.export.loaded import LoadedExport  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run", required=True, help="a finished SST-2 run folder (full fine-tune or merged LoRA)")
    parser.add_argument("--data-dir", required=True, help="folder with dev.tsv (sentence, label)")
    parser.add_argument("--calls", type=int, default=100, help="batch-1 calls timed")
    return parser.parse_args()


def folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def latency_ms(export: Path, texts: list[str], batch: int, calls: int) -> float:
    signature = LoadedExport(export).signature
    batches = [texts[i:i + batch] for i in range(0, batch * calls, batch)]
    for rows in batches[:5]:
        signature(text=tf.constant(rows))
    times = []
    for rows in batches:
        start = time.perf_counter()
        signature(text=tf.constant(rows))
        times.append((time.perf_counter() - start) * 1000)
    return float(np.median(times))


def measure_exports(exports: dict[str, Path], dev: Path, texts: list[str], calls: int) -> dict[str, dict]:
    """Size, SST-2 dev accuracy, batch-32 p50 and interleaved batch-1 p50 (Python and session) of each export."""
    results = {name: measure(path, dev, texts, calls) for name, path in exports.items()}
    for name, p50 in interleaved_batch1_ms(exports, texts[:calls + WARMUP_CALLS]).items():
        results[name]["batch1_p50_ms"] = p50["signature"]
        results[name]["batch1_session_p50_ms"] = p50["session"]
    return results


def measure(export: Path, dev: Path, texts: list[str], calls: int) -> dict:
    """Size, SST-2 dev accuracy and batch-32 p50 latency of ``export`` (batch 1 is timed interleaved)."""
    report = evaluate_export(export, str(dev), lambda data: _sst2_columns(data))
    return {"bytes": folder_bytes(export), "batch32_p50_ms": round(latency_ms(export, texts, 32, max(calls // 8, 5)), 2),
            "accuracy": round(report.metrics["accuracy"], 4)}


def timing_texts(dev: Path, calls: int) -> list[str]:
    """SST-2 dev sentences, repeated to fill ``calls`` batches of 32."""
    return (pd.read_csv(dev, sep="\t")["sentence"].tolist() * 8)[: 32 * calls]


def print_table(first_column: str, results: dict[str, dict], accuracy=lambda value: f"{value:.4f}") -> None:
    print(f"| {first_column} | MB | batch-1 p50 ms | batch-1 in a session p50 ms | batch-32 p50 ms | SST-2 dev accuracy |")
    print("|---|---|---|---|---|---|")
    for name, row in results.items():
        print(f"| {name} | {row['bytes'] / 1e6:.1f} | {row['batch1_p50_ms']} | {row['batch1_session_p50_ms']} | "
              f"{row['batch32_p50_ms']} | {accuracy(row['accuracy'])} |")


def against_float(f: dict, q: dict) -> dict:
    return {"size_ratio": round(f["bytes"] / q["bytes"], 2),
            "batch1_speedup": round(f["batch1_p50_ms"] / q["batch1_p50_ms"], 2),
            "batch1_session_speedup": round(f["batch1_session_p50_ms"] / q["batch1_session_p50_ms"], 2),
            "batch32_speedup": round(f["batch32_p50_ms"] / q["batch32_p50_ms"], 2),
            "accuracy_change_points": round(100 * (q["accuracy"] - f["accuracy"]), 2)}


def _sst2_columns(data):
    data.text_column, data.label_column = "sentence", "label"
    return data


def main() -> None:
    args = parse_args()
    dev = Path(args.data_dir) / "dev.tsv"
    texts = timing_texts(dev, args.calls)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "sst2"
        exports = {name: export_run(Path(args.run), root, quantization=mode)
                   for name, mode in (("float32", None), ("int8", "int8"), ("bfloat16", "bfloat16"))}
        results = measure_exports(exports, dev, texts, args.calls)
    print_table("export", results)
    summaries = {name: against_float(results["float32"], results[name]) for name in ("int8", "bfloat16")}
    for name, summary in summaries.items():
        print(f"{name}: {summary['size_ratio']}x smaller, batch-1 {summary['batch1_speedup']}x "
              f"({summary['batch1_session_speedup']}x in a session), "
              f"batch-32 {summary['batch32_speedup']}x as fast; accuracy {summary['accuracy_change_points']:+} points")
    payload = {"run": args.run, **results, "against_float32": summaries}
    write_record("quantization", payload)
    print(json.dumps(payload))


if __name__ == "__main__":
    main()
