"""How one (micro-)batch turns into a loss and gradients: plain, FGM or PGD.

The train step (`tfft.training.accumulation.AccumulatingTrainStep`) asks a
gradient method for ``(loss, gradients, predictions)`` of each micro-batch and
applies what it returns, so methods that need extra forward and backward
passes (adversarial training) change the step without copying it. A method
gets the batch's loss function (the task's loss, or a distillation objective)
and the micro-batch's share of the batch loss (``scale``).

Adversarial methods perturb the output of the backbone's word-embedding layer
(`EmbeddingPerturbation`): the clean pass yields the gradient with respect to
that output, the perturbation follows it (normalised per row), and the
gradients of the clean and the perturbed loss are summed.

Example:

>>> method = make_gradient_method(AdversarialConfig(method="fgm", epsilon=1.0), model)
>>> configure_train_step(model, accumulation_steps=1, gradient_method=method)
"""

from __future__ import annotations

import threading
from typing import Callable, Protocol

import keras
import keras_hub
import tensorflow as tf

from tfft.config import AdversarialConfig

LossFunction = Callable[[keras.Model, object, object, object, object], tf.Tensor]


class GradientMethod(Protocol):
    def __call__(self, model: keras.Model, loss_function: LossFunction, x, y, sample_weight,
                 scale: tf.Tensor) -> tuple[tf.Tensor, list, object]: ...


def plain_gradients(model: keras.Model, loss_function: LossFunction, x, y, sample_weight,
                    scale: tf.Tensor):
    """One forward and backward pass: Keras's own step."""
    with tf.GradientTape() as tape:
        predictions = model(x, training=True)
        loss = _scaled(loss_function(model, x, y, sample_weight, predictions), scale)
        scaled = model.optimizer.scale_loss(loss)
    return loss, tape.gradient(scaled, model.trainable_weights), predictions


class EmbeddingPerturbation:
    """Adds a perturbation to a layer's output and exposes that output for its gradient.

    Wraps the layer's ``call`` on this one instance; with no perturbation set it
    changes nothing. State is per thread, since a multi-replica strategy traces
    each replica's step in its own thread.
    """

    def __init__(self, layer: keras.layers.Layer):
        self.layer = layer
        self._state = threading.local()
        original = layer.call

        def call(*args, **kwargs):
            output = original(*args, **kwargs)
            tape = getattr(self._state, "tape", None)
            if tape is not None:
                tape.watch(output)  # frozen embeddings are not watched otherwise
            self._state.output = output
            delta = getattr(self._state, "delta", None)
            return output if delta is None else output + tf.cast(delta, output.dtype)

        layer.call = call

    def forward(self, model: keras.Model, x, tape: tf.GradientTape, delta=None):
        """``model(x)`` under ``tape`` with ``delta`` added; returns (predictions, embedding output)."""
        self._state.tape, self._state.delta = tape, delta
        try:
            return model(x, training=True), self._state.output
        finally:
            self._state.tape = self._state.delta = None


class AdversarialGradients:
    """FGM (``steps=0``) or PGD (``steps`` ascent steps) on the word-embedding output."""

    def __init__(self, perturbation: EmbeddingPerturbation, epsilon: float, steps: int = 0,
                 step_size: float = 0.0):
        self.perturbation = perturbation
        self.epsilon, self.steps, self.step_size = float(epsilon), int(steps), float(step_size)

    def __call__(self, model, loss_function, x, y, sample_weight, scale):
        loss, gradients, predictions, embedding_gradient = self._pass(model, loss_function, x, y,
                                                                      sample_weight, scale, None)
        if self.steps == 0:  # FGM: one step of the full radius
            delta = self.epsilon * _unit(embedding_gradient)
        else:  # PGD: small steps, each projected back into the epsilon ball
            delta = self.step_size * _unit(embedding_gradient)
            for _ in range(self.steps - 1):
                _, _, _, embedding_gradient = self._pass(model, loss_function, x, y, sample_weight,
                                                         scale, delta, with_weights=False)
                delta = _project(delta + self.step_size * _unit(embedding_gradient), self.epsilon)
        _, adversarial, _, _ = self._pass(model, loss_function, x, y, sample_weight, scale,
                                          tf.stop_gradient(delta), with_embedding=False)
        summed = [_add(clean, extra) for clean, extra in zip(gradients, adversarial)]
        return loss, summed, predictions

    def _pass(self, model, loss_function, x, y, sample_weight, scale, delta,
              with_weights: bool = True, with_embedding: bool = True):
        with tf.GradientTape() as tape:
            predictions, embedded = self.perturbation.forward(model, x, tape, delta)
            loss = _scaled(loss_function(model, x, y, sample_weight, predictions), scale)
            scaled = model.optimizer.scale_loss(loss)
        targets = (list(model.trainable_weights) if with_weights else []) + ([embedded] if with_embedding else [])
        gradients = tape.gradient(scaled, targets)
        weight_gradients = gradients[:len(model.trainable_weights)] if with_weights else None
        embedding_gradient = tf.stop_gradient(tf.cast(gradients[-1], tf.float32)) if with_embedding else None
        return loss, weight_gradients, predictions, embedding_gradient


def make_gradient_method(config: AdversarialConfig, model: keras.Model) -> GradientMethod | None:
    """The gradient method ``config`` asks for (None: Keras's own step)."""
    if config.method == "none":
        return None
    perturbation = EmbeddingPerturbation(token_embedding(model))
    if config.method == "fgm":
        return AdversarialGradients(perturbation, config.epsilon)
    return AdversarialGradients(perturbation, config.epsilon, config.steps, config.step_size)


def token_embedding(model: keras.Model) -> keras.layers.Layer:
    """The word-embedding layer of the keras-hub backbone inside ``model``."""
    for layer in [model, *model._flatten_layers(include_self=False, recursive=True)]:
        if isinstance(layer, keras_hub.models.Backbone) and getattr(layer, "token_embedding", None):
            return layer.token_embedding
    raise ValueError("training.adversarial needs a keras-hub backbone with a token_embedding layer; "
                     f"model '{model.name}' has none")


def _scaled(loss: tf.Tensor, scale: tf.Tensor) -> tf.Tensor:
    return loss * tf.cast(scale, loss.dtype)


def _unit(gradient: tf.Tensor) -> tf.Tensor:
    """``gradient`` scaled to norm 1 in each row (over all its other axes)."""
    axes = list(range(1, len(gradient.shape)))
    return gradient / (tf.sqrt(tf.reduce_sum(tf.square(gradient), axis=axes, keepdims=True)) + 1e-12)


def _project(delta: tf.Tensor, radius: float) -> tf.Tensor:
    axes = list(range(1, len(delta.shape)))
    norm = tf.sqrt(tf.reduce_sum(tf.square(delta), axis=axes, keepdims=True))
    return delta * tf.minimum(1.0, radius / (norm + 1e-12))


def _add(clean, adversarial):
    if clean is None and adversarial is None:
        return None
    if clean is None:
        return tf.convert_to_tensor(adversarial)
    if adversarial is None:
        return tf.convert_to_tensor(clean)
    return tf.convert_to_tensor(clean) + tf.convert_to_tensor(adversarial)
