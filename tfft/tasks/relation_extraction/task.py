"""Relation extraction: classify the relation between two marked entities.

Input texts mark the two entities, ``<e1>…</e1>`` and ``<e2>…</e2>``
(SemEval-2010 Task 8 files are read directly; CSV/TSV/JSONL/Parquet files with
a marked text column and a relation column work too). Each marker is one
vocabulary token (`tfft.tasks.relation_extraction.entity_markers`), and the head reads the encoder
at [CLS], ``<e1>`` and ``<e2>`` (the "entity start" representation of
Baldini Soares et al., 2019), not [CLS] alone.

Reported: accuracy, macro-F1 and the official SemEval-2010 Task 8 score
(``semeval_macro_f1``: nine relations, direction taken into account, Other
excluded), which early stopping monitors by default. Served: ``text`` →
``relation``, ``label_id``, ``probabilities``.

Example:

>>> task = RelationExtractionTask({}, DataConfig(train="TRAIN_FILE.TXT"))
>>> examples = task.read("TRAIN_FILE.TXT"); task.fit(examples)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from tfft.config import ModelConfig
from tfft.data.errors import BadRow, DataError
from tfft.data.readers import TextExamples
from tfft.tasks.relation_extraction.semeval import looks_like_semeval, marker_problem, read_semeval
from tfft.evaluation.report import Report
from tfft.tasks.relation_extraction.semeval_score import semeval_macro_f1, semeval_per_type
from tfft.evaluation.validation_report import ValidationReport
from tfft.tasks.relation_extraction.marker_pooling import MarkerPooling
from tfft.tasks.classification.task import ClassificationTask
from tfft.tasks.classification.label_explanation import label_explanation_setup
from tfft.tasks.explanation import ExplanationSetup
from tfft.tasks.relation_extraction.entity_markers import EntityMarkerEncoder, marked_text_part


class RelationExtractionTask(ClassificationTask):
    """Which relation holds between ``<e1>`` and ``<e2>`` (and in which direction)."""

    name = "relation_extraction"
    monitor = "val_semeval_macro_f1"
    quality_metric = "semeval_macro_f1"

    option_names = frozenset()
    graph_explainable = False  # its pieces are not the plain text's: entity markers are pieces of their own

    def __init__(self, options: dict[str, Any] | None, data):
        super().__init__(options, data)

    # --- data -------------------------------------------------------------
    def read(self, path: str, with_labels: bool = True) -> TextExamples:
        if looks_like_semeval(path):
            return read_semeval(path, self.data.skip_bad_rows, with_labels)
        return self._check_markers(super().read(path, with_labels))

    def _check_markers(self, examples: TextExamples) -> TextExamples:
        bad = []
        for row, text in enumerate(examples.texts):
            problem = marker_problem(text)
            if problem:
                bad.append(BadRow(examples.source, examples.lines[row], self.data.text_column, problem))
        if not bad:
            return examples
        if not self.data.skip_bad_rows:
            raise DataError(bad[0], "pass --skip-bad-rows to skip such rows")
        bad_lines = {row.line for row in bad}
        kept = examples.subset(i for i, line in enumerate(examples.lines) if line not in bad_lines)
        kept.skipped.skipped.extend(bad)
        return kept

    def make_encoder(self, tokenizer, max_length: int) -> EntityMarkerEncoder:
        return EntityMarkerEncoder(tokenizer, max_length)

    def explanation_setup(self, model: keras.Model, encoder: EntityMarkerEncoder, inputs: dict[str, str],
                          label: str | None = None) -> ExplanationSetup:
        """The relation's probability, attributed to the words around and inside the marked entities."""
        return label_explanation_setup(self, model, encoder, inputs, label, marked_text_part)

    # --- model ------------------------------------------------------------
    def build_model(self, backbone: keras.Model, model_config: ModelConfig,
                    encoder: EntityMarkerEncoder) -> keras.Model:
        # === Layers ===
        # the head reads the positions of the entity start markers the encoder writes
        entity_starts = MarkerPooling([encoder.marker_ids[0], encoder.marker_ids[2]], name="entity_start_pooling")
        dropout = keras.layers.Dropout(model_config.dropout, name="relation_dropout")
        dense = keras.layers.Dense(
            len(self.vocabulary), kernel_initializer=keras.initializers.TruncatedNormal(stddev=0.02),
            dtype="float32", name="relation_logits",
        )
        # === Functional Model ===
        inputs = backbone.input
        outputs = backbone(inputs)
        features = keras.layers.Concatenate(name="cls_e1_e2")([
            outputs["pooled_output"], entity_starts(outputs["sequence_output"], inputs["token_ids"]),
        ])
        return keras.Model(inputs, dense(dropout(features)), name="relation_classifier")

    def callbacks(self, validation, evaluate, log_dir: Path, encoder=None) -> list:
        return [ValidationReport(evaluate, keys=("semeval_macro_f1",)),
                *super().callbacks(validation, evaluate, log_dir)]

    # --- evaluation and serving -------------------------------------------
    def report(self, examples: TextExamples, predictions: np.ndarray) -> Report:
        report = super().report(examples, predictions)
        names = self.vocabulary.names
        gold = [str(label) for label in examples.labels]
        predicted = [names[i] for i in predictions.argmax(-1)]
        table = semeval_per_type(gold, predicted)
        report.metrics["semeval_macro_f1"] = semeval_macro_f1(gold, predicted)
        report.metrics["semeval_per_relation"] = table
        lines = [f"{kind:<20} P {row['precision']:.4f}  R {row['recall']:.4f}  F1 {row['f1']:.4f}  "
                 f"({row['support']})" for kind, row in table.items()]
        report.text += ("\nSemEval-2010 Task 8 official score (9 relations, direction counted, Other "
                        f"excluded): macro-F1 {report.metrics['semeval_macro_f1']:.4f}\n" + "\n".join(lines) + "\n")
        return report

    def serving_outputs(self, model_outputs: tf.Tensor) -> dict[str, tf.Tensor]:
        outputs = super().serving_outputs(model_outputs)
        outputs["relation"] = outputs.pop("label")
        return outputs

