"""Integrated gradients inside an export: the ``explain`` and ``explain_label`` signatures.

``explain`` takes ``text`` and explains each text's predicted label;
``explain_label`` also takes ``label`` and explains that one. Both return the
text's word pieces (``tokens``, padded with ""), their character offsets
(``token_starts``, ``token_ends``: ``text[start:end]`` is the piece as
written), ``attributions`` (padded with 0), ``token_count``, the label and
its probability, and the explained score at the text and at the baseline.
They run the same integral as ``tfft explain`` (midpoint rule, the same
steps and baseline) on the trained Keras model, so stock TF Serving answers
what ``tfft explain`` prints.

Example (``export.explain: true`` in a run's config; then, served):

    curl -d '{"signature_name": "explain", "inputs": {"text": ["I was charged twice"]}}' \\
        http://127.0.0.1:8501/v1/models/support-intents:predict
"""

from __future__ import annotations

from typing import Callable

import tensorflow as tf

from tfft.config import ExportConfig
from tfft.explain.embedding_injection import injected_embeddings, token_embedding_layer
from tfft.explain.integrated_gradients import baseline_ids
from tfft.export.saved_model import ExtraSignature
from tfft.text.char_offsets import to_char_offsets
from tfft.text.offset_tokenizer import OffsetTokenizer
from tfft.training.trained_model import TrainedModel

TEXT = tf.TensorSpec([None], tf.string, name="text")
LABEL = tf.TensorSpec([None], tf.string, name="label")


class _GraphExplainer(tf.Module):
    """Holds what the signatures capture (the label table, the offset tokenizer), so the export tracks it."""

    def __init__(self, trained: TrainedModel, steps: int, baseline_id: int):
        super().__init__(name="explainer")
        if not trained.task.graph_explainable or trained.task.serving_inputs != ["text"]:
            raise ValueError(f"export.explain covers classification of single texts, not {trained.task.name} "
                             f"models taking {trained.task.serving_inputs}; tfft explain explains them from the run")
        self.trained, self.steps, self.baseline_id = trained, steps, baseline_id
        self.embedding = token_embedding_layer(trained.backbone)
        self.tokenizer = OffsetTokenizer.from_keras_hub(trained.encoder.tokenizer)
        encoder = trained.encoder
        self.keep_ids = {encoder.start_id, encoder.end_id, encoder.pad_id}
        self.vocabulary = tf.constant(self.tokenizer.vocabulary)
        names = self._scores(trained.model(encoder.serving_inputs(tf.constant(["probe"])), training=False))[1]
        self.names = tf.constant(names)
        self.label_ids = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(self.names, tf.range(len(names), dtype=tf.int32)), default_value=-1)

    def _scores(self, outputs):
        return self.trained.task.label_scores(outputs)

    def explain(self, text: tf.Tensor, label: tf.Tensor | None = None) -> dict[str, tf.Tensor]:
        model, inputs = self.trained.model, self.trained.encoder.serving_inputs(text)
        probabilities = self._scores(model(inputs, training=False))[0]
        predicted = tf.argmax(probabilities, axis=-1, output_type=tf.int32)
        target = predicted
        if label is not None:
            target = self.label_ids.lookup(label)
            tf.debugging.Assert(tf.reduce_all(target >= 0), ["explain_label: unknown label; the labels are",
                                                             self.names], summarize=-1)
        token_ids = inputs["token_ids"]
        actual = self.embedding(token_ids)
        start = self.embedding(baseline_ids(token_ids, self.baseline_id, self.keep_ids))

        def score(vectors):
            with injected_embeddings(self.embedding, vectors):
                scores = self._scores(model(inputs, training=False))[0]
            return tf.gather(scores, target, batch_dims=1)

        def step(k, gradient_sum):
            path = start + (tf.cast(k, actual.dtype) + 0.5) / self.steps * (actual - start)
            with tf.GradientTape() as tape:
                tape.watch(path)
                chosen = score(path)
            return k + 1, gradient_sum + tape.gradient(chosen, path)

        _, gradient_sum = tf.while_loop(lambda k, _: k < self.steps, step, (tf.constant(0), tf.zeros_like(actual)))
        attributions = tf.reduce_sum((actual - start) * gradient_sum / self.steps, axis=-1)
        return {"label": tf.gather(self.names, predicted), "label_id": predicted,
                "probability": tf.gather(probabilities, predicted, batch_dims=1),
                "explained_label": tf.gather(self.names, target), "score": score(actual),
                "baseline_score": score(start), **self._pieces(text, attributions, tf.shape(token_ids)[1] - 2)}

    def _pieces(self, text: tf.Tensor, attributions: tf.Tensor, room: tf.Tensor) -> dict[str, tf.Tensor]:
        """The pieces the model saw ([CLS] and [SEP] aside), with offsets and attributions, padded."""
        tokens = self.tokenizer.tokenize(text)
        kept = tf.minimum(tokens.ids.row_lengths(), tf.cast(room, tf.int64))
        cut = lambda ragged: tf.RaggedTensor.from_row_lengths(  # noqa: E731
            tf.ragged.boolean_mask(ragged, tf.ragged.range(ragged.row_lengths()) < kept[:, None]).flat_values, kept)
        ids = cut(tokens.ids)
        return {"tokens": tf.gather(self.vocabulary, ids).to_tensor(""),
                "token_starts": to_char_offsets(text, cut(tokens.starts)).to_tensor(0),
                "token_ends": to_char_offsets(text, cut(tokens.ends)).to_tensor(0),
                "attributions": tf.RaggedTensor.from_tensor(attributions[:, 1:], lengths=kept).to_tensor(0.0),
                "token_count": tf.cast(kept, tf.int32)}


def explain_signatures(export: ExportConfig) -> Callable[[TrainedModel], list[ExtraSignature]] | None:
    """What `tfft.export.from_run.export_run` adds when ``export.explain`` is on (else None)."""
    if not export.explain:
        return None

    def signatures(trained: TrainedModel) -> list[ExtraSignature]:
        encoder = trained.encoder
        baseline_id = encoder.pad_id if export.explain_baseline == "pad" else int(
            encoder.tokenizer.token_to_id("[MASK]"))
        explainer = _GraphExplainer(trained, export.explain_steps, baseline_id)
        return [ExtraSignature("explain", lambda text: explainer.explain(text), [TEXT], [explainer]),
                ExtraSignature("explain_label", lambda text, label: explainer.explain(text, label), [TEXT, LABEL],
                               [explainer])]

    return signatures
