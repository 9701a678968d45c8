#!/usr/bin/env python
"""Load test of `tfft serve`: 32 concurrent REST clients for 60 s, with and without batching.

Starts `tfft serve` in its own process (so the load generator does not share
its interpreter), sends one-row predict requests built from SST-2 dev
sentences, and every 10th request a fuzzed malformed one. Reports, per mode,
valid requests answered, malformed ones answered 4xx / 5xx, rows/s and
latency, and the batching/no-batching throughput ratio; then the ceiling: the
export's rows/s called directly (no server) at batch 1, 8 and 32.

    python scripts/train.py        # writes saved_models/support-intents/<v>
    python benchmarks/serving_load.py --model saved_models/support-intents \
        --texts tfft/sample_data/support_intents/test.csv
    python benchmarks/serving_load.py --model saved_models/sst2 --data-dir ../shared/data/sst2
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import benchmarks.startup  # noqa: E402,F401  (quiet TensorFlow start, tfft progress lines)

from benchmarks.record import write_record  # noqa: E402
from benchmarks.serving_latency import timed  # noqa: E402
from tfft.serving.load_generator import run_load  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=str(ROOT / "saved_models" / "support-intents"))
    parser.add_argument("--data-dir", help="folder with SST-2's dev.tsv: its sentences are sent")
    parser.add_argument("--texts", help="or a CSV/TSV file whose --text-column is sent")
    parser.add_argument("--text-column", default="text")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--max-batch-size", type=int, default=32)
    parser.add_argument("--batch-timeout-micros", type=int, default=5000)
    parser.add_argument("--num-batch-threads", type=int, default=2)
    parser.add_argument("--intra-op-threads", type=int, default=0,
                        help="tfft serve --tensorflow-intra-op-parallelism, both modes (0: TF chooses)")
    return parser.parse_args()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(model: str, batching: list[str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [sys.executable, "-m", "tfft.cli", "serve", model, "--rest-port", str(port),
               "--grpc-port", str(free_port()), *batching]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(process, url, Path(model).name)
    except BaseException:
        process.kill()
        raise
    return process, url


def wait_until_ready(process: subprocess.Popen, url: str, name: str) -> None:
    for _ in range(240):
        try:
            if requests.get(f"{url}/v1/models/{name}", timeout=1).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or still loading
            pass
        if process.poll() is not None:
            raise RuntimeError(f"tfft serve exited with {process.returncode}: {' '.join(process.args)}")
        time.sleep(0.5)
    raise RuntimeError("tfft serve did not become ready in 120 s")


def measure(args, texts: list[str], batching: list[str]) -> dict:
    process, url = start_server(args.model, batching)
    try:
        result = run_load(url, Path(args.model).name, texts, args.clients, args.seconds)
        metrics = requests.get(f"{url}/monitoring/prometheus/metrics", timeout=5).text
    finally:
        process.terminate()
        process.wait()
    batches = [line for line in metrics.splitlines() if line.startswith("tfft_serving_batch_size_count")]
    rows = [line for line in metrics.splitlines() if line.startswith("tfft_serving_batch_size_sum")]
    summary = result.summary()
    if batches and rows:
        summary["mean_batch_rows"] = round(float(rows[0].split()[-1]) / max(float(batches[0].split()[-1]), 1), 1)
    return summary


def direct_rows_per_second(model: str, texts: list[str], batch_sizes=(1, 8, 32), calls: int = 24) -> dict:
    """The ceiling: rows/s of ``serving_default`` called in this process, no server, one batch at a time."""
    import numpy as np
    import tensorflow as tf

    from tfft.export.loaded import LoadedExport

    signature = LoadedExport(model).signature
    rng = np.random.default_rng(0)
    ceiling = {}
    for size in batch_sizes:
        batches = [tf.constant(list(rng.choice(texts, size))) for _ in range(calls)]
        milliseconds = timed(lambda batch: signature(text=batch), batches, warmup=3)
        ceiling[size] = round(1000.0 * size / float(np.median(milliseconds)), 1)
    return ceiling


def request_texts(args) -> list[str]:
    if args.texts:
        return pd.read_csv(args.texts, sep="\t" if args.texts.endswith(".tsv") else ",")[args.text_column].tolist()
    if args.data_dir:
        return pd.read_csv(Path(args.data_dir) / "dev.tsv", sep="\t")["sentence"].tolist()
    raise SystemExit("give --data-dir (SST-2) or --texts FILE")


def main() -> None:
    args = parse_args()
    texts = request_texts(args)
    threads = ["--tensorflow-intra-op-parallelism", str(args.intra_op_threads)]
    unbatched = measure(args, texts, threads)
    batched = measure(args, texts, [*threads, "--enable-batching", "--max-batch-size", str(args.max_batch_size),
                                    "--batch-timeout-micros", str(args.batch_timeout_micros),
                                    "--num-batch-threads", str(args.num_batch_threads)])
    ratio = batched["rows_per_second"] / max(unbatched["rows_per_second"], 1e-9)
    print("| mode | valid sent | valid failed | malformed sent | 4xx | 5xx | rows/s | p50 ms | p99 ms | rows/batch |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, row in (("no batching", unbatched), ("batching", batched)):
        print(f"| {name} | {row['valid_sent']} | {row['valid_failed']} | {row['malformed_sent']} | "
              f"{row['malformed_4xx']} | {row['malformed_5xx']} | {row['rows_per_second']} | "
              f"{row['latency_p50_ms']} | {row['latency_p99_ms']} | {row.get('mean_batch_rows')} |")
    print(f"batching / no batching throughput: {ratio:.2f}x")
    direct = direct_rows_per_second(args.model, texts)
    print("no server, one batch at a time (the ceiling): "
          + ", ".join(f"batch {size}: {rows} rows/s" for size, rows in direct.items())
          + f"; batch {max(direct)} / no batching: {direct[max(direct)] / max(unbatched['rows_per_second'], 1e-9):.2f}x")
    payload = {"model": args.model, "texts": args.texts or args.data_dir, "clients": args.clients, "seconds": args.seconds,
               "no_batching": unbatched, "batching": batched, "throughput_ratio": round(ratio, 2),
               "direct_rows_per_second": direct}
    write_record("serving_load", payload)
    print(json.dumps(payload))


if __name__ == "__main__":
    main()
