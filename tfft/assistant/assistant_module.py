"""The servable assistant: ``text`` → intent, answer and hand-off, in one graph.

The classifier export and the search index are loaded and tracked inside the
module, so the saved assistant holds both graphs and their tokenizers and
runs in stock TF Serving (core TF and tensorflow-text ops only).

Example:

>>> assistant = Assistant(tf.saved_model.load("saved_models/intents/1"),
...                       tf.saved_model.load("saved_models/faq-index/1"), "answer", Thresholds(0.6, 0.4))
>>> assistant.respond(tf.constant(["where is my parcel"]))["handoff"]
<tf.Tensor: shape=(1,), dtype=bool, numpy=array([False])>
"""

from __future__ import annotations

import tensorflow as tf

from tfft.assistant.handoff_rule import Thresholds

TEXT = "text"
OUTPUTS = ("intent", "intent_probability", "answer", "answer_id", "answer_score", "handoff")


class Assistant(tf.Module):
    """An intent classifier, an answer index, and the two hand-off thresholds."""

    def __init__(self, classifier, index, answer_payload: str, thresholds: Thresholds):
        super().__init__(name="assistant")
        self.classifier = classifier
        self.index = index
        self.answer_payload = answer_payload
        self.intent_threshold = tf.Variable(thresholds.intent, dtype=tf.float32, trainable=False,
                                            name="intent_threshold")
        self.answer_threshold = tf.Variable(thresholds.answer, dtype=tf.float32, trainable=False,
                                            name="answer_threshold")

    def respond(self, text: tf.Tensor) -> dict[str, tf.Tensor]:
        intents = self.classifier.signatures["serving_default"](text=text)
        found = self.index.signatures["serving_default"](query=text)
        probability = tf.reduce_max(intents["probabilities"], axis=-1)
        score = found["scores"][:, 0]
        handoff = tf.logical_or(probability < self.intent_threshold, score < self.answer_threshold)
        return {"intent": intents["label"], "intent_probability": probability,
                "answer": found[self.answer_payload][:, 0], "answer_id": found["ids"][:, 0],
                "answer_score": score, "handoff": handoff}

    def serving_function(self):
        return tf.function(self.respond, input_signature=[tf.TensorSpec([None], tf.string, name=TEXT)])
