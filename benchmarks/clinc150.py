#!/usr/bin/env python
"""Out-of-scope detection on CLINC150: the assistant's hand-off rule beside plain max-probability thresholding.

CLINC150 ("full" setting, ``../shared/data/clinc150``) has 150 intents of 10
domains, 100 training utterances each, and out-of-scope queries. The intent
classifier (``task: classification``, MiniLM-L6, mean pooling) is fine-tuned on
the training utterances less ``--held-out`` per intent. Those held-out
utterances and the 100 ``oos_train`` queries are the calibration set on which
the thresholds are chosen; the classifier never trains on an out-of-scope
query. The answer index (`tfft index`) holds every training utterance the
classifier saw, embedded by the untuned MiniLM-L6 sentence embedder, with its
intent as the answer: the answer score is a message's cosine similarity to
its nearest training utterance.

Rules, all scored on the validation split (3,000 in-scope + 100 out-of-scope,
never used for training or choosing):

- the assistant's hand-off rule (intent probability and answer score, the
  thresholds `tfft assistant` chooses: the most out-of-scope hand-offs among
  pairs handing off at most a budget share of the in-scope calibration
  messages; one assistant version per ``--max-in-scope-handoff`` budget, each
  also scored from the exported SavedModel);
- plain max-probability thresholding (the intent threshold alone, chosen by
  the same rule on the same calibration set);
- the answer score alone (the same, nearest-utterance similarity only);
- the classifier without hand-off.

In-scope accuracy counts a hand-off as wrong (the CLINC150 convention).

    python benchmarks/clinc150.py
    python benchmarks/clinc150.py --work runs/clinc150 \
        --classifier runs/clinc150/saved_models/clinc150-intents/1   # new budgets, no fine-tuning
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import benchmarks.startup  # noqa: E402,F401  (quiet TensorFlow start, tfft progress lines)

from benchmarks.record import write_record  # noqa: E402
from benchmarks.retrieval import untuned_embedder  # noqa: E402
from tfft.assistant.build import build_assistant, load_classifier, load_index, respond_in_process  # noqa: E402
from tfft.assistant.evaluation import evaluate_assistant  # noqa: E402
from tfft.assistant.handoff_rule import Thresholds, choose_thresholds  # noqa: E402
from tfft.assistant.labelled_messages import read_labelled_messages  # noqa: E402
from tfft.commands.train import train_and_export  # noqa: E402
from tfft.config import HANDOFF_IN_SCOPE_SHARE, load_config  # noqa: E402
from tfft.evaluation.handoff_metrics import handoff_metrics  # noqa: E402
from tfft.export.loaded import LoadedExport  # noqa: E402
from tfft.retrieval.build import build_index  # noqa: E402
from tfft.retrieval.corpus import read_corpus  # noqa: E402

OUT_OF_SCOPE = "oos"
MAX_LENGTH = 64  # CLINC150 utterances are short: at most 28 words
SEED = 13


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "clinc150" /
                                              "data_full_train_val.json"))
    parser.add_argument("--work", default=None, help="folder for data, runs and exports (default: a temp folder)")
    parser.add_argument("--held-out", type=int, default=10, help="training utterances per intent kept for calibration")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=1e-4)
    parser.add_argument("--max-in-scope-handoff", type=float, nargs="+", default=[0.01, 0.02, HANDOFF_IN_SCOPE_SHARE],
                        help="in-scope hand-off budgets to choose thresholds at (one assistant version each)")
    parser.add_argument("--classifier", default=None,
                        help="an intent classifier export of an earlier run of this script (skips fine-tuning)")
    parser.add_argument("--train-sample", type=int, default=None, help="train on this many rows (a quick check)")
    return parser.parse_args()


def write_rows(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows, columns=["text", "intent"]).to_csv(path, index=False)
    return path


def split(data: dict, held_out: int, folder: Path) -> dict[str, Path]:
    """Classifier training rows, calibration rows (held-out + oos_train) and validation rows (val + oos_val)."""
    by_intent = defaultdict(list)
    for text, intent in data["train"]:
        by_intent[intent].append((text, intent))
    rng = random.Random(SEED)
    train, calibration = [], []
    for intent in sorted(by_intent):
        rows = by_intent[intent][:]
        rng.shuffle(rows)
        calibration += rows[:held_out]
        train += rows[held_out:]
    calibration += [tuple(row) for row in data["oos_train"]]
    validation = [tuple(row) for row in data["val"] + data["oos_val"]]
    return {"train": write_rows(folder / "train.csv", train),
            "calibration": write_rows(folder / "calibration.csv", calibration),
            "validation": write_rows(folder / "validation.csv", validation)}


def write_corpus(train: Path, folder: Path) -> Path:
    """Every classifier training utterance as an index document whose answer is its intent."""
    rows = pd.read_csv(train, keep_default_na=False)
    corpus = pd.DataFrame({"id": [f"train-{i}" for i in range(len(rows))], "text": rows["text"],
                           "answer": rows["intent"]})
    corpus.to_csv(folder / "corpus.csv", index=False)
    return folder / "corpus.csv"


def train_classifier(files: dict[str, Path], work: Path, args: argparse.Namespace) -> Path:
    config = load_config(ROOT / "tfft" / "tasks" / "classification" / "example" / "config.yaml", [
        "name=clinc150-intents", f"output_dir={work / 'runs'}", f"export.dir={work / 'saved_models'}",
        f"data.train={files['train']}", f"data.validation={files['calibration_in_scope']}", "data.test=null",
        "data.text_column=text", "data.label_column=intent", "task_options.pooling=mean",
        f"model.max_length={MAX_LENGTH}", f"training.epochs={args.epochs}", f"training.batch_size={args.batch_size}",
        f"training.learning_rate={args.learning_rate}", "training.warmup_ratio=0.1", "training.weight_decay=0.01",
        "training.early_stopping_patience=2", "training.evaluate_before=false", f"training.seed={SEED}",
        f"data.train_sample={args.train_sample or 'null'}"])
    return train_and_export(config, verbose=2).export_path


def training_figures(classifier: Path) -> dict:
    """How the classifier export was trained, from its run's config and metrics."""
    metadata = LoadedExport.read_metadata(classifier)
    metrics = json.loads((Path(metadata["run_dir"]) / "metrics.json").read_text(encoding="utf-8"))
    training = metadata["config"]["training"]
    after = metrics["validation"]["after"]
    return {"export": str(classifier), "train_seconds": metrics["training"]["seconds"],
            "epochs": training["epochs"], "epochs_run": metrics["training"].get("epochs_run"),
            "batch_size": training["batch_size"], "learning_rate": training["learning_rate"],
            "max_length": metadata["config"]["model"]["max_length"],
            "calibration_in_scope": {key: value for key, value in after.items() if isinstance(value, float)}}


