#!/usr/bin/env python
"""Pre-train + fine-tune on real Chinese data: the same small BERT from random weights (a) and
pre-trained on zh_corpus with whole-word masking (b), at 10% and 100% of the training labels.

    python benchmarks/chinese.py                                   # pre-train, then every fine-tune
    python benchmarks/chinese.py --preset runs/zh-bert/preset      # reuse a finished pre-training
    python benchmarks/chinese.py --preset runs/zh-bert/preset --tasks sentiment --fractions 0.1

Steps (all seeded):
1. Pre-train ``configs/pretrain_zh_bert.yaml`` (held-out MLM perplexity per epoch).
2. (a)'s backbone: the pre-trained one's architecture and vocabulary with fresh random weights.
3. Fine-tune ``configs/zh_sentiment.yaml`` and ``configs/zh_ner.yaml`` from (a) and (b), on all
   training rows and on a seeded 10% sample (stratified by label for sentiment). A sample has a
   tenth of the optimizer steps per epoch; ``--sample-epochs N`` trains the runs below 100% for N
   epochs instead of the recipe's (its early stopping still keeps the best one).
4. Baseline for sentiment on the same rows: character 1-3-gram TF-IDF + logistic regression.
5. The (b) NER export of the largest fraction, served by ``benchmarks/served_spans.py`` in a process with only
   TensorFlow and tensorflow-text: ``text[start:end]`` of every predicted entity on dev.
Scores are on the dev sets of zh_sentiment and zh_ner_peoples_daily.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import benchmarks.startup  # noqa: E402,F401  (quiet TensorFlow start, tfft progress lines)

from benchmarks.record import write_record  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
SENTIMENT = DATA / "zh_sentiment"
NER = DATA / "zh_ner_peoples_daily"
SAMPLES = ROOT / "runs" / "data" / "zh"
TASKS = {  # task: (recipe, training file, headline metric)
    "sentiment": ("zh_sentiment.yaml", SENTIMENT / "train.tsv", "accuracy"),
    "ner": ("zh_ner.yaml", NER / "train.jsonl", "f1"),
}


def sample_file(task: str, fraction: float, seed: int = 42) -> Path:
    """The training file of ``task`` cut to ``fraction`` of its rows (the file itself at 1.0)."""
    source = TASKS[task][1]
    if fraction >= 1.0:
        return source
    target = SAMPLES / f"{source.stem}_{round(fraction * 100)}pct{source.suffix}"
    SAMPLES.mkdir(parents=True, exist_ok=True)
    lines = [line for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
    if task == "sentiment":  # the header, then a stratified sample of the rows, each line as it is
        from sklearn.model_selection import train_test_split

        header, lines = [lines[0]], lines[1:]
        keep, _ = train_test_split(range(len(lines)), train_size=fraction, random_state=seed,
                                   stratify=read_tsv(source)["label"])
    else:
        import numpy as np

        header, keep = [], np.random.default_rng(seed).choice(len(lines), round(fraction * len(lines)), replace=False)
    target.write_text("\n".join(header + [lines[i] for i in sorted(keep)]) + "\n", encoding="utf-8")
    return target


def read_tsv(path: Path):
    """A TSV file as tfft reads it: a quote is a character of the text, not a quote."""
    import csv

    import pandas as pd

    return pd.read_csv(path, sep="\t", quoting=csv.QUOTE_NONE, keep_default_na=False)


def pretrained_preset(args) -> tuple[Path, dict]:
    """The (b) backbone: ``--preset`` as given, or a fresh run of configs/pretrain_zh_bert.yaml."""
    if args.preset:
        metrics_file = Path(args.preset).parent / "metrics.json"
        metrics = json.loads(metrics_file.read_text()) if metrics_file.is_file() else {}
        return Path(args.preset), pretraining_figures(metrics)
    from tfft.config import load_config
    from tfft.pretraining.run import pretrain

    started = time.perf_counter()
    result = pretrain(load_config(str(ROOT / "configs" / "pretrain_zh_bert.yaml"),
                                  [f"name=zh-bert{args.suffix}"]), verbose=2)
    return result.preset_dir, {**pretraining_figures(result.metrics), "seconds": round(time.perf_counter() - started)}


def pretraining_figures(metrics: dict) -> dict:
    """Held-out perplexity as exp(mean masked-token loss), before training and after each epoch."""
    history = metrics.get("history", {})
    training = metrics.get("training", {})
    before = metrics.get("validation", {}).get("before", {}).get("loss")
    return {"heldout_perplexity_per_epoch": [round(math.exp(loss), 1) for loss in history.get("val_loss", [])],
            "heldout_perplexity_before": None if before is None else round(math.exp(before), 1),
            "blocks": training.get("blocks"), "block_tokens": training.get("block_tokens"),
            "train_seconds": training.get("seconds"),
            "tokens_per_second": training.get("throughput_first_epoch", {}).get("tokens_per_second")}


def random_twin(preset: Path, target: Path) -> Path:
    """A preset with ``preset``'s architecture and tokenizer and freshly initialised weights."""
    import keras

    from tfft.backbones import load_backbone

    if (target / "config.json").is_file():
        return target
    loaded = load_backbone(str(preset))
    keras.utils.set_random_seed(42)
    twin = type(loaded.backbone).from_config(loaded.backbone.get_config())
    target.mkdir(parents=True, exist_ok=True)
    twin.save_to_preset(str(target))
    loaded.tokenizer.save_to_preset(str(target))
    return target


