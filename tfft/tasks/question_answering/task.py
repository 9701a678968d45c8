"""Extractive question answering (SQuAD v1.1 / v2.0), served from raw strings.

Each question is paired with windows of its context (``[CLS] question [SEP]
window [SEP]``, see `tfft.tasks.question_answering.qa_encoder`); training labels map the
character answer to the window's tokens, and a window that does not hold the
whole answer points at [CLS]. Decoding searches every start/end pair up to
``max_answer_length`` tokens in every window and keeps the best (see
`tfft.tasks.question_answering.span_search`), so a context longer than the model's window is
answered from the right window, inside the serving graph.

Served: ``question`` and ``context`` (tf.string ``[None]``) → ``answer``,
``answer_start``/``answer_end`` (character offsets into the context) and
``score`` (the span's probability in its window). Reported: the official
SQuAD exact match and F1.

Options (``task_options``): ``max_question_length`` (tokens, default 64),
``stride`` (context tokens between window starts, default half a window),
``max_answer_length`` (tokens, default 30), ``validation_articles`` (hold
out the last N articles of the training file for validation instead of a
random share of articles).

Example:

>>> task = QuestionAnsweringTask({"validation_articles": 2}, DataConfig(train="train-v1.1.json"))
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from sklearn.model_selection import GroupShuffleSplit

from tfft.config import ModelConfig, TrainingConfig
from tfft.heartbeat import Heartbeat
from tfft.tasks.explanation import ExplanationSetup
from tfft.tasks.question_answering.answer_explanation import answer_explanation_setup
from tfft.data.pipeline import EncodedSplit
from tfft.tasks.question_answering.squad import QAExamples, read_squad
from tfft.evaluation.report import Report
from tfft.tasks.question_answering.squad_metrics import squad_scores
from tfft.evaluation.validation_report import ValidationReport
from tfft.text.strings import as_text
from tfft.tasks.base import Task
from tfft.tasks.heads import per_token_head
from tfft.tasks.question_answering.qa_encoder import QAEncoder, QAFeatures
from tfft.tasks.question_answering.span_search import best_answers
from tfft.tasks.question_answering.span_loss import SpanLoss

STATE_FILE = "question_answering.json"
PREDICT_EXAMPLES = 32
Prediction = tuple[str, int, int]  # answer text, start and end character offsets


class QuestionAnsweringTask(Task):
    """Finds the answer to a question as a span of its context."""

    name = "question_answering"
    monitor = "val_f1"
    quality_metric = "f1"
    option_names = frozenset({"max_question_length", "stride", "max_answer_length", "validation_articles"})

    def __init__(self, options: dict[str, Any] | None, data):
        super().__init__(options, data)
        self.max_question_length = int(self.options.get("max_question_length", 64))
        self.stride = self.options.get("stride")
        self.max_answer_length = int(self.options.get("max_answer_length", 30))
        self.validation_articles = self.options.get("validation_articles")
        self.allow_empty = False

    @property
    def serving_inputs(self) -> list[str]:
        return ["question", "context"]

    # --- data -------------------------------------------------------------
    def read(self, path: str, with_labels: bool = True) -> QAExamples:
        return read_squad(path, self.data.skip_bad_rows, with_labels)

    def fit(self, train: QAExamples) -> None:
        self.allow_empty = train.has_unanswerable  # SQuAD v2.0 data

    def hold_out(self, train: QAExamples, fraction: float, seed: int):
        """Whole articles go to validation, so no context is seen in both parts."""
        titles = train.titles
        if self.validation_articles:
            order = list(dict.fromkeys(titles))
            held = set(order[-int(self.validation_articles):])
            keep = [i for i, t in enumerate(titles) if t not in held]
            return train.subset(keep), train.subset(i for i, t in enumerate(titles) if t in held)
        splitter = GroupShuffleSplit(n_splits=1, test_size=fraction, random_state=seed)
        keep, held = next(splitter.split(titles, groups=titles))
        return train.subset(sorted(keep)), train.subset(sorted(held))

    def make_encoder(self, tokenizer, max_length: int) -> QAEncoder:
        return QAEncoder(tokenizer, max_length, self.max_question_length, self.stride)

    def encode(self, encoder: QAEncoder, examples: QAExamples, training: TrainingConfig | None = None,
               with_weights: bool = False) -> EncodedSplit:
        features = encoder.features(tf.constant(examples.questions), tf.constant(examples.contexts))
        targets = None if examples.answers is None else _span_targets(examples, features)
        return EncodedSplit(features.token_ids, features.segment_ids, targets, None, encoder.pad_id, examples)

    # --- model ------------------------------------------------------------
    def build_model(self, backbone: keras.Model, model_config: ModelConfig, encoder) -> keras.Model:
        # Two logits per token: answer start and answer end.
        return per_token_head(backbone, 2, model_config.dropout, "span_extractor", ("span_dropout", "span_logits"))

    def loss(self, training: TrainingConfig) -> keras.losses.Loss:
        return SpanLoss()

    def metrics(self) -> list[keras.metrics.Metric]:
        return []

    def callbacks(self, validation: EncodedSplit, evaluate, log_dir: Path, encoder=None) -> list:
        return [ValidationReport(evaluate, keys=("f1", "exact_match"))]

    # --- evaluation and serving -------------------------------------------
    def report(self, examples: QAExamples, predictions: list[Prediction]) -> Report:
        golds = [[answer.text for answer in answers] for answers in examples.answers]
        scores = squad_scores([p[0] for p in predictions], golds)
        metrics = {"examples": len(examples), **scores}
        text = (f"SQuAD (official normalisation) on {len(examples)} questions: "
                f"exact match {scores['exact_match']:.2f}, F1 {scores['f1']:.2f}\n")
        return Report(metrics, text)

    def answers(self, model: keras.Model, encoder: QAEncoder, questions: tf.Tensor,
                contexts: tf.Tensor) -> dict[str, tf.Tensor]:
        """Raw strings → best answers: the whole serving computation."""
        features: QAFeatures = encoder.features(questions, contexts)
        logits = model(encoder.model_inputs(features), training=False)
        return best_answers(logits, features, contexts, self.max_answer_length, self.allow_empty)

    def explanation_setup(self, model: keras.Model, encoder: QAEncoder, inputs: dict[str, str],
                          label: str | None = None) -> ExplanationSetup:
        return answer_explanation_setup(self, model, encoder, inputs, label)

    def serving_function(self, model: keras.Model, encoder: QAEncoder):
        def serve_question_context(question, context):
            return self.answers(model, encoder, question, context)

        return serve_question_context

    def serving_examples(self, examples: QAExamples, count: int) -> dict[str, list[str]]:
        if count <= 0:
            return {}
        return {"question": list(examples.questions[:count]), "context": list(examples.contexts[:count])}

    def predict(self, model: keras.Model, encoder: QAEncoder, split: EncodedSplit) -> list[Prediction]:
        examples: QAExamples = split.examples
        run = tf.function(lambda q, c: self.answers(model, encoder, q, c), reduce_retracing=True)
        order = np.argsort([len(c) for c in examples.contexts], kind="stable")
        predictions: list[Prediction] = [("", -1, -1)] * len(examples)
        beat = Heartbeat("answering", len(examples), "questions")
        for start in range(0, len(order), PREDICT_EXAMPLES):
            rows = order[start:start + PREDICT_EXAMPLES]
            outputs = run(tf.constant([examples.questions[i] for i in rows]),
                          tf.constant([examples.contexts[i] for i in rows]))
            batch = self.predictions_from_outputs({k: v.numpy() for k, v in outputs.items()})
            for row, prediction in zip(rows, batch):
                predictions[row] = prediction
            beat.tick(start + len(rows))
        return predictions

    def predictions_from_outputs(self, outputs: dict[str, np.ndarray]) -> list[Prediction]:
        texts = [as_text(answer) for answer in outputs["answer"]]
        return [(text, int(s), int(e)) for text, s, e in
                zip(texts, outputs["answer_start"], outputs["answer_end"])]

    # --- state ------------------------------------------------------------
    def save(self, run_dir: Path) -> None:
        (Path(run_dir) / STATE_FILE).write_text(json.dumps({"allow_empty": self.allow_empty}))

    def load(self, run_dir: Path) -> None:
        self.allow_empty = json.loads((Path(run_dir) / STATE_FILE).read_text())["allow_empty"]


def _span_targets(examples: QAExamples, features: QAFeatures) -> np.ndarray:
    """(start, end) positions of the first gold answer in each feature; (0, 0) = [CLS]."""
    example = features.layout.example.numpy()
    window_start = features.layout.start.numpy()
    window_length = features.layout.token_index.row_lengths().numpy()
    offset = features.context_offset.numpy()
    starts = features.context.starts
    ends = features.context.ends
    targets = np.zeros((len(example), 2), dtype="int32")
    spans = {}
    for f, row in enumerate(example):
        if row not in spans:
            spans[row] = _answer_tokens(examples, row, starts[row].numpy(), ends[row].numpy())
        tokens = spans[row]
        if tokens is None:
            continue
        first, last = tokens
        if window_start[f] <= first and last < window_start[f] + window_length[f]:
            targets[f] = (offset[f] + first - window_start[f], offset[f] + last - window_start[f])
    return targets


def _answer_tokens(examples: QAExamples, row: int, starts: np.ndarray, ends: np.ndarray):
    """First and last context token of the row's first answer (None: no answer)."""
    if not examples.answers[row]:
        return None
    answer, context = examples.answers[row][0], examples.contexts[row]
    byte_start = len(context[:answer.start].encode("utf-8"))
    byte_end = byte_start + len(answer.text.encode("utf-8"))
    inside = np.flatnonzero((ends > byte_start) & (starts < byte_end))
    if inside.size == 0:
        return None
    return int(inside[0]), int(inside[-1])
