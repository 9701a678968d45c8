#!/usr/bin/env python
"""Every PEFT method and freezing mode against full fine-tuning, in one table.

Each row trains the same recipe on the same rows in its own process (so peak
memory is that row's own), and reports trainable parameters, the size on disk
of what the run must keep (the adapter checkpoint for PEFT rows, the model
weights otherwise), the dev metric, first-epoch training tokens/s and peak
resident memory, each also as a ratio to full fine-tuning.

    python benchmarks/peft.py --data-dir ../shared/data/sst2                      # SST-2, all rows of METHODS
    python benchmarks/peft.py --data-dir ../shared/data/sst2 --only full lora     # a subset
    python benchmarks/peft.py --recipe configs/conll2003.yaml --data-dir ../shared/data/conll2003 \\
        --train-file train.txt --n-train 4000 --metric entity_f1 --only full lora houlsby
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import benchmarks.startup  # noqa: E402,F401  (quiet TensorFlow start, tfft progress lines)

from recipe import last_json_line, write_first_rows  # noqa: E402
from benchmarks.record import write_record  # noqa: E402

ALL_LINEAR = ("[query,key,value,attention_output,feedforward_intermediate_dense,"
              "feedforward_output_dense]")
# name -> config overrides; rows that train backbone weights keep the recipe's learning
# rate, the others use their method's usual range for short runs.
METHODS: dict[str, list[str]] = {
    "full": [],
    "lora (q,v r=8)": ["peft.method=lora", "peft.rank=8", "peft.alpha=16", "training.learning_rate=1e-3"],
    "lora (all linear r=4)": ["peft.method=lora", f"peft.targets={ALL_LINEAR}", "peft.rank=4", "peft.alpha=8",
                              "training.learning_rate=1e-3"],
    "dora (all linear r=4)": ["peft.method=dora", f"peft.targets={ALL_LINEAR}", "peft.rank=4", "peft.alpha=8",
                              "training.learning_rate=1e-3"],
    "adalora (all linear r=6→4)": ["peft.method=adalora", f"peft.targets={ALL_LINEAR}", "peft.rank=6",
                                   "peft.target_rank=4", "peft.alpha=8", "training.learning_rate=1e-3"],
    "houlsby": ["peft.method=houlsby", "peft.bottleneck=64", "training.learning_rate=1e-3"],
    "pfeiffer": ["peft.method=pfeiffer", "peft.bottleneck=64", "training.learning_rate=1e-3"],
    "prefix": ["peft.method=prefix", "peft.virtual_tokens=20", "training.learning_rate=1e-2"],
    "prompt": ["peft.method=prompt", "peft.virtual_tokens=20", "training.learning_rate=3e-2"],
    "bitfit": ["peft.method=bitfit", "training.learning_rate=1e-3"],
    "freeze=backbone": ["model.freeze=backbone", "training.learning_rate=1e-3"],
    "freeze=top_k (2)": ["model.freeze=top_k", "model.train_top_layers=2"],
    "freeze=embeddings": ["model.freeze=embeddings"],
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipe", default=str(ROOT / "configs" / "sst2.yaml"))
    parser.add_argument("--data-dir", required=True, help="folder with the recipe's train and dev files")
    parser.add_argument("--train-file", default="train.tsv")
    parser.add_argument("--n-train", type=int, default=16384, help="first N training rows (0: all)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--metric", default="accuracy", help="validation metric to report")
    parser.add_argument("--only", nargs="*", default=None, help=f"rows to run, of {list(METHODS)}")
    parser.add_argument("--set", action="append", default=[], help="extra override for every row")
    parser.add_argument("--work", default=str(ROOT / "runs" / "peft-benchmark"))
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results"))
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one row in this process
    return parser.parse_args()


def row_name(method: str) -> str:
    return "peft-" + "".join(c if c.isalnum() else "-" for c in method).strip("-")


def run_one(args) -> dict:
    """Trains one row in this process and prints its figures as one JSON line."""
    from tfft.config import load_config
    from tfft.training.run import train

    work = Path(args.work)
    overrides = [
        f"name={row_name(args.one)}", f"output_dir={work / 'runs'}",
        f"data.train={write_first_rows(Path(args.data_dir) / args.train_file, args.n_train, work / 'data')}",
        f"training.epochs={args.epochs}", "training.early_stopping_patience=null",
        "training.evaluate_before=false", "training.keep_checkpoints=1", "export.enabled=false",
        *METHODS[args.one], *args.set,  # --set wins
    ]
    result = train(load_config(args.recipe, overrides), verbose=2)
    run_dir = Path(result.run_dir)
    adapter = run_dir / "adapter" / "adapter.safetensors"
    kept = adapter if adapter.is_file() else run_dir / "model.weights.h5"
    training = result.metrics["training"]
    return {
        "method": args.one, "trainable": training["trainable_parameters"],
        "trainable_percent": training["trainable_percent"], "checkpoint_bytes": kept.stat().st_size,
        "checkpoint": kept.name, "full_weights_bytes": (run_dir / "model.weights.h5").stat().st_size,
        "dev_metric": result.metrics["validation"]["after"][args.metric],
        "tokens_per_second": training["throughput_first_epoch"]["tokens_per_second"],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "train_seconds": training["seconds"],
    }


def table(rows: list[dict], metric: str) -> str:
    full = next((r for r in rows if r["method"] == "full"), rows[0])
    lines = [f"| method | trainable (%) | checkpoint | vs full model | dev {metric} | Δ vs full | "
             f"train tok/s | speed vs full | peak RSS | memory vs full | train s |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['method']} | {r['trainable']:,} ({r['trainable_percent']:.3g}%) | "
            f"{r['checkpoint_bytes'] / 2**20:.2f} MB | {100 * r['checkpoint_bytes'] / full['full_weights_bytes']:.2f}% | "
            f"{r['dev_metric']:.4f} | {100 * (r['dev_metric'] - full['dev_metric']):+.2f} pt | "
            f"{r['tokens_per_second']:,.0f} | {r['tokens_per_second'] / full['tokens_per_second']:.2f}x | "
            f"{r['peak_rss_mb']:,.0f} MB | {r['peak_rss_mb'] / full['peak_rss_mb']:.2f}x | {r['train_seconds']:.0f} |")
    return "\n".join(lines)


def main() -> None:
    args = parse_args()
    if args.one:
        print(json.dumps(run_one(args)), flush=True)
        return
    names = args.only or list(METHODS)
    unknown = sorted(set(names) - set(METHODS))
    if unknown:
        sys.exit(f"unknown rows {unknown}; expected some of {list(METHODS)}")
    rows = []
    for name in names:
        print(f"=== {name} ===", file=sys.stderr, flush=True)
        command = [sys.executable, __file__, "--one", name, *sys.argv[1:]]
        done = subprocess.run(command, stdout=subprocess.PIPE, text=True)
        if done.returncode != 0:
            print(f"{name} failed (exit {done.returncode})", file=sys.stderr)
            continue
        rows.append(last_json_line(done.stdout))
        print(table(rows, args.metric), file=sys.stderr, flush=True)
    print(table(rows, args.metric))
    path = write_record("peft", {"argv": sys.argv[1:], "rows": rows}, Path(args.output))
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
