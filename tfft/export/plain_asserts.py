"""Trace graph assertions as plain ``Assert`` ops, without the ``cond`` TensorFlow wraps them in.

``tf.debugging.Assert`` puts its check inside a ``cond`` whenever the data it
would print is not int32 or string, so that on a GPU that data need not be
copied to the host. On a CPU serving graph the ``cond`` only costs time: the
RaggedTensor checks in the in-graph tokenizer and packer add 19 of them, which
the runtime lowers to about 150 Switch / Merge / Identity nodes run on every
request. A plain ``Assert`` checks the same condition and fails with the same
message, so a malformed input is still refused.

Example:

>>> with plain_asserts():
...     concrete = serve.get_concrete_function(tf.TensorSpec([None], tf.string))
"""

from __future__ import annotations

import contextlib
from typing import Iterator

from tensorflow.python.eager import context
from tensorflow.python.framework import ops
from tensorflow.python.ops import control_flow_assert, gen_logging_ops


@contextlib.contextmanager
def plain_asserts() -> Iterator[None]:
    """Within the block, assertions traced into a graph are single ``Assert`` ops."""
    guarded = control_flow_assert.Assert

    def plain(condition, data, summarize=None, name=None):
        if context.executing_eagerly():
            return guarded(condition, data, summarize, name)
        with ops.name_scope(name, "Assert", [condition, data]):
            return gen_logging_ops._assert(condition, ops.convert_n_to_tensor(data), summarize, name="Assert")

    control_flow_assert.Assert = plain  # check_ops and the ragged ops look it up at call time
    try:
        yield
    finally:
        control_flow_assert.Assert = guarded
