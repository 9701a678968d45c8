#!/usr/bin/env python
"""Domain adaptation on Financial PhraseBank: held-out MLM loss and classifier test scores,
MiniLM-L6 as is against MiniLM-L6 after continued masked-LM pre-training on financial text.

    python benchmarks/domain_adaptation.py                 # prepare, pre-train twice, fine-tune twice
    python benchmarks/domain_adaptation.py --prepare-only  # just write runs/data/financial_phrasebank/

Steps (all seeded):
1. Split Sentences_50Agree.txt 80/20, stratified; the training sentences are the MLM corpus.
2. MLM baseline: train the MLM head alone on the frozen backbone (MiniLM-L6's checkpoint
   ships without one) until it converges (10x the learning rate, twice the epochs), so both
   models are scored with a trained head on the same held-out sentences.
3. Continued MLM pre-training of the whole backbone (configs/pretrain_finance_mlm.yaml).
4. Fine-tune configs/financial_phrasebank.yaml from MiniLM-L6 and from the adapted preset;
   report test accuracy and macro-F1 of both.
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

SOURCE = ROOT.parent / "shared" / "data" / "financial_phrasebank" / "Sentences_50Agree.txt"
PREPARED = ROOT / "runs" / "data" / "financial_phrasebank"


def prepare(source: Path, target: Path, seed: int = 42) -> None:
    """train.csv / test.csv (text,label) and train_sentences.txt from ``sentence@label`` lines."""
    import pandas as pd
    from sklearn.model_selection import train_test_split

    rows = []
    for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), start=1):
        sentence, at, label = line.rpartition("@")
        if not at or label not in {"positive", "neutral", "negative"}:
            raise ValueError(f"{source}, line {number}: expected 'sentence@label', got {line[:80]!r}")
        rows.append((sentence.strip(), label))
    frame = pd.DataFrame(rows, columns=["text", "label"])
    train, test = train_test_split(frame, test_size=0.2, random_state=seed, stratify=frame["label"])
    target.mkdir(parents=True, exist_ok=True)
    train.to_csv(target / "train.csv", index=False)
    test.to_csv(target / "test.csv", index=False)
    (target / "train_sentences.txt").write_text("\n".join(train["text"]) + "\n", encoding="utf-8")
    print(f"wrote {len(train)} training and {len(test)} test rows to {target}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prepare-only", action="store_true")
    parser.add_argument("--suffix", default="", help="appended to run names (fresh runs)")
    args = parser.parse_args()
    prepare(SOURCE, PREPARED)
    if args.prepare_only:
        return

    from tfft.config import load_config
    from tfft.pretraining.run import pretrain
    from tfft.commands.train import train_and_export

    started = time.perf_counter()
    mlm_config = str(ROOT / "configs" / "pretrain_finance_mlm.yaml")
    head_only = pretrain(load_config(mlm_config, [f"name=finance-mlm-head-only{args.suffix}",
                                                  "model.freeze=backbone", "training.learning_rate=1e-3",
                                                  "training.epochs=8"]), verbose=2)
    adapted = pretrain(load_config(mlm_config, [f"name=finance-mlm{args.suffix}"]), verbose=2)
    classifier_config = str(ROOT / "configs" / "financial_phrasebank.yaml")
    scores = {}
    for label, backbone in (("minilm-l6", "minilm-l6"), ("adapted", str(adapted.preset_dir))):
        result = train_and_export(load_config(classifier_config, [f"name=financial-phrasebank-{label}{args.suffix}",
                                                       f"model.backbone={backbone}"]), verbose=2)
        scores[label] = {k: result.metrics["test"][k] for k in ("accuracy", "macro_f1")}
    report = {
        "heldout_mlm_loss": {"minilm-l6 (head trained, backbone frozen)": head_only.metrics["validation"]["after"]["loss"],
                             "adapted (continued MLM)": adapted.metrics["validation"]["after"]["loss"]},
        "heldout_mlm_perplexity": {"minilm-l6": head_only.metrics["validation"]["after"]["perplexity"],
                                   "adapted": adapted.metrics["validation"]["after"]["perplexity"]},
        "classifier_test": scores,
        "mlm_tokens_per_second": adapted.metrics["training"]["throughput_first_epoch"].get("tokens_per_second"),
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(report, indent=2))
    write_record("domain_adaptation", report)


if __name__ == "__main__":
    main()