def rules_at(budget: float, calibration, chosen, assistant_thresholds: Thresholds) -> dict[str, Thresholds]:
    """Each rule's thresholds, chosen on the calibration responses with the same in-scope hand-off budget."""
    in_scope = np.asarray(calibration.intents) != OUT_OF_SCOPE
    never = np.zeros(len(calibration))  # a constant the rule cannot threshold: the other signal alone decides
    return {"hand-off rule (intent probability + answer score)": assistant_thresholds,
            "max-probability thresholding": choose_thresholds(chosen.probability, never, in_scope, budget),
            "answer score alone": choose_thresholds(never, chosen.scores, in_scope, budget)}


def scored(thresholds: Thresholds, validation, responses) -> dict:
    return {"thresholds": thresholds.as_dict(),
            "validation": handoff_metrics(validation.intents, responses.intents, responses.handoff(thresholds),
                                          OUT_OF_SCOPE)}


def main() -> None:
    args = parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="clinc150-"))
    data = json.loads(Path(args.data).read_text(encoding="utf-8"))
    files = split(data, args.held_out, work / "data")
    calibration_rows = pd.read_csv(files["calibration"], keep_default_na=False)
    files["calibration_in_scope"] = work / "data" / "calibration_in_scope.csv"
    calibration_rows[calibration_rows["intent"] != OUT_OF_SCOPE].to_csv(files["calibration_in_scope"], index=False)
    classifier = Path(args.classifier) if args.classifier else train_classifier(files, work, args)
    embedder = untuned_embedder(work / "saved_models" / "minilm-untuned", MAX_LENGTH)
    corpus = read_corpus(str(write_corpus(files["train"], work / "data")), "text", "id", ["answer"])
    started = time.perf_counter()
    index = build_index(embedder, corpus, work / "saved_models" / "clinc150-utterances")
    index_seconds = round(time.perf_counter() - started, 1)
    calibration = read_labelled_messages(str(files["calibration"]), "text", "intent")
    validation = read_labelled_messages(str(files["validation"]), "text", "intent")
    parts = load_classifier(classifier)[0], load_index(index, "answer")
    chosen = respond_in_process(*parts, "answer", calibration.texts)
    responses = respond_in_process(*parts, "answer", validation.texts)
    budgets = []
    for budget in args.max_in_scope_handoff:
        assistant = build_assistant(classifier, index, calibration, work / "saved_models" / "clinc150-assistant",
                                    out_of_scope=OUT_OF_SCOPE, max_in_scope_handoff=budget)
        thresholds = Thresholds(**LoadedExport.read_metadata(assistant)["thresholds"])
        budgets.append({"max_in_scope_handoff": budget, "assistant": str(assistant),
                        "served_assistant_validation": evaluate_assistant(assistant, validation),
                        "rules": {name: scored(rule, validation, responses)
                                  for name, rule in rules_at(budget, calibration, chosen, thresholds).items()}})
    figures = {
        "data": {"train": len(pd.read_csv(files["train"])), "calibration": len(calibration),
                 "validation": len(validation), "held_out_per_intent": args.held_out},
        "training": training_figures(classifier),
        "index": {"documents": len(corpus), "build_seconds": index_seconds},
        "no_handoff": scored(Thresholds(0.0, -1.0), validation, responses),  # cosine scores are never below -1
        "budgets": budgets,
    }
    print(json.dumps(figures, indent=2))
    print(write_record("clinc150", figures))


if __name__ == "__main__":
    main()
