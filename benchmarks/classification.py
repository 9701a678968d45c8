#!/usr/bin/env python
"""Fine-tune MiniLM-L6 on SST-2 with tfft and with the peers, back to back; print ratios.

Peers (from ../shared/bench, run as subprocesses on the same rows):
  keras-hub plain   BertTextClassifier + preprocessor at sequence_length 128, fit on strings
  HF + PyTorch      dynamic padding + length-grouped batches (needs a torch venv: --hf-python)

Throughput follows the peers' rule: examples and real (non-pad) tokens in steps
11..end of the first epoch over the time those steps took.

    python benchmarks/classification.py --data-dir ../shared/data/sst2            # 4,096 rows, 1 epoch, peers
    python benchmarks/classification.py --data-dir ../shared/data/sst2 --n-train 0 --epochs 2 --no-peers
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import benchmarks.startup  # noqa: E402,F401  (quiet TensorFlow start, tfft progress lines)

from recipe import last_json_line, write_first_rows  # noqa: E402
from benchmarks.record import peer_versions, write_record  # noqa: E402

DEFAULT_PEER_DIR = ROOT.parent / "shared" / "bench"
DEFAULT_HF_PYTHON = Path.home() / ".venvs" / "peer-torch" / "bin" / "python"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", required=True, help="folder with train.tsv and dev.tsv")
    parser.add_argument("--n-train", type=int, default=4096, help="first N training rows (0: all)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-len", type=int, default=128)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--mixed-precision", default="auto",
                        help="tfft's training.mixed_precision: auto (the default), float32 or mixed_bfloat16")
    parser.add_argument("--no-peers", action="store_true", help="run tfft only")
    parser.add_argument("--peers", nargs="+", choices=("keras-hub", "hf"), default=["keras-hub", "hf"],
                        help="which peers to run (default: both)")
    parser.add_argument("--peer-dir", default=str(DEFAULT_PEER_DIR))
    parser.add_argument("--hf-python", default=str(DEFAULT_HF_PYTHON),
                        help="python of a venv with torch + transformers (skipped if missing)")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results"))
    return parser.parse_args()


def run_tfft(args, work: Path) -> dict:
    from tfft.config import load_config
    from tfft.training.run import train

    overrides = [
        "name=sst2-benchmark", f"output_dir={work / 'runs'}", "model.backbone=minilm-l6",
        f"model.max_length={args.max_len}", f"data.train={write_first_rows(Path(args.data_dir) / 'train.tsv', args.n_train, work)}",
        f"data.validation={Path(args.data_dir) / 'dev.tsv'}", "data.test=null",
        "data.text_column=sentence", "data.label_column=label",
        f"training.epochs={args.epochs}", f"training.batch_size={args.batch_size}",
        f"training.learning_rate={args.lr}", f"training.seed={args.seed}",
        f"training.mixed_precision={args.mixed_precision}", "training.evaluate_before=false", "training.keep_checkpoints=1", "export.enabled=false",
    ]
    started = time.perf_counter()
    result = train(load_config(None, overrides), verbose=2)
    throughput = result.metrics["training"]["throughput_first_epoch"]
    import keras

    return {
        "framework": f"tfft ({keras.mixed_precision.global_policy().name})",
        "mixed_precision_setting": args.mixed_precision,
        "train_examples_per_s": throughput["examples_per_second"],
        "train_tokens_per_s": throughput["tokens_per_second"],
        "dev_accuracy": result.metrics["validation"]["after"]["accuracy"],
        "dev_macro_f1": result.metrics["validation"]["after"]["macro_f1"],
        "epochs": args.epochs, "n_train": result.metrics["training"]["rows"],
        "train_seconds": result.metrics["training"]["seconds"],
        "wall_seconds": time.perf_counter() - started,
    }


def run_peer(python: str, script: Path, args, name: str) -> dict | None:
    if not Path(python).exists() or not script.exists():
        print(f"skipping {name}: {python if not Path(python).exists() else script} not found", file=sys.stderr)
        return None
    command = [python, str(script), "--data-dir", args.data_dir, "--n-train", str(args.n_train or 67349),
               "--batch-size", str(args.batch_size), "--max-len", str(args.max_len), "--lr", str(args.lr)]
    print(f"running {name}: {' '.join(command)}", file=sys.stderr, flush=True)
    completed = subprocess.run(command, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    if completed.returncode != 0:
        print(f"{name} failed with exit code {completed.returncode}", file=sys.stderr)
        return None
    result = last_json_line(completed.stdout)
    result["framework"] = name
    return result


def table(rows: list[dict]) -> str:
    ours = rows[0]
    lines = ["| framework | train ex/s | real tok/s | dev acc | tfft speed-up (tok/s) |",
             "|---|---|---|---|---|"]
    for row in rows:
        ratio = ours["train_tokens_per_s"] / row["train_tokens_per_s"]
        lines.append(f"| {row['framework']} | {row['train_examples_per_s']:.1f} | "
                     f"{row['train_tokens_per_s']:,.0f} | {row['dev_accuracy']:.4f} | {ratio:.2f}x |")
    return "\n".join(lines)


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = [run_tfft(args, Path(tmp))]
    if not args.no_peers:
        peer_dir = Path(args.peer_dir)
        for key, python, script, name in [
            ("keras-hub", sys.executable, peer_dir / "peer_keras_hub.py", "keras-hub plain (pad 128)"),
            ("hf", args.hf_python, peer_dir / "peer_hf_torch.py", "HF + PyTorch (dynamic pad, length-grouped)"),
        ]:
            if key not in args.peers:
                continue
            peer = run_peer(python, script, args, name)
            if peer is not None:
                rows.append(peer)
    print(table(rows))
    peers = {} if args.no_peers or "hf" not in args.peers else peer_versions(args.hf_python)
    print(f"wrote {write_record('classification', rows, Path(args.output), peers)}", file=sys.stderr)


if __name__ == "__main__":
    main()
