"""Multiple-negatives ranking loss: each anchor against every positive and negative of the batch.

A row's positive is the right answer among all candidates of the *global*
batch: every replica's positives and hard negatives are gathered
(`gather_rows`, whose gradient flows back to the replica that made each
vector), so two replicas of 16 rows train like one device of 32.
Gradient accumulation keeps the whole batch too: the loss declares
``spans_batch`` and the train step computes it over all micro-batches at once
(`tfft.training.accumulation`).

``y_true`` names each row's positive (`positive_ids`): two rows with the same
positive, say two questions of one FAQ answer, are not each other's
negatives; a batch may hold both (sentence-transformers needs a no-duplicates
sampler instead).

Example:

>>> loss = InBatchRankingLoss(scale=20.0, symmetric=True)
>>> loss(tf.constant([0., 1., 1., 2.]), vectors)  # vectors [batch, 2 + negatives, dim], unit length
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

MASKED = -1e9  # the logit of a candidate that shares the row's positive


def positive_ids(positives: list[str]) -> np.ndarray:
    """For each row, the first row with the same positive text: equal ids, one positive."""
    first: dict[str, int] = {}
    return np.asarray([first.setdefault(text, len(first)) for text in positives], dtype="float32")


def gather_rows(values: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Every replica's ``values`` stacked along axis 0, and where this replica's rows start.

    Built from sums (each replica writes its rows at its offset into zeros,
    then an all-reduce adds them up): the gradient of a sum all-reduce is the
    sum of the replicas' gradients, so each row's gradient reaches the replica
    that made it.
    """
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return values, tf.constant(0, tf.int32)
    replicas, replica = context.num_replicas_in_sync, context.replica_id_in_sync_group
    rows = tf.shape(values)[0]
    sizes = tf.cast(context.all_reduce("sum", tf.one_hot(replica, replicas) * tf.cast(rows, tf.float32)), tf.int32)
    offset = tf.reduce_sum(sizes[:replica])
    placed = tf.scatter_nd((offset + tf.range(rows))[:, None], values,
                           tf.concat([tf.reduce_sum(sizes)[None], tf.shape(values)[1:]], axis=0))
    return context.all_reduce("sum", placed), offset


@keras.saving.register_keras_serializable(package="tfft")
class InBatchRankingLoss(keras.losses.Loss):
    """Cross-entropy of ``scale × cosine`` over the global batch's candidates, per anchor.

    Args:
        scale: the softmax temperature's inverse (sentence-transformers uses 20).
        symmetric: also rank the anchors for each positive, and average both directions.
    """

    spans_batch = True  # its value for one row depends on the other rows of the batch

    def __init__(self, scale: float = 20.0, symmetric: bool = False, name: str = "in_batch_ranking", **kwargs):
        super().__init__(name=name, **kwargs)
        self.scale = float(scale)
        self.symmetric = bool(symmetric)

    def call(self, y_true, y_pred):
        vectors = tf.cast(y_pred, tf.float32)
        anchors, positives = vectors[:, 0], vectors[:, 1]
        negatives = tf.reshape(vectors[:, 2:], [-1, tf.shape(vectors)[-1]])
        all_positives, offset = gather_rows(positives)
        all_negatives, _ = gather_rows(negatives)
        labels = offset + tf.range(tf.shape(anchors)[0])
        ids = tf.reshape(tf.cast(y_true, tf.float32), [-1])
        all_ids, _ = gather_rows(ids)
        # Another row with this row's positive is no negative: masked, in both directions.
        shared = tf.logical_and(tf.equal(ids[:, None], all_ids[None, :]),
                                tf.not_equal(labels[:, None], tf.range(tf.shape(all_ids)[0])[None, :]))
        candidates = tf.concat([all_positives, all_negatives], axis=0)
        negatives_kept = tf.zeros([tf.shape(anchors)[0], tf.shape(all_negatives)[0]], dtype=tf.bool)
        loss = self._cross_entropy(labels, anchors, candidates, tf.concat([shared, negatives_kept], axis=1))
        if self.symmetric:
            all_anchors, _ = gather_rows(anchors)
            loss = (loss + self._cross_entropy(labels, positives, all_anchors, shared)) / 2.0
        return loss

    def _cross_entropy(self, labels, queries, candidates, masked):
        logits = self.scale * tf.matmul(queries, candidates, transpose_b=True)
        logits = tf.where(masked, MASKED, logits)
        return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)

    def get_config(self) -> dict:
        return {**super().get_config(), "scale": self.scale, "symmetric": self.symmetric}
