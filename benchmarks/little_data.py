#!/usr/bin/env python
"""SST-2 with 500 labelled rows: plain fine-tuning against the little-data methods, side by side.

Every method trains MiniLM-L6 on the same seeded, stratified 500-row sample
(configs/sst2_500.yaml) and is scored on all of SST-2 dev:

- plain: the recipe as is
- eda: plus 2 EDA copies per row (swap / delete; add a synonyms file with --synonyms)
- ensemble: 3 members with different seeds, probabilities averaged

    python benchmarks/little_data.py [--methods plain eda ensemble] [--set training.epochs=4]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.recipe import write_results  # noqa: E402
from tfft.config import load_config  # noqa: E402

METHODS = ("plain", "eda", "ensemble")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default=str(ROOT / "configs" / "sst2_500.yaml"))
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--synonyms", help="word list for EDA synonym replacement / insertion")
    parser.add_argument("--members", type=int, default=3)
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    return parser.parse_args()


def run_method(method: str, args) -> dict:
    from tfft.ensemble import train_ensemble
    from tfft.training.run import train

    overrides = [*args.overrides, f"name=little-data-{method}"]
    if method == "eda":
        overrides += ["data.augment.method=eda", "data.augment.copies=2", "data.augment.rate=0.1"]
        if args.synonyms:
            overrides.append(f"data.augment.synonyms={args.synonyms}")
    config = load_config(args.config, overrides)
    start = time.perf_counter()
    if method == "ensemble":
        result = train_ensemble(config, args.members)
        metrics = result.metrics["ensemble"]
    else:
        metrics = train(config).metrics["validation"]["after"]
    return {"method": method, "accuracy": metrics["accuracy"], "macro_f1": metrics["macro_f1"],
            "seconds": round(time.perf_counter() - start, 1)}


def main() -> None:
    args = parse_args()
    rows = [run_method(method, args) for method in args.methods]
    plain = next((row for row in rows if row["method"] == "plain"), None)
    print("| method | SST-2 dev accuracy | Δ vs plain (points) | macro-F1 | seconds |")
    print("|---|---|---|---|---|")
    for row in rows:
        delta = f"{100 * (row['accuracy'] - plain['accuracy']):+.2f}" if plain else ""
        print(f"| {row['method']} | {100 * row['accuracy']:.2f} | {delta} | {100 * row['macro_f1']:.2f} | "
              f"{row['seconds']} |")
    write_results(ROOT / "benchmarks" / "results", "little_data", rows)
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
