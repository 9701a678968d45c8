#!/usr/bin/env python
"""Training throughput and model FLOP utilisation, each speed setting on and off.

Measures this machine's matmul peak (float32 and bfloat16, square matmuls in a
tf.function) in the same run, then fine-tunes MiniLM-L6 (the embedded
pretrained model) and a BERT-base-shaped model (``scratch:base``, random
weights) on the first SST-2 rows for ``--warmup`` + ``--steps`` steps, one
process per row. Reports real (unpadded) tokens/s, model FLOP/s counted on
real tokens only (6 × matmul parameters per token, plus 12 × layers × width ×
length² per sequence for attention) and that as a fraction of the peak of the
row's compute dtype, next to the peers' figures on the same data
(../shared/bench/README.md: HF + PyTorch with length-grouped batches; plain
keras-hub).

    python benchmarks/throughput.py --data-dir ../shared/data/sst2
    python benchmarks/throughput.py --data-dir ../shared/data/sst2 --models minilm-l6 --only fp32 bf16
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import benchmarks.startup  # noqa: E402,F401  (quiet TensorFlow start, tfft progress lines)

from recipe import last_json_line, write_first_rows  # noqa: E402
from benchmarks.record import write_record  # noqa: E402

# name -> overrides of the sst2 recipe; "fp32" is the baseline every row is compared with.
SETTINGS: dict[str, list[str]] = {
    "fp32": [],
    "bf16": ["training.mixed_precision=mixed_bfloat16"],
    "xla": ["training.jit_compile=true"],
    "bf16 + xla": ["training.mixed_precision=mixed_bfloat16", "training.jit_compile=true"],
    "xla, one shape": ["training.jit_compile=true", "training.pad_to_multiple_of=128"],
    "steps_per_execution=8": ["training.steps_per_execution=8"],
    "accumulate 4 × 8 rows": ["training.batch_size=8", "training.gradient_accumulation_steps=4"],
    "no gradient clipping": ["training.clip_norm=null"],
}
MODELS = {"minilm-l6": {"steps": 60, "warmup": 10}, "scratch:base": {"steps": 12, "warmup": 4}}
# real tokens/s on the same 4,096 SST-2 rows, batch 32, MiniLM-L6 (../shared/bench/README.md, mean of two runs)
def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", required=True, help="folder with SST-2's train.tsv")
    parser.add_argument("--models", nargs="*", default=list(MODELS), help=f"of {list(MODELS)}")
    parser.add_argument("--only", nargs="*", default=None, help=f"settings to run, of {list(SETTINGS)}")
    parser.add_argument("--work", default=str(ROOT / "runs" / "throughput-benchmark"))
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results"))
    parser.add_argument("--one", nargs=2, metavar=("MODEL", "SETTING"), help=argparse.SUPPRESS)
    return parser.parse_args()


def matmul_peak(dtype: str, size: int = 2048, repeats: int = 8) -> float:
    """Best FLOP/s of a ``size``² matmul in ``dtype`` (a tf.function, result fetched)."""
    import tensorflow as tf

    a = tf.random.normal([size, size], dtype=tf.float32)
    a, b = tf.cast(a, dtype), tf.cast(tf.transpose(a), dtype)
    product = tf.function(lambda: tf.reduce_sum(tf.cast(tf.matmul(a, b), tf.float32)))
    product()
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        product().numpy()
        best = min(best, time.perf_counter() - started)
    return 2.0 * size ** 3 / best


def matmul_parameters(backbone, head_parameters: int) -> int:
    """Weights that take part in a matmul per token: encoder layers, pooler, head."""
    width, layers = backbone.hidden_dim, backbone.num_layers
    return layers * (4 * width * width + 2 * width * backbone.intermediate_dim) + width * width + head_parameters


def measure(args, model: str, setting: str) -> dict:
    """Fine-tunes ``model`` with ``setting`` for warm-up + measured steps; prints one JSON line."""
    import numpy as np

    from tfft.config import load_config
    from tfft.data.pipeline import count_batches, training_dataset
    from tfft.training.run_data import load_splits
    from tfft.backbones import load_backbone
    from tfft.tasks import make_task
    from tfft.training.fitting import compile_for_training, pad_multiple, rows_per_step
    from tfft.training.precision import set_precision
    from tfft.training.strategy import make_strategy
    from tfft.training.throughput import ThroughputMeter, batch_counts

    plan = MODELS[model]
    steps, warmup = plan["steps"], plan["warmup"]
    train_file = write_first_rows(Path(args.data_dir) / "train.tsv", 4096, Path(args.work) / "data")
    config = load_config(ROOT / "configs" / "sst2.yaml", [
        f"model.backbone={model}", f"data.train={train_file}", "data.validation=null",
        "training.mixed_precision=null", *SETTINGS[setting]])
    training = config.training
    strategy = make_strategy("none")
    precision = set_precision(training.mixed_precision)
    task = make_task(config.task, config.task_options, config.data)
    splits = load_splits(config.data, task, training.seed)
    loaded = load_backbone(model, config.model.max_length)
    encoder = task.make_encoder(loaded.tokenizer, config.model.max_length)
    network = task.build_model(loaded.backbone, config.model, encoder)
    split = task.encode(encoder, splits.train, training, with_weights=True)
    compile_for_training(network, training, count_batches(len(split), rows_per_step(training)),
                         task.loss(training), task.metrics, strategy, weighted_metrics=[])
    stream = training_dataset(split, rows_per_step(training), training.seed, training.length_group_batches,
                              pad_to_multiple_of=pad_multiple(training)).take(warmup + steps)
    meter = ThroughputMeter(lambda: batch_counts(stream), skip_steps=warmup)
    network.fit(stream, epochs=1, callbacks=[meter], verbose=0)
    rates = meter.result()

    measured = list(stream)[warmup:warmup + rates["measured_steps"]]
    lengths = np.concatenate([x["padding_mask"].numpy().sum(axis=1) for x, *_ in measured])
    head = sum(int(np.prod(w.shape)) for w in network.get_layer("logits").weights)
    backbone = loaded.backbone
    flops = (6 * matmul_parameters(backbone, head) * lengths.sum()
             + 12 * backbone.num_layers * backbone.hidden_dim * float((lengths.astype("float64") ** 2).sum()))
    seconds = lengths.sum() / rates["tokens_per_second"]
    return {"model": model, "setting": setting, "precision": precision, **rates,
            "model_flops_per_second": flops / seconds, "mean_real_length": float(lengths.mean())}


def run_row(args, model: str, setting: str) -> dict:
    command = [sys.executable, __file__, "--data-dir", args.data_dir, "--work", args.work, "--one", model, setting]
    completed = subprocess.run(command, capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"{model} / {setting} failed:\n{completed.stderr[-3000:]}")
    return last_json_line(completed.stdout)


def table(rows: list[dict], peaks: dict[str, float]) -> str:
    lines = ["| model | setting | real tok/s | vs fp32 | model TFLOP/s | % of matmul peak |",
             "|---|---|---|---|---|---|"]
    for row in rows:
        base = next(r for r in rows if r["model"] == row["model"] and r["setting"] == "fp32")
        peak = peaks["bfloat16" if row["precision"] == "mixed_bfloat16" else "float32"]
        lines.append(f"| {row['model']} | {row['setting']} | {row['tokens_per_second']:,.0f} | "
                     f"{row['tokens_per_second'] / base['tokens_per_second']:.2f}× | "
                     f"{row['model_flops_per_second'] / 1e12:.3f} | "
                     f"{100 * row['model_flops_per_second'] / peak:.1f}% |")
    return "\n".join(lines)


def main() -> None:
    args = parse_args()
    if args.one:
        print(json.dumps(measure(args, *args.one)))
        return
    settings = args.only or list(SETTINGS)
    if "fp32" not in settings:
        settings = ["fp32", *settings]
    peaks = {dtype: matmul_peak(dtype) for dtype in ("float32", "bfloat16")}
    print("matmul peak: " + ", ".join(f"{dtype} {flops / 1e9:,.0f} GFLOP/s" for dtype, flops in peaks.items()),
          flush=True)
    rows = []
    for model in args.models:
        for setting in settings:
            rows.append(run_row(args, model, setting))
            print(f"{model} / {setting}: {rows[-1]['tokens_per_second']:,.0f} real tok/s", flush=True)
    print(table(rows, peaks))
    print(f"written to {write_record('throughput', {'peaks': peaks, 'rows': rows}, Path(args.output))}")


if __name__ == "__main__":
    main()
