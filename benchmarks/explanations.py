#!/usr/bin/env python
"""Faithfulness of word attributions on SST-2 dev: integrated gradients, gradient × input, attention, random order.

MiniLM-L6 is fine-tuned on the first ``--train-rows`` rows of SST-2 train
(``configs/sst2.yaml``). For each of the first ``--dev-rows`` dev sentences
every method ranks the words for the predicted label, then:

- **deletion**: the top 0%, 10%, …, 100% of the words are cut from the
  sentence and the predicted label's probability measured again; the area
  under that curve (mean over the 11 points, trapezoid rule) is lower when the
  method found the words the model relies on;
- **insertion**: only the top 0%, …, 100% of the words are kept (in their
  order); the area is higher when it found them.

Attention is the last layer's [CLS] row (mean over heads), each word the sum
of its pieces' weights. Integrated gradients also reports its completeness check (attributions within
5% of the probability difference to the [PAD] baseline) at ``--steps``, and
each method its time per explanation.

    python benchmarks/explanations.py --data-dir ../shared/data/sst2
    python benchmarks/explanations.py --data-dir ../shared/data/sst2 --run runs/explanations-benchmark/runs/sst2
"""

from __future__ import annotations

import argparse
import math
import random
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

from benchmarks.record import write_record  # noqa: E402
from tfft.commands.train import train_and_export  # noqa: E402
from tfft.config import load_config  # noqa: E402
from tfft.explain.embedding_injection import injected_embeddings  # noqa: E402
from tfft.explain.explainer import TextExplainer  # noqa: E402
from tfft.explain.integrated_gradients import COMPLETENESS_TOLERANCE, Explanation  # noqa: E402
from tfft.explain.word_spans import word_attributions  # noqa: E402

FRACTIONS = np.linspace(0.0, 1.0, 11)
SEED = 7


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", required=True, help="folder with SST-2 train.tsv and dev.tsv")
    parser.add_argument("--train-rows", type=int, default=4096)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--dev-rows", type=int, default=None, help="explain the first N dev sentences (default: all)")
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--work", default=None, help="folder for the run (default: a temp folder)")
    parser.add_argument("--run", help="a finished fine-tuning run of this script to explain (skips fine-tuning)")
    return parser.parse_args()


def fine_tune(args: argparse.Namespace, work: Path) -> Path:
    data = Path(args.data_dir)
    config = load_config(ROOT / "configs" / "sst2.yaml", [
        f"output_dir={work / 'runs'}", "export.enabled=false", f"data.train={data / 'train.tsv'}",
        f"data.validation={data / 'dev.tsv'}", f"data.train_sample={args.train_rows}",
        f"training.epochs={args.epochs}", "training.evaluate_before=false", "training.early_stopping_patience=null"])
    return train_and_export(config, verbose=2).run_dir


def gradient_times_input(explainer: TextExplainer, text: str, target: int) -> Explanation:
    """Per-token ∇F(x) · x (summed over the embedding dimension) for the label ``target``."""
    inputs = explainer.trained.encoder.serving_inputs(tf.constant([text]))
    vectors = explainer.embedding(inputs["token_ids"])
    with tf.GradientTape() as tape:
        tape.watch(vectors)
        with injected_embeddings(explainer.embedding, vectors):
            score = explainer.scores(explainer.trained.model(inputs, training=False))[0, target]
    attributions = tf.reduce_sum(tape.gradient(score, vectors) * vectors, axis=-1)[0].numpy()
    return Explanation(inputs["token_ids"][0].numpy(), attributions, target, float(score), 0.0)


def last_layer_cls_attention(explainer: TextExplainer, text: str, target: int) -> Explanation:
    """The last encoder layer's attention weights from [CLS] to each token, averaged over heads."""
    inputs = explainer.trained.encoder.serving_inputs(tf.constant([text]))
    attention = explainer.trained.backbone.transformer_layers[-1]._self_attention_layer
    original, captured = attention.call, []

    def call(*args, **kwargs):
        output, scores = original(*args, **{**kwargs, "return_attention_scores": True})
        captured.append(scores)
        return output

    attention.call = call
    try:
        explainer.trained.model(inputs, training=False)
    finally:
        del attention.call  # back to the class's method
    weights = tf.reduce_mean(captured[-1][0, :, 0, :], axis=0).numpy()
    return Explanation(inputs["token_ids"][0].numpy(), weights, target, 0.0, 0.0)


def kept_text(text: str, words: list[dict], keep: set[int]) -> str:
    """``text`` with only the words whose index is in ``keep``, single-spaced."""
    return " ".join(text[w["start"]:w["end"]] for i, w in enumerate(words) if i in keep)


