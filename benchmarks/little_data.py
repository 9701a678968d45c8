#!/usr/bin/env python
"""SST-2 with 500 labelled rows: plain fine-tuning against the little-data methods, side by side.

Every method trains MiniLM-L6 on the same seeded, stratified 500-row sample
(configs/sst2_500.yaml) and is scored on all of SST-2 dev, clean and under
word-level perturbations (typos, synonym swaps at 10% of words, seeded: the
same perturbed texts for every method):

- plain: the recipe as is
- eda: plus 2 EDA copies per row (swap / delete)
- eda-synonyms: plus 2 EDA copies per row, all four operations with tfft's synonym list
- back-translation: plus one paraphrase per row, English -> German -> English through the
  Multi30k GPT-2 translators (trained on image captions: the only pair this machine has)
- fgm: FGM adversarial training on the word embeddings (epsilon 0.2 per row)
- pgd: PGD adversarial training (3 steps of 0.08, epsilon 0.2)
- ensemble: 3 members with different seeds, probabilities averaged
- prompt: prompt-based classification (the cloze template and label words scored by the
  masked-LM head of configs/pretrain_sst2_mlm_head.yaml; see benchmarks/few_shot.py)
- tuned: ``tfft tune`` (Bayesian, configs/search_spaces/sst2_500.yaml) choosing on one fifth of
  the 500 rows (``data.folds=5``: dev stays unseen and no other labels are used), then
  the best config trained on all 500 and scored on dev like the others

    python benchmarks/little_data.py [--methods plain fgm] [--reuse] [--set training.epochs=4]

``--reuse`` reads a finished ``runs/little-data-<method>`` instead of training it again.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import benchmarks.startup  # noqa: E402,F401  (quiet TensorFlow start, tfft progress lines)

from benchmarks.record import write_record  # noqa: E402
from tfft.config import load_config  # noqa: E402
from tfft.evaluation.robustness import DEFAULT_SYNONYMS  # noqa: E402

METHOD_OVERRIDES = {
    "plain": [],
    "eda": ["data.augment.method=eda", "data.augment.copies=2", "data.augment.rate=0.1",
            "data.augment.operations=[swap,delete]"],
    "eda-synonyms": ["data.augment.method=eda", "data.augment.copies=2", "data.augment.rate=0.1",
                     f"data.augment.synonyms={DEFAULT_SYNONYMS}"],
    "fgm": ["training.adversarial.method=fgm", "training.adversarial.epsilon=0.2"],
    "pgd": ["training.adversarial.method=pgd", "training.adversarial.epsilon=0.2",
            "training.adversarial.steps=3", "training.adversarial.step_size=0.08"],
    # needs saved_models/multi30k-en-de and -de-en (configs/multi30k_en_de.yaml, configs/multi30k_de_en.yaml)
    "back-translation": ["data.augment.method=back_translation",
                         "data.augment.translate_to=saved_models/multi30k-en-de",
                         "data.augment.translate_back=saved_models/multi30k-de-en"],
    "ensemble": [],
    "tuned": [],
    # needs runs/sst2-mlm-head (python scripts/pretrain.py --config configs/pretrain_sst2_mlm_head.yaml)
    "prompt": ["task=prompt_classification", "model.backbone=runs/sst2-mlm-head/preset",
               'task_options={template: "{text} It was [MASK].", label_words: {0: terrible, 1: great}}'],
}
PERTURBATIONS = ("typo", "synonym")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default=str(ROOT / "configs" / "sst2_500.yaml"))
    parser.add_argument("--methods", nargs="+", default=list(METHOD_OVERRIDES), choices=list(METHOD_OVERRIDES))
    parser.add_argument("--members", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="read finished runs instead of training again")
    parser.add_argument("--perturb-rate", type=float, default=0.1)
    parser.add_argument("--tune-trials", type=int, default=6)
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    return parser.parse_args()


def run_method(method: str, args) -> dict:
    from tfft.commands.ensemble import train_ensemble
    from tfft.training.run import train

    config = load_config(args.config, [*args.overrides, f"name=little-data-{method}", *METHOD_OVERRIDES[method]])
    start = time.perf_counter()
    if method == "ensemble":
        metrics = train_ensemble(config, args.members).metrics["ensemble"]
        return {"method": method, "accuracy": metrics["accuracy"], "macro_f1": metrics["macro_f1"],
                "seconds": round(time.perf_counter() - start, 1)}
    if method == "tuned":
        config = tuned_config(config, args.tune_trials)
    run_dir = config.run_dir
    if not (args.reuse and (run_dir / "DONE").is_file()):
        run_dir = train(config).run_dir
    metrics = json.loads((run_dir / "metrics.json").read_text())
    row = {"method": method, "accuracy": metrics["validation"]["after"]["accuracy"],
           "macro_f1": metrics["validation"]["after"]["macro_f1"],
           "seconds": metrics["training"]["seconds"], "run": str(run_dir)}
    row.update(robustness(run_dir, config.data.validation, args.perturb_rate))
    return row


def tuned_config(config, trials: int):
    """The best config of a Bayesian search that validates on a fifth of the sampled rows, not on dev."""
    import dataclasses

    from tfft.commands.tune import read_space, tune

    search = dataclasses.replace(config, data=dataclasses.replace(config.data, validation=None, folds=5, fold=0))
    space = read_space(ROOT / "configs" / "search_spaces" / "sst2_500.yaml")
    best = tune(search, "bayesian", trials, space, verbose=2)
    print(f"tuned: {json.dumps(best.best_values)} (search score {best.best_score:.4f})", file=sys.stderr)
    return load_config(best.best_config, [f"data.validation={config.data.validation}", "data.folds=null",
                                          "export.enabled=false"])


def robustness(run_dir: Path, dev: str, rate: float) -> dict:
    from tfft.commands.evaluate import evaluate_run
    from tfft.evaluation.robustness import perturb_examples

    return {f"accuracy_{kind}": evaluate_run(run_dir, dev, alter=lambda examples, kind=kind: perturb_examples(
        examples, kind, rate, seed=0)).metrics["accuracy"] for kind in PERTURBATIONS}


def main() -> None:
    args = parse_args()
    rows = [run_method(method, args) for method in args.methods]
    plain = next((row for row in rows if row["method"] == "plain"), None)
    print("| method | SST-2 dev accuracy | Δ vs plain (points) | with typos | with synonym swaps | "
          "macro-F1 | training seconds |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        delta = f"{100 * (row['accuracy'] - plain['accuracy']):+.2f}" if plain else ""
        perturbed = [f"{100 * row[f'accuracy_{kind}']:.2f}" if f"accuracy_{kind}" in row else "–"
                     for kind in PERTURBATIONS]
        print(f"| {row['method']} | {100 * row['accuracy']:.2f} | {delta} | {' | '.join(perturbed)} | "
              f"{100 * row['macro_f1']:.2f} | {row['seconds']} |")
    write_record("little_data", rows)
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
