"""Sentence embeddings: fine-tune a backbone so that similar texts get close unit vectors.

Data: pairs of texts (``data.text_column``: the anchor, a query say;
``data.text_pair_column``: its positive, the matching answer), optionally with
hard negatives (``task_options.negative_columns``), trained with in-batch
negatives: every other positive and negative of the global batch is a wrong
answer for each anchor. Or pairs with a similarity score in
``data.label_column``, trained with CoSENT (``loss: cosent``) or cosine
regression (``loss: cosine``).

The served model takes ``text`` and returns ``embedding`` (float32
``[batch, dim]``, L2-normalised, so a dot product is the cosine).

Validation ranks, for each anchor, the positives of the validation rows:
Recall@1/5/10, MRR@10 and nDCG@10 (scored pairs: Spearman and Pearson
correlation of cosine and score).

Options (``task_options``): ``pooling`` (``mean``, default, as
sentence-transformers' MiniLM models, or ``cls``), ``loss`` (``ranking``,
default; ``cosent``; ``cosine``), ``scale`` (inverse temperature of the
ranking and CoSENT losses, default 20), ``symmetric`` (ranking: also rank the
anchors for each positive, default false), ``negative_columns`` (default none).

Example:

>>> task = EmbeddingTask({"pooling": "mean"}, DataConfig(text_pair_column="answer"))
>>> examples = task.read("faq_pairs.csv"); task.fit(examples)
>>> model = task.build_model(backbone, ModelConfig(), task.make_encoder(tokenizer, 128))
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf
from scipy.stats import pearsonr, spearmanr

from tfft.config import ModelConfig, TrainingConfig
from tfft.data.pipeline import EncodedSplit, encode_split
from tfft.data.readers import TextExamples
from tfft.evaluation.retrieval_metrics import retrieval_metrics
from tfft.evaluation.validation_report import ValidationReport
from tfft.tasks.base import PREDICT_BATCH_SIZE, Report, Task
from tfft.tasks.embedding.pair_examples import PairExamples, read_pair_examples
from tfft.tasks.embedding.part_split import PartSplit
from tfft.tasks.embedding.ranking_loss import InBatchRankingLoss, positive_ids
from tfft.tasks.embedding.similarity_loss import CoSENTLoss, CosineLoss
from tfft.tasks.heads import check_pooling, text_vector

EMBEDDER = "sentence_embedder"
LOSSES = ("ranking", "cosent", "cosine")
RANKED = 10  # candidates kept per validation query


class EmbeddingTask(Task):
    """Maps each text to a unit vector; similar texts get a high dot product."""

    name = "embedding"
    scores_key = "embedding"
    option_names = frozenset({"pooling", "loss", "scale", "symmetric", "negative_columns"})

    def __init__(self, options: dict[str, Any] | None, data):
        super().__init__(options, data)
        self.pooling = check_pooling(self.options.get("pooling", "mean"))
        self.loss_name = str(self.options.get("loss", "ranking"))
        if self.loss_name not in LOSSES:
            raise ValueError(f"task_options.loss must be one of {', '.join(LOSSES)}, got '{self.loss_name}'")
        self.scale = float(self.options.get("scale", 20.0))
        self.symmetric = bool(self.options.get("symmetric", False))
        self.negative_columns = list(self.options.get("negative_columns") or [])
        if self.negative_columns and self.loss_name != "ranking":
            raise ValueError("task_options.negative_columns needs loss: ranking (scored pairs have no negatives)")
        self.scored = self.loss_name != "ranking"
        self.quality_metric = "spearman" if self.scored else f"mrr@{RANKED}"
        self.monitor = f"val_{self.quality_metric}"
        self.parts = 2 + len(self.negative_columns)

    @property
    def serving_inputs(self) -> list[str]:
        return ["text"]

    # --- data -------------------------------------------------------------
    def read(self, path: str, with_labels: bool = True) -> PairExamples:
        return read_pair_examples(path, self.data, self.negative_columns, with_scores=self.scored)

    def fit(self, train: PairExamples) -> None:
        if self.scored:
            train.scores()  # a score that is not a number stops here, naming its line

    def targets(self, examples: PairExamples) -> np.ndarray:
        if self.scored:
            return np.asarray(examples.scores(), dtype="float32")
        return positive_ids(examples.pairs)  # in-batch ranking: which rows share a positive

    def encode(self, encoder, examples: PairExamples, training: TrainingConfig | None = None,
               with_weights: bool = False) -> EncodedSplit:
        """One row per example: each text encoded alone, concatenated; segment ids hold the part."""
        parts = [encode_split(encoder, TextExamples(examples.source, texts, None, None, examples.lines)).token_ids
                 for texts in [examples.texts, examples.pairs, *examples.negatives]]
        token_ids = tf.concat(parts, axis=1)
        part_ids = tf.concat([ids.with_flat_values(tf.fill(tf.shape(ids.flat_values), k))
                              for k, ids in enumerate(parts)], axis=1)
        return EncodedSplit(token_ids, part_ids, self.targets(examples), None, encoder.pad_id, examples)

    # --- model ------------------------------------------------------------
    def embedder(self, backbone: keras.Model) -> keras.Model:
        """Backbone → pooled, L2-normalised float32 vector: the served model."""
        vector = text_vector(backbone, self.pooling)
        unit = keras.layers.UnitNormalization(axis=-1, dtype="float32", name="unit_length")(vector)
        return keras.Model(backbone.input, unit, name=EMBEDDER)

    def build_model(self, backbone: keras.Model, model_config: ModelConfig, encoder) -> keras.Model:
        """Packed rows → ``[batch, parts, dim]``: the embedder applied to each part alone."""
        embedder = self.embedder(backbone)
        inputs = backbone.input
        ids, mask = PartSplit(self.parts, encoder.pad_id, name="part_split")(
            inputs["token_ids"], inputs["segment_ids"], inputs["padding_mask"])
        vectors = embedder({"token_ids": ids, "segment_ids": keras.ops.zeros_like(ids), "padding_mask": mask})
        by_row = keras.ops.transpose(keras.ops.reshape(vectors, (self.parts, -1, vectors.shape[-1])), (1, 0, 2))
        return keras.Model(inputs, by_row, name="pair_embedder")

    def loss(self, training: TrainingConfig) -> keras.losses.Loss:
        if self.loss_name == "cosent":
            return CoSENTLoss(self.scale)
        if self.loss_name == "cosine":
            return CosineLoss()
        return InBatchRankingLoss(self.scale, self.symmetric)

    def metrics(self) -> list[keras.metrics.Metric]:
        return []

    def callbacks(self, validation: EncodedSplit, evaluate, log_dir, encoder=None) -> list:
        keys = ("spearman",) if self.scored else ("recall@1", f"mrr@{RANKED}")
        return [ValidationReport(evaluate, keys=keys)]

    # --- evaluation and serving -------------------------------------------
    def serving_examples(self, examples: PairExamples, count: int) -> dict[str, list[str]]:
        """The first ``count`` anchors, then their positives: what `report` reads back."""
        return {"text": list(examples.texts[:count]) + list(examples.pairs[:count])} if count > 0 else {}

    def serving_function(self, model: keras.Model, encoder):
        embedder = model.get_layer(EMBEDDER)

        def serve_text(text):
            return {"embedding": embedder(encoder.serving_inputs(text), training=False)}

        return serve_text

    def predict(self, model: keras.Model, encoder, split: EncodedSplit) -> np.ndarray:
        texts = self.serving_examples(split.examples, len(split.examples))["text"]
        run = tf.function(self.serving_function(model, encoder), reduce_retracing=True)
        order = np.argsort([len(text) for text in texts], kind="stable")  # similar lengths pad less
        vectors = np.zeros((len(texts), model.output.shape[-1]), dtype="float32")
        for start in range(0, len(order), PREDICT_BATCH_SIZE):
            rows = order[start:start + PREDICT_BATCH_SIZE]
            vectors[rows] = run(tf.constant([texts[i] for i in rows]))["embedding"].numpy()
        return vectors

    def predictions_from_outputs(self, outputs: dict[str, np.ndarray]) -> np.ndarray:
        return outputs["embedding"]

    def report(self, examples: PairExamples, predictions: np.ndarray) -> Report:
        count = len(examples)
        anchors, seconds = predictions[:count], predictions[count:2 * count]
        if self.scored:
            return _correlation_report(np.sum(anchors * seconds, axis=-1), np.asarray(examples.scores()))
        return _retrieval_report(anchors, seconds, examples.pairs)


def _retrieval_report(anchors: np.ndarray, positives: np.ndarray, positive_texts: list[str]) -> Report:
    """Each anchor ranks the distinct positive texts of the split; its own is the relevant one."""
    corpus: dict[str, int] = {}
    for row, text in enumerate(positive_texts):
        corpus.setdefault(text, row)
    ids = list(corpus.values())
    scores = anchors @ positives[ids].T
    top = np.argsort(-scores, axis=1, kind="stable")[:, :RANKED]
    ranked = [[ids[i] for i in row] for row in top]
    relevant = [{corpus[text]} for text in positive_texts]
    metrics = {"examples": len(anchors), "candidates": len(ids),
               **retrieval_metrics(ranked, relevant, ks=(1, 5, 10), cutoff=RANKED)}
    text = "\n".join(f"{name:>10}  {value:.4f}" for name, value in metrics.items() if "@" in name)
    return Report(metrics, f"{len(anchors)} queries against {len(ids)} distinct positives\n{text}")


def _correlation_report(cosines: np.ndarray, scores: np.ndarray) -> Report:
    spearman = float(spearmanr(cosines, scores).statistic) if len(scores) > 1 else float("nan")
    pearson = float(pearsonr(cosines, scores).statistic) if len(scores) > 1 else float("nan")
    metrics = {"examples": len(scores), "spearman": spearman, "pearson": pearson}
    return Report(metrics, f"{len(scores)} pairs: Spearman {spearman:.4f}, Pearson {pearson:.4f}")
