"""tfft's train step: gradient accumulation, plus the hooks training methods plug into.

The pipeline yields ``batch_size × steps`` rows per step; the train step cuts
them into ``steps`` micro-batches, runs forward and backward on one at a time
(a ``tf.while_loop``, so only one micro-batch's activations are alive) and
applies the summed gradients once. Each micro-batch's mean loss is weighted by
its share of the batch's loss denominator (see `loss_denominator`): for
token-level losses that is its share of the real target tokens, so the step
equals one step on the whole batch, not a mean of per-micro-batch means.

A loss that declares ``spans_batch`` (in-batch negatives: one row's loss
depends on the other rows) is computed once over the outputs of all
micro-batches, as GradCache does: a forward pass per micro-batch without
gradients, the loss and its gradient with respect to those outputs, then a
second forward and backward pass per micro-batch that carries that gradient
into the weights. Dropout draws the same masks in both passes (the random
seed states are rewound), so the step equals one step on the whole batch.

Training methods change what a micro-batch contributes without copying the
step: a gradient method (`tfft.training.gradient_methods`, adversarial
training) computes its loss and gradients, a loss function
(`tfft.training.distillation`) replaces the compiled loss.

Example:

>>> accumulate_gradients(model, steps=4)   # before model.compile
>>> model.fit(batches_of_128_rows)          # four micro-batches of 32 per step
>>> configure_train_step(model, 1, gradient_method=fgm, loss_function=distillation)
"""

from __future__ import annotations

import contextlib

import keras
import tensorflow as tf
from keras.src.losses.loss import unscale_loss_for_distribution

from tfft.training.gradient_methods import GradientMethod, LossFunction, plain_gradients

_ACCUMULATING_CLASSES: dict[type, type] = {}


def loss_denominator(loss: keras.losses.Loss | None, y, sample_weight) -> tf.Tensor:
    """What ``loss`` divides its summed values by on a batch, as float32.

    ``mean_with_sample_weight`` divides by the summed sample weights; a loss
    with an ``ignore_class`` by the targets that are not ignored (Keras
    rescales its mask so); any other mean loss by the number of rows.
    """
    reduction = getattr(loss, "reduction", None)
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        return tf.reduce_sum(tf.cast(sample_weight, tf.float32))
    ignore_class = getattr(loss, "ignore_class", None)
    if ignore_class is not None and y is not None:
        return tf.reduce_sum(tf.cast(tf.not_equal(tf.cast(y, tf.int64), ignore_class), tf.float32))
    rows = tf.shape(tf.nest.flatten(y)[0])[0] if y is not None else 0
    return tf.cast(rows, tf.float32)


