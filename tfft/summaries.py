"""Write TensorBoard summaries that Keras' TensorBoard callback cannot silence.

Between batches, Keras' callback leaves its "record every ``update_freq``
steps" condition set (tensorflow/tensorflow#49109), so a summary written from
another callback, or at an epoch's end, is dropped unless the step count
happens to divide by ``update_freq``. `recording` sets the writer and turns
recording on for the block.

Example:

>>> with recording(writer):
...     tf.summary.scalar("step_learning_rate", rate, step=step)
"""

from __future__ import annotations

import contextlib
from typing import Iterator

import tensorflow as tf


@contextlib.contextmanager
def recording(writer: tf.summary.SummaryWriter) -> Iterator[None]:
    """``writer`` as the default summary writer, recording whatever condition is set outside."""
    with writer.as_default(), tf.summary.record_if(True):
        yield
