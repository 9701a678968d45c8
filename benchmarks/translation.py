#!/usr/bin/env python
"""Multi30k en→de with a GPT-2 that tfft pre-trains and then fine-tunes: BLEU on val,
the time each step took, tokens/s, and the served model's latency per generated token.

    python benchmarks/translation.py                 # pretrain, fine-tune, export, time the export
    python benchmarks/translation.py --skip-pretrain # fine-tune from runs/multi30k-gpt/preset

Step 1: configs/pretrain_multi30k_gpt.yaml (causal LM from scratch on train.en + train.de).
Step 2: configs/multi30k_en_de.yaml (prompt "English: ...\\nGerman:", loss on the German).
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

from benchmarks.record import write_record  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skip-pretrain", action="store_true")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override for the fine-tuning config (repeatable)")
    args = parser.parse_args()

    from tfft.config import load_config
    from tfft.pretraining.run import pretrain
    from tfft.commands.train import train_and_export

    report = {}
    if not args.skip_pretrain:
        pretrained = pretrain(load_config(ROOT / "configs" / "pretrain_multi30k_gpt.yaml"), verbose=2)
        report["pretrain"] = {"seconds": pretrained.metrics["training"]["seconds"],
                              "validation_perplexity": pretrained.metrics["validation"]["after"]["perplexity"],
                              "tokens_per_second": pretrained.metrics["training"]["throughput_first_epoch"]
                              .get("tokens_per_second")}
    started = time.perf_counter()
    tuned = train_and_export(load_config(ROOT / "configs" / "multi30k_en_de.yaml", args.set), verbose=2)
    after = tuned.metrics["validation"]["after"]
    report["fine_tune"] = {"seconds": tuned.metrics["training"]["seconds"],
                           "with_evaluation_and_export_seconds": round(time.perf_counter() - started, 1),
                           "tokens_per_second": tuned.metrics["training"]["throughput_first_epoch"]
                           .get("tokens_per_second"),
                           **{k: after[k] for k in ("bleu", "rouge1", "rougeL", "exact_match", "examples")}}
    report["training_minutes_total"] = round(
        (report.get("pretrain", {}).get("seconds", 0) + tuned.metrics["training"]["seconds"]) / 60, 1)
    print(json.dumps(report, indent=2))
    if tuned.export_path is not None:
        latency = subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "generation_latency.py"), "--export", str(tuned.export_path),
             "--prompts", str(ROOT.parent / "shared" / "data" / "multi30k" / "val.en"), "--n", "50"],
            capture_output=True, text=True)
        print(latency.stdout.strip() or latency.stderr[-2000:])
        if latency.returncode == 0:
            report["generation_latency"] = json.loads(latency.stdout.strip().splitlines()[-1])
    write_record("translation", report)


if __name__ == "__main__":
    main()