def curve_texts(text: str, words: list[dict], ranking: list[int]) -> tuple[list[str], list[str]]:
    """Deletion and insertion texts at each fraction of the ranked words."""
    everything = set(range(len(words)))
    deletion, insertion = [], []
    for fraction in FRACTIONS:
        top = set(ranking[:math.ceil(fraction * len(words))])
        deletion.append(kept_text(text, words, everything - top))
        insertion.append(kept_text(text, words, top))
    return deletion, insertion


def probabilities(explainer: TextExplainer, texts: list[str], targets: list[int], batch: int = 64) -> np.ndarray:
    out = []
    for start in range(0, len(texts), batch):
        inputs = explainer.trained.encoder.serving_inputs(tf.constant(texts[start:start + batch]))
        scores = explainer.scores(explainer.trained.model(inputs, training=False)).numpy()
        out.append(scores[np.arange(len(scores)), targets[start:start + batch]])
    return np.concatenate(out)


def area(values: np.ndarray) -> float:
    """Mean of the curve over [0, 1] by the trapezoid rule."""
    return float(np.sum((values[1:] + values[:-1]) / 2) / (len(values) - 1))


def main() -> None:
    args = parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="explanations-"))
    run_dir = Path(args.run) if args.run else fine_tune(args, work)
    explainer = TextExplainer.load(run_dir)
    dev = pd.read_csv(Path(args.data_dir) / "dev.tsv", sep="\t", keep_default_na=False)
    texts = list(dev["sentence"][:args.dev_rows] if args.dev_rows else dev["sentence"])
    rng = random.Random(SEED)
    baselines = {"gradient × input": gradient_times_input, "attention ([CLS], last layer)": last_layer_cls_attention}
    rankings: dict[str, list] = {"integrated gradients": [], **{name: [] for name in baselines}, "random": []}
    seconds = {"integrated gradients": 0.0, **{name: 0.0 for name in baselines}}
    errors, records = [], []
    for done, text in enumerate(texts, 1):
        started = time.perf_counter()
        record = explainer.explain(text, steps=args.steps)
        seconds["integrated gradients"] += time.perf_counter() - started
        target = record["explained_label_id"]
        words = record["words"]
        parts = explainer.trained.task.explanation_setup(explainer.trained.model, explainer.trained.encoder,
                                                         {"text": text}).parts
        for name, method in baselines.items():
            started = time.perf_counter()
            scored, _ = word_attributions(parts, method(explainer, text, target).attributions)
            seconds[name] += time.perf_counter() - started
            rankings[name].append(sorted(range(len(words)), key=lambda i: -scored[i]["attribution"]))
        order = list(range(len(words)))
        rng.shuffle(order)
        rankings["integrated gradients"].append(sorted(range(len(words)), key=lambda i: -words[i]["attribution"]))
        rankings["random"].append(order)
        errors.append(record["completeness_error"])
        records.append((text, words, target))
        if done % 50 == 0:
            print(f"explained {done}/{len(texts)}", flush=True)
    rows = []
    for method, ranked in rankings.items():
        deletion_texts, insertion_texts, targets = [], [], []
        for (text, words, target), ranking in zip(records, ranked):
            deletion, insertion = curve_texts(text, words, ranking)
            deletion_texts += deletion
            insertion_texts += insertion
            targets += [target] * len(FRACTIONS)
        deletion_curve = probabilities(explainer, deletion_texts, targets).reshape(len(records), -1).mean(0)
        insertion_curve = probabilities(explainer, insertion_texts, targets).reshape(len(records), -1).mean(0)
        rows.append({"method": method, "deletion_auc": round(area(deletion_curve), 4),
                     "insertion_auc": round(area(insertion_curve), 4),
                     "deletion_curve": [round(float(v), 4) for v in deletion_curve],
                     "insertion_curve": [round(float(v), 4) for v in insertion_curve],
                     "ms_per_explanation": round(1000 * seconds[method] / len(texts), 1) if method in seconds else 0.0})
    random_deletion = next(r["deletion_auc"] for r in rows if r["method"] == "random")
    for row in rows:
        row["deletion_auc_vs_random"] = round(row["deletion_auc"] / random_deletion, 3)
    errors = np.asarray(errors)
    figures = {"dev_sentences": len(texts), "train_rows": args.train_rows, "epochs": args.epochs, "steps": args.steps,
               "completeness": {"within_tolerance_share": round(float(np.mean(errors <= COMPLETENESS_TOLERANCE)), 4),
                                "tolerance": COMPLETENESS_TOLERANCE, "median_error": float(np.median(errors)),
                                "max_error": float(errors.max())},
               "methods": rows}
    print(figures)
    print(write_record("explanations", figures))


if __name__ == "__main__":
    main()
