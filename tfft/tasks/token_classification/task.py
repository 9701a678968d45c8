"""Named-entity recognition (token classification), from raw text to entity spans.

Data: CoNLL column files (any tag column; BIO, IOB1, IOBES or BILOU tags) or
JSON lines with raw text and character-span entities (see
`tfft.tasks.token_classification.span_jsonl`). Every reader yields texts with character spans, and
labels are placed on tokens from those spans: the first piece of each word
gets ``B-``/``I-``/``O``, continuation pieces (``##ing``) are ignored by the
loss. Texts longer than the model's window are split into overlapping windows
and merged back per token.

The served model takes ``text`` and returns the entities it found:
``entity_types``, ``entity_texts``, ``entity_starts``/``entity_ends``
(character offsets into the input), ``entity_scores`` and ``num_entities``.

Options (``task_options``): ``tag_column`` (CoNLL column of the tag, default
-1: the last), ``tag_scheme`` (default ``BIO``), ``stride`` (tokens between
window starts, default half the window).

Example:

>>> task = TokenClassificationTask({"tag_scheme": "BIO"}, DataConfig(train="conll/train.txt"))
>>> examples = task.read("conll/train.txt"); task.fit(examples)
>>> model = task.build_model(backbone, ModelConfig(), task.make_encoder(tokenizer, 128))
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from tfft.config import ModelConfig, TrainingConfig
from tfft.tasks.token_classification.conll import read_conll
from tfft.data.errors import BadRow, DataError
from tfft.data.labels import LabelVocabulary
from tfft.data.pipeline import IGNORE_TARGET, ENCODE_CHUNK, EncodedSplit
from tfft.data.readers import JSON_LINES
from tfft.tasks.token_classification.span_examples import Span, SpanExamples
from tfft.tasks.token_classification.span_jsonl import read_span_jsonl
from tfft.tasks.token_classification.tag_schemes import SCHEMES
from tfft.tasks.token_classification.entity_metrics import entity_report
from tfft.evaluation.masked_accuracy import MaskedAccuracy
from tfft.evaluation.validation_report import ValidationReport
from tfft.text.strings import as_text
from tfft.tasks.base import PREDICT_BATCH_SIZE, Report, Task
from tfft.tasks.heads import per_token_head
from tfft.tasks.explanation import ExplanationSetup
from tfft.tasks.token_classification.entity_decoding import BioTags, decode_entities
from tfft.tasks.token_classification.entity_explanation import entity_explanation_setup
from tfft.text.offset_tokenizer import Tokens
from tfft.tasks.token_classification.window_encoder import WindowEncoder

TYPES_FILE = "labels.json"


class TokenClassificationTask(Task):
    """Finds typed entity spans in text."""

    name = "token_classification"
    monitor = "val_f1"
    quality_metric = "f1"
    option_names = frozenset({"tag_column", "tag_scheme", "stride"})

    def __init__(self, options: dict[str, Any] | None, data):
        super().__init__(options, data)
        self.tag_column = int(self.options.get("tag_column", -1))
        self.scheme = str(self.options.get("tag_scheme", "BIO")).upper()
        if self.scheme not in SCHEMES:
            raise ValueError(f"task_options.tag_scheme must be one of {sorted(SCHEMES)}, got '{self.scheme}'")
        self.stride = self.options.get("stride")
        self.tags: BioTags | None = None

    # --- data -------------------------------------------------------------
    def read(self, path: str, with_labels: bool = True) -> SpanExamples:
        if Path(path).suffix.lower() in JSON_LINES:
            return read_span_jsonl(path, self.data, with_labels)
        return read_conll(path, self.tag_column, self.scheme, self.data.skip_bad_rows, with_labels)

    def fit(self, train: SpanExamples) -> None:
        types = sorted({span.label for spans in train.spans for span in spans})
        if not types:
            raise ValueError(f"{train.source}: no entities found; check data.train and task_options.tag_column")
        self.tags = BioTags(types)

    def make_encoder(self, tokenizer, max_length: int) -> WindowEncoder:
        return WindowEncoder(tokenizer, max_length, self.stride)

    def encode(self, encoder: WindowEncoder, examples: SpanExamples,
               training: TrainingConfig | None = None, with_weights: bool = False) -> EncodedSplit:
        tokens = _tokenize_all(encoder, examples.texts)
        labels = tokens.ids.with_flat_values(np.full(tokens.ids.flat_values.shape, IGNORE_TARGET, "int32"))
        if examples.spans is not None:
            labels = tf.ragged.constant(
                [self._token_labels(examples, row, tokens) for row in range(len(examples))],
                dtype=tf.int32, ragged_rank=1,
            )
        window_ids, layout = encoder.window_ids(tokens.ids)
        window_labels = encoder.wrap(encoder.windows.gather(labels, layout), IGNORE_TARGET, IGNORE_TARGET)
        return EncodedSplit(window_ids, tf.zeros_like(window_ids), window_labels, None,
                            encoder.pad_id, examples)

    def _token_labels(self, examples: SpanExamples, row: int, tokens: Tokens) -> np.ndarray:
        """Tag ids of one text's tokens from its character spans (continuation pieces ignored)."""
        text = examples.texts[row]
        starts, ends = tokens.starts[row].numpy(), tokens.ends[row].numpy()
        initial = tokens.word_initial[row].numpy()
        labels = np.where(initial, 0, IGNORE_TARGET).astype("int32")
        for span in examples.spans[row]:
            if span.label not in self.tags.types:
                raise DataError(BadRow(examples.source, examples.lines[row], self.data.label_column,
                                       f"entity type '{span.label}' never appears in the training "
                                       f"data (known: {', '.join(self.tags.types)})"))
            type_index = self.tags.types.index(span.label)
            byte_start = len(text[:span.start].encode("utf-8"))
            byte_end = byte_start + len(text[span.start:span.end].encode("utf-8"))
            # Words that overlap the span: an entity that starts inside a word
            # ("Paris" in "Parisian") still labels that word.
            inside = np.flatnonzero(initial & (starts < byte_end) & (ends > byte_start))
            if inside.size == 0:
                continue
            labels[inside] = self.tags.inside(type_index)
            labels[inside[0]] = self.tags.begin(type_index)
        return labels

    # --- model ------------------------------------------------------------
    def build_model(self, backbone: keras.Model, model_config: ModelConfig, encoder) -> keras.Model:
        return per_token_head(backbone, len(self.tags), model_config.dropout, "token_classifier",
                              ("token_dropout", "tag_logits"))

    def loss(self, training: TrainingConfig) -> keras.losses.Loss:
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=IGNORE_TARGET)

    def metrics(self) -> list[keras.metrics.Metric]:
        return [MaskedAccuracy(name="token_accuracy")]

    def callbacks(self, validation: EncodedSplit, evaluate, log_dir: Path, encoder=None) -> list:
        return [ValidationReport(evaluate, keys=("f1", "precision", "recall"), table="per_type")]

    # --- evaluation and serving -------------------------------------------
    def report(self, examples: SpanExamples, predictions: list[list[Span]]) -> Report:
        return entity_report(examples, predictions)

    def entities(self, model: keras.Model, encoder: WindowEncoder, texts: tf.Tensor) -> dict[str, tf.Tensor]:
        """Raw strings → padded entity tensors: the whole serving computation."""
        tokens = encoder.tokenize(texts)
        window_ids, _ = encoder.window_ids(tokens.ids)
        logits = model(encoder.model_inputs(window_ids), training=False)
        probabilities = tf.nn.softmax(tf.cast(logits, tf.float32), axis=-1)
        token_probabilities = encoder.windows.merge(probabilities, tokens.ids.row_lengths())
        return decode_entities(texts, tokens, token_probabilities, self.tags)

    def explanation_setup(self, model: keras.Model, encoder: WindowEncoder, inputs: dict[str, str],
                          label: str | None = None) -> ExplanationSetup:
        return entity_explanation_setup(self, model, encoder, inputs, label)

    def serving_function(self, model: keras.Model, encoder: WindowEncoder):
        def serve_text(text):
            return self.entities(model, encoder, text)

        return serve_text

    def predict(self, model: keras.Model, encoder: WindowEncoder, split: EncodedSplit) -> list[list[Span]]:
        texts = split.examples.texts
        run = tf.function(lambda batch: self.entities(model, encoder, batch), reduce_retracing=True)
        order = np.argsort([len(t) for t in texts], kind="stable")  # similar lengths pad less
        predictions: list[list[Span]] = [[] for _ in texts]
        for start in range(0, len(order), PREDICT_BATCH_SIZE):
            rows = order[start:start + PREDICT_BATCH_SIZE]
            outputs = run(tf.constant([texts[i] for i in rows]))
            for row, spans in zip(rows, self.predictions_from_outputs(
                    {k: v.numpy() for k, v in outputs.items()})):
                predictions[row] = spans
        return predictions

    def predictions_from_outputs(self, outputs: dict[str, np.ndarray]) -> list[list[Span]]:
        return [
            [Span(int(outputs["entity_starts"][row, i]), int(outputs["entity_ends"][row, i]),
                  as_text(outputs["entity_types"][row, i]))
             for i in range(int(count))]
            for row, count in enumerate(outputs["num_entities"])
        ]

    # --- state ------------------------------------------------------------
    def save(self, run_dir: Path) -> None:
        LabelVocabulary(self.tags.types).save(Path(run_dir) / TYPES_FILE)

    def load(self, run_dir: Path) -> None:
        self.tags = BioTags(LabelVocabulary.load(Path(run_dir) / TYPES_FILE).names)


def _tokenize_all(encoder: WindowEncoder, texts: list[str]) -> Tokens:
    parts = [encoder.tokenize(tf.constant(texts[i:i + ENCODE_CHUNK]))
             for i in range(0, len(texts), ENCODE_CHUNK)]
    join = lambda field: tf.concat([getattr(p, field) for p in parts], axis=0)  # noqa: E731
    return Tokens(join("ids"), join("starts"), join("ends"), join("word_initial"))
