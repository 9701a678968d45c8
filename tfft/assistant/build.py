"""``build_assistant``: an intent classifier and an answer index as one customer-service SavedModel.

The two exports are run on the validation messages first (the in-process
pipeline, `respond_in_process`), the hand-off thresholds are chosen on what
they return (`tfft.assistant.handoff_rule`), and the assistant that computes
the same in one graph is published as the next version.

Example:

>>> messages = read_labelled_messages("validation.csv", "text", "intent", "answer_id")
>>> build_assistant(Path("saved_models/support-intents"), Path("saved_models/faq-index"), messages,
...                 Path("saved_models/customer-service"))
PosixPath('saved_models/customer-service/1')
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tfft.assistant.assistant_module import OUTPUTS, TEXT, Assistant
from tfft.assistant.handoff_rule import Thresholds, choose_thresholds, hands_off
from tfft.assistant.labelled_messages import OUT_OF_SCOPE, LabelledMessages
from tfft.config import HANDOFF_IN_SCOPE_SHARE
from tfft.data.labels import LABELS_FILE, LabelVocabulary
from tfft.evaluation.handoff_metrics import handoff_metrics
from tfft.export.loaded import LoadedExport
from tfft.export.module_export import save_module_version
from tfft.retrieval.build import INDEX_TASK
from tfft.retrieval.search_index import QUERY, indexed_ids

logger = logging.getLogger(__name__)

ASSISTANT_TASK = "assistant"
ANSWER_PAYLOAD = "answer"


@dataclass
class Responses:
    """What the assistant answers for each message (numpy arrays, strings decoded)."""

    intents: list[str]
    probability: np.ndarray
    answer_ids: list[str]
    answers: list[str]
    scores: np.ndarray

    def handoff(self, thresholds: Thresholds) -> np.ndarray:
        return hands_off(self.probability, self.scores, thresholds)


def load_classifier(path: Path) -> tuple[LoadedExport, list[str]]:
    """A single-label classification export on ``text``, and its label names."""
    exported = LoadedExport(path)
    options = exported.metadata.get("config", {}).get("task_options") or {}
    if exported.metadata.get("task") != "classification" or exported.input_names != [TEXT] \
            or options.get("multi_label"):
        raise ValueError(f"{exported.path} is not a single-label classifier of one text (task "
                         f"{exported.metadata.get('task')!r}, inputs {exported.input_names}); the assistant's "
                         f"intents come from an export of `task: classification` without multi_label")
    return exported, LabelVocabulary.load(exported.path / "assets.extra" / LABELS_FILE).names


def load_index(path: Path, answer_payload: str) -> LoadedExport:
    """A search-index export that serves ``answer_payload`` beside its ids."""
    exported = LoadedExport(path)
    if exported.metadata.get("task") != INDEX_TASK:
        raise ValueError(f"{exported.path} is not a search index (task {exported.metadata.get('task')!r}); "
                         f"build one with `tfft index`")
    if answer_payload not in exported.metadata.get("payloads", []):
        raise ValueError(f"{exported.path} serves no payload '{answer_payload}' (it has "
                         f"{exported.metadata.get('payloads')}); index the FAQ with --payload-column "
                         f"{answer_payload}, or name another with --answer-column")
    return exported


def respond_in_process(classifier: LoadedExport, index: LoadedExport, answer_payload: str,
                       texts: list[str]) -> Responses:
    """The classifier and the index called one after the other: the reference for the one-graph assistant."""
    intents = classifier.predict({TEXT: texts})
    found = index.predict({QUERY: texts})
    return Responses([label.decode("utf-8") for label in intents["label"]], intents["probabilities"].max(-1),
                     [doc.decode("utf-8") for doc in found["ids"][:, 0]],
                     [answer.decode("utf-8") for answer in found[answer_payload][:, 0]], found["scores"][:, 0])


def validation_metrics(responses: Responses, messages: LabelledMessages, thresholds: Thresholds,
                       out_of_scope: str) -> dict[str, float]:
    return handoff_metrics(messages.intents, responses.intents, responses.handoff(thresholds), out_of_scope,
                           messages.answer_ids, responses.answer_ids if messages.answer_ids else None)


def build_assistant(classifier_path: Path, index_path: Path, validation: LabelledMessages, model_root: Path,
                    answer_payload: str = ANSWER_PAYLOAD, out_of_scope: str = OUT_OF_SCOPE,
                    max_in_scope_handoff: float = HANDOFF_IN_SCOPE_SHARE, version: int | None = None) -> Path:
    """Writes ``model_root/<version>/``: ``text`` → intent, its probability, answer, its id and score, handoff.

    Args:
        classifier_path: a single-label classification export (the intents).
        index_path: a search index of the FAQ (`tfft index`) serving ``answer_payload``.
        validation: messages with their true intent (or ``out_of_scope``) on which the thresholds are chosen.
        model_root: the assistant's model folder; the version is the next free one unless given.
        answer_payload: the index payload returned as ``answer``.
        out_of_scope: the intent value that marks an out-of-scope message.
        max_in_scope_handoff: the share of in-scope validation messages the rule may hand off.
    """
    classifier, labels = load_classifier(classifier_path)
    index = load_index(index_path, answer_payload)
    validation.check_known(set(labels), out_of_scope, indexed_ids(index.module), f"{classifier.path} / {index.path}")
    logger.info("running %s and %s on %d validation messages of %s", classifier.path, index.path,
                len(validation), validation.source)
    responses = respond_in_process(classifier, index, answer_payload, validation.texts)
    in_scope = np.asarray(validation.intents) != out_of_scope
    thresholds = choose_thresholds(responses.probability, responses.scores, in_scope, max_in_scope_handoff)
    metrics = validation_metrics(responses, validation, thresholds, out_of_scope)
    assistant = Assistant(classifier.module, index.module, answer_payload, thresholds)
    metadata = {"task": ASSISTANT_TASK, "serving_inputs": [TEXT], "outputs": list(OUTPUTS),
                "classifier": str(classifier.path), "index": str(index.path), "answer_payload": answer_payload,
                "labels": labels, "out_of_scope": out_of_scope, "thresholds": thresholds.as_dict(),
                "rule": {"max_in_scope_handoff": max_in_scope_handoff,
                         "chosen_on": validation.source, "validation": metrics}}
    return save_module_version(assistant, assistant.serving_function(), model_root, metadata,
                               {TEXT: validation.texts[:8]}, version)
