#!/usr/bin/env python
"""The customer-service recipe end to end, measured: intents + FAQ answers + hand-off in one SavedModel.

Trains the two parts from ``configs/customer_service_intents.yaml`` and
``configs/customer_service_faq.yaml``, indexes every answer of the sample FAQ
(``tfft/sample_data/customer_service/faq.csv``), chooses the hand-off
thresholds on ``validation.csv`` and scores the assistant on ``test.csv``
(each: one unseen paraphrase per FAQ entry and 20 out-of-scope messages).
Then every validation and test message is answered by the export in a
process that imports only TensorFlow and tensorflow-text
(``benchmarks/served_assistant.py``) and compared with the two parts called
in-process: intent, answer id and hand-off must agree on every message.

    python benchmarks/customer_service.py
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import benchmarks.startup  # noqa: E402,F401  (quiet TensorFlow start, tfft progress lines)

from benchmarks.record import write_record  # noqa: E402
from tfft.assistant.build import build_assistant, load_classifier, load_index, respond_in_process  # noqa: E402
from tfft.assistant.evaluation import evaluate_assistant  # noqa: E402
from tfft.assistant.handoff_rule import Thresholds  # noqa: E402
from tfft.assistant.labelled_messages import read_labelled_messages  # noqa: E402
from tfft.commands.train import train_and_export  # noqa: E402
from tfft.config import load_config  # noqa: E402
from tfft.export.loaded import LoadedExport  # noqa: E402
from tfft.retrieval.build import build_index  # noqa: E402
from tfft.retrieval.corpus import read_corpus  # noqa: E402

DATA = ROOT / "tfft" / "sample_data" / "customer_service"


def train(config_name: str, work: Path) -> tuple[Path, float]:
    config = load_config(ROOT / "configs" / config_name, [f"output_dir={work / 'runs'}",
                                                          f"export.dir={work / 'saved_models'}"])
    started = time.perf_counter()
    return train_and_export(config, verbose=2).export_path, round(time.perf_counter() - started, 1)


def served(path: Path, texts: list[str], work: Path) -> dict:
    messages = work / "messages.json"
    messages.write_text(json.dumps(texts), encoding="utf-8")
    completed = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "served_assistant.py"), str(path),
                                str(messages)], capture_output=True, text=True, check=True)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def parity(path: Path, classifier: Path, index: Path, texts: list[str], work: Path) -> dict:
    """Messages on which the plain-TF export and the in-process parts disagree (intent, answer id, hand-off)."""
    thresholds = Thresholds(**LoadedExport.read_metadata(path)["thresholds"])
    reference = respond_in_process(load_classifier(classifier)[0], load_index(index, "answer"), "answer", texts)
    out = served(path, texts, work)
    handoff = reference.handoff(thresholds).tolist()
    differ = [i for i in range(len(texts)) if (out["intent"][i], out["answer_id"][i], out["handoff"][i])
              != (reference.intents[i], reference.answer_ids[i], handoff[i])]
    return {"messages": len(texts), "disagreements": len(differ), "loaded_in_serving_process": out["loaded"],
            "first_disagreements": [texts[i] for i in differ[:5]]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", default=None, help="folder for runs and exports (default: a temp folder)")
    work = Path(parser.parse_args().work or tempfile.mkdtemp(prefix="customer-service-"))
    classifier, intent_seconds = train("customer_service_intents.yaml", work)
    embedder, faq_seconds = train("customer_service_faq.yaml", work)
    corpus = read_corpus(str(DATA / "faq.csv"), "answer", "id", ["answer", "intent"])
    index = build_index(embedder, corpus, work / "saved_models" / "customer-service-faq-index")
    validation = read_labelled_messages(str(DATA / "validation.csv"), "text", "intent", "answer_id")
    test = read_labelled_messages(str(DATA / "test.csv"), "text", "intent", "answer_id")
    assistant = build_assistant(classifier, index, validation, work / "saved_models" / "customer-service")
    metadata = LoadedExport.read_metadata(assistant)
    figures = {
        "data": {"faq_entries": len(corpus), "training_pairs": len(pd.read_csv(DATA / "faq_train.csv")),
                 "validation": len(validation), "test": len(test)},
        "training_seconds": {"intents": intent_seconds, "faq_embedder": faq_seconds},
        "thresholds": metadata["thresholds"],
        "max_in_scope_handoff": metadata["rule"]["max_in_scope_handoff"],
        "validation": metadata["rule"]["validation"],
        "test": evaluate_assistant(assistant, test),
        "parity": parity(assistant, classifier, index, validation.texts + test.texts, work),
    }
    print(json.dumps(figures, indent=2))
    print(write_record("customer_service", figures))


if __name__ == "__main__":
    main()