def fine_tune(task: str, backbone: Path, init: str, fraction: float, args: argparse.Namespace) -> tuple[dict, Path]:
    from tfft.commands.train import train_and_export
    from tfft.config import load_config

    recipe, _, metric = TASKS[task]
    name = f"zh-{task}-{init}-{round(fraction * 100)}pct{args.suffix}"
    overrides = [f"name={name}", f"model.backbone={backbone}", f"data.train={sample_file(task, fraction)}"]
    if fraction < 1.0 and args.sample_epochs:
        overrides.append(f"training.epochs={args.sample_epochs}")
    result = train_and_export(load_config(str(ROOT / "configs" / recipe), overrides), verbose=2)
    after = result.metrics["validation"]["after"]
    figures = {"dev_" + metric: after[metric], "rows": result.metrics["training"]["rows"],
               "train_seconds": result.metrics["training"]["seconds"]}
    return figures, result.export_path


def tfidf_baseline(fraction: float) -> dict:
    """Dev accuracy of character 1-3-gram TF-IDF + logistic regression on the same training rows."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    train, dev = read_tsv(sample_file("sentiment", fraction)), read_tsv(SENTIMENT / "dev.tsv")
    model = make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True),
                          LogisticRegression(max_iter=2000))
    model.fit(train["text"].astype(str), train["label"])
    return {"dev_accuracy": float((model.predict(dev["text"].astype(str)) == dev["label"]).mean()),
            "rows": len(train)}


def served_span_check(export: Path) -> dict:
    completed = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "served_spans.py"), str(export),
                                str(NER / "dev.jsonl")], capture_output=True, text=True, check=True)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", help="a finished pre-training's preset folder (skips step 1)")
    parser.add_argument("--tasks", nargs="+", choices=sorted(TASKS), default=sorted(TASKS))
    parser.add_argument("--fractions", nargs="+", type=float, default=[0.1, 1.0])
    parser.add_argument("--sample-epochs", type=int,
                        help="epochs of the fine-tunes below 100%% of the labels (default: the recipe's)")
    parser.add_argument("--suffix", default="", help="appended to run names (fresh runs)")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    preset, pretraining = pretrained_preset(args)
    backbones = {"b_pretrained": preset, "a_random": random_twin(preset, preset.parent / "random-init-preset")}
    report: dict = {"pretraining": pretraining, "preset": str(preset), "sample_epochs": args.sample_epochs}
    for task in args.tasks:
        for fraction in args.fractions:
            key = f"{task}_{round(fraction * 100)}pct"
            report[key] = {}
            for init, backbone in backbones.items():
                report[key][init], export = fine_tune(task, backbone, init, fraction, args)
                if task == "ner" and init == "b_pretrained" and fraction == max(args.fractions):
                    report["ner_served_spans"] = served_span_check(export)
            if task == "sentiment":
                report[key]["tfidf_logistic_regression"] = tfidf_baseline(fraction)
            print(json.dumps({key: report[key]}, ensure_ascii=False), file=sys.stderr)
    print(json.dumps(report, indent=2, ensure_ascii=False))
    write_record("chinese", report)


if __name__ == "__main__":
    main()
