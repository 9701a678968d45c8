"""What `tfft explain` attributes for NER: each predicted entity's score.

An entity's score is the mean probability of its predicted tag over its words'
first pieces, which is the ``entity_scores`` the export serves. The text is
explained over the model's first window: entities beyond it are listed in the
summary (``entities_found``) but not explained.

Example:

>>> setup = entity_explanation_setup(task, model, encoder, "Angela Merkel visited Paris")
>>> [target.info["text"] for target in setup.targets]
['Angela Merkel', 'Paris']
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from tfft.tasks.explanation import ExplanationSetup, ExplanationTarget, wordpiece_part


def _entity_score(positions: np.ndarray, tags: np.ndarray):
    index = tf.constant(np.stack([positions, tags], axis=1), tf.int32)

    def score(logits: tf.Tensor) -> tf.Tensor:
        probabilities = tf.nn.softmax(tf.cast(logits, tf.float32), axis=-1)  # [batch, length, tags]
        return tf.reduce_mean(tf.gather_nd(tf.transpose(probabilities, [1, 2, 0]), index), axis=0)

    return score


def entity_explanation_setup(task, model: keras.Model, encoder, inputs: dict[str, str],
                             label: str | None = None) -> ExplanationSetup:
    if label is not None:
        raise ValueError("--label picks a classifier's label; NER explains every entity it finds")
    text = inputs["text"]
    tokens = encoder.tokenize(tf.constant([text]))
    window_ids, _ = encoder.window_ids(tokens.ids)
    model_inputs = encoder.model_inputs(window_ids[:1])
    tags = tf.argmax(model(model_inputs, training=False)[0], axis=-1).numpy()
    part = wordpiece_part(encoder.offsets, "text", text, 1, int(model_inputs["token_ids"].shape[1]) - 2)
    found = {name: value.numpy()[0] for name, value in task.entities(model, encoder, tf.constant([text])).items()}
    targets = []
    for i in range(int(found["num_entities"])):
        start, end = int(found["entity_starts"][i]), int(found["entity_ends"][i])
        words = part.positions[part.word_initial & (part.starts < end) & (part.ends > start)]
        if not words.size or part.ends[-1] < end:  # past the first window
            continue
        info = {"type": found["entity_types"][i].decode(), "text": text[start:end], "start": start, "end": end,
                "probability": float(found["entity_scores"][i])}
        targets.append(ExplanationTarget(info, _entity_score(words, tags[words])))
    return ExplanationSetup(model_inputs, [part], {encoder.start_id, encoder.end_id, encoder.pad_id},
                            {"entities_found": int(found["num_entities"])}, targets, targets_key="entities")
