#!/usr/bin/env python
"""SST-2 with 32 labelled sentences per class: prompt-based learning against plain fine-tuning.

For each seed, one seeded sample of 32 rows per class (``data.train_per_class``)
is trained two ways with the same schedule (configs/sst2_prompt_32.yaml: 10
epochs, batch 8, lr 5e-5, the last epoch's weights, dev never used to choose):

- plain: a classification head on MiniLM-L6 as shipped (what `tfft train` does by default)
- prompt: the cloze template and label words scored by the masked-LM head of
  configs/pretrain_sst2_mlm_head.yaml (trained on MiniLM-L6 frozen, so both methods
  start from the same backbone and differ only in the head); its score before
  training is the zero-shot column

``--set model.backbone=<preset>`` tries another masked-LM preset (e.g. the continued
pre-training of configs/pretrain_wikitext_mlm.yaml; ``plain`` always uses MiniLM-L6).
All are scored on all of SST-2 dev (872 sentences); the table gives mean ± std over seeds.

    python scripts/pretrain.py --config configs/pretrain_sst2_mlm_head.yaml   # once, about 7 minutes
    python benchmarks/few_shot.py [--seeds 1 2 3] [--methods prompt plain] [--reuse]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import benchmarks.startup  # noqa: E402,F401  (quiet TensorFlow start, tfft progress lines)

from benchmarks.record import write_record  # noqa: E402
from tfft.config import load_config  # noqa: E402

METHOD_OVERRIDES = {
    "plain": ["task=classification", "task_options={}", "model.backbone=minilm-l6", "training.evaluate_before=false"],
    "prompt": ["training.evaluate_before=true"],
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default=str(ROOT / "configs" / "sst2_prompt_32.yaml"))
    parser.add_argument("--methods", nargs="+", default=list(METHOD_OVERRIDES), choices=list(METHOD_OVERRIDES))
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    parser.add_argument("--reuse", action="store_true", help="read finished runs instead of training again")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    return parser.parse_args()


def run_once(method: str, seed: int, args) -> dict:
    from tfft.commands.train import train_and_export

    config = load_config(args.config, [*args.overrides, *METHOD_OVERRIDES[method],
                                       f"name=few-shot-{method}-s{seed}", f"training.seed={seed}"])
    run_dir = config.run_dir
    if not (args.reuse and (run_dir / "DONE").is_file()):
        run_dir = train_and_export(config).run_dir
    metrics = json.loads((run_dir / "metrics.json").read_text())
    before = metrics["validation"].get("before") or {}
    return {"method": method, "seed": seed, "accuracy": metrics["validation"]["after"]["accuracy"],
            "zero_shot": before.get("accuracy"), "seconds": metrics["training"]["seconds"], "run": str(run_dir)}


def mean_std(values: list[float]) -> str:
    return f"{100 * np.mean(values):.2f} ± {100 * np.std(values):.2f}"


def main() -> None:
    args = parse_args()
    rows = [run_once(method, seed, args) for seed in args.seeds for method in args.methods]
    print(f"| method | SST-2 dev accuracy (mean ± std, seeds {' '.join(map(str, args.seeds))}) | "
          f"per seed | zero-shot |")
    print("|---|---|---|---|")
    for method in args.methods:
        mine = [row for row in rows if row["method"] == method]
        zero = [row["zero_shot"] for row in mine if row["zero_shot"] is not None]
        per_seed = " / ".join(f"{100 * row['accuracy']:.2f}" for row in mine)
        print(f"| {method} | {mean_std([row['accuracy'] for row in mine])} | {per_seed} | "
              f"{mean_std(zero) if zero else '–'} |")
    write_record("few_shot", rows)
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