class AccumulatingTrainStep:
    """Mixin for a Keras model: `train_step` over ``_accumulation_steps`` micro-batches.

    Every tfft training model gets it (one micro-batch and no training method
    is Keras's own step); it also carries the symbolic build that works under
    MultiWorkerMirrored. A gradient method (adversarial training) and a loss
    function (distillation) change what each micro-batch contributes.
    """

    _accumulation_steps: int = 1
    _gradient_method: GradientMethod | None = None
    _loss_function: LossFunction | None = None

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Keras averages the first distributed batch with strategy.reduce to build
        # shapes, which MultiWorkerMirrored cannot do for a dict of int tensors;
        # the first replica's part has the same structure and dtypes.
        if iterator is not None and self._distribute_strategy is not None:
            for _, _, batches in iterator:
                local = self._distribute_strategy.experimental_local_results
                data_batch = tf.nest.map_structure(lambda value: local(value)[0], next(batches))
                break
            iterator = None
        return super()._maybe_symbolic_build(iterator=iterator, data_batch=data_batch)

    def train_step(self, data):
        plain = self._gradient_method is None and self._loss_function is None
        if self._accumulation_steps <= 1 and plain:
            return super().train_step(data)
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        rows = tf.shape(tf.nest.flatten(x)[0])[0]
        if self._accumulation_steps <= 1:
            loss, gradients = self._micro_batch(x, y, sample_weight, tf.constant(1.0))
        elif getattr(self.loss, "spans_batch", False) and plain:
            loss, gradients = self._accumulate_over_whole_batch(x, y, sample_weight, rows)
        else:
            loss, gradients = self._accumulate(x, y, sample_weight, rows)
        self._loss_tracker.update_state(unscale_loss_for_distribution(loss), sample_weight=rows)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_weights))
        return self.get_metrics_result()

    def _micro_batch(self, x, y, sample_weight, share):
        """(loss, dense gradients) of one micro-batch whose loss counts ``share`` of the batch's."""
        method = self._gradient_method or plain_gradients
        loss, grads, predictions = method(self, self._loss_function or keras_loss, x, y, sample_weight, share)
        self.compute_metrics(x, y, predictions, sample_weight=sample_weight)
        return tf.cast(loss, tf.float32), [_dense(g, w) for g, w in zip(grads, self.trainable_weights)]

    def _micro_batches(self, rows):
        """(rows per micro-batch, micro-batches) of a batch of ``rows``."""
        micro = (rows + self._accumulation_steps - 1) // self._accumulation_steps
        return micro, (rows + micro - 1) // micro

    def _accumulate(self, x, y, sample_weight, rows):
        micro, count = self._micro_batches(rows)
        total = tf.maximum(loss_denominator(self.loss, y, sample_weight), 1e-12)

        def micro_step(index, gradients, loss_sum):
            part = lambda tree: _rows(tree, index * micro, micro)  # noqa: E731
            xi, yi, wi = part(x), part(y), part(sample_weight)
            loss, grads = self._micro_batch(xi, yi, wi, loss_denominator(self.loss, yi, wi) / total)
            return index + 1, [g + d for g, d in zip(gradients, grads)], loss_sum + loss

        zeros = [tf.zeros(w.shape, w.dtype) for w in self.trainable_weights]
        _, gradients, loss = tf.while_loop(
            lambda index, *_: index < count, micro_step, (tf.constant(0), zeros, tf.constant(0.0)),
            parallel_iterations=1)  # one micro-batch's activations alive at a time
        return loss, gradients


    def _accumulate_over_whole_batch(self, x, y, sample_weight, rows):
        """(loss, gradients) of a loss over the whole batch, one micro-batch's activations at a time."""
        micro, count = self._micro_batches(rows)
        part = lambda tree, index: _rows(tree, index * micro, micro)  # noqa: E731
        seeds = _seed_states(self)
        start = [tf.identity(state) for state in seeds]

        def forward(index, outputs):
            return index + 1, outputs.write(index, tf.cast(self(part(x, index), training=True), tf.float32))

        _, parts = tf.while_loop(lambda index, _: index < count, forward,
                                 (tf.constant(0), tf.TensorArray(tf.float32, size=count, infer_shape=False)),
                                 parallel_iterations=1)
        predictions = tf.stop_gradient(parts.concat())
        with tf.GradientTape() as tape:
            tape.watch(predictions)
            loss = keras_loss(self, x, y, sample_weight, predictions)
            scaled = self.optimizer.scale_loss(loss)
        upstream = tape.gradient(scaled, predictions)
        self.compute_metrics(x, y, predictions, sample_weight=sample_weight)
        for state, value in zip(seeds, start):
            state.assign(value)  # the second pass draws the first pass's dropout masks

        def backward(index, gradients):
            with tf.GradientTape() as tape:
                outputs = self(part(x, index), training=True)
                surrogate = tf.reduce_sum(tf.cast(outputs, tf.float32) * tf.cast(part(upstream, index), tf.float32))
            grads = tape.gradient(surrogate, self.trainable_weights)
            return index + 1, [g + _dense(d, w) for g, d, w in zip(gradients, grads, self.trainable_weights)]

        zeros = [tf.zeros(w.shape, w.dtype) for w in self.trainable_weights]
        _, gradients = tf.while_loop(lambda index, _: index < count, backward, (tf.constant(0), zeros),
                                     parallel_iterations=1)
        return tf.cast(loss, tf.float32), gradients


def _seed_states(model: keras.Model) -> list[tf.Variable]:
    """The state variables of every random seed generator in ``model`` (dropout's, say)."""
    return [generator.state for layer in model._flatten_layers()
            for generator in getattr(layer, "_seed_generators", [])]


def keras_loss(model: keras.Model, x, y, sample_weight, predictions) -> tf.Tensor:
    """The compiled loss (the task's), as Keras's own step computes it."""
    return model._compute_loss(x=x, y=y, y_pred=predictions, sample_weight=sample_weight, training=True)


def configure_train_step(model: keras.Model, accumulation_steps: int = 1,
                         gradient_method: GradientMethod | None = None,
                         loss_function: LossFunction | None = None) -> keras.Model:
    """Gives ``model`` tfft's train step: accumulation, a gradient method, a loss function."""
    steps = int(accumulation_steps)
    if steps < 1:
        raise ValueError(f"training.gradient_accumulation_steps must be >= 1, got {steps}")
    if not isinstance(model, AccumulatingTrainStep):
        base = type(model)
        if base not in _ACCUMULATING_CLASSES:
            _ACCUMULATING_CLASSES[base] = type(f"Accumulating{base.__name__}",
                                               (AccumulatingTrainStep, base), {"_base_class": base})
        model.__class__ = _ACCUMULATING_CLASSES[base]
    model._accumulation_steps = steps
    model._gradient_method = gradient_method
    model._loss_function = loss_function
    return model


@contextlib.contextmanager
def own_class(model: keras.Model):
    """``model`` as its own class again while inside, so what is serialized names that class.

    >>> with own_class(masked_lm):
    ...     masked_lm.save_to_preset("runs/mlm/preset")  # task.json says BertMaskedLM
    """
    swapped = model.__class__
    model.__class__ = getattr(swapped, "_base_class", swapped)
    try:
        yield model
    finally:
        model.__class__ = swapped


def accumulate_gradients(model: keras.Model, steps: int) -> keras.Model:
    """Makes ``model`` take one optimizer step per ``steps`` micro-batches of each batch."""
    return configure_train_step(model, steps)


def _rows(tree, start, size):
    return tf.nest.map_structure(lambda t: t[start:start + size], tree) if tree is not None else None


def _dense(gradient, like: tf.Tensor) -> tf.Tensor:
    if gradient is None:  # a weight this loss does not reach
        return tf.zeros_like(like)
    return tf.convert_to_tensor(gradient)
